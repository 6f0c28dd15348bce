"""Analytic estimates of one sourcing assignment, to screen candidates before simulating.

An assignment serves each component by one option (a capacity may be changed too). At
the flows' nominal rates each option is a queue whose mean latency comes from
`conductor.nominal` (network + Erlang-C wait, scaled by (1 + cs²)/2, + service). A
flow's latency is then approximated along its critical path (the DAG path of the
largest mean) by a gamma law with the path's mean and variance, so its percentiles
exist without sampling; a failed request counts as infinitely slow, as in SPEC §9
(P(T_all ≤ t) = (1 − f)·P(T ≤ t), f the flow's failure probability from the options'
failure rates and their providers' availability). Costs are per-call prices at the
nominal call rate, per-hour prices of the engaged options and of their providers
(once per provider), and the expected SLO penalties.

These are screening figures: good enough to order candidates, never shown as results.
A parallel join's maximum, retries and outage correlation are not modelled.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

from conductor.nominal import component_rates, estimate
from conductor.plan import FlowPlan, OptionPlan, Plan, availability

PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p999": 0.999}


def with_capacity(option: OptionPlan, capacity: int | None) -> OptionPlan:
    """The option with another capacity, its capacity-priced cost following."""
    if capacity is None or capacity == option.capacity:
        return option
    base = option.per_hour - option.per_server_hour * (option.capacity or 0)
    return dataclasses.replace(
        option, capacity=capacity, per_hour=base + option.per_server_hour * capacity
    )


def screen(
    plan: Plan,
    options: Mapping[int, OptionPlan],
    window_hours: float,
    percentiles: Iterable[str] = PERCENTILES,
) -> dict[str, float]:
    """Estimated objectives of serving component c by `options[c]`: cost_total,
    success_rate, slo_attainment, latency_mean and the named latency percentiles
    (`p99`: `latency_p99`), counting failures."""
    rates = component_rates(plan)
    figures = {c: estimate(plan, option, rates[c]) for c, option in options.items()}
    unstable = any(not e.stable for e in figures.values())
    own = (e.cost_per_hour - plan.providers[e.option.provider].per_hour for e in figures.values())
    per_hour = sum(own)
    per_hour += sum(plan.providers[p].per_hour for p in {o.provider for o in options.values()})
    laws, weights, penalties, attained = [], [], 0.0, 0.0
    total_rate = sum(flow.rate for flow in plan.flows) or 1.0
    for flow in plan.flows:
        mean, variance, failure = _flow_law(plan, flow, figures, options)
        if unstable:
            mean, variance = math.inf, math.inf
        laws.append((mean, variance, failure))
        weights.append(flow.rate / total_rate)
        late = 0.0
        if flow.slo_latency is not None:
            within = _gamma_cdf(flow.slo_latency, mean, variance)
            late = 1.0 - within
            attained += flow.rate / total_rate * (1.0 - failure) * within
        else:
            attained += flow.rate / total_rate * (1.0 - failure)
        penalties += (
            flow.rate
            * 3600.0
            * (failure * flow.failure_penalty + (1.0 - failure) * late * flow.penalty)
        )
    success = sum(w * (1.0 - f) for w, (_, _, f) in zip(weights, laws, strict=True))
    result = {
        "cost_total": (per_hour + penalties) * window_hours,
        "success_rate": success,
        "slo_attainment": attained,
        "latency_mean": math.inf
        if success < 1.0
        else sum(w * m for w, (m, _, _) in zip(weights, laws, strict=True)),
        "change_lead_time": 0.0,
    }
    for name in percentiles:
        result[f"latency_{name}"] = _mixture_quantile(PERCENTILES[name], laws, weights)
    return result


def _flow_law(
    plan: Plan, flow: FlowPlan, figures: Mapping[int, Any], options: Mapping[int, OptionPlan]
) -> tuple[float, float, float]:
    """Mean and variance of the flow's critical path, and its failure probability."""
    means, variances, ok = [], [], 1.0
    for step in flow.steps:
        figure = figures[step.component]
        option = options[step.component]
        provider = plan.providers[option.provider]
        service = option.service
        network = provider.network
        one_mean = figure.latency
        one_var = (
            _finite_or(service.variance, service.mean**2)
            + (figure.wait**2 if math.isfinite(figure.wait) else math.inf)
            + (_finite_or(network.variance, network.mean**2) if network is not None else 0.0)
        )
        mean, var = one_mean * step.calls, one_var * step.calls
        p = step.probability
        # A skipped step takes no time: a mixture of the step's law and zero.
        means.append(p * mean)
        variances.append(p * (var + mean * mean) - (p * mean) ** 2)
        if not step.optional:
            served = (1.0 - option.failure) ** step.calls * availability(plan, option.provider)
            ok *= 1.0 - p * (1.0 - served)
    best_mean = [0.0] * len(flow.steps)
    best_var = [0.0] * len(flow.steps)
    for step in flow.steps:  # in topological order
        before = max(step.after, key=lambda i: best_mean[i], default=None)
        start_mean = best_mean[before] if before is not None else 0.0
        start_var = best_var[before] if before is not None else 0.0
        best_mean[step.index] = start_mean + means[step.index]
        best_var[step.index] = start_var + variances[step.index]
    end = max(range(len(flow.steps)), key=lambda i: best_mean[i])
    return best_mean[end], best_var[end], 1.0 - ok


def _finite_or(value: float, fallback: float) -> float:
    return value if math.isfinite(value) else fallback


def _gamma_cdf(x: float, mean: float, variance: float) -> float:
    """P(T ≤ x) for a gamma law of that mean and variance (a constant when variance is 0)."""
    if not math.isfinite(mean):
        return 0.0
    if variance <= 0 or mean <= 0:
        return 1.0 if x >= mean else 0.0
    from scipy import special

    return float(special.gammainc(mean * mean / variance, x * mean / variance))


def _mixture_quantile(
    level: float, laws: list[tuple[float, float, float]], weights: list[float]
) -> float:
    """The level-quantile over all requests of the flows' mixture, failures infinitely
    slow: inf when the failures hold more than 1 − level of the mass."""
    failed = sum(w * f for w, (_, _, f) in zip(weights, laws, strict=True))
    if failed >= 1.0 - level or any(not math.isfinite(m) for m, _, _ in laws):
        return math.inf

    if len(laws) == 1:  # one flow: the gamma quantile itself, no search
        mean, variance, failure = laws[0]
        level = level / (1.0 - failure)
        if variance <= 0 or mean <= 0:
            return mean
        from scipy import special

        return float(special.gammaincinv(mean * mean / variance, level) * variance / mean)

    def cdf(t: float) -> float:
        return sum(
            w * (1.0 - f) * _gamma_cdf(t, m, v) for w, (m, v, f) in zip(weights, laws, strict=True)
        )

    low, high = 0.0, max(m + 10.0 * math.sqrt(max(v, 0.0)) for m, v, _ in laws) + 1e-9
    while cdf(high) < level:
        high *= 2.0
    for _ in range(60):
        middle = (low + high) / 2.0
        low, high = (middle, high) if cdf(middle) < level else (low, middle)
    return high
