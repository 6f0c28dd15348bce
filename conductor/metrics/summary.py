"""From one replication's records to its figures: a flat mapping of key paths to numbers.

Latency figures (`latency_s`) are over successful requests; `latency_all_s` over all
measured requests with a failed one counted as infinitely slow (a percentile that falls
among the failures is infinite: `null` in JSON, "failed" in tables), so a strategy cannot
look fast by failing its slow requests. Success and SLO attainment (failures count as
misses) are over all measured requests. Costs: per-call spend of the attempts of measured
requests, fixed per-hour prices of engaged options and relationship costs of their
providers over the measured window, one-off switch-in costs, and SLO penalties. A flow's
share of fixed and switching costs follows its share of each option's attempts.
"""

from __future__ import annotations

import math

import numpy as np

from conductor.metrics import costs
from conductor.metrics.records import Records
from conductor.plan import FlowPlan, Plan

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}
NAN = math.nan

Figures = dict[tuple[str, ...], float]


def replication_figures(records: Records, plan: Plan) -> Figures:
    """Every figure of one replication, keyed by its path in the JSON result."""
    figures: Figures = {}
    hours = records.window / 3600.0
    attempts = records.flow_attempts.astype(float)
    option_shares = np.divide(
        attempts, attempts.sum(axis=0), out=np.zeros_like(attempts), where=attempts.sum(axis=0) > 0
    )
    provider_of = np.array([o.provider for o in plan.options], dtype=int)
    provider_attempts = np.zeros((len(plan.flows), len(plan.providers)))
    np.add.at(provider_attempts.T, provider_of, attempts.T)
    provider_shares = np.divide(
        provider_attempts,
        provider_attempts.sum(axis=0),
        out=np.zeros_like(provider_attempts),
        where=provider_attempts.sum(axis=0) > 0,
    )
    flows_total = {"variable": 0.0, "fixed": 0.0, "switching": 0.0, "penalty": 0.0}
    total_requests = 0
    slo_requests = 0
    slo_met = 0
    one_flow = len(plan.flows) == 1
    by_request: Figures = {}
    for flow in plan.flows:
        if one_flow:
            # Every record is the only flow's: its columns as they are, not copies.
            latency, ok = records.latency, records.ok
        else:
            mine = records.flow == flow.index
            latency, ok = records.latency[mine], records.ok[mine]
        costs = {
            "variable": float(records.flow_variable_cost[flow.index].sum()),
            "fixed": float(
                option_shares[flow.index] @ records.fixed_cost
                + provider_shares[flow.index] @ records.relationship_cost
            ),
            "switching": float(option_shares[flow.index] @ records.switching_cost),
        }
        met, penalty = _slo(flow, latency, ok)
        costs["penalty"] = penalty
        if len(plan.flows) == 1:
            # Nothing to allocate: costs not yet tied to an attempt belong to the only flow.
            costs["fixed"] = float(records.fixed_cost.sum() + records.relationship_cost.sum())
            costs["switching"] = float(records.switching_cost.sum())
        by_request = _request_figures(latency, ok, records.window)
        figures.update({("flows", flow.name, *key): value for key, value in by_request.items()})
        _cost_figures(figures, ("flows", flow.name), costs, int(ok.size), hours)
        figures["flows", flow.name, "slo_attainment"] = (
            met / ok.size if (met is not None and ok.size) else NAN
        )
        figures["flows", flow.name, "switches"] = float(records.switches)
        figures["flows", flow.name, "change_lead_time_s"] = _mean(records.change_lead_times)
        for key in ("variable", "penalty"):
            flows_total[key] += costs[key]
        total_requests += int(ok.size)
        if met is not None:
            slo_requests += int(ok.size)
            slo_met += met

    if not one_flow:  # else the only flow's figures are the summary's
        by_request = _request_figures(records.latency, records.ok, records.window)
    figures.update({("summary", *key): value for key, value in by_request.items()})
    costs = {
        "variable": flows_total["variable"],
        "fixed": float(records.fixed_cost.sum() + records.relationship_cost.sum()),
        "switching": float(records.switching_cost.sum()),
        "penalty": flows_total["penalty"],
    }
    _cost_figures(figures, ("summary",), costs, total_requests, hours)
    figures["summary", "slo_attainment"] = slo_met / slo_requests if slo_requests else NAN
    figures["summary", "switches"] = float(records.switches)
    figures["summary", "change_lead_time_s"] = _mean(records.change_lead_times)

    option_attempts = records.attempts
    for component in plan.components:
        key = ("components", component.name)
        component_attempts = float(option_attempts[list(component.options)].sum())
        figures[(*key, "calls")] = float(records.calls[component.index])
        figures[(*key, "attempts")] = component_attempts
        figures[(*key, "failures")] = float(records.failed_calls[component.index])
        for index in component.options:
            option = plan.options[index]
            where = (*key, "by_option", plan.providers[option.provider].name)
            servers = option.capacity or 1
            figures[(*where, "attempts")] = float(option_attempts[index])
            figures[(*where, "share")] = (
                option_attempts[index] / component_attempts if component_attempts else NAN
            )
            figures[(*where, "utilization")] = records.busy[index] / (servers * records.window)
            figures[(*where, "wait_s")] = (
                records.wait[index] / records.waits[index] if records.waits[index] else NAN
            )

    for provider in plan.providers:
        mine = provider_of == provider.index
        spend = (
            records.variable_cost[mine].sum()
            + records.fixed_cost[mine].sum()
            + records.switching_cost[mine].sum()
            + records.relationship_cost[provider.index]
        )
        figures["providers", provider.name, "availability"] = float(
            records.availability[provider.index]
        )
        figures["providers", provider.name, "cost"] = float(spend)
    return figures


