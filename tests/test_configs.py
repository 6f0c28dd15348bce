"""Import of resilience configs: Istio, gRPC, resilience4j and Envoy become strategies.

Each config is read field by field into a strategy that `compare` runs on a scenario
imported from traces; every field without a counterpart is reported, never dropped.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from conductor import compare
from conductor.cli import main
from conductor.experiments.run import load_scenario
from conductor.traces.configs import import_configs
from tests import tracegen

ISTIO = """
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: inventory}
spec:
  hosts: [inventory.shop.svc.cluster.local]
  http:
    - match: [{uri: {prefix: /reserve}}]
      timeout: 2s
      retries: {attempts: 3, perTryTimeout: 150ms, retryOn: "5xx,reset"}
      route:
        - destination: {host: inventory.shop.svc.cluster.local}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: payco}
spec:
  host: payco
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 100}}
    outlierDetection:
      consecutive5xxErrors: 5
      interval: 10s
      baseEjectionTime: 30s
      maxEjectionPercent: 50
"""

GRPC = {
    "methodConfig": [
        {
            "name": [{"service": "shop.PaycoService"}],
            "timeout": "1s",
            "hedgingPolicy": {
                "maxAttempts": 2,
                "hedgingDelay": "0.15s",
                "nonFatalStatusCodes": ["UNAVAILABLE"],
            },
        },
        {
            "name": [{"service": "shop.InventoryService", "method": "Reserve"}],
            "retryPolicy": {
                "maxAttempts": 3,
                "initialBackoff": "0.01s",
                "maxBackoff": "0.1s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        },
    ],
    "retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1},
}

RESILIENCE4J = """
resilience4j:
  circuitbreaker:
    configs:
      default: {slidingWindowSize: 20, failureRateThreshold: 50, waitDurationInOpenState: 10s}
    instances:
      payco:
        baseConfig: default
        failureRateThreshold: 30
        permittedNumberOfCallsInHalfOpenState: 3
        minimumNumberOfCalls: 10
        fancyNewSetting: 1
  retry:
    instances:
      payco: {maxAttempts: 2, waitDuration: 100ms}
  timelimiter:
    instances:
      payco: {timeoutDuration: 500ms}
"""

ENVOY = """
static_resources:
  clusters:
    - name: payco
      connect_timeout: 0.25s
      outlier_detection: {consecutive_5xx: 3, base_ejection_time: 20s, interval: 5s}
      circuit_breakers:
        thresholds:
          - {max_connections: 50, retry_budget: {budget_percent: {value: 20.0}}}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("configs")
    generated = tracegen.generate(duration=60.0, seed=5)
    traces = tracegen.write(folder / "shop.json", tracegen.to_otlp(generated.spans))
    scenario = folder / "shop.yaml"
    done = CliRunner().invoke(main, ["import", "otel", str(traces), "-o", str(scenario)])
    assert done.exit_code == 0, done.output
    files = {
        "istio": folder / "istio.yaml",
        "grpc": folder / "grpc.json",
        "resilience4j": folder / "resilience4j.yaml",
        "envoy": folder / "envoy.yaml",
    }
    files["istio"].write_text(textwrap.dedent(ISTIO))
    files["grpc"].write_text(json.dumps(GRPC))
    files["resilience4j"].write_text(textwrap.dedent(RESILIENCE4J))
    files["envoy"].write_text(textwrap.dedent(ENVOY))
    return {"scenario": scenario, "folder": folder, **files}


def test_istio_fields_become_strategy_keys(shop):
    imported = import_configs([shop["istio"]], scenario=shop["scenario"])
    strategy = imported.strategies["istio"]
    assert strategy["policy"] == "circuit-breaker"
    assert strategy["components"] == ["inventory", "payco"]
    inventory, payco = strategy["per_component"]["inventory"], strategy["per_component"]["payco"]
    assert inventory["retries"] == 3 and inventory["timeout"] == pytest.approx(0.15)
    assert inventory["backoff"]["jitter"] == "full"
    assert payco == {"window": 5, "failure_ratio": 1.0, "cool_down": 30.0}
    reported = "\n".join(imported.reported)
    for field in ("retryOn", "connectionPool", "outlierDetection.interval", "maxEjectionPercent"):
        assert field in reported


def test_grpc_fields_become_strategy_keys(shop):
    imported = import_configs([shop["grpc"]], scenario=shop["scenario"])
    strategy = imported.strategies["grpc"]
    assert strategy["policy"] == "hedged"
    payco, inventory = strategy["per_component"]["payco"], strategy["per_component"]["inventory"]
    assert payco["delay"] == pytest.approx(0.15) and payco["max_attempts"] == 2
    assert payco["timeout"] == 1.0 and payco["retry_budget"] == 0.1
    assert inventory["retries"] == 2
    assert inventory["backoff"] == {"jitter": "full", "base": 0.01, "multiplier": 2.0, "max": 0.1}
    reported = "\n".join(imported.reported)
    assert "retryableStatusCodes" in reported and "nonFatalStatusCodes" in reported
    assert "maxTokens" in reported


