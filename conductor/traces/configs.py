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

import contextlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conductor.errors import ConductorError, TraceError
from conductor.scenario.units import parse_duration
from conductor.traces.composition import slug

ENVOY_BACKOFF = {"base": "25ms", "multiplier": 2, "max": "250ms", "jitter": "full"}
NOT_SOURCING = "routing or transport detail with no counterpart in a sourcing model"
CAPACITY = "a limit of the option itself: set components.C.options.P.capacity or queue"


@dataclass
class Settings:
    """conductor keys gathered for one component (or for all, under '*')."""

    keys: dict[str, Any] = field(default_factory=dict)

    def set(self, key: str, value: Any) -> None:
        self.keys[key] = value


class Reader:
    """Reads one config document, collecting settings and reporting what it leaves out."""

    def __init__(self, file: str):
        self.file = file
        self.components: dict[str, Settings] = {}
        self.reported: list[str] = []

    def settings(self, component: str) -> Settings:
        return self.components.setdefault(component, Settings())

    def report(self, path: str, reason: str) -> None:
        self.reported.append(f"{self.file}: {path}: {reason}")

    def rest(self, node: dict, used: Iterable[str], path: str, reasons: dict[str, str]) -> None:
        """Report every key of `node` that was not used."""
        for key in node:
            if key not in used:
                self.report(f"{path}.{key}" if path else key, reasons.get(key, "unknown field"))

    def duration(self, value: Any, path: str, plain: str = "s") -> float:
        """Seconds of a config duration: 2s, 100ms, PT10S, {seconds, nanos}, or a number."""
        try:
            if isinstance(value, dict):
                return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
            if isinstance(value, str):
                iso = re.fullmatch(
                    r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?",
                    value.strip().upper(),
                )
                if iso and value.strip() != "PT":
                    hours, minutes, seconds = (float(g) if g else 0.0 for g in iso.groups())
                    return hours * 3600 + minutes * 60 + seconds
                return parse_duration(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return parse_duration(f"{value}{plain}")
        except (ValueError, TypeError):
            pass
        raise TraceError(f"expected a duration, got {value!r}", file=self.file, path=path)

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, dict) and "value" in value:  # Envoy's wrapped numbers
            value = value["value"]
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise TraceError(f"expected a number, got {value!r}", file=self.file, path=path)


def _host(name: str) -> str:
    """The service of a Kubernetes host name: payments.shop.svc.cluster.local -> payments."""
    return name.split(".", 1)[0] if "." in name and not name.replace(".", "").isdigit() else name


# Istio --------------------------------------------------------------------------------------


def _istio_virtual_service(reader: Reader, document: dict, path: str) -> None:
    spec = document.get("spec") or {}
    reader.rest(document, ("apiVersion", "kind", "metadata", "spec"), path, {})
    hosts = [_host(h) for h in spec.get("hosts") or []]
    reader.rest(
        spec,
        ("hosts", "http"),
        f"{path}.spec",
        {k: NOT_SOURCING for k in ("gateways", "exportTo", "tcp", "tls")},
    )
    for r, route in enumerate(spec.get("http") or []):
        rpath = f"{path}.spec.http[{r}]"
        reader.rest(
            route,
            ("route", "timeout", "retries"),
            rpath,
            {
                k: NOT_SOURCING
                for k in ("match", "rewrite", "redirect", "headers", "corsPolicy", "name")
            }
            | {
                "fault": "fault injection: model it with events (outage, slowdown)",
                "mirror": "mirrored traffic is not on the request's path",
                "mirrorPercentage": "mirrored traffic is not on the request's path",
            },
        )
        weights: dict[str, dict[str, float]] = {}
        for d, destination in enumerate(route.get("route") or []):
            dpath = f"{rpath}.route[{d}]"
            reader.rest(destination, ("destination", "weight"), dpath, {"headers": NOT_SOURCING})
            target = destination.get("destination") or {}
            reader.rest(target, ("host", "subset"), f"{dpath}.destination", {"port": NOT_SOURCING})
            host = _host(str(target.get("host", hosts[0] if hosts else "")))
            if "weight" in destination:
                name = str(target.get("subset") or host)
                weights.setdefault(host, {})[name] = reader.number(
                    destination["weight"], f"{dpath}.weight"
                )
        targets = list(weights) or hosts
        retries = route.get("retries") or {}
        reader.rest(
            retries,
            ("attempts", "perTryTimeout"),
            f"{rpath}.retries",
            {
                "retryOn": "conductor retries every failed attempt (error, timeout, rejection, "
                "outage)",
                "retryRemoteLocalities": NOT_SOURCING,
            },
        )
        for host in targets:
            settings = reader.settings(host)
            if "perTryTimeout" in retries:
                settings.set(
                    "timeout", reader.duration(retries["perTryTimeout"], f"{rpath}.retries")
                )
            elif "timeout" in route:
                settings.set("timeout", reader.duration(route["timeout"], f"{rpath}.timeout"))
                reader.report(
                    f"{rpath}.timeout",
                    "a route timeout covers all attempts; conductor's timeout is per attempt",
                )
            if "attempts" in retries:
                settings.set("retries", int(reader.number(retries["attempts"], f"{rpath}.retries")))
                settings.set("backoff", dict(ENVOY_BACKOFF))
            if host in weights and len(weights[host]) > 1:
                settings.set("weights", weights[host])


