"""What-if events and change requests, as SimPy processes.

Events act on providers (`outage`, `slowdown`, `price`, `exit`) or flows (`surge`). A
surge above 1 adds Poisson arrivals at (factor − 1) × the flow's nominal rate from a
stream of its own, so the flow's ordinary arrivals stay the same; a surge below 1 thins
them. Change requests arrive as a Poisson process; each takes the `change_lead_time` of
the option serving its component at that moment.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Generator

import simpy

from conductor.engine.portfolio import Portfolio
from conductor.engine.protocol import Policy
from conductor.engine.providers import ProviderState, come_up, go_down
from conductor.engine.streams import Streams
from conductor.plan import EventPlan, FlowPlan, Plan


def event_process(
    env: simpy.Environment,
    event: EventPlan,
    number: int,
    plan: Plan,
    providers: list[ProviderState],
    portfolio: Portfolio,
    start: Callable[[FlowPlan], object],
    admit: list[float],
    streams: Streams,
    horizon: float,
) -> Generator[simpy.Event, None, None]:
    """Wait for an event's time, apply it, and undo it after its duration if it has one."""
    yield env.timeout(event.at)
    if event.action == "surge":
        flow = plan.flows[event.target]
        end = min(horizon, env.now + event.duration) if event.duration else horizon
        if event.value >= 1.0:
            yield from _extra_arrivals(env, flow, start, streams, number, event.extra, end)
        else:
            admit[flow.index] *= event.value
            yield env.timeout(end - env.now)
            admit[flow.index] /= event.value
        return
    state = providers[event.target]
    if event.action == "outage":
        go_down(state, env.now)
        yield env.timeout(event.value)
        come_up(state, env.now)
    elif event.action == "exit":
        go_down(state, env.now)
    elif event.action == "price":
        portfolio.accrue(env.now)
        state.price *= event.value
    elif event.action == "slowdown":
        state.slow *= event.value
        if event.duration:
            yield env.timeout(event.duration)
            state.slow /= event.value


def _extra_arrivals(env, flow, start, streams, number, law, end):
    if law is None:
        return
    gap = streams.draws(f"surge/{flow.name}/{number}", law)
    while True:
        delay = gap()
        if env.now + delay >= end:
            return
        yield env.timeout(delay)
        start(flow)


class ChangeRequests:
    """Change requests arriving at a rate, each recording its lead time when measured."""

    def __init__(
        self,
        env: simpy.Environment,
        plan: Plan,
        strategy: Policy,
        streams: Streams,
        window: tuple[float, float],
    ):
        self.env = env
        self.plan = plan
        self.strategy = strategy
        self.window = window
        self.gap = streams.draws("changes", plan.change_gap)
        self.pick = streams.uniforms("changes/component")
        self.lead_times = {
            o.index: streams.draws(f"change/{o.name}", o.change_lead_time)
            for o in plan.options
            if o.change_lead_time is not None
        }
        self.recorded = array("d")

    def process(self) -> Generator[simpy.Event, None, None]:
        """Generate change requests until the horizon."""
        env = self.env
        low, high = self.window
        targets = self.plan.change_components
        while True:
            delay = self.gap()
            if env.now + delay >= high:
                return
            yield env.timeout(delay)
            component = targets[min(int(self.pick() * len(targets)), len(targets) - 1)]
            strategy = self.strategy
            if strategy.policies[component].static:
                option = strategy.static_choose(component, 0, -1)
            else:
                option = strategy.primary(component)
            if option < 0:
                option = self.plan.components[component].options[0]
            lead_time = self.lead_times[option]()
            if env.now >= low:
                self.recorded.append(lead_time)
