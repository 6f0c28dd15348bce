"""Envoy clusters (outlier detection, circuit-breaker thresholds) into conductor keys."""

from __future__ import annotations

from conductor.traces.configs.reader import CAPACITY, NOT_SOURCING, Reader, host_of


def read_envoy(reader: Reader, document: dict, path: str) -> None:
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
        name = host_of(str(cluster.get("name", f"cluster-{c}")))
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