def _istio_destination_rule(reader: Reader, document: dict, path: str) -> None:
    spec = document.get("spec") or {}
    reader.rest(document, ("apiVersion", "kind", "metadata", "spec"), path, {})
    host = _host(str(spec.get("host", "")))
    reader.rest(
        spec,
        ("host", "trafficPolicy"),
        f"{path}.spec",
        {
            "subsets": "subsets are read where a VirtualService weighs them",
            "exportTo": NOT_SOURCING,
            "workloadSelector": NOT_SOURCING,
        },
    )
    policy = spec.get("trafficPolicy") or {}
    ppath = f"{path}.spec.trafficPolicy"
    reader.rest(
        policy,
        ("outlierDetection",),
        ppath,
        {
            "connectionPool": CAPACITY,
            "loadBalancer": NOT_SOURCING,
            "tls": NOT_SOURCING,
            "portLevelSettings": NOT_SOURCING,
        },
    )
    outlier = policy.get("outlierDetection")
    if outlier:
        opath = f"{ppath}.outlierDetection"
        settings = reader.settings(host)
        count_key = next(
            (
                k
                for k in ("consecutive5xxErrors", "consecutiveGatewayErrors", "consecutiveErrors")
                if k in outlier
            ),
            None,
        )
        used = [count_key] if count_key else []
        if count_key:
            settings.set("window", int(reader.number(outlier[count_key], f"{opath}.{count_key}")))
            settings.set("failure_ratio", 1.0)
        if "baseEjectionTime" in outlier:
            used.append("baseEjectionTime")
            settings.set(
                "cool_down",
                reader.duration(outlier["baseEjectionTime"], f"{opath}.baseEjectionTime"),
            )
        reader.rest(
            outlier,
            used,
            opath,
            {
                "interval": "conductor's breaker judges every attempt, not at intervals",
                "maxEjectionPercent": "one breaker per option, none across a pool of hosts",
                "minHealthPercent": "one breaker per option, none across a pool of hosts",
                "splitExternalLocalOriginErrors": NOT_SOURCING,
                "consecutiveLocalOriginFailures": NOT_SOURCING,
            },
        )


# gRPC ---------------------------------------------------------------------------------------


def _grpc_component(name: dict) -> str:
    service = str(name.get("service") or "*")
    if service == "*":
        return "*"
    last = service.rsplit(".", 1)[-1]
    return re.sub(r"(?i)service$", "", last) or last


