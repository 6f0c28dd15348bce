"""Executing requests: the steps of a flow's DAG, and the calls each step makes.

A request starts every step without predecessors at arrival; a step starts when all its
predecessors are done (AND-join). A skipped step (`probability`) counts as done. A step
whose calls fail after the strategy's retries fails the whole request at that instant
and no further step starts; attempts already under way finish unseen. An `optional`
step's failure is ignored. A flow whose DAG is a plain chain runs as one `Run` (a process
without a process's start and end events); a DAG runs one per branch in flight.

A call is one or more attempts: the strategy chooses the option of each, and the call's
policy (`protocol.CallPolicy.call`, a generator) runs them through the `Calls` this
executor offers: an attempt waited on, or sent and raced against a timer. A timed attempt
needs no process of its own: its generator is stepped by the callbacks of the events it
waits on, and one timer event decides the race.
"""

from __future__ import annotations

from array import array
from collections.abc import Generator

import simpy
from simpy.events import Timeout

from conductor.engine.options import Handle, OptionServer, Tally
from conductor.engine.protocol import OK, TIMEOUT, Policy
from conductor.engine.runs import LEAD, Run, at, wake
from conductor.engine.streams import Streams
from conductor.plan import FlowPlan, Plan


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
        strategy: Policy,
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
        self.choose = strategy.choose
        self.observes = strategy.observes
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
        self.jitters = [streams.uniforms(f"jitter/{c.name}") for c in plan.components]
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

    def request(self, flow: FlowPlan, waited: bool = False) -> simpy.Event | None:
        """Start one request of a flow now; when `waited`, return an event that fires when
        it ends (None when a surge below 1 drops it)."""
        admit = self.admit[flow.index]
        if admit < 1.0 and self.thinning[flow.index]() >= admit:
            return None
        self.inflight += 1
        done = self.env.event() if waited else None
        Run(self.env, self._chain(flow) if flow.chain else self._dag(flow), done)
        return done

    def _chain(self, flow: FlowPlan) -> Generator[simpy.Event, object, None]:
        env = self.env
        arrival = env._now
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
                if measured is not None:
                    calls[component] += 1
                if simple:
                    option = choose(component, 0, -1)
                    done = option >= 0 and (yield from servers[option].attempt(measured)) == OK
                else:
                    done = yield from self.call(component, measured)
                if not done:
                    if measured is not None:
                        self.failed_calls[component] += 1
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
            Run(env, self._branch(flow, state, root, measured))
        yield state.done
        self.finish(flow, arrival, not state.failed, measured is not None)

    def _branch(
        self, flow: FlowPlan, state: RequestState, index: int, measured: Tally | None
    ) -> Generator[simpy.Event, object, None]:
        """Run a step, then carry on inline with the first successor it makes ready."""
        steps = flow.steps
        chain = self.chains[flow.index]
        servers = self.servers
        calls = self.calls
        while True:
            step = steps[index]
            component, repeat, branch, probability, optional, simple, choose = chain[index]
            done = True
            if branch is None or branch() < probability:
                for _ in repeat:
                    if measured is not None:
                        calls[component] += 1
                    if simple:
                        option = choose(component, 0, -1)
                        done = option >= 0 and (yield from servers[option].attempt(measured)) == OK
                    else:
                        done = yield from self.call(component, measured)
                    if not done:
                        if measured is not None:
                            self.failed_calls[component] += 1
                        break
            if state.failed:
                return
            if not done and not optional:
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
                        Run(self.env, self._branch(flow, state, successor, measured))
            if following < 0:
                return
            index = following

    def finish(self, flow: FlowPlan, arrival: float, ok: bool, measured: bool) -> None:
        """Record a finished request and signal the drain when it was the last."""
        if measured:
            self.record_flow.append(flow.index)
            self.record_arrival.append(arrival)
            self.record_latency.append(self.env._now - arrival)
            self.record_ok.append(ok)
        self.inflight -= 1
        if self.inflight == 0 and self.drained is not None and not self.drained.triggered:
            self.drained.succeed()

    # Calls ------------------------------------------------------------------------------

    def call(self, component: int, measured: Tally | None) -> Generator[simpy.Event, object, bool]:
        """One call of a component in the strategy's scope, under its call policy (the
        steps count calls and failures; a call outside the scope is a simple one)."""
        policy = self.policies[component]
        budget = policy.retry_budget
        if budget is not None:
            # Each call earns `budget` retry tokens, up to a burst of ten calls' worth.
            self.retry_tokens[component] = min(
                self.retry_tokens[component] + budget, budget * 10.0 + 1.0
            )
        return policy.call(self, component, measured)

    # The Calls protocol: what a call policy may do -------------------------------------

    def attempt(
        self, option: int, measured: Tally | None, timeout: float | None
    ) -> Generator[simpy.Event, object, int]:
        """One attempt, waited on (TIMEOUT after `timeout`), observed when asked."""
        if timeout is None:
            env = self.env
            started = env.now
            outcome = yield from self.servers[option].attempt(measured)
            if self.observes:
                self.strategy.observe(option, outcome, env.now - started, env.now)
            return outcome
        sent = self.lead(option, measured, timeout, None)
        yield sent
        self.answered(sent)
        return sent.outcome

    def lead(
        self, option: int, measured: Tally | None, timeout: float | None, patience: float | None
    ) -> Sent:
        """An attempt for the calling run to yield: the run waits until it answers, its
        `timeout` passes (it answers TIMEOUT) or `patience` passes (it goes on alone,
        still unanswered, with its timeout armed). One timer, no process of its own."""
        now = self.env._now
        if patience is not None and (timeout is None or patience < timeout):
            return Sent(self, option, measured, now + patience, timeout)
        return Sent(self, option, measured, None if timeout is None else now + timeout, timeout)

    def send(self, option: int, measured: Tally | None, timeout: float | None) -> Sent:
        """Start an attempt without waiting for it; it answers TIMEOUT after `timeout`."""
        deadline = None if timeout is None else self.env._now + timeout
        sent = Sent(self, option, measured, deadline, timeout)
        sent.step(None)
        return sent

    def first(self, sent: list[Sent], delay: float | None) -> simpy.Event:
        """An event that fires when any of `sent` answers, or after `delay`."""
        event = self.env.event()
        for attempt in sent:
            if attempt.outcome >= 0:
                event.succeed()
                return event
            attempt.waiter = event
        if delay is not None:
            self.env.timeout(delay).callbacks.append(lambda _, event=event: wake(event))
        return event

    def answered(self, attempt: Sent) -> None:
        """Tell the strategy an attempt's outcome, when it observes."""
        if self.observes:
            now = self.env.now
            self.strategy.observe(attempt.option, attempt.outcome, now - attempt.sent, now)

    def may_retry(self, component: int) -> bool:
        """Spend a retry token, if the policy has a retry budget; False when none is left."""
        if self.policies[component].retry_budget is None:
            return True
        if self.retry_tokens[component] < 1.0:
            return False
        self.retry_tokens[component] -= 1.0
        return True

    def jitter(self, component: int) -> float:
        """A uniform variate for the component's backoff jitter."""
        return self.jitters[component]()


