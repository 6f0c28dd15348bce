"""Which provider should serve each component: the Pareto front of sourcing assignments.

An assignment serves every component in the search by one of its options (and may set
an internal option's capacity, from `--vary` levels); the other components keep their
first option. The search (SPEC §13) goes in three stages:

1. **Screen.** Every assignment is scored by the analytic estimates of
   `conductor.experiments.screen`, which cost microseconds. When there are more than
   `ENUMERATE` assignments, Optuna's NSGA-II sampler searches the space on those
   estimates instead (a genetic search with non-dominated sorting: it needs no gradient,
   handles categorical choices, and is deterministic for a seed).
2. **Simulate.** The screened candidates are taken front by front (non-dominated sorting
   of the estimates, extremes of each objective first, then spread along the front) until
   `budget` have been simulated, all on common random numbers.
3. **Confirm.** The simulated front is simulated again with twice the replications; a
   point that turns out dominated then leaves the front.

Every candidate is a `static` strategy (`use` names its providers), so the front can be
written as a scenario whose strategies `compare` and `report` take directly.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conductor.errors import ConductorError, ScenarioError
from conductor.experiments.estimate import DEFAULT_MAX_REQUESTS, estimate_work, guard
from conductor.experiments.executors import completed
from conductor.experiments.progress import progress_bar
from conductor.experiments.run import (
    Outcome,
    Settings,
    Unit,
    load_scenario,
    plan_of,
    result_of,
    run_unit,
)
from conductor.experiments.screen import PERCENTILES, screen, with_capacity
from conductor.experiments.sweep import parse_values, split_vary
from conductor.metrics.pareto import non_dominated
from conductor.metrics.results import RunResult, atomic_write
from conductor.scenario.model import Scenario

ENUMERATE = 20_000
"""Up to this many assignments, every one is screened; beyond, NSGA-II samples them."""

SAMPLED = 4_000
"""Screened assignments in a guided (NSGA-II) search."""

DEFAULT_BUDGET = 50
DEFAULT_OBJECTIVES = ("cost_total", "latency_p99")


@dataclass(frozen=True)
class Objective:
    """A figure of the run summary to minimise (or maximise), by key path."""

    name: str
    path: tuple[str, ...]
    maximise: bool = False

    def of(self, summary: Mapping[str, Any]) -> float:
        """Its value in a run summary, oriented so that lower is better; a failed
        percentile (null) is infinitely bad."""
        node: Any = summary
        for key in self.path:
            node = node.get(key) if isinstance(node, Mapping) else None
        value = node.get("mean") if isinstance(node, Mapping) else None
        if value is None:
            return math.inf
        return -float(value) if self.maximise else float(value)


OBJECTIVES: dict[str, Objective] = {
    "cost_total": Objective("cost_total", ("cost", "total")),
    "cost_per_request": Objective("cost_per_request", ("cost", "per_request")),
    "success_rate": Objective("success_rate", ("success_rate",), maximise=True),
    "slo_attainment": Objective("slo_attainment", ("slo_attainment",), maximise=True),
    "change_lead_time": Objective("change_lead_time", ("change_lead_time_s",)),
    **{
        f"latency_{key}": Objective(f"latency_{key}", ("latency_all_s", key))
        for key in ("mean", "p50", "p90", "p95", "p99", "p999")
    },
}
"""Every objective `--objective` takes; latency ones count failures as infinitely slow."""


@dataclass(frozen=True)
class Candidate:
    """One assignment: a provider per searched component, and capacities where varied."""

    choices: tuple[tuple[str, str], ...]
    capacities: tuple[tuple[str, str, int], ...] = ()

    @property
    def assignment(self) -> dict[str, str]:
        """Component -> provider."""
        return dict(self.choices)

    @property
    def label(self) -> str:
        """'auth=inhouse, pay=psp×4' (×k: capacity k of that option)."""
        sizes = {(c, p): k for c, p, k in self.capacities}
        return ", ".join(
            f"{c}={p}" + (f"×{sizes[c, p]}" if (c, p) in sizes else "") for c, p in self.choices
        )


@dataclass
class Entry:
    """A simulated candidate: its estimate, its result and its objective values."""

    candidate: Candidate
    estimate: dict[str, float]
    result: RunResult
    values: tuple[float, ...]
    confirmed: bool = False
    outcomes: list[Outcome] = field(default_factory=list, repr=False)

    def to_dict(self, objectives: Sequence[Objective], name: str) -> dict[str, Any]:
        """The entry as in SPEC §13: assignment and run summary, with its objectives."""
        run = self.result.to_dict()
        return {
            "strategy": name,
            "assignment": self.candidate.assignment,
            **(
                {"capacity": {f"{c}.{p}": k for c, p, k in self.candidate.capacities}}
                if self.candidate.capacities
                else {}
            ),
            "objectives": {o.name: _json(o.of(run["summary"]), o) for o in objectives},
            "estimate": {o.name: _json(self.estimate[o.name], None) for o in objectives},
            "replications": run["replications"],
            "summary": run["summary"],
            "flows": run["flows"],
        }


@dataclass
class OptimiseResult:
    """The front of sourcing assignments and how it was found."""

    scenario: Scenario
    objectives: list[Objective]
    space: int
    screened: int
    entries: list[Entry] = field(default_factory=list)

    @property
    def front(self) -> list[Entry]:
        """The simulated candidates no other simulated one dominates, first objective first.
        A candidate with an infinite objective (a latency percentile among its failures)
        is never on it, as in SPEC §9, however cheap."""
        eligible = [e for e in self.entries if all(math.isfinite(v) for v in e.values)]
        front = non_dominated([e.values for e in eligible])
        return sorted((eligible[i] for i in front), key=lambda e: e.values)

    @property
    def dominated(self) -> list[Entry]:
        """The simulated candidates off the front: dominated, or failing."""
        front = {id(e) for e in self.front}
        return [e for e in self.entries if id(e) not in front]

    @property
    def simulated(self) -> int:
        """How many candidates were simulated."""
        return len(self.entries)

    def names(self) -> dict[int, str]:
        """Entry id -> its strategy name: front-1, front-2, ... then candidate-N."""
        names = {id(e): f"front-{i}" for i, e in enumerate(self.front, start=1)}
        for i, e in enumerate(self.dominated, start=1):
            names[id(e)] = f"candidate-{i}"
        return names

    def to_dict(self) -> dict[str, Any]:
        """`{"objectives", "space", "screened", "simulated", "front", "dominated"}`."""
        names = self.names()
        return {
            "scenario": {"name": self.scenario.name, "sha256": self.scenario.sha256},
            "objectives": [o.name for o in self.objectives],
            "space": self.space,
            "screened": self.screened,
            "simulated": self.simulated,
            "front": [e.to_dict(self.objectives, names[id(e)]) for e in self.front],
            "dominated": [e.to_dict(self.objectives, names[id(e)]) for e in self.dominated],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_frame(self):
        """One row per simulated candidate (front first): assignment, objectives, on_front.
        A pandas DataFrame; the list of rows when pandas is missing."""
        names = self.names()
        front = {id(e) for e in self.front}
        rows = []
        for entry in [*self.front, *self.dominated]:
            run = entry.result.to_dict()
            row = {"strategy": names[id(entry)], "on_front": id(entry) in front}
            row.update(entry.candidate.assignment)
            row.update({f"{c}.{p}.capacity": k for c, p, k in entry.candidate.capacities})
            row.update({o.name: _json(o.of(run["summary"]), o) for o in self.objectives})
            rows.append(row)
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows).set_index("strategy")

    def front_scenarios(self) -> list[tuple[str, str]]:
        """(file stem, YAML text) of scenarios whose strategies are the front: one file,
        or one per capacity setting when front points differ in capacity."""
        names = self.names()
        groups: dict[tuple, list[Entry]] = {}
        for entry in self.front:
            groups.setdefault(entry.candidate.capacities, []).append(entry)
        files = []
        for number, (capacities, entries) in enumerate(groups.items(), start=1):
            document = _with_capacities(self.scenario.document, capacities)
            document["strategies"] = {
                names[id(e)]: {"policy": "static", "use": e.candidate.assignment} for e in entries
            }
            lines = [
                f"# The Pareto front of `conductor optimise` on {self.scenario.name}",
                f"# (objectives: {', '.join(o.name for o in self.objectives)}; "
                f"{self.screened} assignments screened, {self.simulated} simulated).",
                "# Each strategy is one assignment:",
                *(f"#   {names[id(e)]}: {e.candidate.label}" for e in entries),
                "# Run `conductor compare` on this file to see them side by side.",
            ]
            stem = "front" if len(groups) == 1 else f"front-{number}"
            files.append((stem, "\n".join(lines) + "\n" + _yaml(document)))
        return files

    def write(self, folder: str | Path) -> list[Path]:
        """results.json, the front scenario(s) and the Pareto figure; returns the paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / "results.json"]
        atomic_write(paths[0], self.to_json())
        for stem, text in self.front_scenarios():
            paths.append(folder / f"{stem}.yaml")
            atomic_write(paths[-1], text)
        from conductor.plots.optimise import optimise_front
        from conductor.plots.output import save
        from conductor.plots.style import figure_of

        paths.append(save(figure_of(optimise_front(self.to_dict())), folder / "pareto.png"))
        return paths


