"""resilience4j circuit breakers, retries and time limiters into conductor keys."""

from __future__ import annotations

from typing import Any

from conductor.traces.configs.reader import CAPACITY, Reader

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


def read_resilience4j(reader: Reader, document: dict, path: str) -> None:
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
