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
front of (mean total cost, mean p99 latency counting failures), both minimised, when no
other strategy is at least as good on both and strictly better on one. A failed request
counts as infinitely slow, so a strategy whose p99 falls among its failures is never on
the front: failing is not fast. Strategies off the front are beaten outright; the choice
among those on it is a business trade-off.

**One flow at a time.** With several flows, the blend of all of them can hide the answer
(one flow's p99 over its SLO inside a blended p99 under it), so the same comparison is
also made for each flow (`by_flow`), and `flow` makes one of them the headline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conductor.experiments.cache import UnitCache
from conductor.experiments.estimate import DEFAULT_MAX_REQUESTS, estimate_work, guard
from conductor.experiments.executors import completed
from conductor.experiments.precision import replicate
from conductor.experiments.progress import progress_bar
from conductor.experiments.run import (
    Outcome,
    Settings,
    Unit,
    flow_name,
    load_scenario,
    plan_of,
    precision_of,
    result_of,
    run_unit,
    strategy_name,
)
from conductor.metrics.headline import COMPARED, path
from conductor.metrics.pareto import front
from conductor.metrics.results import RunResult, atomic_write, rows_csv
from conductor.metrics.stats import relative_differences
from conductor.scenario.model import Scenario


@dataclass(frozen=True)
class Verdict:
    """The comparison on one headline (all flows, or one flow): differences, front, ranking."""

    differences: dict[str, dict[str, dict]]
    pareto: list[str]
    ranking: list[str]

    def to_dict(self) -> dict[str, Any]:
        """`differences`, `pareto` and `ranking` as in the compare object."""
        return {
            "differences": self.differences,
            "pareto": list(self.pareto),
            "ranking": list(self.ranking),
        }


@dataclass
class CompareResult:
    """Several strategies' results on one scenario, with their comparison to a baseline.

    `flow` names the flow whose figures are the headline (None: all flows together);
    `by_flow` holds the same comparison for each flow of a scenario with several.
    """

    results: dict[str, RunResult]
    baseline: str
    flow: str | None = None
    precision: dict | None = None
    by_flow: dict[str, Verdict] = field(init=False)
    verdict: Verdict = field(init=False)

    def __post_init__(self) -> None:
        """Derive the differences, the Pareto front and the ranking from the results."""
        if self.baseline not in self.results:
            raise ValueError(f"baseline '{self.baseline}' is not among the results")
        flows = next(iter(self.results.values())).flows
        if self.flow is not None and self.flow not in flows:
            raise ValueError(f"flow '{self.flow}' is not among the results' flows")
        self.by_flow = (
            {f: judge(self.results, self.baseline, f) for f in flows} if len(flows) > 1 else {}
        )
        self.verdict = self.by_flow.get(self.flow) or judge(self.results, self.baseline, self.flow)

    @property
    def differences(self) -> dict[str, dict[str, dict]]:
        """Per strategy, the paired relative change of each compared figure (a Stat)."""
        return self.verdict.differences

    @property
    def pareto(self) -> list[str]:
        """The strategies on the front of total cost against p99 counting failures."""
        return self.verdict.pareto

    @property
    def ranking(self) -> list[str]:
        """The strategies, cheapest first."""
        return self.verdict.ranking

    def to_dict(self) -> dict[str, Any]:
        """The compare object of SPEC §7 and §9, with `pareto`, `ranking` and `by_flow`."""
        return {
            "strategies": {name: result.to_dict() for name, result in self.results.items()},
            "baseline": self.baseline,
            **({"flow": self.flow} if self.flow is not None else {}),
            **self.verdict.to_dict(),
            **(
                {"by_flow": {f: v.to_dict() for f, v in self.by_flow.items()}}
                if self.by_flow
                else {}
            ),
            **({"precision": self.precision} if self.precision is not None else {}),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The compare object as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per strategy and replication, for runs.csv."""
        return [row for result in self.results.values() for row in result.rows()]

    def summary_frame(self, flow: str | None = None):
        """One row per strategy, ranked: each headline figure's mean and 95 % interval, of
        `flow` (default: the compare's own focus, all flows when it has none). A pandas
        DataFrame; the list of rows when pandas is missing."""
        flow = flow if flow is not None else self.flow
        if flow == self.flow:
            verdict = self.verdict
        else:
            verdict = self.by_flow.get(flow) or judge(self.results, self.baseline, flow)
        rows = [self.results[name].headline(flow) for name in verdict.ranking]
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


def judge(results: Mapping[str, RunResult], baseline: str, flow: str | None) -> Verdict:
    """Differences against the baseline, Pareto front and ranking on one headline."""
    base = results[baseline]
    points = {name: objectives(result, flow) for name, result in results.items()}
    return Verdict(
        differences={
            name: paired_differences(result, base, flow)
            for name, result in results.items()
            if name != baseline
        },
        pareto=pareto_front(points),
        ranking=rank(points),
    )


def paired_differences(
    result: RunResult, baseline: RunResult, flow: str | None = None
) -> dict[str, dict]:
    """Per-replication relative changes of each compared figure against the baseline."""
    changes = {
        key: relative_differences(
            result.values(*path(key, flow)), baseline.values(*path(key, flow))
        )
        for key in COMPARED
    }
    return {key: change for key, change in changes.items() if change is not None}


def objectives(result: RunResult, flow: str | None = None) -> tuple[float, float | None]:
    """Mean total cost and mean p99 latency counting failures (None when the p99 falls
    among failed requests in some replication, or there is no request)."""
    cost = result.stat(*path("cost_total", flow))
    p99 = result.stat(*path("latency_all_p99", flow))
    return (
        cost["mean"] if cost is not None and cost["mean"] is not None else math.inf,
        p99["mean"] if p99 is not None else None,
    )


def pareto_front(points: Mapping[str, tuple[float, float | None]]) -> list[str]:
    """Names not dominated on (cost, p99), both minimised; those without a p99 left out."""
    return front({name: point for name, point in points.items() if point[1] is not None})


def rank(points: Mapping[str, tuple[float, float | None]]) -> list[str]:
    """Names by mean total cost, ties by p99 (a failed p99 last), then declared order."""
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
    flow: str | None = None,
    precision: float | str | None = None,
    max_replications: int | None = None,
    out: str | Path | None = None,
    max_requests: float | None = DEFAULT_MAX_REQUESTS,
) -> CompareResult:
    """Simulate several strategies with common random numbers and compare them.

    `strategies` defaults to all of the scenario's, in declared order; `baseline` to the
    first of them (a baseline not among `strategies` is simulated too). All units run in
    one pool, so `workers` processes are shared across strategies. `flow` makes one
    flow's figures the headline (ranking, differences, Pareto front); `precision` adds
    replications until every strategy's headline and every paired difference is that
    precise (see `conductor.experiments.precision`). With `out`, every finished
    (strategy, replication) unit is kept in `out/.units/`, so an interrupted compare run
    again with the same inputs resumes from what finished.
    """
    if isinstance(strategies, str):
        strategies = [strategies]
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    names, baseline = chosen_strategies(scenario, strategies, baseline)
    flow = flow_name(scenario, flow)
    settings = Settings.of(
        scenario, replications=replications, seed=seed, horizon=horizon, warmup=warmup
    )
    target = precision_of(precision, max_replications)
    work = estimate_work(plan_of(scenario), settings.horizon, settings.replications, len(names))
    guard(work, max_requests, file=scenario.file)

    cache = UnitCache(Path(out) if out is not None else None)

    def batch(replications: range) -> dict[str, list[Outcome]]:
        units = [Unit(scenario, name, r, settings) for name in names for r in replications]
        done: list[Outcome | None] = [cache.get(unit) for unit in units]
        missing = [i for i, outcome in enumerate(done) if outcome is None]
        label = f"{scenario.name}: {len(names)} strategies"
        with progress_bar(len(missing), label, progress) as advance:
            pending = [units[i] for i in missing]
            with closing(
                completed(run_unit, pending, workers=workers, scheduler=scheduler)
            ) as stream:
                for position, outcome in stream:
                    index = missing[position]
                    cache.put(units[index], outcome)
                    done[index] = outcome
                    advance()
        count = len(replications)
        return {name: done[i * count : (i + 1) * count] for i, name in enumerate(names)}

    collected, reached = replicate(
        batch,
        names,
        start=settings.replications,
        precision=target,
        baseline=baseline,
        flow=flow,
    )
    results = {
        name: result_of(scenario, name, settings, collected[name], flow=flow) for name in names
    }
    summary = None
    if target is not None:
        summary = target.to_dict(bool(reached), len(collected[baseline]))
        for result in results.values():
            result.precision = summary
    return CompareResult(results, baseline, flow=flow, precision=summary)