def optimise(
    scenario: Scenario | str | Path | Mapping[str, Any],
    *,
    objectives: Iterable[str] = DEFAULT_OBJECTIVES,
    budget: int = DEFAULT_BUDGET,
    components: Iterable[str] | None = None,
    vary: Iterable[str] | Mapping[str, Any] = (),
    replications: int | None = None,
    seed: int | None = None,
    horizon: float | str | None = None,
    warmup: float | str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = False,
    confirm: bool = True,
    max_requests: float | None = DEFAULT_MAX_REQUESTS,
) -> OptimiseResult:
    """Search the sourcing assignments for the Pareto front of the objectives (SPEC §13).

    `components` restricts the search (default: every component with a choice); `vary`
    adds capacity levels (`components.C.options.P.capacity=2,4,8`). At most `budget`
    candidates are simulated; with `confirm` the front is simulated again with twice the
    replications before it is reported. A search whose simulations could exceed
    `max_requests` (every candidate confirmed, at most) is refused before it starts.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    chosen = _objectives(objectives)
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise ConductorError(f"--budget must be a whole number of candidates >= 1, got {budget!r}")
    settings = Settings.of(
        scenario, replications=replications, seed=seed, horizon=horizon, warmup=warmup
    )
    searched = _searched(scenario, components)
    levels = _capacity_levels(scenario, vary)
    space = math.prod(len(scenario.components[c].options) for c in searched)
    space *= math.prod(len(v) for v in levels.values())
    plan = plan_of(scenario)
    window = (settings.horizon - settings.warmup) / 3600.0
    most = min(budget, space) * settings.replications * (2 if confirm else 1)
    guard(estimate_work(plan, settings.horizon, most), max_requests, file=scenario.file)

    wanted = [n for n in (o.name.removeprefix("latency_") for o in chosen) if n in PERCENTILES]

    def estimate(candidate: Candidate) -> dict[str, float]:
        return _estimate(scenario, plan, candidate, window, wanted)

    if space <= ENUMERATE:
        candidates = list(_every(scenario, searched, levels))
    else:
        candidates = _guided(scenario, searched, levels, chosen, estimate, settings.seed)
    estimates = {c: estimate(c) for c in candidates}
    picked = _pick(candidates, estimates, chosen, budget)
    entries = _simulate(scenario, picked, estimates, chosen, settings, workers, scheduler, progress)
    result = OptimiseResult(scenario, chosen, space, len(candidates), entries)
    if confirm and settings.replications >= 1:
        _confirm(result, settings, workers, scheduler, progress)
    return result


# Search space ----------------------------------------------------------------------------


def _objectives(names: Iterable[str]) -> list[Objective]:
    """The named objectives, each once; at least one, all known."""
    names = list(dict.fromkeys(names or DEFAULT_OBJECTIVES))
    unknown = [n for n in names if n not in OBJECTIVES]
    if unknown:
        raise ConductorError(
            f"--objective: unknown objective '{unknown[0]}' "
            f"(expected one of: {', '.join(OBJECTIVES)})"
        )
    return [OBJECTIVES[n] for n in names]


def _searched(scenario: Scenario, components: Iterable[str] | None) -> list[str]:
    """The components whose option is searched, in declared order."""
    if components is None:
        names = [c for c, spec in scenario.components.items() if len(spec.options) > 1]
    else:
        names = list(dict.fromkeys(components))
        for name in names:
            if name not in scenario.components:
                raise ScenarioError(
                    f"--components: unknown component '{name}' "
                    f"(expected one of: {', '.join(scenario.components)})",
                    file=scenario.file,
                    path="components",
                )
        names = [c for c in scenario.components if c in names]
    if not names:
        raise ScenarioError(
            "--components: nothing to search (every component has a single option)",
            file=scenario.file,
            path="components",
        )
    return names


CAPACITY = re.compile(r"components\.([^.]+)\.options\.([^.]+)\.capacity")


def _capacity_levels(
    scenario: Scenario, vary: Iterable[str] | Mapping[str, Any]
) -> dict[tuple[str, str], list[int]]:
    """(component, provider) -> capacity levels, from `--vary` items."""
    pairs = vary.items() if isinstance(vary, Mapping) else (split_vary(v) for v in vary)
    levels = {}
    for path, values in pairs:
        match = CAPACITY.fullmatch(path)
        if not match:
            raise ConductorError(
                f"--vary {path}: optimise varies capacities only "
                "(expected components.C.options.P.capacity=2,4,8)"
            )
        component, provider = match.groups()
        options = scenario.components.get(component)
        if options is None or provider not in options.options:
            raise ScenarioError(
                f"--vary: no option {provider} of component {component}",
                file=scenario.file,
                path=path,
            )
        values = parse_values(values) if isinstance(values, str) else list(values)
        if not values or any(
            not isinstance(v, int | float) or v != int(v) or v < 1 or not math.isfinite(v)
            for v in values
        ):
            raise ConductorError(f"--vary {path}: capacities must be whole numbers >= 1")
        levels[component, provider] = sorted({int(v) for v in values})
    return levels


def _every(scenario, searched, levels) -> Iterable[Candidate]:
    """Every assignment, in declared order of options."""
    choices = [[(c, p) for p in scenario.components[c].options] for c in searched]
    sizes = [[(c, p, k) for k in ks] for (c, p), ks in levels.items()]
    for picked in itertools.product(*choices):
        for capacity in itertools.product(*sizes):
            yield Candidate(tuple(picked), tuple(capacity))


def _guided(scenario, searched, levels, objectives, estimate, seed) -> list[Candidate]:
    """Assignments NSGA-II visits when searching on the estimates (a space too large to
    enumerate)."""
    try:
        import optuna
    except ImportError:
        raise ConductorError(
            "this search space is too large to enumerate; the guided search needs Optuna: "
            "pip install 'conductor-sim[optimise]'"
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Enough generations to converge: at least twenty, in populations of 20 to 100.
    population = max(20, min(100, SAMPLED // 20))
    sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=population)
    study = optuna.create_study(directions=["minimize"] * len(objectives), sampler=sampler)
    seen: dict[Candidate, None] = {}

    def trial_of(trial) -> tuple[float, ...]:
        choices = tuple(
            (c, trial.suggest_categorical(c, list(scenario.components[c].options)))
            for c in searched
        )
        capacities = tuple(
            (c, p, trial.suggest_categorical(f"{c}.{p}.capacity", ks))
            for (c, p), ks in levels.items()
        )
        candidate = Candidate(choices, capacities)
        seen.setdefault(candidate)
        figures = estimate(candidate)
        return tuple(_oriented(figures, o) for o in objectives)

    study.optimize(trial_of, n_trials=SAMPLED)
    return list(seen)


def _estimate(
    scenario, plan, candidate: Candidate, window_hours: float, percentiles=()
) -> dict[str, float]:
    """The analytic objectives of a candidate."""
    sizes = {(c, p): k for c, p, k in candidate.capacities}
    assignment = candidate.assignment
    options = {}
    for component in plan.components:
        provider = assignment.get(component.name)
        chosen = component.options[0]
        for index in component.options:
            if plan.providers[plan.options[index].provider].name == provider:
                chosen = index
        option = plan.options[chosen]
        name = plan.providers[option.provider].name
        options[component.index] = with_capacity(option, sizes.get((component.name, name)))
    return screen(plan, options, window_hours, percentiles)


def _oriented(figures: Mapping[str, float], objective: Objective) -> float:
    value = figures[objective.name]
    return -value if objective.maximise else value


def _pick(candidates, estimates, objectives, budget) -> list[Candidate]:
    """Up to `budget` candidates: front by front of the estimates, the best of each
    objective first, then spread along the front; candidates estimated to fail (an
    infinite objective) only once the others are all taken."""
    values = [tuple(_oriented(estimates[c], o) for o in objectives) for c in candidates]
    finite = [i for i, v in enumerate(values) if all(math.isfinite(x) for x in v)]
    known = set(finite)
    failing = [i for i in range(len(values)) if i not in known]
    picked: list[int] = []
    for remaining in (finite, failing):
        while remaining and len(picked) < budget:
            front = [remaining[i] for i in non_dominated([values[j] for j in remaining])]
            picked += _spread(front, values, budget - len(picked))
            taken = set(picked)
            remaining = [i for i in remaining if i not in taken]
    return [candidates[i] for i in picked]


def _spread(front: list[int], values, room: int) -> list[int]:
    """`room` members of a front: each objective's best, then evenly along the first."""
    if len(front) <= room:
        return sorted(front, key=lambda i: values[i])
    count = len(values[front[0]])
    chosen = list(dict.fromkeys(min(front, key=lambda i: values[i][k]) for k in range(count)))
    ordered = sorted(front, key=lambda i: values[i])
    rest = [i for i in ordered if i not in chosen]
    need = room - len(chosen)
    if need > 0 and rest:
        step = len(rest) / need
        chosen += [rest[int(k * step)] for k in range(need)]
    return chosen[:room]


