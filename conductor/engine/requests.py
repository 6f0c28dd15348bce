"""Executing requests: the steps of a flow's DAG, and the calls each step makes.

A request starts every step without predecessors at arrival; a step starts when all its
predecessors are done (AND-join). A skipped step (`probability`) counts as done. A step
whose calls fail after the strategy's retries fails the whole request at that instant
and no further step starts; attempts already under way finish unseen. An `optional`
step's failure is ignored. A flow whose DAG is a plain chain runs in one process.

A call is one or more attempts: the strategy chooses the option of each, the call's
policy says when to give up on an attempt (`timeout`), how often to retry and after what
backoff, and when to hedge with another attempt before the first has answered.
"""

from __future__ import annotations

from array import array
from collections.abc import Generator

import simpy

from conductor.engine.options import Handle, OptionServer, Tally
from conductor.engine.streams import Streams
from conductor.plan import FlowPlan, Plan
from conductor.strategies.base import OK, TIMEOUT, CallPolicy, Strategy


class RequestState:
    """Join counters of one request running a DAG flow."""

    __slots__ = ("done", "failed", "left", "waiting")

    def __init__(self, env: simpy.Environment, flow: FlowPlan):
        self.waiting = [len(step.after) for step in flow.steps]
        self.left = len(flow.steps)
        self.failed = False
        self.done = env.event()