def _grpc(reader: Reader, document: dict, path: str) -> None:
    reader.rest(
        document,
        ("methodConfig", "retryThrottling"),
        path,
        {
            "loadBalancingConfig": NOT_SOURCING,
            "loadBalancingPolicy": NOT_SOURCING,
            "healthCheckConfig": NOT_SOURCING,
        },
    )
    throttling = document.get("retryThrottling")
    budget = None
    if throttling:
        tpath = f"{path}.retryThrottling" if path else "retryThrottling"
        budget = reader.number(throttling.get("tokenRatio"), f"{tpath}.tokenRatio")
        reader.rest(
            throttling,
            ("tokenRatio",),
            tpath,
            {"maxTokens": "conductor's budget holds ten calls' worth of tokens; the ratio is kept"},
        )
    for m, config in enumerate(document.get("methodConfig") or []):
        mpath = f"{path}.methodConfig[{m}]" if path else f"methodConfig[{m}]"
        names = config.get("name") or [{}]
        components = dict.fromkeys(_grpc_component(n) for n in names)
        if any(n.get("method") for n in names):
            reader.report(f"{mpath}.name", "per-method settings apply to the whole service")
        reader.rest(
            config,
            ("name", "timeout", "retryPolicy", "hedgingPolicy"),
            mpath,
            {
                "waitForReady": NOT_SOURCING,
                "maxRequestMessageBytes": NOT_SOURCING,
                "maxResponseMessageBytes": NOT_SOURCING,
            },
        )
        for component in components:
            settings = reader.settings(component)
            if budget is not None:
                settings.set("retry_budget", budget)
            if "timeout" in config:
                settings.set("timeout", reader.duration(config["timeout"], f"{mpath}.timeout"))
                reader.report(
                    f"{mpath}.timeout",
                    "a gRPC deadline covers all attempts; conductor's timeout is per attempt",
                )
            retry = config.get("retryPolicy")
            if retry:
                rpath = f"{mpath}.retryPolicy"
                attempts = int(reader.number(retry.get("maxAttempts"), f"{rpath}.maxAttempts"))
                settings.set("retries", max(attempts - 1, 0))
                backoff = {"jitter": "full"}
                if "initialBackoff" in retry:
                    backoff["base"] = reader.duration(
                        retry["initialBackoff"], f"{rpath}.initialBackoff"
                    )
                if "backoffMultiplier" in retry:
                    backoff["multiplier"] = max(
                        1.0, reader.number(retry["backoffMultiplier"], f"{rpath}.backoffMultiplier")
                    )
                if "maxBackoff" in retry:
                    backoff["max"] = reader.duration(retry["maxBackoff"], f"{rpath}.maxBackoff")
                settings.set("backoff", backoff)
                reader.rest(
                    retry,
                    ("maxAttempts", "initialBackoff", "backoffMultiplier", "maxBackoff"),
                    rpath,
                    {
                        "retryableStatusCodes": "conductor retries every failed attempt",
                        "perAttemptRecvTimeout": NOT_SOURCING,
                    },
                )
            hedging = config.get("hedgingPolicy")
            if hedging:
                hpath = f"{mpath}.hedgingPolicy"
                settings.set(
                    "max_attempts",
                    int(reader.number(hedging.get("maxAttempts"), f"{hpath}.maxAttempts")),
                )
                settings.set(
                    "delay",
                    reader.duration(hedging.get("hedgingDelay", "0s"), f"{hpath}.hedgingDelay"),
                )
                reader.rest(
                    hedging,
                    ("maxAttempts", "hedgingDelay"),
                    hpath,
                    {"nonFatalStatusCodes": "conductor hedges again after every failed attempt"},
                )


# resilience4j ---------------------------------------------------------------------------------

_R4J_REASONS = {
    "minimumNumberOfCalls": "conductor's breaker judges once its window is full",
    "slowCallRateThreshold": "conductor's breaker counts failures; set a timeout to count "
    "slow calls",
    "slowCallDurationThreshold": "conductor's breaker counts failures; set a timeout to count "
    "slow calls",
    "automaticTransitionFromOpenToHalfOpenEnabled": "conductor's breaker half-opens at the "
    "next call after cool_down",
    "recordExceptions": "conductor counts every failed attempt",
    "ignoreExceptions": "conductor counts every failed attempt",
    "retryExceptions": "conductor retries every failed attempt",
    "registerHealthIndicator": "observability, not behaviour",
    "eventConsumerBufferSize": "observability, not behaviour",
    "writableStackTraceEnabled": "observability, not behaviour",
    "cancelRunningFuture": "an abandoned attempt keeps its server in conductor",
    "baseConfig": "applied",
}


def _r4j_instances(reader: Reader, section: dict, path: str) -> dict[str, tuple[dict, str]]:
    """Each instance's settings with its base config (and configs.default) applied."""
    configs = section.get("configs") or {}
    instances = section.get("instances") or {}
    reader.rest(section, ("configs", "instances"), path, {})
    merged = {}
    for name, settings in instances.items():
        settings = settings or {}
        base = configs.get(settings.get("baseConfig", "default"), {}) or {}
        merged[name] = ({**base, **settings}, f"{path}.instances.{name}")
    return merged


