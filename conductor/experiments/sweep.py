"""Sweeps: the same comparison over a grid of one or two scenario parameters.

`--vary PATH=SPEC` names a dotted key path into the scenario and its values: `10:100:10`
(a linear range, both ends included), `1,2,5` (a list) or `1..1000*7` (7 log-spaced
values). A unit suffix shared by every number is kept (`50ms:200ms:50ms`, `10/s:50/s:10/s`).
Every point of the grid is a scenario with those overrides; every (point, strategy,
replication) is a unit of work. Finished units are cached under `DIR/.units/`, keyed by
the point scenario's hash, strategy, replication, run settings and conductor version, so
an interrupted sweep resumes where it stopped; each point is appended to `sweep.csv`
(whole rows in one write) as soon as its last unit finishes, and when the sweep ends the
file is written once more with the points in grid order. Each point's rows are computed
once, so a sweep's bookkeeping grows linearly with its points.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from conductor.errors import ScenarioError
from conductor.experiments.cache import UnitCache
from conductor.experiments.estimate import (
    DEFAULT_MAX_REQUESTS,
    WorkEstimate,
    estimate_work,
    guard,
)
from conductor.experiments.executors import completed
from conductor.experiments.folder import locked
from conductor.experiments.precision import next_count, worst_ratio
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
from conductor.metrics.results import RunResult, atomic_write, rows_csv
from conductor.scenario.model import Scenario
from conductor.scenario.units import number_and_unit

MAX_VALUES = 1000
"""Most values of one varied parameter."""

MAX_POINTS = 10_000
"""Most points of a grid."""


def parse_values(spec: str) -> list[Any]:
    """The values of a `--vary` SPEC: `a:b:step`, `a,b,c` or `a..b*n`."""
    spec = spec.strip()
    if ".." in spec and "*" in spec:
        bounds, _, count = spec.rpartition("*")
        low, _, high = bounds.partition("..")
        (a, b), unit = _numbers([low, high], spec)
        n = _count(count, spec)
        if a <= 0 or b <= 0:
            raise ScenarioError(f"log-spaced values need positive bounds, got '{spec}'")
        return [_with_unit(v, unit) for v in np.geomspace(a, b, n)]
    if ":" in spec and "," not in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise ScenarioError(f"expected START:STOP:STEP, got '{spec}'")
        (a, b, step), unit = _numbers(parts, spec)
        if step <= 0 or b < a:
            raise ScenarioError(f"expected START <= STOP and STEP > 0, got '{spec}'")
        count = math.floor((b - a) / step + 1e-9) + 1
        if count > MAX_VALUES:
            raise ScenarioError(f"'{spec}' gives {count:.3g} values; at most {MAX_VALUES}")
        return [_with_unit(a + i * step, unit) for i in range(count)]
    values = [v.strip() for v in spec.split(",") if v.strip()]
    if not values:
        raise ScenarioError(f"expected values, got '{spec}'")
    if len(values) > MAX_VALUES:
        raise ScenarioError(f"{len(values)} values in --vary; at most {MAX_VALUES}")
    return [_plain(v) for v in values]


def _numbers(parts: Sequence[str], spec: str) -> tuple[list[float], str]:
    numbers, units = [], set()
    for part in parts:
        parsed = number_and_unit(part)
        if parsed is None:
            raise ScenarioError(f"'{part}' in '{spec}' is not a number")
        number, unit = parsed
        if not math.isfinite(number):
            raise ScenarioError(f"'{part}' in '{spec}' is not a finite number")
        numbers.append(number)
        units.add(unit)
    units.discard("")
    if len(units) > 1:
        raise ScenarioError(f"mixed units in '{spec}'")
    return numbers, units.pop() if units else ""


def _count(text: str, spec: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise ScenarioError(f"expected a whole number of values after '*' in '{spec}'") from None
    if count < 1:
        raise ScenarioError(f"expected at least one value in '{spec}'")
    if count > MAX_VALUES:
        raise ScenarioError(f"'{spec}' asks for {count} values; at most {MAX_VALUES}")
    return count


def _with_unit(value: float, unit: str) -> Any:
    value = float(f"{value:.12g}")
    number = int(value) if value.is_integer() else value
    return f"{number}{unit}" if unit else number


def _plain(text: str) -> Any:
    parsed = number_and_unit(text)
    if parsed is not None and not parsed[1]:
        value = parsed[0]
        if not math.isfinite(value):
            raise ScenarioError(f"'{text}' is not a finite number")
        return int(value) if value.is_integer() and "." not in text else value
    return text


def parse_vary(items: Iterable[str] | Mapping[str, Any]) -> dict[str, list[Any]]:
    """`PATH=SPEC` strings (or a mapping of path to SPEC or values) as path -> values."""
    varied: dict[str, list[Any]] = {}
    pairs = items.items() if isinstance(items, Mapping) else (split_vary(i) for i in items)
    for path, values in pairs:
        try:
            varied[path] = parse_values(values) if isinstance(values, str) else list(values)
        except ScenarioError as error:
            raise ScenarioError(f"--vary {path}: {error.message}") from None
    if not 1 <= len(varied) <= 2:
        raise ScenarioError("--vary takes one or two parameters")
    return varied


def split_vary(item: str) -> tuple[str, str]:
    """A `--vary PATH=SPEC` item as (path, spec)."""
    path, sep, spec = item.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise ScenarioError(f"--vary expects PATH=SPEC, got '{item}'")
    return path.strip(), spec


@dataclass
class SweepResult:
    """Each point of a sweep with every strategy's RunResult."""

    paths: list[str]
    points: list[dict[str, Any]]
    results: list[dict[str, RunResult]] = field(default_factory=list)
    complete: bool = True
    warnings: list[str] = field(default_factory=list)
    flow: str | None = None
    _rows: dict[int, tuple[dict[str, RunResult], dict[str, Any], list[dict[str, Any]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def to_dict(self) -> dict[str, Any]:
        """`{"points": [{"set": {PATH: value}, "strategies": {NAME: run object}}]}`."""
        return {
            "paths": self.paths,
            **({"flow": self.flow} if self.flow is not None else {}),
            "complete": self.complete,
            **({"warnings": list(self.warnings)} if self.warnings else {}),
            "points": [
                {"set": point, "strategies": {n: r.to_dict() for n, r in results.items()}}
                for point, results in zip(self.points, self.results, strict=True)
            ],
        }

    def rows(self) -> list[dict[str, Any]]:
        """The rows of sweep.csv: a column per PATH, strategy, then each figure with CI."""
        rows = []
        for point, results in zip(self.points, self.results, strict=True):
            rows.extend(self.point_rows(point, results))
        return rows

    def point_rows(
        self, point: dict[str, Any], results: dict[str, RunResult]
    ) -> list[dict[str, Any]]:
        """The rows of one point, one per strategy: computed once, then copied from a cache."""
        cached = self._rows.get(id(results))
        # The results object itself is kept in the entry, so its id cannot be reused.
        if cached is None or cached[0] is not results or cached[1] != point:
            rows = [sweep_row(point, name, result, self.flow) for name, result in results.items()]
            cached = self._rows[id(results)] = (results, dict(point), rows)
        return [dict(row) for row in cached[2]]

    def to_frame(self):
        """The rows as a pandas DataFrame (the list of rows when pandas is missing)."""
        try:
            import pandas as pd
        except ImportError:
            return self.rows()
        return pd.DataFrame(self.rows())


def sweep_row(
    point: Mapping[str, Any], strategy: str, result: RunResult, flow: str | None = None
) -> dict[str, Any]:
    """One row of sweep.csv: the point's values, the strategy, then the headline figures
    (of all flows, or of `flow`)."""
    return {**point, **result.headline(flow)}


def sweep(
    scenario: str | Path | Mapping[str, Any] | Scenario,
    vary: Iterable[str] | Mapping[str, Any],
    strategies: Sequence[str] | None = None,
    *,
    overrides: Iterable[str] = (),
    out: str | Path | None = None,
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
    max_requests: float | None = DEFAULT_MAX_REQUESTS,
) -> SweepResult:
    """Run strategies over a grid of scenario parameters (resuming from `out` if given).

    `flow` makes one flow's figures the headline of sweep.csv and the curves; with
    `precision`, each point gets replications in batches until its strategies' figures
    are that precise (see `conductor.experiments.precision`).
    """
    varied = parse_vary(vary)
    base = dict(scenario) if isinstance(scenario, Mapping) else scenario
    if isinstance(base, Path):
        base = str(base)
    overrides = list(overrides)
    points = math.prod(len(values) for values in varied.values())
    if points > MAX_POINTS:
        raise ScenarioError(f"--vary gives {points} points; at most {MAX_POINTS}")
    grid = [
        dict(zip(varied, values, strict=True)) for values in itertools.product(*varied.values())
    ]
    scenarios = [_point_scenario(base, overrides, point) for point in grid]
    first = scenarios[0]
    names = list(dict.fromkeys(strategy_name(first, s) for s in strategies or first.strategies))
    flow = flow_name(first, flow)
    target = precision_of(precision, max_replications)
    settings = [
        Settings.of(s, replications=replications, seed=seed, horizon=horizon, warmup=warmup)
        for s in scenarios
    ]
    works = [
        estimate_work(plan_of(s), setting.horizon, setting.replications, len(names))
        for s, setting in zip(scenarios, settings, strict=True)
    ]
    guard(
        WorkEstimate(
            sum(w.requests_per_replication for w in works) / len(works),
            sum(w.visits_per_replication for w in works) / len(works),
            works[0].replications,
            len(names),
            len(works),
        ),
        max_requests,
        file=first.file,
    )
    folder = Path(out) if out is not None else None
    writer = contextlib.ExitStack()
    if folder is not None:
        writer.enter_context(locked(folder))
    with writer:
        cache = UnitCache(folder)
        finished: dict[int, dict[str, RunResult]] = {}
        collected: list[dict[str, dict[int, Outcome]]] = [{n: {} for n in names} for _ in grid]
        waiting = [0] * len(grid)
        planned = [0] * len(grid)
        queue: list[tuple[int, Unit]] = []
        result = SweepResult(paths=list(varied), points=[], complete=False, flow=flow)

        def collect() -> None:
            numbers = sorted(finished)
            result.points = [grid[n] for n in numbers]
            result.results = [finished[n] for n in numbers]

        table = _Table(folder / "sweep.csv") if folder is not None else None

        def write_csv(number: int) -> None:
            if table is not None and not table.append(
                result.point_rows(grid[number], finished[number])
            ):
                collect()
                table.rewrite(result.rows())

        def plan_batch(number: int, count: int) -> None:
            """Replications planned[number]..count-1 of every strategy at one point."""
            replications = range(planned[number], count)
            planned[number] = count
            units = [
                Unit(scenarios[number], name, r, settings[number], keep_timeline=False)
                for name in names
                for r in replications
            ]
            waiting[number] += len(units)
            for unit in units:
                cached = cache.get(unit)
                if cached is None:
                    queue.append((number, unit))
                else:
                    take(number, unit, cached)

        def take(number: int, unit: Unit, outcome: Outcome) -> None:
            collected[number][unit.strategy][unit.replication] = outcome
            waiting[number] -= 1
            if waiting[number]:
                return
            runs = {n: [collected[number][n][r] for r in range(planned[number])] for n in names}
            if target is not None:
                figures = {n: [o.figures for o in runs[n]] for n in names}
                ratio = worst_ratio(figures, None, flow, target.target)
                count = planned[number]
                if ratio > 1.0 and count < target.max_replications:
                    plan_batch(number, next_count(count, ratio, target.max_replications))
                    return
            finished[number] = {
                name: result_of(scenarios[number], name, settings[number], runs[name], flow=flow)
                for name in names
            }
            if target is not None:
                summary = target.to_dict(ratio <= 1.0, planned[number])
                for run_result in finished[number].values():
                    run_result.precision = summary
            write_csv(number)

        for number, setting in enumerate(settings):
            start = setting.replications
            if target is not None:
                start = min(max(start, 2), target.max_replications)
            plan_batch(number, start)
        label = f"sweep {first.name}: {len(grid)} points × {len(names)} strategies"
        try:
            while queue:
                batch, queue[:] = list(queue), []
                with progress_bar(len(batch), label, progress) as advance:
                    stream = completed(
                        run_unit, [unit for _, unit in batch], workers=workers, scheduler=scheduler
                    )
                    with contextlib.closing(stream):
                        for position, outcome in stream:
                            number, unit = batch[position]
                            cache.put(unit, outcome)
                            take(number, unit, Outcome(outcome.figures, {}))
                            advance()
            result.complete = True
        finally:
            collect()
            if cache.rejected:
                result.warnings.append(
                    f"{cache.rejected} cached unit{'s' if cache.rejected != 1 else ''} in "
                    f"{cache.folder} {'were' if cache.rejected != 1 else 'was'} damaged, "
                    "so recomputed"
                )
            if folder is not None:
                atomic_write(folder / "results.json", json.dumps(result.to_dict(), indent=1))
                _Table(folder / "sweep.csv").rewrite(result.rows())
        return result


class _Table:
    """sweep.csv of one sweep: the header and first rows written anew, then rows appended."""

    def __init__(self, path: Path):
        self.path = path
        self.header: str | None = None

    def append(self, rows: list[dict[str, Any]]) -> bool:
        """Append one point's rows (False, nothing written, if they need a new header)."""
        text = rows_csv(rows)
        header, _, body = text.partition("\n")
        if self.header is None:
            # The first point of this run replaces what an earlier run left, at once.
            atomic_write(self.path, text)
            self.header = header
            return True
        # A column name holding a line break would make the header more than a line.
        if header != self.header or any("\n" in c or "\r" in c for c in rows[0]):
            return False
        # One write() of whole rows: a signal handled by Python cannot split it.
        data = body.encode("utf-8")
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:  # removed under us: start it again with every row
            return False
        try:
            while data:
                data = data[os.write(descriptor, data) :]
        finally:
            os.close(descriptor)
        return True

    def rewrite(self, rows: list[dict[str, Any]]) -> None:
        """Write every row anew, atomically."""
        text = rows_csv(rows)
        atomic_write(self.path, text)
        self.header = text.partition("\n")[0]


def _point_scenario(base, overrides: list[str], point: Mapping[str, Any]) -> Scenario:
    try:
        return load_scenario(base, [*overrides, *(f"{p}={_yaml(v)}" for p, v in point.items())])
    except ScenarioError as error:
        where = ", ".join(f"{p}={v}" for p, v in point.items())
        raise ScenarioError(
            f"{error.message} (at {where})", file=error.file, path=error.path
        ) from None


def _yaml(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value
