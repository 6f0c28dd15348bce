"""Arrival processes: the plan holds each flow's (`conductor.arrivals`); the engine runs it."""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

from conductor.engine.streams import Streams
from conductor.plan import FlowPlan

Start = Callable[[FlowPlan], simpy.Process]


def arrivals(
    env: simpy.Environment, flow: FlowPlan, start: Start, streams: Streams, horizon: float
) -> list[Generator]:
    """The processes that generate a flow's requests (one, or one per closed user)."""
    return flow.arrivals.processes(env, flow, start, streams, horizon)