def test_resilience4j_fields_become_strategy_keys_and_unknown_ones_are_reported(shop):
    imported = import_configs([shop["resilience4j"]], scenario=shop["scenario"])
    strategy = imported.strategies["resilience4j"]
    assert strategy["policy"] == "circuit-breaker"
    payco = strategy["per_component"]["payco"]
    assert payco["failure_ratio"] == pytest.approx(0.3)  # the instance overrides the default
    assert payco["window"] == 20 and payco["cool_down"] == 10.0 and payco["probes"] == 3
    assert payco["retries"] == 1 and payco["backoff"]["base"] == pytest.approx(0.1)
    assert payco["timeout"] == pytest.approx(0.5)
    reported = "\n".join(imported.reported)
    assert "instances.payco.fancyNewSetting: unknown field" in reported
    assert "minimumNumberOfCalls" in reported
    assert "fancyNewSetting" in imported.text  # written into the file's header too


def test_envoy_clusters_become_a_breaker_with_a_retry_budget(shop):
    imported = import_configs([shop["envoy"]], scenario=shop["scenario"])
    payco = imported.strategies["envoy"]["per_component"]["payco"]
    assert payco == {"window": 3, "failure_ratio": 1.0, "cool_down": 20.0, "retry_budget": 0.2}
    assert "max_connections" in "\n".join(imported.reported)


def test_imported_strategies_run_in_compare(shop):
    out = shop["folder"] / "with-configs.yaml"
    done = CliRunner().invoke(
        main,
        [
            "import",
            "config",
            *(str(shop[k]) for k in ("istio", "grpc", "resilience4j")),
            "--scenario",
            str(shop["scenario"]),
            "-o",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "note:" in done.output and "fancyNewSetting" in done.output
    scenario = load_scenario(out)
    assert {"as-measured", "istio", "grpc", "resilience4j"} <= set(scenario.strategies)
    result = compare(
        scenario,
        ["as-measured", "istio", "grpc", "resilience4j"],
        replications=2,
        horizon="60s",
        workers=1,
    )
    figures = result.to_dict()["strategies"]
    for name in ("istio", "grpc", "resilience4j"):
        assert figures[name]["summary"]["requests"]["mean"] > 500
    # Hedging payco's slow calls after 150 ms shortens the checkout tail.
    checkout = {n: figures[n]["flows"]["frontend-get-checkout"] for n in ("as-measured", "grpc")}
    p99 = {n: f["latency_s"]["p99"]["mean"] for n, f in checkout.items()}
    assert p99["grpc"] < p99["as-measured"]


def test_without_a_scenario_the_strategies_are_written_alone(shop, tmp_path):
    out = tmp_path / "strategies.yaml"
    done = CliRunner().invoke(main, ["import", "config", str(shop["grpc"]), "-o", str(out)])
    assert done.exit_code == 0, done.output
    import yaml

    written = yaml.safe_load(out.read_text())
    assert set(written) == {"strategies"}
    assert written["strategies"]["grpc"]["policy"] == "hedged"


def test_a_name_the_scenario_lacks_is_reported(shop, tmp_path):
    config = tmp_path / "r4j.yaml"
    config.write_text("resilience4j:\n  retry:\n    instances:\n      ledger: {maxAttempts: 3}\n")
    imported = import_configs([config], scenario=shop["scenario"])
    assert any("ledger: names no component of the scenario" in r for r in imported.reported)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "empty"),
        ("a: [1,\n", "malformed"),
        ("just: a mapping\n", "not a config conductor reads"),
        ("methodConfig:\n  - retryPolicy: {maxAttempts: lots}\n", "expected a number"),
        (
            "resilience4j:\n  timelimiter:\n    instances:\n      p: {timeoutDuration: soon}\n",
            "expected a duration",
        ),
        (
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nspec: {http: 5}\n",
            "structure",
        ),
    ],
)
def test_bad_configs_are_refused_in_one_line(tmp_path, text, expected):
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    done = CliRunner().invoke(main, ["import", "config", str(config), "-o", str(tmp_path / "o")])
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and str(config) in lines[0], done.output


def test_istio_route_weights_become_a_weighted_split(shop, tmp_path):
    scenario = load_scenario(shop["scenario"])
    document = json.loads(json.dumps(scenario.document))
    document["providers"]["payments-team"] = {"kind": "internal"}
    document["components"]["payco"]["options"]["payments-team"] = {"service_time": "40ms"}
    both = tmp_path / "both.yaml"
    import yaml

    both.write_text(yaml.safe_dump(document, sort_keys=False))
    config = tmp_path / "canary.yaml"
    config.write_text(
        textwrap.dedent(
            """
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: payco}
            spec:
              hosts: [payco]
              http:
                - route:
                    - {destination: {host: payco, subset: payco}, weight: 80}
                    - {destination: {host: payco, subset: payments-team}, weight: 20}
            """
        )
    )
    imported = import_configs([config], scenario=both)
    strategy = imported.strategies["canary"]
    assert strategy["policy"] == "weighted" and strategy["components"] == ["payco"]
    assert strategy["weights"] == {"payco": 80, "payments-team": 20}
    result = compare(load_scenario(imported.document), ["canary"], replications=2, workers=1)
    shares = result.to_dict()["strategies"]["canary"]["components"]["payco"]["by_option"]
    assert shares["payments-team"]["share"]["mean"] == pytest.approx(0.2, abs=0.04)
