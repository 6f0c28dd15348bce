"""The command line through click's CliRunner: run, check, init, schema, common options.

Every simulated run is tiny (the starter scenario over two minutes, two replications).
"""

from __future__ import annotations

import csv
import json

import pytest

import conductor
from tests.conftest import STARTER, build_scenario, invoke, write_yaml

TINY = ["--horizon", "2min", "--warmup", "20s", "--replications", "2", "--seed", "3", "-w", "1"]
STAT_KEYS = {"mean", "ci95", "sd", "n"}
SUMMARY_KEYS = {
    "requests",
    "throughput_rps",
    "success_rate",
    "latency_s",
    "slo_attainment",
    "cost",
    "switches",
    "change_lead_time_s",
}
LATENCY_KEYS = {"mean", "p50", "p90", "p95", "p99", "p999"}
COST_KEYS = {"total", "per_request", "per_hour", "variable", "fixed", "switching", "penalty"}
TOP_KEYS = {
    "conductor",
    "scenario",
    "strategy",
    "seed",
    "replications",
    "horizon_s",
    "warmup_s",
    "summary",
    "flows",
    "components",
    "providers",
}


def assert_stat(value, n: int | None = None, nullable: bool = False) -> None:
    """A Stat: mean, ci95 (null or [lo, hi] around the mean), sd and n."""
    if value is None:
        assert nullable
        return
    assert set(value) >= STAT_KEYS, value
    assert isinstance(value["mean"], (int, float))
    if n is not None:
        assert value["n"] == n
    if value["n"] < 2:
        assert value["ci95"] is None and value["sd"] is None
    else:
        low, high = value["ci95"]
        assert low <= value["mean"] <= high
        assert value["sd"] >= 0


def assert_summary_shape(summary: dict, n: int) -> None:
    """The keys of SPEC §7's summary (and of each flow), every figure a Stat."""
    assert set(summary) >= SUMMARY_KEYS, set(summary)
    for key in ("requests", "throughput_rps", "success_rate", "switches"):
        assert_stat(summary[key], n)
    assert set(summary["latency_s"]) >= LATENCY_KEYS
    for key in LATENCY_KEYS:
        assert_stat(summary["latency_s"][key], n)
    assert set(summary["cost"]) >= COST_KEYS
    for key in COST_KEYS:
        assert_stat(summary["cost"][key], n)
    assert_stat(summary["slo_attainment"], n, nullable=True)
    assert_stat(summary["change_lead_time_s"], n, nullable=True)