def _resilience4j(reader: Reader, document: dict, path: str) -> None:
    root = document["resilience4j"]
    reader.rest(
        root,
        ("circuitbreaker", "retry", "timelimiter"),
        "resilience4j",
        {"bulkhead": CAPACITY, "thread-pool-bulkhead": CAPACITY, "ratelimiter": CAPACITY},
    )
    reader.rest(document, ("resilience4j",), path, {})
    breakers = root.get("circuitbreaker") or {}
    for name, (config, ipath) in _r4j_instances(
        reader, breakers, "resilience4j.circuitbreaker"
    ).items():
        settings = reader.settings(name)
        used = {"baseConfig"}
        if "failureRateThreshold" in config:
            used.add("failureRateThreshold")
            settings.set(
                "failure_ratio",
                reader.number(config["failureRateThreshold"], f"{ipath}.failureRateThreshold")
                / 100,
            )
        if "slidingWindowSize" in config:
            used.add("slidingWindowSize")
            settings.set(
                "window",
                int(reader.number(config["slidingWindowSize"], f"{ipath}.slidingWindowSize")),
            )
        if str(config.get("slidingWindowType", "COUNT_BASED")).upper() == "TIME_BASED":
            reader.report(
                f"{ipath}.slidingWindowType",
                "a time-based window: conductor's window counts attempts; its size is used "
                "as a count",
            )
        used.add("slidingWindowType")
        if "waitDurationInOpenState" in config:
            used.add("waitDurationInOpenState")
            settings.set(
                "cool_down",
                reader.duration(
                    config["waitDurationInOpenState"], f"{ipath}.waitDurationInOpenState", "ms"
                ),
            )
        if "permittedNumberOfCallsInHalfOpenState" in config:
            used.add("permittedNumberOfCallsInHalfOpenState")
            settings.set(
                "probes",
                int(reader.number(config["permittedNumberOfCallsInHalfOpenState"], ipath)),
            )
        reader.rest(config, used, ipath, _R4J_REASONS)
    retries = root.get("retry") or {}
    for name, (config, ipath) in _r4j_instances(reader, retries, "resilience4j.retry").items():
        settings = reader.settings(name)
        used = {"baseConfig"}
        if "maxAttempts" in config:
            used.add("maxAttempts")
            settings.set("retries", max(int(reader.number(config["maxAttempts"], ipath)) - 1, 0))
        backoff: dict[str, Any] = {"multiplier": 1}
        if "waitDuration" in config:
            used.add("waitDuration")
            backoff["base"] = reader.duration(config["waitDuration"], f"{ipath}.waitDuration", "ms")
        if config.get("enableExponentialBackoff"):
            backoff["multiplier"] = reader.number(
                config.get("exponentialBackoffMultiplier", 2),
                f"{ipath}.exponentialBackoffMultiplier",
            )
            if "exponentialMaxWaitDuration" in config:
                backoff["max"] = reader.duration(
                    config["exponentialMaxWaitDuration"],
                    f"{ipath}.exponentialMaxWaitDuration",
                    "ms",
                )
        used |= {
            "enableExponentialBackoff",
            "exponentialBackoffMultiplier",
            "exponentialMaxWaitDuration",
        }
        if config.get("enableRandomizedWait"):
            backoff["jitter"] = "full"
            reader.report(
                f"{ipath}.randomizedWaitFactor",
                "conductor's jitter draws the whole delay at random (full jitter)",
            )
        used |= {"enableRandomizedWait", "randomizedWaitFactor"}
        settings.set("backoff", backoff)
        reader.rest(config, used, ipath, _R4J_REASONS)
    limiters = root.get("timelimiter") or {}
    for name, (config, ipath) in _r4j_instances(
        reader, limiters, "resilience4j.timelimiter"
    ).items():
        if "timeoutDuration" in config:
            reader.settings(name).set(
                "timeout",
                reader.duration(config["timeoutDuration"], f"{ipath}.timeoutDuration", "ms"),
            )
        reader.rest(config, ("timeoutDuration", "baseConfig"), ipath, _R4J_REASONS)


# Envoy ----------------------------------------------------------------------------------------


