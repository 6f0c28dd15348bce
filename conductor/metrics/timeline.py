"""Windowed series of one replication: how latency, cost and sourcing move over time.

Beside the series it keeps the latency distribution of successful requests at fixed
probabilities (dense in the tail), so a latency CDF can be redrawn from a results file.

The measured window is cut into equal buckets. Requests fall in the bucket of their
arrival; per-call spend in the bucket where the attempt was sent; fixed costs are
integrated over each bucket from the engagement history and the price events; the
share of each option is its part of the component's billed attempts in the bucket.
"""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

from conductor.metrics import costs
from conductor.metrics.records import Records
from conductor.plan import FlowPlan, Plan

BUCKETS = 60
BLOCK = 1 << 16  # requests put in buckets at a time: bounds the temporaries
# Probabilities at which the latency distribution is kept: dense in the tail.
DISTRIBUTION_POINTS = np.unique(
    np.concatenate([np.linspace(0.0, 0.9, 91), 1.0 - np.logspace(-1, -4, 61)])
)


def replication_timeline(records: Records, plan: Plan, buckets: int = BUCKETS) -> dict:
    """Bucketed series of one replication."""
    low, high = records.low, records.high
    edges = np.linspace(low, high, buckets + 1)
    width = (high - low) / buckets

    def counts_of(times: np.ndarray) -> np.ndarray:
        """How many of `times` fall in each bucket, counted a block at a time."""
        counts = np.zeros(buckets, dtype=np.int64)
        for start in range(0, times.size, BLOCK):
            block = times[start : start + BLOCK]
            where = np.clip(((block - low) / width).astype(int), 0, buckets - 1)
            counts += np.bincount(where, minlength=buckets)
        return counts

    # Records are in arrival order and a bucket's index never falls as time goes on, so
    # the requests of each bucket are one slice of them: no index per request is kept.
    splits = np.concatenate([[0], np.cumsum(counts_of(records.arrival))])
    one_flow = len(plan.flows) == 1
    masks = [None if one_flow else records.flow == flow.index for flow in plan.flows]

    penalty = np.zeros(buckets)
    for flow, mine in zip(plan.flows, masks, strict=True):
        penalty += _penalty_by_bucket(flow, records, mine, splits)

    prices = costs.price_steps(plan)
    variable = np.zeros(buckets)
    share: dict[str, dict[str, list[float]]] = {}
    for component in plan.components:
        counts = {}
        for index in component.options:
            option = plan.options[index]
            times = records.attempt_times[index] if records.attempt_times else np.zeros(0)
            counts[index] = counts_of(times).astype(float)
            steps = prices[option.provider]
            if option.per_call and times.size:
                factors = np.array([costs.factor_at(steps, t) for t in edges[:-1]])
                variable += counts[index] * option.per_call * factors
        total = sum(counts.values())
        share[component.name] = {
            plan.providers[plan.options[i].provider].name: np.divide(
                c, total, out=np.full(buckets, math.nan), where=total > 0
            ).tolist()
            for i, c in counts.items()
        }

    distribution = {
        "p": DISTRIBUTION_POINTS.tolist(),
        **_distribution(records.latency[records.ok]),
    }
    series = _requests(splits, records.latency, records.ok)
    if not one_flow:
        # The blend of flows can mislead (one flow failing lowers the blend's latency):
        # each flow's own series are kept beside it.
        distribution["flows"] = {
            flow.name: _distribution(records.latency[mine & records.ok])
            for flow, mine in zip(plan.flows, masks, strict=True)
        }
        series["flows"] = {
            flow.name: _requests(
                np.concatenate([[0], np.cumsum(_per_bucket(np.count_nonzero, mine, splits))]),
                records.latency[mine],
                records.ok[mine],
            )
            for flow, mine in zip(plan.flows, masks, strict=True)
        }
    return {
        "distribution": distribution,
        "t": edges[:-1].tolist(),
        "width_s": width,
        **series,
        "cost": {
            "variable": variable.tolist(),
            "fixed": _fixed_by_bucket(records, plan, edges, prices).tolist(),
            "penalty": penalty.tolist(),
        },
        "share": share,
    }


def _per_bucket(measure, values: np.ndarray, splits: np.ndarray) -> list:
    """`measure` of each bucket's slice of per-request `values`."""
    return [measure(values[start:end]) for start, end in pairwise(splits.tolist())]


