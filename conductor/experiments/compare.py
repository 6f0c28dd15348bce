"""Comparing strategies on one scenario: common random numbers, paired differences, Pareto.

**Common random numbers.** Every source of randomness draws from its own stream, seeded
from (seed, replication, source), so replication r of every strategy sees the same
arrivals, service-time draws and outages. Strategies then differ only by what they
decide, not by luck.

**Paired differences.** Because replication r is the same world for every strategy, a
strategy is compared with the baseline replication by replication: the relative change
(x_r − b_r) / |b_r| is one observation, and its Stat (mean, Student-t 95 % interval) is
much tighter than the difference of two independent means, since the shared noise
cancels out.

**Pareto front.** Cost and tail latency pull against each other; a strategy is on the
front of (mean total cost, mean p99 latency), both minimised, when no other strategy is
at least as good on both and strictly better on one. Strategies off the front are beaten
outright; the choice among those on it is a business trade-off.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conductor.experiments.executors import execute
from conductor.experiments.progress import progress_bar
from conductor.experiments.run import (
    Settings,
    Unit,
    load_scenario,
    result_of,
    run_unit,
    strategy_name,
)
from conductor.metrics.results import RunResult, atomic_write, rows_csv
from conductor.metrics.stats import relative_differences
from conductor.scenario.model import Scenario

FIGURES: dict[str, tuple[str, ...]] = {
    "cost_total": ("summary", "cost", "total"),
    "cost_per_request": ("summary", "cost", "per_request"),
    "latency_mean": ("summary", "latency_s", "mean"),
    "latency_p50": ("summary", "latency_s", "p50"),
    "latency_p95": ("summary", "latency_s", "p95"),
    "latency_p99": ("summary", "latency_s", "p99"),
    "success_rate": ("summary", "success_rate"),
    "slo_attainment": ("summary", "slo_attainment"),
    "change_lead_time": ("summary", "change_lead_time_s"),
}
"""The figures compared against the baseline, by their key in `differences`."""

COST = FIGURES["cost_total"]
P99 = FIGURES["latency_p99"]


@dataclass
class CompareResult:
    """Several strategies' results on one scenario, with their comparison to a baseline."""

    results: dict[str, RunResult]
    baseline: str
    differences: dict[str, dict[str, dict]] = field(init=False)
    pareto: list[str] = field(init=False)
    ranking: list[str] = field(init=False)

    def __post_init__(self) -> None:
        """Derive the differences, the Pareto front and the ranking from the results."""
        if self.baseline not in self.results:
            raise ValueError(f"baseline '{self.baseline}' is not among the results")
        base = self.results[self.baseline]
        self.differences = {
            name: paired_differences(result, base)
            for name, result in self.results.items()
            if name != self.baseline
        }
        points = {name: objectives(result) for name, result in self.results.items()}
        self.pareto = pareto_front(points)
        self.ranking = rank(points)

    def to_dict(self) -> dict[str, Any]:
        """The compare object of SPEC §7, with `pareto` and `ranking` added."""
        return {
            "strategies": {name: result.to_dict() for name, result in self.results.items()},
            "baseline": self.baseline,
            "differences": self.differences,
            "pareto": list(self.pareto),
            "ranking": list(self.ranking),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The compare object as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per strategy and replication, for runs.csv."""
        return [row for result in self.results.values() for row in result.rows()]

    def summary_frame(self):
        """One row per strategy, ranked: each headline figure's mean and 95 % interval
        (a pandas DataFrame; the list of rows when pandas is missing)."""
        rows = [self.results[name].headline() for name in self.ranking]
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows).set_index("strategy")

    def to_frame(self):
        """The per-replication rows of every strategy as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows())

    def write(self, folder: str | Path) -> Path:
        """Write results.json (the compare shape) and runs.csv into a folder; returns it."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / "results.json", self.to_json())
        atomic_write(folder / "runs.csv", rows_csv(self.rows()))
        return folder


def paired_differences(result: RunResult, baseline: RunResult) -> dict[str, dict]:
    """Per-replication relative changes of each compared figure against the baseline."""
    changes = {
        key: relative_differences(result.values(*path), baseline.values(*path))
        for key, path in FIGURES.items()
    }
    return {key: change for key, change in changes.items() if change is not None}


def objectives(result: RunResult) -> tuple[float, float | None]:
    """Mean total cost and mean p99 latency (None without any successful request)."""
    cost = result.stat(*COST)
    p99 = result.stat(*P99)
    return (
        cost["mean"] if cost is not None else math.inf,
        p99["mean"] if p99 is not None else None,
    )


def pareto_front(points: Mapping[str, tuple[float, float | None]]) -> list[str]:
    """Names not dominated on (cost, p99), both minimised; those without a p99 left out."""
    known = {name: point for name, point in points.items() if point[1] is not None}
    return [
        name
        for name, point in known.items()
        if not any(_dominates(other, point) for other in known.values())
    ]


def _dominates(a: tuple[float, Any], b: tuple[float, Any]) -> bool:
    """Whether a is at least as good as b on both objectives and better on one."""
    return a[0] <= b[0] and a[1] <= b[1] and (a[0] < b[0] or a[1] < b[1])


def rank(points: Mapping[str, tuple[float, float | None]]) -> list[str]:
    """Names by mean total cost, ties by p99 (a missing p99 last), then declared order."""
    return sorted(points, key=lambda name: (points[name][0], _or_inf(points[name][1])))


def _or_inf(value: float | None) -> float:
    """The value, or infinity when missing."""
    return math.inf if value is None else value


def chosen_strategies(
    scenario: Scenario, strategies: Iterable[str] | None, baseline: str | None
) -> tuple[list[str], str]:
    """The strategies to compare (each once, the baseline included) and the baseline."""
    names = [strategy_name(scenario, s) for s in strategies or scenario.strategies]
    names = list(dict.fromkeys(names))
    if baseline is None:
        return names, names[0]
    baseline = strategy_name(scenario, baseline)
    return (names if baseline in names else [baseline, *names]), baseline


def compare(
    scenario: Scenario | str | Path | Mapping[str, Any],
    strategies: Iterable[str] | None = None,
    *,
    baseline: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
    horizon: float | None = None,
    warmup: float | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = False,
) -> CompareResult:
    """Simulate several strategies with common random numbers and compare them.

    `strategies` defaults to all of the scenario's, in declared order; `baseline` to the
    first of them (a baseline not among `strategies` is simulated too). All units run in
    one pool, so `workers` processes are shared across strategies.
    """
    if isinstance(strategies, str):
        strategies = [strategies]
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    names, baseline = chosen_strategies(scenario, strategies, baseline)
    settings = Settings.of(
        scenario, replications=replications, seed=seed, horizon=horizon, warmup=warmup
    )
    units = [
        Unit(scenario, name, r, settings) for name in names for r in range(settings.replications)
    ]
    label = f"{scenario.name}: {len(names)} strategies"
    with progress_bar(len(units), label, progress) as advance:
        outcomes = execute(
            run_unit, units, workers=workers, scheduler=scheduler, on_done=lambda *_: advance()
        )
    count = settings.replications
    results = {
        name: result_of(scenario, name, settings, outcomes[i * count : (i + 1) * count])
        for i, name in enumerate(names)
    }
    return CompareResult(results, baseline)
