"""The total cost of an option per hour: what `adaptive` and the bandits minimise.

Total cost = per-call spend + fixed per-hour prices + the business penalties its calls
cause. A call's penalties are charged as if the call alone decided its request: a
failed call costs the failure penalty, a call slower than the SLO the late penalty. The
SLO and penalties of a component are those of the flows calling it, weighted by calls.
Before an option has been observed, its failure and lateness come from the declared
figures: failure probability plus provider unavailability, and the probability that
network plus service exceed the SLO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from conductor.metrics import costs
from conductor.nominal import component_rates
from conductor.plan import Plan, availability


@dataclass(frozen=True)
class Terms:
    """What a call of a component risks: its SLO and the penalties of its flows."""

    slo: float
    penalty: float
    failure_penalty: float


def component_terms(plan: Plan) -> list[Terms]:
    """Call-weighted SLO latency and penalties of the flows calling each component."""
    sums = [[0.0, 0.0, 0.0, 0.0] for _ in plan.components]
    for flow in plan.flows:
        for step in flow.steps:
            weight = flow.rate * step.probability * step.calls
            total = sums[step.component]
            total[0] += weight
            total[1] += weight * (flow.slo_latency if flow.slo_latency else math.inf)
            total[2] += weight * flow.penalty
            total[3] += weight * flow.failure_penalty
    terms = []
    for weight, slo, penalty, failure in sums:
        if weight <= 0:
            terms.append(Terms(math.inf, 0.0, 0.0))
        else:
            terms.append(Terms(slo / weight, penalty / weight, failure / weight))
    return terms


def unavailability(plan: Plan, provider: int) -> float:
    """Declared long-run fraction of time a provider (or one it depends on) is down."""
    return 1.0 - availability(plan, provider)


def declared_risk(plan: Plan, option: int, terms: Terms) -> tuple[float, float]:
    """Declared probabilities that a call fails, and that it succeeds later than the SLO."""
    option_plan = plan.options[option]
    fail = 1.0 - (1.0 - option_plan.failure) * (1.0 - unavailability(plan, option_plan.provider))
    if not math.isfinite(terms.slo):
        return fail, 0.0
    network = plan.providers[option_plan.provider].network
    budget = terms.slo - (network.mean if network is not None else 0.0)
    late = 1.0 - option_plan.service.cdf(budget) if budget > 0 else 1.0
    return fail, late


def hourly_cost(
    plan: Plan,
    option: int,
    calls_per_hour: float,
    fail: float,
    late: float,
    terms: Terms,
    price: float = 1.0,
) -> float:
    """Expected total cost per hour of serving a component's calls with one option."""
    option_plan = plan.options[option]
    provider = plan.providers[option_plan.provider]
    per_call = (
        option_plan.per_call * price
        + fail * terms.failure_penalty
        + ((1.0 - fail) * late * terms.penalty)
    )
    return costs.hourly_cost(
        calls_per_hour,
        per_call,
        costs.fixed_per_hour(option_plan.per_hour, provider.per_hour, price),
    )


def nominal_calls_per_hour(plan: Plan) -> list[float]:
    """Calls per hour of each component at nominal load."""
    return [rate * 3600.0 for rate in component_rates(plan)]
