"""What the declared figures predict at nominal load, without simulating.

The nominal load of a component is the sum over flows of the arrival rate times the
expected calls per request (step probability × calls). For each option, queueing theory
then estimates what it would see if it served all of that load: utilisation, waiting
(Erlang C for M/M/c, scaled by (1 + cs²)/2 for general service, Allen–Cunneen), latency
and cost per hour. `conductor check` prints these; `cheapest` and `fastest` rank by them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from conductor.metrics.costs import fixed_per_hour, hourly_cost
from conductor.plan import OptionPlan, Plan
from conductor.theory import erlang_b, erlang_c

__all__ = ["Estimate", "component_rates", "erlang_b", "erlang_c", "estimate", "estimates"]


def component_rates(plan: Plan) -> list[float]:
    """Calls per second each component receives at the flows' nominal arrival rates."""
    rates = [0.0] * len(plan.components)
    for flow in plan.flows:
        for step in flow.steps:
            rates[step.component] += flow.rate * step.probability * step.calls
    return rates


@dataclass(frozen=True)
class Estimate:
    """Nominal-load figures of one option serving all of its component's calls."""

    option: OptionPlan
    rate: float
    utilization: float
    wait: float
    latency: float
    cost_per_hour: float

    @property
    def stable(self) -> bool:
        """False when the option is offered as much work as it can do, or more."""
        return self.utilization < 1.0


def estimate(plan: Plan, option: OptionPlan, rate: float) -> Estimate:
    """Queueing-theory figures for an option offered `rate` calls per second."""
    service = option.service
    provider = plan.providers[option.provider]
    offered = rate * service.mean
    if option.rate_limit is not None:
        offered = min(rate, option.rate_limit) * service.mean
    servers = option.capacity
    if servers is None:
        utilization, wait = offered, 0.0
    else:
        utilization = offered / servers
        if utilization >= 1.0:
            wait = math.inf
        elif option.queue == 0:
            wait = 0.0
        else:
            scv = service.scv if math.isfinite(service.scv) else 1.0
            per_server = servers / service.mean if service.mean > 0 else math.inf
            wait = erlang_c(servers, offered) / (per_server - rate) * (1.0 + scv) / 2.0
    network = provider.network.mean if provider.network is not None else 0.0
    calls_per_hour = rate * 3600.0
    return Estimate(
        option=option,
        rate=rate,
        utilization=utilization,
        wait=wait,
        latency=network + wait + service.mean,
        cost_per_hour=hourly_cost(
            calls_per_hour, option.per_call, fixed_per_hour(option.per_hour, provider.per_hour)
        ),
    )


def estimates(plan: Plan) -> dict[int, Estimate]:
    """Option index -> its estimate when serving all of its component's nominal calls."""
    rates = component_rates(plan)
    return {o.index: estimate(plan, o, rates[o.component]) for o in plan.options}