def _envoy(reader: Reader, document: dict, path: str) -> None:
    if "static_resources" in document:
        resources = document["static_resources"] or {}
        reader.rest(
            document, ("static_resources",), path, {"admin": NOT_SOURCING, "node": NOT_SOURCING}
        )
        reader.rest(resources, ("clusters",), "static_resources", {"listeners": NOT_SOURCING})
        clusters, cpath = resources.get("clusters") or [], "static_resources.clusters"
    elif "clusters" in document:
        reader.rest(document, ("clusters",), path, {})
        clusters, cpath = document["clusters"] or [], "clusters"
    else:
        clusters, cpath = [document], path or "cluster"
    for c, cluster in enumerate(clusters):
        ipath = f"{cpath}[{c}]"
        name = _host(str(cluster.get("name", f"cluster-{c}")))
        settings = reader.settings(name)
        reader.rest(
            cluster,
            ("name", "outlier_detection", "circuit_breakers"),
            ipath,
            {
                k: NOT_SOURCING
                for k in (
                    "type",
                    "lb_policy",
                    "load_assignment",
                    "connect_timeout",
                    "dns_lookup_family",
                    "transport_socket",
                    "typed_extension_protocol_options",
                    "http2_protocol_options",
                    "health_checks",
                )
            },
        )
        outlier = cluster.get("outlier_detection") or {}
        opath = f"{ipath}.outlier_detection"
        used = []
        if "consecutive_5xx" in outlier:
            used.append("consecutive_5xx")
            settings.set("window", int(reader.number(outlier["consecutive_5xx"], opath)))
            settings.set("failure_ratio", 1.0)
        elif "failure_percentage_threshold" in outlier:
            used += ["failure_percentage_threshold", "failure_percentage_request_volume"]
            settings.set(
                "failure_ratio", reader.number(outlier["failure_percentage_threshold"], opath) / 100
            )
            settings.set(
                "window",
                int(reader.number(outlier.get("failure_percentage_request_volume", 50), opath)),
            )
        if "base_ejection_time" in outlier:
            used.append("base_ejection_time")
            settings.set("cool_down", reader.duration(outlier["base_ejection_time"], opath))
        reader.rest(
            outlier,
            used,
            opath,
            {
                "interval": "conductor's breaker judges every attempt, not at intervals",
                "max_ejection_percent": "one breaker per option, none across a pool of hosts",
            }
            | {k: NOT_SOURCING for k in outlier if k.startswith(("enforcing_", "success_rate_"))},
        )
        breakers = cluster.get("circuit_breakers") or {}
        reader.rest(breakers, ("thresholds",), f"{ipath}.circuit_breakers", {})
        for t, threshold in enumerate(breakers.get("thresholds") or []):
            tpath = f"{ipath}.circuit_breakers.thresholds[{t}]"
            used = []
            budget = threshold.get("retry_budget")
            if budget and "budget_percent" in budget:
                used.append("retry_budget")
                settings.set("retry_budget", reader.number(budget["budget_percent"], tpath) / 100)
            reader.rest(
                threshold,
                used,
                tpath,
                {
                    "max_connections": CAPACITY,
                    "max_pending_requests": CAPACITY,
                    "max_requests": CAPACITY,
                    "max_retries": "concurrent retries: conductor bounds retries by a budget",
                    "priority": NOT_SOURCING,
                    "track_remaining": NOT_SOURCING,
                },
            )


# Files, strategies ----------------------------------------------------------------------------


def _read(reader: Reader, document: Any, path: str) -> str:
    """Read one document; return what it was."""
    if not isinstance(document, dict):
        raise TraceError("expected a mapping of config keys", file=reader.file, path=path or None)
    api = str(document.get("apiVersion", ""))
    kind = document.get("kind")
    if api.startswith("networking.istio.io"):
        if kind == "VirtualService":
            _istio_virtual_service(reader, document, path or "VirtualService")
            return "istio"
        if kind == "DestinationRule":
            _istio_destination_rule(reader, document, path or "DestinationRule")
            return "istio"
        reader.report(path or str(kind), f"Istio {kind} has no resilience settings")
        return "istio"
    if "methodConfig" in document or "retryThrottling" in document:
        _grpc(reader, document, path)
        return "grpc"
    for key in list(document):
        if key.startswith("resilience4j."):  # Spring's dotted keys
            document.setdefault("resilience4j", {})[key.split(".", 1)[1]] = document.pop(key)
    if "resilience4j" in document:
        _resilience4j(reader, document, path)
        return "resilience4j"
    if (
        "static_resources" in document
        or "clusters" in document
        or (
            "name" in document
            and ("outlier_detection" in document or "circuit_breakers" in document)
        )
    ):
        _envoy(reader, document, path)
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
