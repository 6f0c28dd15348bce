"""Resilience configs into strategies: Istio, gRPC service config, resilience4j, Envoy.

Each file becomes one strategy named after it. Settings are read field by field into
conductor's keys, per component (an Istio host, a gRPC service, a resilience4j
instance, an Envoy cluster), and scoped with `components:` so the other components keep
one attempt per call:

- Istio VirtualService: `http[].timeout` and `retries.perTryTimeout` -> `timeout` (per
  attempt; the route timeout when no per-try one is set), `retries.attempts` ->
  `retries` with Envoy's default backoff (25 ms, ×2, up to 250 ms, full jitter), route
  `weight`s -> `weighted` by subset (or host). DestinationRule `outlierDetection`:
  `consecutive5xxErrors` (or `consecutiveGatewayErrors`) N -> `circuit-breaker` with
  `window` N and `failure_ratio` 1 (N failures in a row), `baseEjectionTime` -> `cool_down`.
- gRPC service config: `methodConfig[].timeout` -> `timeout`, `retryPolicy` (`maxAttempts`
  − 1 retries, `initialBackoff`, `backoffMultiplier`, `maxBackoff`, full jitter as gRPC
  draws it), `hedgingPolicy` (`maxAttempts`, `hedgingDelay`) -> `hedged`,
  `retryThrottling.tokenRatio` -> `retry_budget`.
- resilience4j: `circuitbreaker` (`failureRateThreshold` % -> `failure_ratio`,
  `slidingWindowSize` -> `window`, `waitDurationInOpenState` -> `cool_down`,
  `permittedNumberOfCallsInHalfOpenState` -> `probes`), `retry` (`maxAttempts` − 1,
  `waitDuration`, exponential backoff), `timelimiter.timeoutDuration` -> `timeout`;
  `configs.default` and `baseConfig` are applied first.
- Envoy clusters: `outlier_detection` (`consecutive_5xx`, or `failure_percentage_threshold`
  over `failure_percentage_request_volume`; `base_ejection_time`) -> `circuit-breaker`,
  `circuit_breakers.thresholds[].retry_budget.budget_percent` -> `retry_budget`.

Every other field is reported with its key path and why it has no counterpart (a
capacity that belongs to an option, a matcher, an unknown field), never dropped silently.
Conductor's policies each run one mechanism, so a file that asks for two (weights and
an outlier detector) keeps one and reports the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conductor.errors import ConductorError, TraceError
from conductor.traces.composition import slug
from conductor.traces.configs.envoy import read_envoy
from conductor.traces.configs.grpc import read_grpc
from conductor.traces.configs.istio import read_destination_rule, read_virtual_service
from conductor.traces.configs.reader import Reader
from conductor.traces.configs.resilience4j import read_resilience4j

# Files, strategies ----------------------------------------------------------------------------


def _read(reader: Reader, document: Any, path: str) -> str:
    """Read one document; return what it was."""
    if not isinstance(document, dict):
        raise TraceError("expected a mapping of config keys", file=reader.file, path=path or None)
    api = str(document.get("apiVersion", ""))
    kind = document.get("kind")
    if api.startswith("networking.istio.io"):
        if kind == "VirtualService":
            read_virtual_service(reader, document, path or "VirtualService")
            return "istio"
        if kind == "DestinationRule":
            read_destination_rule(reader, document, path or "DestinationRule")
            return "istio"
        reader.report(path or str(kind), f"Istio {kind} has no resilience settings")
        return "istio"
    if "methodConfig" in document or "retryThrottling" in document:
        read_grpc(reader, document, path)
        return "grpc"
    for key in list(document):
        if key.startswith("resilience4j."):  # Spring's dotted keys
            document.setdefault("resilience4j", {})[key.split(".", 1)[1]] = document.pop(key)
    if "resilience4j" in document:
        read_resilience4j(reader, document, path)
        return "resilience4j"
    if (
        "static_resources" in document
        or "clusters" in document
        or (
            "name" in document
            and ("outlier_detection" in document or "circuit_breakers" in document)
        )
    ):
        read_envoy(reader, document, path)
        return "envoy"
    keys = ", ".join(list(document)[:5])
    raise TraceError(
        "not a config conductor reads (expected an Istio VirtualService or DestinationRule, a "
        f"gRPC service config, resilience4j settings or Envoy clusters; found keys: {keys})",
        file=reader.file,
        path=path or None,
    )


_POLICY_KEYS = {
    "weighted": {"weights"},
    "circuit-breaker": {"failure_ratio", "window", "cool_down", "probes"},
    "hedged": {"delay", "max_attempts"},
}
_COMMON = {"timeout", "retries", "backoff", "retry_budget"}


@dataclass
class Imported:
    """Strategies read from config files, what was left out, and the text to write."""

    strategies: dict[str, dict[str, Any]]
    reported: list[str]
    text: str
    document: dict[str, Any] | None = None


def _strategy(reader: Reader, match, name: str) -> dict[str, Any]:
    per_component: dict[str, dict[str, Any]] = {}
    everyone = reader.components.pop("*", None)
    for component, settings in reader.components.items():
        target = match(component)
        if target is None:
            reader.report(component, "names no component of the scenario: left out")
            continue
        per_component.setdefault(target, {}).update(settings.keys)
    found = set().union(*(s.keys() for s in per_component.values())) | set(
        everyone.keys if everyone else {}
    )
    policy = next((p for p, keys in _POLICY_KEYS.items() if keys & found), "static")
    allowed = _COMMON | _POLICY_KEYS.get(policy, set())
    for component, keys in per_component.items():
        for key in [k for k in keys if k not in allowed]:
            reader.report(
                f"{component}.{key}",
                f"left out: the strategy is {policy}, and a conductor policy runs one mechanism",
            )
            del keys[key]
    strategy: dict[str, Any] = {"policy": policy}
    if everyone:
        strategy.update({k: v for k, v in everyone.keys.items() if k in allowed})
    else:
        strategy["components"] = sorted(per_component)
    if policy == "weighted" and "weights" not in strategy:
        first = next(c for c in per_component.values() if "weights" in c)
        strategy["weights"] = first["weights"]
    kept = {c: keys for c, keys in per_component.items() if keys}
    if kept:
        strategy["per_component"] = kept
    return strategy


def _documents(path: Path) -> list[Any]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceError("file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as error:
        raise TraceError(f"cannot read file: {error}", file=file) from None
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise TraceError(f"malformed YAML or JSON{where}", file=file) from None
    if not documents:
        raise TraceError("the file is empty: expected a resilience config", file=file)
    return documents


def import_configs(files: Iterable[str | Path], scenario: str | Path | None = None) -> Imported:
    """One strategy per config file; with `scenario`, checked against it and merged in."""
    loaded = None
    if scenario is not None:
        from conductor.experiments.run import load_scenario

        loaded = load_scenario(scenario)
    match = _matcher(loaded)
    strategies: dict[str, dict[str, Any]] = {}
    reported: list[str] = []
    kinds = []
    for file in files:
        path = Path(file)
        reader = Reader(str(path))
        documents = _documents(path)
        for index, document in enumerate(documents):
            where = f"[{index}]" if len(documents) > 1 else ""
            try:
                kinds.append(_read(reader, document, where))
            except (AttributeError, TypeError, KeyError):
                # A list or a plain value where the format has a mapping (or the reverse).
                raise TraceError(
                    "unexpected structure: a value where the format expects a mapping or a list",
                    file=str(path),
                    path=where or None,
                ) from None
        name = slug(path.stem)
        while name in strategies or (loaded is not None and name in loaded.strategies):
            name += "-imported"
        strategies[name] = _strategy(reader, match, name)
        reported += reader.reported
    header = [f"# Strategies imported by conductor from {', '.join(str(f) for f in files)}."]
    if reported:
        header.append("# Fields with no counterpart in conductor, left out:")
        header += [f"#   {line}" for line in reported]
    if loaded is None:
        body = yaml.safe_dump({"strategies": strategies}, sort_keys=False, default_flow_style=None)
        return Imported(strategies, reported, "\n".join(header) + "\n" + body)
    document = dict(loaded.document)
    document["strategies"] = {**document.get("strategies", {}), **strategies}
    from conductor.experiments.run import load_scenario

    try:
        load_scenario(document, base_dir=loaded.base_dir)
    except ConductorError as error:
        raise ConductorError(f"the imported strategies do not fit {scenario}: {error}") from None
    header.insert(1, f"# Scenario {scenario} (its comments are not carried over) with them added.")
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=100)
    return Imported(strategies, reported, "\n".join(header) + "\n" + body, document)


def _matcher(scenario):
    """Maps a config's name for a component onto the scenario's (as is without one)."""
    if scenario is None:
        return slug

    names = list(scenario.components)

    def match(name: str) -> str | None:
        wanted = slug(name)
        for candidate in names:
            if candidate == name or slug(candidate) == wanted:
                return candidate
        for candidate in names:  # PaymentService -> payment -> payments
            if slug(candidate).rstrip("s") == wanted.rstrip("s"):
                return candidate
        return None

    return match
