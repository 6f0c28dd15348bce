"""The engine's protocol with strategies: attempt outcomes, what a strategy sees, and calls.

The engine owns time, servers and records; a strategy owns choices. They meet here:

- `Outcome`: how an attempt ended (small ints, so the hot path compares integers);
- `Context`: what a strategy may read and do to its portfolio (reviews, start);
- `Calls`: what a call policy may do during one call (choose, attempt, send, wait);
- `CallPolicy`: how one call of a component runs, as a generator. The default is the
  attempt/retry loop (timeout, retries, backoff, retry budget); a policy with another
  mechanism (hedging) subclasses it and overrides `call`;
- `Policy`: what the engine needs from a strategy.

Nothing here knows a scenario or a registered policy; strategies import this module,
never the other way round.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import numpy as np
import simpy


class Outcome(IntEnum):
    """How an attempt ended."""

    OK = 0
    ERROR = 1
    REJECTED = 2
    OUTAGE = 3
    TIMEOUT = 4
    CANCELLED = 5


OK, ERROR, REJECTED, OUTAGE, TIMEOUT, CANCELLED = (int(o) for o in Outcome)
OUTCOMES = tuple(o.name.lower() for o in Outcome)

MAX_DELAY = 1e10
"""The longest delay worth waiting, in seconds: the longest duration a scenario accepts."""


class Context(Protocol):
    """What the engine offers a strategy: its portfolio, read and changed through methods."""

    @property
    def now(self) -> float:
        """The simulation clock."""

    # Read-only views, kept current by the portfolio (a strategy changes them only through
    # the methods below).
    current: Sequence[int]  # per component: the option a single-sourcing policy routes to
    pending: Sequence[int]  # per component: the option a migration is heading for, or -1

    def migrate(self, component: int, option: int) -> None:
        """Make an option the component's current one (switch-in, lead time, min_term)."""

    def adopt(self, component: int, options: tuple[int, ...]) -> None:
        """Engage several options for a component, retiring a status quo outside them."""

    def engage(self, option: int) -> None:
        """Engage an option (paying its switch-in unless it is part of the free start)."""

    def disengage(self, option: int) -> bool:
        """Disengage an option; False while its `min_term` forbids it."""

    def serving(self, option: int) -> bool:
        """True when an option is engaged and its lead time has passed."""

    def engaged(self, option: int) -> bool:
        """True when an option is engaged (it may still be in its lead time)."""

    def generator(self, name: str) -> np.random.Generator:
        """A random stream of the strategy's own, named."""

    def uniforms(self, name: str) -> Callable[[], float]:
        """Uniform [0, 1) variates from a named stream of the strategy's own."""

    def price(self, option: int) -> float:
        """The current price factor of an option's provider (1 until a price event)."""


class Sent(Protocol):
    """An attempt under way without its caller waiting on it (a timed or hedged one)."""

    option: int
    sent: float  # when it was sent
    outcome: int  # -1 until it has answered (or its timeout has)

    def cancel(self) -> None:
        """Take the attempt out of a queue it is still waiting in (it ends CANCELLED)."""


class Calls(Protocol):
    """What the engine offers a call policy while one call of a component runs."""

    env: simpy.Environment

    def choose(self, component: int, attempt: int, previous: int) -> int:
        """The strategy's option for this attempt, or -1 when none can serve."""

    def attempt(
        self, option: int, measured: object, timeout: float | None
    ) -> Generator[simpy.Event, object, int]:
        """Make one attempt and wait for its outcome (TIMEOUT after `timeout`); the
        strategy observes it when it asks to."""

    def lead(
        self, option: int, measured: object, timeout: float | None, patience: float | None
    ) -> Sent:
        """An attempt to yield: the call waits until it answers or `patience` passes (then
        it goes on unanswered, its timeout still armed). The attempt, not the call, wakes
        on each of its events."""

    def send(self, option: int, measured: object, timeout: float | None) -> Sent:
        """Start an attempt and return at once; `first` waits for it."""

    def first(self, sent: list[Sent], delay: float | None) -> simpy.Event:
        """An event that fires when any of `sent` answers, or after `delay`."""

    def answered(self, attempt: Sent) -> None:
        """Tell the strategy an attempt's outcome (when it observes)."""

    def may_retry(self, component: int) -> bool:
        """Spend a retry token when the component's policy has a retry budget."""

    def jitter(self, component: int) -> float:
        """A uniform [0, 1) variate for the component's backoff jitter."""