class Sent(Handle):
    """An attempt stepped by its events' callbacks: no process of its own, so a caller can
    race it against one timer and walk away from it (its work goes on)."""

    __slots__ = (
        "deadline",
        "env",
        "executor",
        "generator",
        "measured",
        "option",
        "outcome",
        "run",
        "sent",
        "timeout",
        "waiter",
    )

    callbacks = None  # to a run that yields it, an attempt to lead rather than an event
    _value = LEAD

    def __init__(
        self,
        executor: Executor,
        option: int,
        measured: Tally | None,
        deadline: float | None,
        timeout: float | None,
    ):
        env = executor.env
        self.executor = executor
        self.env = env
        self.option = option
        self.measured = measured
        self.sent = env._now
        self.outcome = -1
        self.waiter: simpy.Event | None = None
        self.run: Run | None = None  # the run waiting for it while it is led
        # When its timer must go off (its patience or its timeout), until the timer is set;
        # None once set, or when it needs none.
        self.deadline = deadline
        self.timeout = timeout
        self.grant = None
        self.generator = executor.servers[option].attempt(measured, self)

    def lead(self, run: Run) -> bool:
        """Start the attempt for `run`: True when it waits (the run resumes when it answers
        or its deadline passes), False when it answered at once."""
        self.step(None)
        if self.generator is None:
            return False
        self.run = run
        return True

    def step(self, event: simpy.Event | None) -> None:
        """Resume the attempt with an event's value until it waits again or ends."""
        value = None if event is None else event._value
        generator = self.generator
        try:
            while True:
                target = generator.send(value)
                if target.callbacks is not None:
                    target.callbacks.append(self.step)
                    # Only an event that may fire at or after the deadline needs the
                    # timer: most led attempts answer well before it and never set one.
                    deadline = self.deadline
                    if deadline is not None and (
                        type(target) is not Timeout or self.env._now + target._delay >= deadline
                    ):
                        self.deadline = None
                        at(self.env, deadline, self.detach)
                    return
                value = target._value
        except StopIteration as stop:
            self.generator = None
            if self.outcome < 0:
                self.answer(stop.value)
            run = self.run
            if run is not None:
                self.run = None
                run._resume(None)

    def detach(self, timer: simpy.Event) -> None:
        """The deadline passed. Led, the run resumes now and the attempt goes on alone,
        answering TIMEOUT now when the deadline was its timeout; alone, it times out."""
        run = self.run
        if run is None:
            self.expire(timer)
            return
        self.run = None
        timeout = self.timeout
        if timeout is not None:
            if self.sent + timeout <= self.env._now:
                self.expire(timer)
            else:
                at(self.env, self.sent + timeout, self.expire)
        run._resume(None)

    def expire(self, _: simpy.Event | None) -> None:
        """The timer ran out before the attempt answered: it is a TIMEOUT."""
        if self.outcome < 0:
            if self.measured is not None:
                self.executor.timeouts[self.option] += 1
            self.answer(TIMEOUT)

    def answer(self, outcome: int) -> None:
        """Record the outcome and wake whoever waits for this attempt."""
        self.outcome = outcome
        waiter = self.waiter
        if waiter is not None and not waiter.triggered:
            waiter.succeed()