def _penalty_by_bucket(
    flow: FlowPlan, records: Records, mine: np.ndarray | None, splits: np.ndarray
) -> np.ndarray:
    """SLO and failure penalties of a flow's requests (`mine`; None: every request),
    summed per bucket one request after another, as a weighted bincount sums them."""
    sums = np.zeros(len(splits) - 1)
    for bucket, (start, end) in enumerate(pairwise(splits.tolist())):
        served = records.ok[start:end]
        if mine is None:
            ok, failed = served, ~served
        else:
            ok, failed = mine[start:end] & served, mine[start:end] & ~served
        cost = costs.penalty(flow, costs.late(flow, records.latency[start:end], ok), failed)
        alone = np.zeros(end - start, dtype=np.intp)
        sums[bucket] = np.bincount(alone, weights=cost, minlength=1)[0]
    return sums


def _distribution(served: np.ndarray) -> dict[str, list[float]]:
    """Latency of successful requests at the DISTRIBUTION_POINTS probabilities (`served`
    is a working copy: it is reordered in place, which leaves the quantiles unchanged)."""
    if not served.size:
        return {"latency_s": [math.nan] * DISTRIBUTION_POINTS.size}
    return {"latency_s": np.quantile(served, DISTRIBUTION_POINTS, overwrite_input=True).tolist()}


def _requests(splits: np.ndarray, latency: np.ndarray, ok: np.ndarray) -> dict:
    """Requests, success rate and latency percentiles of successes, per bucket, from
    per-request columns in arrival order and each bucket's bounds in them."""
    buckets = len(splits) - 1
    requests = np.diff(splits).astype(float)
    successes = np.array(_per_bucket(np.count_nonzero, ok, splits), dtype=float)
    percentiles = {name: np.full(buckets, math.nan) for name in ("p50", "p95", "p99")}
    for index, (start, end) in enumerate(pairwise(splits.tolist())):
        chunk = latency[start:end][ok[start:end]]
        if chunk.size:
            values = np.percentile(chunk, [50, 95, 99])
            for name, value in zip(percentiles, values, strict=True):
                percentiles[name][index] = value
    return {
        "requests": requests.tolist(),
        "success_rate": np.divide(
            successes, requests, out=np.full(buckets, math.nan), where=requests > 0
        ).tolist(),
        "latency_s": {name: values.tolist() for name, values in percentiles.items()},
    }


def _fixed_by_bucket(
    records: Records, plan: Plan, edges: np.ndarray, prices: list[costs.PriceSteps]
) -> np.ndarray:
    """Per-hour prices of engaged options and their providers, integrated per bucket."""
    changes = sorted(
        {float(t) for t, _, _ in records.engagements}
        | {at for steps in prices for at, _ in steps}
        | set(edges.tolist())
    )
    engaged = [False] * len(plan.options)
    history = sorted(records.engagements, key=lambda e: e[0])
    position = 0
    fixed = np.zeros(len(edges) - 1)
    for start, end in pairwise(changes):
        while position < len(history) and history[position][0] <= start:
            _, option, state = history[position]
            engaged[option] = state
            position += 1
        low, high = max(start, edges[0]), min(end, edges[-1])
        if high <= low:
            continue
        rate = 0.0
        factors = [costs.factor_at(steps, start) for steps in prices]
        options, providers = costs.fixed_rates(plan, engaged, factors)
        for _, option_rate in (*options, *providers):
            rate += option_rate
        bucket = min(int((low - edges[0]) / (edges[1] - edges[0])), len(fixed) - 1)
        fixed[bucket] += rate * (high - low) / 3600.0
    return fixed


def mean_timeline(timelines: list[dict]) -> dict | None:
    """Bucket-wise mean over replications (NaN-aware), same shape as one timeline."""
    if not timelines:
        return None

    def merge(values: list):
        first = values[0]
        if isinstance(first, dict):
            return {key: merge([v[key] for v in values]) for key in first}
        if isinstance(first, list):
            array = np.array(values, dtype=float)
            with np.errstate(all="ignore"):
                counts = np.sum(~np.isnan(array), axis=0)
                sums = np.nansum(array, axis=0)
                mean = np.divide(sums, counts, out=np.full(sums.shape, math.nan), where=counts > 0)
            return [None if math.isnan(v) else float(v) for v in mean]
        return first

    return merge(timelines)