@dataclass(frozen=True)
class CallPolicy:
    """How one call of a component runs: attempts, timeouts, retries with backoff.

    `hedge_delay` and `max_attempts` describe a hedging policy's mechanism for readers
    (the analytic estimate, descriptions); the mechanism itself is that policy's `call`.
    """

    timeout: float | None = None
    retries: int = 0
    backoff_base: float = 0.0
    backoff_multiplier: float = 2.0
    backoff_max: float = float("inf")
    jitter: bool = False
    retry_budget: float | None = None
    hedge_delay: float | None = None
    max_attempts: int = 1
    static: bool = False  # outside the policy's scope: one attempt at the current option

    @property
    def simple(self) -> bool:
        """True when a call is exactly one attempt with no timer: the engine's fast path."""
        return self.static or (
            type(self).call is CallPolicy.call
            and self.timeout is None
            and self.retries == 0
            and self.hedge_delay is None
        )

    def backoff(self, retry: int, uniform: float) -> float:
        """Delay before retry number `retry` (1-based); `uniform` in [0, 1) for jitter."""
        delay = backoff_delay(self.backoff_base, self.backoff_multiplier, self.backoff_max, retry)
        return delay * uniform if self.jitter else delay

    def call(
        self, calls: Calls, component: int, measured: object
    ) -> Generator[simpy.Event, object, bool]:
        """Attempts one after another until one succeeds, the retries run out or the
        retry budget is spent; the backoff runs between them. True on success."""
        env = calls.env
        attempt = 0
        previous = -1
        while True:
            option = calls.choose(component, attempt, previous)
            if option < 0:
                return False
            if (yield from calls.attempt(option, measured, self.timeout)) == OK:
                return True
            attempt += 1
            if attempt > self.retries or not calls.may_retry(component):
                return False
            delay = self.backoff(attempt, calls.jitter(component))
            if delay > 0:
                yield env.timeout(delay)
            previous = option


def backoff_delay(base: float, multiplier: float, cap: float, retry: int) -> float:
    """base × multiplier^(retry-1), at most cap, computed in log space so that no
    multiplier and no retry count overflows."""
    if base <= 0 or cap <= 0:
        return 0.0
    # Past the longest duration a scenario may declare, a delay only means "never within
    # any horizon": no need for more.
    cap = min(cap, MAX_DELAY)
    log_delay = math.log(base) + (retry - 1) * math.log(max(multiplier, 1.0))
    return cap if log_delay >= math.log(cap) else math.exp(log_delay)


class Policy(Protocol):
    """What the engine needs from a strategy."""

    name: str
    policies: tuple[CallPolicy, ...]  # per component
    observes: bool
    review_interval: float | None

    def start(self, context: Context) -> None:
        """Engage the starting portfolio."""

    def choose(self, component: int, attempt: int, previous: int) -> int:
        """The option for this attempt of a call in the policy's scope, or -1."""

    def static_choose(self, component: int, attempt: int, previous: int) -> int:
        """The option of a call outside the policy's scope, or -1."""

    def observe(self, option: int, outcome: int, latency: float, now: float) -> None:
        """Learn from one attempt's outcome (called only when `observes`)."""

    def primary(self, component: int) -> int:
        """The option that mainly serves a component now (where its changes land)."""

    def review(self, context: Context) -> None:
        """Revisit the portfolio (every `review_interval` seconds)."""
