"""Options at run time: a FIFO server with capacity, queue limit, rate limit and failures.

An attempt draws one network round trip from the provider's declared law and travels half
of it, is checked against the token bucket and the queue limit, waits for a server, is
served, may fail, and travels the other half back. One draw split in two (rather than two
independent half-draws) is what makes a call with negligible service follow the declared
round-trip distribution exactly, quantiles included, not only its mean.
A provider that is down fails the attempt at once; an outage that begins while the
attempt is in progress fails it when it returns. Abandoned attempts (timed out, lost
hedges) keep their server until they finish: the provider does not know.

The server is a free-server count and a FIFO queue of waiting attempts, not a
`simpy.Resource`: a free server is taken at once, without an event, and a finishing
attempt hands its server straight to the first waiter. Ties at one instant are served in
the order the attempts reached the server.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Generator

import simpy

from conductor.engine.protocol import CANCELLED, ERROR, OK, OUTAGE, REJECTED
from conductor.engine.providers import ProviderState
from conductor.engine.streams import Streams
from conductor.plan import OptionPlan, Plan

PASSED = -1
"""A grant's value when its attempt was cancelled after being handed a server but before
it resumed: the attempt passes the server on."""


class Handle:
    """Where an attempt waits for a server, so a lost hedge can leave the queue."""

    __slots__ = ("grant", "server")

    def __init__(self):
        self.server: OptionServer | None = None
        self.grant: simpy.Event | None = None

    @property
    def waiting(self) -> bool:
        """True while the attempt is queued, or handed a server it has not yet taken."""
        return self.grant is not None and self.grant.callbacks is not None

    def cancel(self) -> None:
        """Leave the queue, if still in it (the attempt ends CANCELLED); an attempt handed a
        server at this very instant, not yet resumed, passes it on."""
        grant = self.grant
        if grant is None or grant.callbacks is None:
            return
        if not grant.triggered:
            self.server.waiting.remove(grant)
            grant.succeed(CANCELLED)
        elif grant._value is None:
            grant._value = PASSED


class Tally:
    """Attempts and per-call spend of one flow's measured requests, per option."""

    __slots__ = ("attempts", "spend")

    def __init__(self, options: int):
        self.attempts = [0] * options
        self.spend = [0.0] * options


