"""Replications until the answer is precise enough: sequential batches on common numbers.

`--precision P` asks for 95 % confidence intervals whose half-width is within P of the
estimate, for the mean latency, the p99 latency and the cost per request of every
strategy (of the focused flow, with `--flow`), and, in a comparison, for the paired
difference of each of them against the baseline (already relative to the baseline's
figure). This is the relative-precision sequential procedure of Law & Kelton
(*Simulation Modeling and Analysis*, §9.4.1): run n replications, estimate the half-
widths, and when one is too wide add replications, about n·(h/P)² − n of them since a
half-width shrinks as 1/√n, at most doubling n in one batch, until all are within P or
`max_replications` is reached. Replication r is the same world for every strategy and
every batch (common random numbers), so adding replications never reshuffles the ones
already run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from conductor.metrics.headline import path
from conductor.metrics.stats import relative_differences, stat
from conductor.metrics.summary import Figures

CRITERIA = ("latency_mean", "latency_p99", "cost_per_request")
"""The figures whose half-widths `--precision` bounds."""

DEFAULT_MAX_REPLICATIONS = 200


@dataclass(frozen=True)
class Precision:
    """A relative half-width to reach, and the most replications to spend on it."""

    target: float
    max_replications: int = DEFAULT_MAX_REPLICATIONS

    def to_dict(self, reached: bool, replications: int) -> dict:
        """The `precision` object of a result."""
        return {"target": self.target, "reached": reached, "replications": replications}


def parse_precision(value: float | str) -> float:
    """A relative precision from `2%`, `0.02` or 0.02: a number in (0, 1)."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"expected a precision such as 2% or 0.02, got {value!r}") from None
    if not (math.isfinite(number) and 0 < number < 1):
        raise ValueError(f"expected a precision between 0 and 100 %, got {value!r}")
    return number


def worst_ratio(
    runs: Mapping[str, Sequence[Figures]],
    baseline: str | None,
    flow: str | None,
    target: float,
) -> float:
    """The largest half-width over what `--precision` asks for (<= 1: precise enough);
    infinite while fewer than two replications give an interval."""
    worst = 0.0
    for name, figures in runs.items():
        for criterion in CRITERIA:
            key = path(criterion, flow)
            values = [f.get(key, math.nan) for f in figures]
            worst = max(worst, _ratio(stat(values), target, relative=True))
            if baseline is not None and name != baseline:
                base = [f.get(key, math.nan) for f in runs[baseline]]
                worst = max(worst, _ratio(relative_differences(values, base), target))
    return worst


def _ratio(estimate: dict | None, target: float, *, relative: bool = False) -> float:
    if estimate is None or estimate["mean"] is None:
        return 0.0  # no such figure (no successful request, say): nothing to make precise
    if estimate["ci95"] is None:
        return math.inf
    low, high = estimate["ci95"]
    half = (high - low) / 2.0
    scale = abs(estimate["mean"]) if relative else 1.0
    if scale == 0:
        return 0.0 if half == 0 else math.inf
    return half / (target * scale)


def next_count(count: int, ratio: float, limit: int) -> int:
    """How many replications to have after the next batch."""
    wanted = math.ceil(count * ratio * ratio * 1.05) if math.isfinite(ratio) else 2 * count
    return min(limit, max(count + 1, min(wanted, 2 * count)))


def replicate(
    run_batch: Callable[[range], Mapping[str, Sequence[Figures]]],
    names: Sequence[str],
    *,
    start: int,
    precision: Precision | None,
    baseline: str | None = None,
    flow: str | None = None,
) -> tuple[dict[str, list], bool | None]:
    """Run replications 0..start-1 and, with a precision, further batches until it is
    reached; returns each strategy's outcomes in replication order and whether the
    precision was reached (None without one).

    `run_batch(replications)` runs those replications of every strategy and returns
    name -> their outcomes (each with `.figures`), in replication order.
    """
    if precision is not None:
        start = min(max(start, 2), precision.max_replications)
    collected: dict[str, list] = {name: [] for name in names}
    count = 0
    batch = range(0, start)
    while True:
        for name, outcomes in run_batch(batch).items():
            collected[name].extend(outcomes)
        count = batch.stop
        if precision is None:
            return collected, None
        figures = {name: [o.figures for o in outcomes] for name, outcomes in collected.items()}
        ratio = worst_ratio(figures, baseline, flow, precision.target)
        if ratio <= 1.0:
            return collected, True
        if count >= precision.max_replications:
            return collected, False
        batch = range(count, next_count(count, ratio, precision.max_replications))