def run_json(*args: str) -> dict:
    """`conductor run STARTER --json ...` parsed."""
    result = invoke("run", STARTER, "--json", *TINY, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def starter_json() -> dict:
    """The JSON of the starter's default strategy over a tiny run."""
    return run_json()


# run ----------------------------------------------------------------------------------------


def test_run_prints_a_table():
    """`conductor run` prints readable tables with the latency percentiles and costs."""
    result = invoke("run", STARTER, "-q", *TINY)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "latency p99" in result.stdout
    assert "cost total" in result.stdout
    assert "build" in result.stdout  # the default strategy is the scenario's first
    assert "Traceback" not in result.output


def test_run_json_has_the_spec_keys(starter_json):
    """`run --json` prints one object with every key of SPEC §7."""
    data = starter_json
    assert set(data) >= TOP_KEYS
    assert data["conductor"] == conductor.__version__
    assert data["scenario"]["name"] == "starter"
    assert isinstance(data["scenario"]["sha256"], str) and len(data["scenario"]["sha256"]) == 64
    assert data["strategy"] == "build"
    assert data["seed"] == 3
    assert data["replications"] == 2
    assert data["horizon_s"] == pytest.approx(120.0)
    assert data["warmup_s"] == pytest.approx(20.0)
    assert_summary_shape(data["summary"], 2)
    assert set(data["flows"]) == {"checkout"}
    assert_summary_shape(data["flows"]["checkout"], 2)


def test_run_json_components_and_providers(starter_json):
    """Components carry calls, attempts, failures and per-option figures; providers
    carry availability and cost."""
    components = starter_json["components"]
    assert set(components) == {"catalog", "search", "payment"}
    for figures in components.values():
        for key in ("calls", "attempts", "failures"):
            assert_stat(figures[key], 2)
        for option in figures["by_option"].values():
            assert set(option) >= {"attempts", "share", "utilization", "wait_s"}
            assert_stat(option["attempts"], 2)
            assert_stat(option["share"], 2, nullable=True)
            assert_stat(option["utilization"], 2, nullable=True)
            assert_stat(option["wait_s"], 2, nullable=True)
    assert set(components["payment"]["by_option"]) == {"inhouse", "payco"}
    assert components["payment"]["by_option"]["inhouse"]["share"]["mean"] == pytest.approx(1.0)
    providers = starter_json["providers"]
    assert set(providers) == {"inhouse", "payco", "searchcloud"}
    for figures in providers.values():
        assert_stat(figures["availability"], 2)
        assert_stat(figures["cost"], 2)


def test_run_json_figures_are_plausible(starter_json):
    """Throughput near 20/s, a success rate near 1, ordered percentiles."""
    summary = starter_json["summary"]
    assert 15 < summary["throughput_rps"]["mean"] < 25
    assert summary["requests"]["mean"] == pytest.approx(20 * 100, rel=0.15)
    assert 0.95 < summary["success_rate"]["mean"] <= 1.0
    latency = [summary["latency_s"][key]["mean"] for key in ("p50", "p90", "p95", "p99", "p999")]
    assert latency == sorted(latency)


def test_run_chooses_a_strategy():
    """`-s buy` runs `buy`: payment goes to the vendor."""
    data = run_json("-s", "buy")
    assert data["strategy"] == "buy"
    payment = data["components"]["payment"]["by_option"]
    assert payment["payco"]["share"]["mean"] == pytest.approx(1.0)


def test_run_json_matches_the_api(starter_json):
    """The CLI is a thin layer: the API with the same settings gives the same figures."""
    scenario = conductor.load_scenario(STARTER)
    result = conductor.run(scenario, replications=2, seed=3, horizon=120, warmup=20, workers=1)
    assert result.to_dict()["summary"] == starter_json["summary"]


def test_common_options_and_set():
    """--horizon, --replications, --seed and --set reach the run."""
    data = run_json("--set", "flows.checkout.arrivals.rate=5/s", "--set", "name=renamed")
    assert data["scenario"]["name"] == "renamed"
    assert 3 < data["summary"]["throughput_rps"]["mean"] < 7
    three = json.loads(
        invoke(
            "run", STARTER, "--json", "--horizon", "1min", "--warmup", "0", "-r", "3", "-w", "1"
        ).stdout
    )
    assert three["replications"] == 3
    assert three["summary"]["requests"]["n"] == 3
    assert three["horizon_s"] == pytest.approx(60.0)
    assert three["warmup_s"] == pytest.approx(0.0)
    assert three["seed"] == 7  # the scenario's own seed


def test_run_out_writes_results_and_runs(tmp_path):
    """`--out DIR` writes results.json (the run object) and runs.csv (a row a replication)."""
    out = tmp_path / "out"
    result = invoke("run", STARTER, "-q", "--out", out, *TINY)
    assert result.exit_code == 0, (result.output, result.exception)
    data = json.loads((out / "results.json").read_text())
    assert set(data) >= TOP_KEYS
    assert_summary_shape(data["summary"], 2)
    with (out / "runs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    assert {row["replication"] for row in rows} == {"0", "1"}
    means = [float(row["summary.requests"]) for row in rows]
    assert sum(means) / 2 == pytest.approx(data["summary"]["requests"]["mean"])


def test_run_accepts_a_json_scenario(tmp_path):
    """A scenario written as JSON runs like YAML."""
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(build_scenario()))
    result = invoke("run", path, "--json", "-w", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    data = json.loads(result.stdout)
    assert data["summary"]["requests"]["mean"] == 10
    assert data["summary"]["latency_s"]["mean"]["mean"] == pytest.approx(2.0)


def test_run_relative_trace_file_is_read_from_the_scenario_folder(tmp_path, monkeypatch):
    """A trace file named relative to the scenario is found whatever the working folder."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "arrivals.csv").write_text("0\n1\n2.5\n")
    document = build_scenario({"flows.web.arrivals": {"process": "trace", "file": "arrivals.csv"}})
    path = write_yaml(folder / "tiny.yaml", document)
    monkeypatch.chdir(tmp_path)
    result = invoke("run", path, "--json", "-w", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    assert json.loads(result.stdout)["summary"]["requests"]["mean"] == 3


# check, init, schema ----------------------------------------------------------------------


def test_check_accepts_the_starter():
    """`check` on the starter scenario exits 0, shows the composition, no warning."""
    result = invoke("check", STARTER)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "payment" in result.stdout
    assert "warning" not in result.output.lower()


def test_check_warns_about_an_overloaded_option():
    """An option at or over 100 % utilisation at nominal load is reported as unstable."""
    result = invoke("check", STARTER, "--set", "components.payment.options.inhouse.capacity=1")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "warning" in result.output.lower()
    assert "payment" in result.output


def test_check_warns_about_exactly_full_utilisation(tmp_path):
    """Utilisation of exactly 100 % (1/s of 1 s service on one server) is unstable too."""
    path = write_yaml(
        tmp_path / "full.yaml",
        build_scenario({"components.a.options.inhouse": {"service_time": 1, "capacity": 1}}),
    )
    result = invoke("check", path)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "warning" in result.output.lower()


def test_init_writes_a_scenario_that_passes_check(tmp_path, monkeypatch):
    """`init shop` writes shop.yaml, which `check` accepts and `run` runs."""
    monkeypatch.chdir(tmp_path)
    result = invoke("init", "shop")
    assert result.exit_code == 0, (result.output, result.exception)
    path = tmp_path / "shop.yaml"
    assert path.exists()
    assert path.read_text().lstrip().startswith("#")  # commented
    checked = invoke("check", path)
    assert checked.exit_code == 0, (checked.output, checked.exception)
    assert conductor.load_scenario(path).name == "shop"
    ran = invoke("run", path, "--json", "--horizon", "30s", "--warmup", "0", "-r", "1", "-w", "1")
    assert ran.exit_code == 0, (ran.output, ran.exception)


def test_init_force_overwrites(tmp_path, monkeypatch):
    """`init --force` replaces an existing file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop.yaml").write_text("old\n")
    assert invoke("init", "shop", "--force").exit_code == 0
    assert "providers" in (tmp_path / "shop.yaml").read_text()


def test_schema_prints_json_schema():
    """`schema` prints a JSON Schema with the scenario's top-level properties."""
    result = invoke("schema")
    assert result.exit_code == 0, (result.output, result.exception)
    schema = json.loads(result.stdout)
    assert "properties" in schema
    assert {"providers", "components", "flows", "strategies", "run"} <= set(schema["properties"])


def test_schema_validates_the_starter():
    """The printed schema accepts the starter scenario (when jsonschema is installed)."""
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(invoke("schema").stdout)
    jsonschema.validate(yaml.safe_load(STARTER.read_text()), schema)


BUNDLED = sorted((STARTER.parent).glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=[p.name for p in BUNDLED])
def test_schema_accepts_every_bundled_scenario(path):
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(invoke("schema").stdout)
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize(
    "strategy",
    [
        {"policy": "circuit_breaker"},  # the policy is circuit-breaker
        {"policy": "hedged", "max_attempt": 2},  # max_attempts
        {"policy": "failover", "retries": -1},
        {"policy": "weighted"},  # weights are required
    ],
)
def test_schema_flags_what_check_refuses(strategy, tmp_path):
    """The schema knows each registered policy's keys, as `conductor check` does."""
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(invoke("schema").stdout)
    document = yaml.safe_load(STARTER.read_text())
    document["strategies"] = {"mine": strategy}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document))
    assert invoke("check", str(path)).exit_code == 2


def test_version_and_help():
    """--version prints the version; --help lists the commands."""
    version = invoke("--version")
    assert version.exit_code == 0
    assert conductor.__version__ in version.stdout
    helped = invoke("--help")
    assert helped.exit_code == 0
    for command in ("run", "check", "init", "schema"):
        assert command in helped.stdout