class Executor:
    """Runs requests and calls for one strategy in one replication, recording outcomes."""

    def __init__(
        self,
        env: simpy.Environment,
        plan: Plan,
        strategy: Strategy,
        servers: list[OptionServer],
        streams: Streams,
        warmup: float,
    ):
        self.env = env
        self.plan = plan
        self.strategy = strategy
        self.servers = servers
        self.warmup = warmup
        self.policies = strategy.policies
        # The fast path: one attempt, no timer, nothing to observe (a component outside
        # the strategy's scope is always on it).
        self.simple = tuple(
            p.static or (p.simple and not strategy.observes) for p in strategy.policies
        )
        self.choosers = tuple(
            strategy.static_choose if p.static else strategy.choose for p in strategy.policies
        )
        self.branches = [
            [
                streams.uniforms(f"branch/{flow.name}/{step.name}")
                if step.probability < 1
                else None
                for step in flow.steps
            ]
            for flow in plan.flows
        ]
        # Per chain flow, what each step needs, flattened for the hot loop.
        self.chains = [
            tuple(
                (
                    step.component,
                    range(step.calls),
                    self.branches[flow.index][step.index],
                    step.probability,
                    step.optional,
                    self.simple[step.component],
                    self.choosers[step.component],
                )
                for step in flow.steps
            )
            for flow in plan.flows
        ]
        self.jitter = [streams.uniforms(f"jitter/{c.name}") for c in plan.components]
        self.retry_tokens = [
            p.retry_budget * 10.0 + 1.0 if p.retry_budget is not None else 0.0
            for p in strategy.policies
        ]
        self.tallies = [Tally(len(plan.options)) for _ in plan.flows]
        # Share of arrivals admitted per flow: below 1 only during a surge below 1.
        self.admit = [1.0] * len(plan.flows)
        self.thinning = [streams.uniforms(f"surge/{flow.name}/thinning") for flow in plan.flows]
        self.inflight = 0
        self.drained: simpy.Event | None = None
        self.record_flow = array("H")
        self.record_arrival = array("d")
        self.record_latency = array("d")
        self.record_ok = array("B")
        self.calls = [0] * len(plan.components)
        self.failed_calls = [0] * len(plan.components)
        self.timeouts = [0] * len(plan.options)

    # Requests ---------------------------------------------------------------------------

    def request(self, flow: FlowPlan) -> simpy.Process | None:
        """Start one request of a flow now (None when a surge below 1 drops it)."""
        admit = self.admit[flow.index]
        if admit < 1.0 and self.thinning[flow.index]() >= admit:
            return None
        self.inflight += 1
        if flow.chain:
            return self.env.process(self._chain(flow))
        return self.env.process(self._dag(flow))

    def _chain(self, flow: FlowPlan) -> Generator[simpy.Event, object, None]:
        env = self.env
        arrival = env.now
        measured = self.tallies[flow.index] if arrival >= self.warmup else None
        servers = self.servers
        calls = self.calls
        ok = True
        for component, repeat, branch, probability, optional, simple, choose in self.chains[
            flow.index
        ]:
            if branch is not None and branch() >= probability:
                continue
            for _ in repeat:
                if simple:
                    if measured is not None:
                        calls[component] += 1
                    option = choose(component, 0, -1)
                    done = option >= 0 and (yield from servers[option].attempt(measured)) == OK
                    if not done and measured is not None:
                        self.failed_calls[component] += 1
                else:
                    done = yield from self.call(component, measured)
                if not done:
                    break
            if not done and not optional:
                ok = False
                break
        self.finish(flow, arrival, ok, measured is not None)

    def _dag(self, flow: FlowPlan) -> Generator[simpy.Event, object, None]:
        env = self.env
        arrival = env.now
        measured = self.tallies[flow.index] if arrival >= self.warmup else None
        state = RequestState(env, flow)
        for root in flow.roots:
            env.process(self._branch(flow, state, root, measured))
        yield state.done
        self.finish(flow, arrival, not state.failed, measured is not None)

    def _branch(
        self, flow: FlowPlan, state: RequestState, index: int, measured: Tally | None
    ) -> Generator[simpy.Event, object, None]:
        """Run a step, then carry on inline with the first successor it makes ready."""
        steps = flow.steps
        branches = self.branches[flow.index]
        while True:
            step = steps[index]
            done = True
            if branches[index] is None or branches[index]() < step.probability:
                for _ in range(step.calls):
                    done = yield from self.call(step.component, measured)
                    if not done:
                        break
            if state.failed:
                return
            if not done and not step.optional:
                state.failed = True
                state.done.succeed()
                return
            state.left -= 1
            if state.left == 0:
                state.done.succeed()
                return
            following = -1
            for successor in step.successors:
                state.waiting[successor] -= 1
                if state.waiting[successor] == 0:
                    if following < 0:
                        following = successor
                    else:
                        self.env.process(self._branch(flow, state, successor, measured))
            if following < 0:
                return
            index = following

    def finish(self, flow: FlowPlan, arrival: float, ok: bool, measured: bool) -> None:
        """Record a finished request and signal the drain when it was the last."""
        if measured:
            self.record_flow.append(flow.index)
            self.record_arrival.append(arrival)
            self.record_latency.append(self.env.now - arrival)
            self.record_ok.append(ok)
        self.inflight -= 1
        if self.inflight == 0 and self.drained is not None and not self.drained.triggered:
            self.drained.succeed()

    # Calls ------------------------------------------------------------------------------

    def call(self, component: int, measured: Tally | None) -> Generator[simpy.Event, object, bool]:
        """One call of a component under the strategy's policy; True on success."""
        policy = self.policies[component]
        if measured is not None:
            self.calls[component] += 1
        if policy.static:
            option = self.strategy.static_choose(component, 0, -1)
            ok = option >= 0 and (yield from self.servers[option].attempt(measured)) == OK
            if not ok and measured is not None:
                self.failed_calls[component] += 1
            return ok
        budget = policy.retry_budget
        if budget is not None:
            # Each call earns `budget` retry tokens, up to a burst of ten calls' worth.
            self.retry_tokens[component] = min(
                self.retry_tokens[component] + budget, budget * 10.0 + 1.0
            )
        if policy.hedge_delay is not None:
            ok = yield from self._hedged(component, measured, policy)
            retry = 0
            while not ok and retry < policy.retries and self._may_retry(component, policy):
                retry += 1
                delay = policy.backoff(retry, self.jitter[component]())
                if delay > 0:
                    yield self.env.timeout(delay)
                ok = yield from self._hedged(component, measured, policy)
        else:
            ok = yield from self._attempts(component, measured, policy)
        if not ok and measured is not None:
            self.failed_calls[component] += 1
        return ok

    def _attempts(
        self, component: int, measured: Tally | None, policy: CallPolicy
    ) -> Generator[simpy.Event, object, bool]:
        env = self.env
        strategy = self.strategy
        observes = strategy.observes
        attempt = 0
        previous = -1
        while True:
            option = strategy.choose(component, attempt, previous)
            if option < 0:
                return False
            server = self.servers[option]
            started = env.now
            if policy.timeout is None:
                outcome = yield from server.attempt(measured)
            else:
                process = env.process(server.attempt(measured))
                yield process | env.timeout(policy.timeout)
                if process.triggered:
                    outcome = process.value
                else:
                    outcome = TIMEOUT
                    if measured is not None:
                        self.timeouts[option] += 1
            if observes:
                strategy.observe(option, outcome, env.now - started, env.now)
            if outcome == OK:
                return True
            attempt += 1
            if attempt > policy.retries or not self._may_retry(component, policy):
                return False
            delay = policy.backoff(attempt, self.jitter[component]())
            if delay > 0:
                yield env.timeout(delay)
            previous = option

    def _may_retry(self, component: int, policy: CallPolicy) -> bool:
        """Spend a retry token, if the policy has a retry budget; False when none is left."""
        if policy.retry_budget is None:
            return True
        if self.retry_tokens[component] < 1.0:
            return False
        self.retry_tokens[component] -= 1.0
        return True

    def _hedged(
        self, component: int, measured: Tally | None, policy: CallPolicy
    ) -> Generator[simpy.Event, object, bool]:
        """Send another attempt every `hedge_delay`, or at once after a failure, until one
        succeeds or `max_attempts` have failed; losers still queued leave the queue."""
        env = self.env
        strategy = self.strategy
        running: list[tuple[simpy.Process, Handle, int, float]] = []
        sent = 0
        previous = -1
        while True:
            if sent < policy.max_attempts:
                option = strategy.choose(component, sent, previous)
                if option < 0:
                    sent = policy.max_attempts
                else:
                    handle = Handle()
                    process = env.process(self._timed(option, measured, handle, policy.timeout))
                    running.append((process, handle, option, env.now))
                    previous = option
                    sent += 1
            if not running:
                return False
            waits = [entry[0] for entry in running]
            if sent < policy.max_attempts:
                waits.append(env.timeout(policy.hedge_delay))
            yield env.any_of(waits)
            still = []
            for entry in running:
                process, _, option, started = entry
                if not process.triggered:
                    still.append(entry)
                    continue
                outcome = process.value
                if strategy.observes:
                    strategy.observe(option, outcome, env.now - started, env.now)
                if outcome == OK:
                    for other, handle, _, _ in running:
                        if not other.triggered and handle.waiting:
                            handle.process.interrupt()
                    return True
            running = still

    def _timed(
        self, option: int, measured: Tally | None, handle: Handle, timeout: float | None
    ) -> Generator[simpy.Event, object, int]:
        """One hedged attempt, given up as TIMEOUT after `timeout` (its work goes on)."""
        env = self.env
        handle.process = process = env.process(self.servers[option].attempt(measured, handle))
        if timeout is None:
            return (yield process)
        yield process | env.timeout(timeout)
        if process.triggered:
            return process.value
        if measured is not None:
            self.timeouts[option] += 1
        return TIMEOUT
