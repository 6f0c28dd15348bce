"""Istio VirtualService and DestinationRule into conductor keys."""

from __future__ import annotations

from conductor.traces.configs.reader import CAPACITY, ENVOY_BACKOFF, NOT_SOURCING, Reader, host_of


def read_virtual_service(reader: Reader, document: dict, path: str) -> None:
    spec = document.get("spec") or {}
    reader.rest(document, ("apiVersion", "kind", "metadata", "spec"), path, {})
    hosts = [host_of(h) for h in spec.get("hosts") or []]
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
            host = host_of(str(target.get("host", hosts[0] if hosts else "")))
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


def read_destination_rule(reader: Reader, document: dict, path: str) -> None:
    spec = document.get("spec") or {}
    reader.rest(document, ("apiVersion", "kind", "metadata", "spec"), path, {})
    host = host_of(str(spec.get("host", "")))
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