# Simulation ------------------------------------------------------------------------------


def _scenario_of(scenario: Scenario, candidate: Candidate) -> Scenario:
    """The scenario with the candidate's capacities and one static strategy serving it."""
    document = _with_capacities(scenario.document, candidate.capacities)
    document["strategies"] = {"candidate": {"policy": "static", "use": candidate.assignment}}
    loaded = load_scenario(document, base_dir=scenario.base_dir)
    loaded._file = scenario.file
    return loaded


def _with_capacities(document: Mapping[str, Any], capacities) -> dict[str, Any]:
    document = copy.deepcopy(dict(document))
    for component, provider, capacity in capacities:
        document["components"][component]["options"][provider]["capacity"] = capacity
    return document


def _run(
    jobs: list[tuple[Scenario, range]], settings, workers, scheduler, progress, label
) -> list[list[Outcome]]:
    """Simulate the replications of each (scenario, range) in one pool."""
    units = [
        Unit(s, "candidate", r, settings, keep_timeline=False) for s, reps in jobs for r in reps
    ]
    done: list[Outcome | None] = [None] * len(units)
    with progress_bar(len(units), label, progress) as advance:
        stream = completed(run_unit, units, workers=workers, scheduler=scheduler)
        with closing(stream):
            for index, outcome in stream:
                done[index] = outcome
                advance()
    grouped, position = [], 0
    for _, reps in jobs:
        grouped.append(done[position : position + len(reps)])
        position += len(reps)
    return grouped