def _slo(flow: FlowPlan, latency: np.ndarray, ok: np.ndarray) -> tuple[int | None, float]:
    failed = int(ok.size - ok.sum())
    late = costs.late(flow, latency, ok)
    if late is None:
        return None, costs.penalty(flow, None, failed)
    count = int(np.count_nonzero(late))
    return int(ok.sum()) - count, costs.penalty(flow, count, failed)


def _request_figures(latency: np.ndarray, ok: np.ndarray, window: float) -> Figures:
    """Request counts and latency figures of one set of requests, keyed below its path."""
    figures: Figures = {}
    requests = int(ok.size)
    served = int(np.count_nonzero(ok))
    successes = latency if served == requests else latency[ok]
    figures[("requests",)] = float(requests)
    figures[("throughput_rps",)] = served / window
    figures[("success_rate",)] = served / requests if requests else NAN
    # The mean first, in arrival order; the percentiles then reorder a working copy in
    # place (a percentile depends only on the values, not on their order).
    mean = float(successes.mean()) if served else NAN
    work = successes.copy() if successes is latency else successes
    figures["latency_s", "mean"] = mean
    values = (
        np.percentile(work, list(PERCENTILES.values()), overwrite_input=True) if served else None
    )
    for position, name in enumerate(PERCENTILES):
        figures["latency_s", name] = float(values[position]) if values is not None else NAN
    failures = requests - served
    if not requests:
        figures["latency_all_s", "mean"] = NAN
    else:
        figures["latency_all_s", "mean"] = math.inf if failures else mean
    for name, level in PERCENTILES.items():
        figures["latency_all_s", name] = percentile_counting_failures(
            work, requests, level, overwrite_input=True
        )
    return figures


def percentile_counting_failures(
    successes: np.ndarray, requests: int, level: float, *, overwrite_input: bool = False
) -> float:
    """The `level` percentile of all requests, a failed one counted as infinitely slow.

    Failures sort after every success, so the percentile is that of the successes at the
    same rank (numpy's linear interpolation between order statistics) while its rank
    lies among them, and infinite once it reaches the failures; NaN without requests.
    `overwrite_input` lets numpy reorder `successes` in place instead of copying them.
    """
    if not requests:
        return NAN
    rank = (requests - 1) * level / 100.0
    served = successes.size
    if rank > served - 1:
        return math.inf
    if served == 1:
        return float(successes[0])
    return float(
        np.percentile(successes, 100.0 * rank / (served - 1), overwrite_input=overwrite_input)
    )


def _cost_figures(
    figures: Figures, key: tuple[str, ...], costs: dict[str, float], requests: int, hours: float
) -> None:
    total = sum(costs.values())
    figures[(*key, "cost", "total")] = total
    figures[(*key, "cost", "per_request")] = total / requests if requests else NAN
    figures[(*key, "cost", "per_hour")] = total / hours
    for name in ("variable", "fixed", "switching", "penalty"):
        figures[(*key, "cost", name)] = costs[name]


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else NAN
