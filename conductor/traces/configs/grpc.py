"""gRPC service config (methodConfig, retryThrottling) into conductor keys."""

from __future__ import annotations

import re

from conductor.traces.configs.reader import NOT_SOURCING, Reader


def _grpc_component(name: dict) -> str:
    service = str(name.get("service") or "*")
    if service == "*":
        return "*"
    last = service.rsplit(".", 1)[-1]
    return re.sub(r"(?i)service$", "", last) or last


def read_grpc(reader: Reader, document: dict, path: str) -> None:
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