def _simulate(scenario, picked, estimates, objectives, settings, workers, scheduler, progress):
    """Entries of the picked candidates, simulated on common random numbers."""
    scenarios = [_scenario_of(scenario, c) for c in picked]
    reps = range(settings.replications)
    outcomes = _run(
        [(s, reps) for s in scenarios],
        settings,
        workers,
        scheduler,
        progress,
        f"optimise {scenario.name}: {len(picked)} candidates",
    )
    entries = []
    for candidate, loaded, done in zip(picked, scenarios, outcomes, strict=True):
        result = result_of(loaded, "candidate", settings, done)
        result.strategy = candidate.label
        values = tuple(o.of(result.to_dict()["summary"]) for o in objectives)
        entries.append(Entry(candidate, estimates[candidate], result, values, outcomes=done))
    return entries


def _confirm(result: OptimiseResult, settings, workers, scheduler, progress) -> None:
    """Simulate the front again with twice the replications; update its values."""
    front = result.front
    more = range(settings.replications, 2 * settings.replications)
    jobs = [(_scenario_of(result.scenario, e.candidate), more) for e in front]
    extra = _run(jobs, settings, workers, scheduler, progress, "confirming the front")
    for entry, (loaded, _), done in zip(front, jobs, extra, strict=True):
        outcomes = [*entry.outcomes, *done]
        longer = Settings(
            settings.seed, settings.horizon, settings.warmup, settings.replications * 2
        )
        confirmed = result_of(loaded, "candidate", longer, outcomes)
        confirmed.strategy = entry.candidate.label
        entry.result = confirmed
        entry.values = tuple(o.of(confirmed.to_dict()["summary"]) for o in result.objectives)
        entry.confirmed = True


def _json(value: float, objective: Objective | None) -> float | None:
    """An objective value as JSON: back to its own sign, null when infinite."""
    if objective is not None and objective.maximise:
        value = -value
    return None if not math.isfinite(value) else value


def _yaml(document: Mapping[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
