"""Running a strategy over replications: the unit of work and its aggregation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conductor.engine.simulation import simulate
from conductor.errors import ScenarioError
from conductor.experiments.executors import execute
from conductor.experiments.progress import progress_bar
from conductor.metrics.records import Records
from conductor.metrics.results import RunResult
from conductor.metrics.summary import Figures, replication_figures
from conductor.metrics.timeline import replication_timeline
from conductor.plan import Plan, compile_plan
from conductor.scenario.load import load_scenario as _load
from conductor.scenario.model import Scenario
from conductor.scenario.units import parse_duration
from conductor.strategies.registry import build_strategy, check_strategies


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario,
    overrides: Mapping[str, Any] | Iterable[str] = (),
    *,
    base_dir: str | Path | None = None,
) -> Scenario:
    """Read and validate a scenario, its strategies' parameters included; a loaded
    Scenario is re-read from its document, with the overrides on top."""
    if isinstance(source, Scenario):
        base_dir = source.base_dir if base_dir is None else base_dir
        scenario = _load(source.document, overrides, base_dir=base_dir)
        scenario._file = source.file
    else:
        scenario = _load(source, overrides, base_dir=base_dir)
    check_strategies(scenario, compile_plan(scenario))
    return scenario


@dataclass(frozen=True)
class Settings:
    """Run settings that may override the scenario's `run` section."""

    seed: int
    horizon: float
    warmup: float
    replications: int

    @classmethod
    def of(cls, scenario: Scenario, **given: Any) -> Settings:
        """The scenario's settings with every given non-None value in their place."""
        run = scenario.run
        try:
            horizon, warmup = (
                parse_duration(given[key]) if given.get(key) is not None else None
                for key in ("horizon", "warmup")
            )
        except ValueError as error:
            raise ScenarioError(str(error), path="run") from None
        settings = cls(
            seed=given.get("seed") if given.get("seed") is not None else run.seed,
            horizon=horizon if horizon is not None else run.horizon,
            warmup=warmup if warmup is not None else run.warmup,
            replications=given.get("replications") or run.replications,
        )
        if settings.warmup >= settings.horizon:
            raise ScenarioError("warmup must be shorter than horizon", path="run.warmup")
        return settings


@dataclass(frozen=True)
class Unit:
    """One replication of one strategy of one scenario: the unit of work."""

    scenario: Scenario
    strategy: str
    replication: int
    settings: Settings
    keep_records: bool = False
    keep_timeline: bool = True


_plans: dict[str, Plan] = {}


def plan_of(scenario: Scenario) -> Plan:
    """The compiled plan of a scenario, compiled once per process."""
    key = scenario.sha256 or str(id(scenario))
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = compile_plan(scenario)
    return plan


Outcome = tuple[Figures, dict, Records | None]


def run_unit(unit: Unit) -> Outcome:
    """Simulate one unit: its figures, its timeline, and its records when asked."""
    plan = plan_of(unit.scenario)
    strategy = build_strategy(unit.strategy, unit.scenario.strategies[unit.strategy], plan)
    settings = unit.settings
    records = simulate(
        plan,
        strategy,
        unit.replication,
        seed=settings.seed,
        horizon=settings.horizon,
        warmup=settings.warmup,
    )
    return (
        replication_figures(records, plan),
        replication_timeline(records, plan) if unit.keep_timeline else {},
        records if unit.keep_records else None,
    )


def strategy_name(scenario: Scenario, strategy: str | None) -> str:
    """The named strategy, or the scenario's first; an unknown name is a ScenarioError."""
    if strategy is None:
        return next(iter(scenario.strategies))
    if strategy not in scenario.strategies:
        known = ", ".join(scenario.strategies)
        raise ScenarioError(
            f"unknown strategy '{strategy}' (expected one of: {known})",
            file=scenario.file,
            path="strategies",
        )
    return strategy


def run(
    scenario: Scenario | str | Path,
    strategy: str | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    horizon: float | str | None = None,
    warmup: float | str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    keep_records: bool = False,
    progress: bool | None = False,
) -> RunResult:
    """Simulate one strategy over replications and aggregate the figures."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    name = strategy_name(scenario, strategy)
    settings = Settings.of(
        scenario, replications=replications, seed=seed, horizon=horizon, warmup=warmup
    )
    units = [Unit(scenario, name, r, settings, keep_records) for r in range(settings.replications)]
    with progress_bar(len(units), f"{scenario.name}: {name}", progress) as advance:
        outcomes = execute(
            run_unit, units, workers=workers, scheduler=scheduler, on_done=lambda *_: advance()
        )
    return result_of(scenario, name, settings, outcomes)


def result_of(
    scenario: Scenario,
    strategy: str,
    settings: Settings,
    outcomes: list[Outcome],
) -> RunResult:
    """Aggregate the outcomes of one strategy's units."""
    return RunResult(
        scenario_name=scenario.name,
        scenario_sha256=scenario.sha256,
        scenario_file=str(Path(scenario.file).resolve()) if Path(scenario.file).is_file() else None,
        strategy=strategy,
        seed=settings.seed,
        horizon=settings.horizon,
        warmup=settings.warmup,
        currency=scenario.currency,
        runs=[figures for figures, _, _ in outcomes],
        timelines=[timeline for _, timeline, _ in outcomes if timeline],
        records=[records for _, _, records in outcomes if records is not None],
        events=[
            {
                "at": e.at,
                "action": e.action,
                "target": e.target,
                "value": e.value,
                "for": e.duration,
            }
            for e in plan_of(scenario).events
        ],
    )
