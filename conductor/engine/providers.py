"""Providers at run time: up or down (alternating renewal outages), slowed, repriced, gone.

A provider is down while its own outage lasts or while any provider it `depends_on`
(directly or transitively) is down; `down` counts those reasons. `epoch` increases at
every failure, so a call can tell whether an outage began while it was in progress.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from conductor.engine.streams import Streams
from conductor.plan import Plan, ProviderPlan


class ProviderState:
    """Mutable state of one provider during a replication."""

    __slots__ = (
        "dependents",
        "down",
        "down_since",
        "downtime",
        "epoch",
        "plan",
        "price",
        "slow",
        "window",
    )

    def __init__(self, plan: ProviderPlan, window: tuple[float, float]):
        self.plan = plan
        self.down = 0
        self.epoch = 0
        self.slow = 1.0
        self.price = 1.0
        self.dependents: list[ProviderState] = []
        self.down_since = 0.0
        self.downtime = 0.0
        self.window = window

    def fail(self, now: float) -> None:
        """One more reason to be down (own outage or a dependency's)."""
        if self.down == 0:
            self.down_since = now
        self.down += 1
        self.epoch += 1

    def recover(self, now: float) -> None:
        """One reason fewer to be down."""
        self.down -= 1
        if self.down == 0:
            self._count(self.down_since, now)

    def _count(self, start: float, end: float) -> None:
        low, high = self.window
        start, end = max(start, low), min(end, high)
        if end > start:
            self.downtime += end - start

    def close(self, now: float) -> None:
        """Count a down spell still open at the end of the run."""
        if self.down:
            self._count(self.down_since, now)
            self.down_since = now

    def availability(self) -> float:
        """Fraction of the measured window the provider was up."""
        low, high = self.window
        return 1.0 - self.downtime / (high - low)


def provider_states(plan: Plan, window: tuple[float, float]) -> list[ProviderState]:
    """A state per provider, each knowing every provider that depends on it."""
    import networkx as nx  # here, not at the top: `check` and `--help` never need it

    states = [ProviderState(p, window) for p in plan.providers]
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(plan.providers)))
    graph.add_edges_from((p.index, other) for p in plan.providers for other in p.depends_on)
    for state in states:
        for dependency in nx.descendants(graph, state.plan.index):
            states[dependency].dependents.append(state)
    return states


def go_down(state: ProviderState, now: float) -> None:
    """Take a provider and every provider depending on it down."""
    state.fail(now)
    for dependent in state.dependents:
        dependent.fail(now)


def come_up(state: ProviderState, now: float) -> None:
    """End one reason for a provider and its dependents to be down."""
    state.recover(now)
    for dependent in state.dependents:
        dependent.recover(now)


def outages(
    env: simpy.Environment, state: ProviderState, streams: Streams
) -> Generator[simpy.Event, None, None]:
    """Alternate up and down times drawn from the provider's own streams, forever."""
    name = state.plan.name
    up = streams.draws(f"outage/{name}/up", state.plan.up_time)
    down = streams.draws(f"outage/{name}/down", state.plan.down_time)
    while True:
        yield env.timeout(up())
        go_down(state, env.now)
        yield env.timeout(down())
        come_up(state, env.now)
