"""Running a strategy over replications: the unit of work and its aggregation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from conductor.analysis import analyse
from conductor.engine.simulation import simulate
from conductor.errors import ConductorError, ScenarioError
from conductor.experiments.diagnostics import event_warnings
from conductor.experiments.estimate import DEFAULT_MAX_REQUESTS, estimate_work, guard
from conductor.experiments.executors import execute
from conductor.experiments.precision import (
    DEFAULT_MAX_REPLICATIONS,
    Precision,
    parse_precision,
    replicate,
)
from conductor.experiments.progress import progress_bar
from conductor.metrics.composition import composition_of
from conductor.metrics.records import Records
from conductor.metrics.results import RunResult
from conductor.metrics.summary import Figures, replication_figures
from conductor.metrics.timeline import replication_timeline
from conductor.metrics.warmup import settling_of, suggested_warmup
from conductor.plan import EventPlan, Plan, compile_plan
from conductor.scenario.load import load_scenario as _load
from conductor.scenario.model import Scenario
from conductor.scenario.units import format_duration, parse_duration
from conductor.strategies.registry import build_strategy, check_strategies


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario,
    overrides: Mapping[str, Any] | Iterable[str] = (),
    *,
    base_dir: str | Path | None = None,
    flags: Mapping[str, str] | None = None,
) -> Scenario:
    """Read and validate a scenario, its strategies' parameters included; a loaded
    Scenario is re-read from its document, with the overrides on top."""
    if isinstance(source, Scenario):
        base_dir = source.base_dir if base_dir is None else base_dir
        scenario = _load(source.document, overrides, base_dir=base_dir, flags=flags)
        scenario._file = source.file
    else:
        scenario = _load(source, overrides, base_dir=base_dir, flags=flags)
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


class Outcome(NamedTuple):
    """What a unit leaves: its figures, its timeline, its records when asked, and (for
    replication 0) when its latency series settled by MSER-5."""

    figures: Figures
    timeline: dict
    records: Records | None = None
    settled: float | None = None


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
        attempt_latencies=unit.keep_records,
    )
    settled = None
    if unit.replication == 0:
        # What-if events are meant to disturb the series: MSER-5 would read the response
        # to the first of them as a start-up transient, so it looks only before it.
        end = min(
            (e.at for e in plan.events if settings.warmup < e.at < settings.horizon),
            default=settings.horizon,
        )
        settled = settling_of(records.arrival, records.latency, records.ok, settings.warmup, end)
    return Outcome(
        replication_figures(records, plan),
        replication_timeline(records, plan) if unit.keep_timeline else {},
        records if unit.keep_records else None,
        settled,
    )


def theory_of(scenario: Scenario, strategy: str, plan: Plan) -> dict:
    """The analytic estimate of each flow under a strategy (SPEC §11), as JSON."""
    return analyse(plan, build_strategy(strategy, scenario.strategies[strategy], plan)).to_dict()


def policy_of(scenario: Scenario, strategy: str, plan: Plan) -> dict:
    """How a strategy serves each component, for views: its policy, a description per
    component as it will run, and the provider each starts with."""
    built = build_strategy(strategy, scenario.strategies[strategy], plan)
    return {
        "name": scenario.strategies[strategy].policy,
        "components": built.describe(),
        "serving": built.serving(),
    }


def event_of(plan: Plan, event: EventPlan) -> dict:
    """A what-if event for views: its target by index and by name (`flow` for a surge,
    else `provider`), so a view never needs the scenario to say what it hits."""
    kind, names = ("flow", plan.flows) if event.action == "surge" else ("provider", plan.providers)
    return {
        "at": event.at,
        "action": event.action,
        "target": event.target,
        kind: names[event.target].name,
        "value": event.value,
        "for": event.duration,
    }


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
    flow: str | None = None,
    precision: float | str | None = None,
    max_replications: int | None = None,
    max_requests: float | None = DEFAULT_MAX_REQUESTS,
) -> RunResult:
    """Simulate one strategy over replications and aggregate the figures.

    `flow` makes one flow's figures the headline; `precision` (such as "2%") adds
    replications in batches until the 95 % half-widths of that headline's mean and p99
    latency and cost per request are within it (up to `max_replications`, default 200).
    A run estimated at more than `max_requests` requests is refused before it starts.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    name = strategy_name(scenario, strategy)
    flow = flow_name(scenario, flow)
    settings = Settings.of(
        scenario, replications=replications, seed=seed, horizon=horizon, warmup=warmup
    )
    target = precision_of(precision, max_replications)
    work = estimate_work(plan_of(scenario), settings.horizon, settings.replications)
    guard(work, max_requests, file=scenario.file)

    def batch(replications: range) -> dict[str, list[Outcome]]:
        units = [Unit(scenario, name, r, settings, keep_records) for r in replications]
        with progress_bar(len(units), f"{scenario.name}: {name}", progress) as advance:
            done = execute(
                run_unit, units, workers=workers, scheduler=scheduler, on_done=lambda *_: advance()
            )
        return {name: done}

    collected, reached = replicate(
        batch, [name], start=settings.replications, precision=target, flow=flow
    )
    result = result_of(scenario, name, settings, collected[name], flow=flow)
    if target is not None:
        result.precision = target.to_dict(bool(reached), result.replications)
    return result


def flow_name(scenario: Scenario, flow: str | None) -> str | None:
    """The named flow (None for the blend of all flows); an unknown one is a ScenarioError."""
    if flow is None or flow in scenario.flows:
        return flow
    raise ScenarioError(
        f"unknown flow '{flow}' (expected one of: {', '.join(scenario.flows)})",
        file=scenario.file,
        path="flows",
    )


def precision_of(precision: float | str | None, max_replications: int | None) -> Precision | None:
    """The Precision to reach, from `--precision` and `--max-replications`."""
    if max_replications is not None and max_replications < 2:
        raise ConductorError(f"--max-replications must be at least 2, got {max_replications}")
    if precision is None:
        return None
    try:
        target = parse_precision(precision)
    except ValueError as error:
        raise ConductorError(f"--precision: {error}") from None
    return Precision(target, max_replications or DEFAULT_MAX_REPLICATIONS)


def result_of(
    scenario: Scenario,
    strategy: str,
    settings: Settings,
    outcomes: list[Outcome],
    *,
    flow: str | None = None,
) -> RunResult:
    """Aggregate the outcomes of one strategy's units."""
    plan = plan_of(scenario)
    warnings = event_warnings(plan, settings.horizon, settings.warmup)
    settled = next((o.settled for o in outcomes if o.settled is not None), None)
    if settled is not None and settled > settings.warmup:
        warnings.append(
            f"{strategy}: latency had not settled when the measured window started "
            f"(MSER-5 on replication 0 cuts up to {format_duration(settled)}): use a "
            f"warm-up of at least {format_duration(suggested_warmup(settings.warmup, settled))}"
        )
    return RunResult(
        scenario_name=scenario.name,
        scenario_sha256=scenario.sha256,
        scenario_file=str(Path(scenario.file).resolve()) if Path(scenario.file).is_file() else None,
        strategy=strategy,
        seed=settings.seed,
        horizon=settings.horizon,
        warmup=settings.warmup,
        currency=scenario.currency,
        runs=[o.figures for o in outcomes],
        timelines=[o.timeline for o in outcomes if o.timeline],
        records=[o.records for o in outcomes if o.records is not None],
        flow=flow,
        warnings=warnings,
        composition=composition_of(plan),
        policy=policy_of(scenario, strategy, plan),
        theory=theory_of(scenario, strategy, plan),
        events=[event_of(plan, e) for e in plan.events],
    )
