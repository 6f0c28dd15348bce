"""The cost rules, in one place: what the engine accrues and what the figures report.

An engaged option costs its `per_hour` times its provider's price factor for every hour
it is engaged, and a provider with at least one engaged option its relationship
`per_hour` times the same factor. A provider's price factor is the product of the
`price` events it has had so far. A failed request costs its flow's failure penalty,
a success later than the flow's SLO the late penalty. The expected cost per hour of an
option is its calls per hour times what a call costs, plus its fixed price per hour.
The portfolio, the timeline, the summary, the nominal estimates and the economics of
strategies all call these, so the rules cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from conductor.plan import FlowPlan, Plan

PriceSteps = list[tuple[float, float]]


def price_steps(plan: Plan) -> list[PriceSteps]:
    """Per provider, the (time, cumulative price factor) steps of its price events."""
    steps: list[PriceSteps] = [[(0.0, 1.0)] for _ in plan.providers]
    for event in plan.events:
        if event.action == "price":
            steps[event.target].append(
                (event.at, repriced(steps[event.target][-1][1], event.value))
            )
    return steps


def repriced(factor: float, value: float) -> float:
    """A provider's price factor after a `price` event of `value`."""
    return factor * value


def factor_at(steps: PriceSteps, time: float) -> float:
    """The price factor in force at `time`."""
    factor = 1.0
    for at, value in steps:
        if at <= time:
            factor = value
    return factor


def fixed_rates(
    plan: Plan, engaged: Sequence[bool], factors: Sequence[float]
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """Per-hour prices of the engaged options and of the providers they engage.

    Returns (option index, rate) and (provider index, rate) pairs; `factors` holds each
    provider's price factor. Callers add rates in this order: it keeps sums identical.
    """
    options = []
    providers = set()
    for index, on in enumerate(engaged):
        if on:
            option = plan.options[index]
            options.append((index, option.per_hour * factors[option.provider]))
            providers.add(option.provider)
    return options, [
        (index, plan.providers[index].per_hour * factors[index]) for index in providers
    ]


def late(flow: FlowPlan, latency: np.ndarray, ok: np.ndarray) -> np.ndarray | None:
    """Which successes were later than the flow's SLO (None without an SLO)."""
    if flow.slo_latency is None:
        return None
    return ok & (latency > flow.slo_latency)


def penalty(flow: FlowPlan, late: Any, failed: Any) -> Any:
    """The business penalty of `late` late successes and `failed` failures (counts or
    per-request masks); the late term only counts when the flow has an SLO."""
    cost = failed * flow.failure_penalty
    if flow.slo_latency is None:
        return cost
    return late * flow.penalty + cost


def fixed_per_hour(per_hour: float, relationship: float, price: float = 1.0) -> float:
    """An option's fixed price per hour with its provider's relationship, at a factor."""
    return (per_hour + relationship) * price


def hourly_cost(calls_per_hour: float, per_call: float, fixed: float) -> float:
    """Expected cost per hour: calls per hour times the cost of a call, plus fixed."""
    return calls_per_hour * per_call + fixed
