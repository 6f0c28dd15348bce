"""How much work a run is, known before it starts, and the guard that refuses too much.

A scenario can ask for far more than a machine can simulate (a rate of 1e6/s for a
year, a billion replications): the simulation would run until memory is exhausted. The
work is estimated from the declared figures alone: per replication, each flow's
expected arrivals in the horizon (the nominal rate, surges included; a trace's own
times; a closed population's users over think time plus the fastest path, plus their
first requests), and the step visits those requests make (probability × calls per
step). A run's estimate is that × replications × strategies; `check` prints it and a run
whose requests exceed `--max-requests` (default 200 million) is refused before it starts.
The time is a rough figure measured on a laptop core (about 2 µs per request and 6 µs
per step visit), divided among the workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from conductor.errors import ScenarioError
from conductor.plan import FlowPlan, Plan

DEFAULT_MAX_REQUESTS = 200_000_000
"""Most requests a run may simulate over all replications and strategies."""

SECONDS_PER_REQUEST = 2e-6
SECONDS_PER_VISIT = 6e-6


@dataclass(frozen=True)
class WorkEstimate:
    """Expected requests and step visits of a run, and a rough time for them."""

    requests_per_replication: float
    visits_per_replication: float
    replications: int
    strategies: int = 1
    points: int = 1

    @property
    def runs(self) -> int:
        """Replications of every strategy at every point."""
        return self.replications * self.strategies * self.points

    @property
    def requests(self) -> float:
        """Requests over every replication, strategy and point."""
        return self.requests_per_replication * self.runs

    @property
    def visits(self) -> float:
        """Step visits over every replication, strategy and point."""
        return self.visits_per_replication * self.runs

    def seconds(self, workers: int = 1) -> float:
        """A rough time for the whole run on `workers` cores."""
        cores = max(1, min(workers, self.runs))
        return (self.requests * SECONDS_PER_REQUEST + self.visits * SECONDS_PER_VISIT) / cores

    def to_dict(self, workers: int = 1) -> dict:
        """The `estimate` object of `check --json`."""
        return {
            "requests_per_replication": self.requests_per_replication,
            "step_visits_per_replication": self.visits_per_replication,
            "replications": self.replications,
            "strategies": self.strategies,
            "requests": self.requests,
            "step_visits": self.visits,
            "seconds": self.seconds(workers),
            "workers": workers,
        }

    def describe(self, workers: int = 1) -> str:
        """'about 36,000 requests and 72,000 step visits per replication; ...'."""
        text = (
            f"about {_count(self.requests_per_replication)} requests and "
            f"{_count(self.visits_per_replication)} step visits per replication"
        )
        parts = [f"{self.replications} replication{'s' if self.replications != 1 else ''}"]
        if self.strategies != 1:
            parts.append(f"{self.strategies} strategies")
        if self.points != 1:
            parts.append(f"{self.points} points")
        return (
            f"{text}; {' × '.join(parts)}: {_count(self.requests)} requests, "
            f"roughly {_duration(self.seconds(workers))} on {workers} "
            f"core{'s' if workers != 1 else ''}"
        )


def _count(value: float) -> str:
    if not math.isfinite(value):
        return "unboundedly many"
    if value < 1e6:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "forever"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.2g} s" if seconds >= 1 else "under a second"


def flow_requests(plan: Plan, flow: FlowPlan, horizon: float) -> float:
    """Expected requests of one flow in one replication of `horizon` seconds."""
    arrivals = flow.arrivals
    if arrivals.process == "trace":
        return float(sum(1 for t in arrivals.times if t < horizon))
    if arrivals.process == "closed":
        fastest = max(
            (
                min(plan.options[o].service.mean for o in plan.components[s.component].options)
                for s in flow.steps
            ),
            default=0.0,
        )
        cycle = arrivals.think.mean + fastest
        return arrivals.users * (1.0 + horizon / cycle) if cycle > 0 else math.inf
    requests = flow.rate * horizon
    for event in plan.events:
        if event.action == "surge" and event.target == flow.index and event.at < horizon:
            end = horizon if event.duration is None else min(horizon, event.at + event.duration)
            requests += flow.rate * max(event.value - 1.0, 0.0) * (end - event.at)
    return requests


def estimate_work(
    plan: Plan, horizon: float, replications: int, strategies: int = 1, points: int = 1
) -> WorkEstimate:
    """The work of a run of `replications` of `strategies` on a compiled plan."""
    requests = visits = 0.0
    for flow in plan.flows:
        count = flow_requests(plan, flow, horizon)
        requests += count
        visits += count * sum(step.probability * step.calls for step in flow.steps)
    return WorkEstimate(requests, visits, replications, strategies, points)


def guard(work: WorkEstimate, max_requests: float | None, *, file: str | None = None) -> None:
    """Refuse a run whose estimated requests exceed `max_requests` (None: no limit)."""
    if max_requests is None or work.requests <= max_requests:
        return
    raise ScenarioError(
        f"this run would simulate {work.describe()}, over --max-requests "
        f"{max_requests:.3g}; shorten the horizon, lower the load or the replications, "
        "or raise --max-requests",
        file=file,
    )