class OptionServer:
    """One option during a replication, with its counters over the measured window."""

    __slots__ = (
        "buffer",
        "burst",
        "busy",
        "capacity",
        "env",
        "errors",
        "failure",
        "free",
        "high",
        "index",
        "latencies",
        "low",
        "network",
        "outage_failures",
        "per_call",
        "plan",
        "provider",
        "queue",
        "rate",
        "refilled",
        "rejections",
        "service",
        "stamps",
        "timeout",
        "tokens",
        "uniform",
        "wait",
        "waiting",
        "waits",
    )

    def __init__(
        self,
        env: simpy.Environment,
        plan: OptionPlan,
        provider: ProviderState,
        streams: Streams,
        window: tuple[float, float],
        network_name: str,
    ):
        self.env = env
        self.timeout = env.timeout  # bound once: SimPy binds it anew at every access
        self.plan = plan
        self.index = plan.index
        self.per_call = plan.per_call
        self.provider = provider
        self.capacity = plan.capacity
        self.free = plan.capacity  # servers free now; None when unlimited
        self.waiting: deque[simpy.Event] = deque()  # grants of queued attempts, FIFO
        self.queue = plan.queue
        self.service = streams.draws(f"service/{plan.name}", plan.service)
        self.buffer = self.service.buffer
        network = provider.plan.network
        self.network = (
            streams.draws(f"network/{network_name}", network) if network is not None else None
        )
        self.failure = plan.failure
        self.uniform = streams.uniforms(f"failure/{plan.name}") if plan.failure > 0 else None
        self.rate = plan.rate_limit
        self.burst = plan.burst
        self.tokens = plan.burst
        self.refilled = 0.0
        self.low, self.high = window
        self.errors = 0
        self.rejections = 0
        self.outage_failures = 0
        self.busy = 0.0
        self.wait = 0.0
        self.waits = 0
        self.stamps = array("d")  # when each billed attempt of a measured request was sent
        # How long each successful measured attempt took, kept only when asked (validation
        # reads it; every other run would pay for an append per attempt).
        self.latencies: array | None = None

    def attempt(
        self, measured: Tally | None, handle: Handle | None = None
    ) -> Generator[simpy.Event, object, int]:
        """One attempt at this option; returns its outcome code.

        `measured` is the tally of the request's flow when the request arrived inside the
        measured window, else None.
        """
        env = self.env
        timeout = self.timeout
        provider = self.provider
        sent = env._now  # the clock without a property call: read up to four times here
        if measured is not None:
            # Every attempt sent is billed, even one a provider that is down fails at once.
            index = self.index
            measured.attempts[index] += 1
            if self.per_call:
                measured.spend[index] += self.per_call * provider.price
            self.stamps.append(sent)
            if provider.down:  # an exit leaves the provider down for good
                self.outage_failures += 1
                return OUTAGE
        elif provider.down:
            return OUTAGE
        epoch = provider.epoch
        network = self.network
        if network is not None:
            half_trip = 0.5 * network()
            yield timeout(half_trip * provider.slow)
            now = env._now
        else:
            now = sent
        if self.rate is not None and not self._take_token(now):
            if measured is not None:
                self.rejections += 1
            return REJECTED
        free = self.free
        if free is None:
            start = now
        else:
            if free > 0:
                self.free = free - 1
                arrived = start = now
            else:
                waiting = self.waiting
                if self.queue is not None and len(waiting) >= self.queue:
                    if measured is not None:
                        self.rejections += 1
                    return REJECTED
                arrived = now
                grant = env.event()
                waiting.append(grant)
                if handle is not None:
                    handle.server = self
                    handle.grant = grant
                granted = yield grant
                if granted is not None:  # cancelled while waiting
                    if granted == PASSED:
                        self.release()
                    return CANCELLED
                start = env._now
            if measured is not None:
                self.wait += start - arrived
                self.waits += 1
        buffer = self.buffer
        yield timeout((buffer.pop() if buffer else self.service.refill()) * provider.slow)
        end = env._now
        if free is not None:
            self.release()
        low = start if start > self.low else self.low
        high = end if end < self.high else self.high
        if high > low:
            self.busy += high - low
        failed = self.uniform is not None and self.uniform() < self.failure
        if network is not None:
            yield timeout(half_trip * provider.slow)
        if provider.epoch != epoch:
            if measured is not None:
                self.outage_failures += 1
            return OUTAGE
        if failed:
            if measured is not None:
                self.errors += 1
            return ERROR
        if measured is not None and self.latencies is not None:
            self.latencies.append(env._now - sent)
        return OK

    def release(self) -> None:
        """Hand a server straight to the first waiter, or free it."""
        waiting = self.waiting
        if waiting:
            waiting.popleft().succeed()
        else:
            self.free += 1

    def _take_token(self, now: float) -> bool:
        tokens = self.tokens + (now - self.refilled) * self.rate
        self.refilled = now
        if tokens > self.burst:
            tokens = self.burst
        if tokens >= 1.0:
            self.tokens = tokens - 1.0
            return True
        self.tokens = tokens
        return False


def option_servers(
    env: simpy.Environment,
    plan: Plan,
    providers: list[ProviderState],
    streams: Streams,
    window: tuple[float, float],
    latencies: bool = False,
) -> list[OptionServer]:
    """A server per option of the plan; with `latencies`, each records how long its
    successful measured attempts took."""
    servers = [
        OptionServer(env, o, providers[o.provider], streams, window, o.name) for o in plan.options
    ]
    if latencies:
        for server in servers:
            server.latencies = array("d")
    return servers
