"""`hedged`: send another attempt when the first is slow; the first success wins.

After `delay` without an answer a hedge goes to the next option in `order` (or to the same
option when it is alone), up to `max_attempts`; a failed attempt is followed at once by
the next. The first success wins; losers still waiting in a queue leave it, those in
service finish unseen. Every attempt sent is billed. `delay` is a duration or a
percentile such as `p95` of the primary option's declared latency (network + service).
Theory (Dean & Barroso, "The Tail at Scale"): with independent attempts the latency is
min(X₁, d + X₂), and the extra load is P(X₁ > d) attempts per call, 5 % at d = p95.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Annotated

import simpy
from pydantic import Field, field_validator

from conductor.engine.protocol import OK, CallPolicy, Calls, Sent
from conductor.scenario.units import format_duration, parse_duration
from conductor.strategies.base import MAX_RETRIES
from conductor.strategies.ordered import Ordered, OrderedParams
from conductor.sums import sum_quantile

_PERCENTILE = re.compile(r"^p([1-9]\d?(?:\.\d+)?)$")


class HedgedParams(OrderedParams):
    """Parameters of `hedged`."""

    delay: float | str = Field(
        "p95",
        description="Hedge after this long: a duration, or pNN (p1 to p99.9) of declared latency.",
    )
    max_attempts: Annotated[int, Field(ge=1, le=MAX_RETRIES + 1)] = Field(
        2, description="Attempts per call."
    )

    @field_validator("delay", mode="before")
    @classmethod
    def _delay(cls, value):
        if isinstance(value, str) and _PERCENTILE.match(value.strip()):
            return value.strip()
        return parse_duration(value)


def declared_quantile(plan, option: int, q: float) -> float:
    """Quantile q of an option's declared latency: network round trip plus service."""
    option_plan = plan.options[option]
    network = plan.providers[option_plan.provider].network
    if network is None:
        return option_plan.service.quantile(q)
    return sum_quantile(option_plan.service, network, q)


@dataclass(frozen=True)
class HedgedCall(CallPolicy):
    """A call that sends another attempt every `hedge_delay` without an answer, or at once
    after a failure, until one succeeds or `max_attempts` have failed; the whole group is
    retried after its backoff."""

    def call(
        self, calls: Calls, component: int, measured: object
    ) -> Generator[simpy.Event, object, bool]:
        patience = self.hedge_delay if self.max_attempts > 1 else None
        retry = 0
        while True:
            option = calls.choose(component, 0, -1)
            if option >= 0:
                # The first attempt runs inline until it answers or the hedge is due: most
                # calls end there, at the price of one timer.
                first = calls.lead(option, measured, self.timeout, patience)
                yield first
                if first.outcome == OK:
                    calls.answered(first)
                    return True
                if (yield from self.hedges(calls, component, measured, first)):
                    return True
            if retry >= self.retries or not calls.may_retry(component):
                return False
            retry += 1
            delay = self.backoff(retry, calls.jitter(component))
            if delay > 0:
                yield calls.env.timeout(delay)

    def hedges(
        self, calls: Calls, component: int, measured: object, first: Sent
    ) -> Generator[simpy.Event, object, bool]:
        """The rest of a group after its first attempt: the next goes out at once when the
        first has failed, else now (the hedge is due); losers still queued leave."""
        most = self.max_attempts
        if first.outcome >= 0:
            calls.answered(first)
            running = []
        else:
            running = [first]
        sent = 1
        previous = first.option
        while True:
            if sent < most:
                option = calls.choose(component, sent, previous)
                if option < 0:
                    sent = most
                else:
                    running.append(calls.send(option, measured, self.timeout))
                    previous = option
                    sent += 1
            if not running:
                return False
            yield calls.first(running, self.hedge_delay if sent < most else None)
            still = []
            for attempt in running:
                if attempt.outcome < 0:
                    still.append(attempt)
                    continue
                calls.answered(attempt)
                if attempt.outcome == OK:
                    for other in running:
                        if other.outcome < 0:
                            other.cancel()
                    return True
            running = still


class Hedged(Ordered):
    """Hedged requests."""

    Params = HedgedParams
    arrow = " ⇉ "

    def call_policy(self, component: int, params: HedgedParams) -> CallPolicy:
        base = super().call_policy(component, params)
        delay = params.delay
        if isinstance(delay, str):
            primary = self.ordered(component, params.order)[0]
            delay = declared_quantile(self.plan, primary, float(delay[1:]) / 100.0)
        return HedgedCall(
            **{**vars(base), "hedge_delay": delay, "max_attempts": params.max_attempts}
        )

    def choose(self, component: int, attempt: int, previous: int) -> int:
        chain = self.chains[component]
        size = len(chain)
        serving = self.context.serving
        for step in range(attempt, attempt + size):
            option = chain[step % size]
            if serving(option):
                return option
        return self.fallback(component)

    def explain(self, component: int) -> str:
        policy = self.policies[component]
        chain = self.chains[component]
        target = "the same option" if len(chain) == 1 else "the next in order"
        return (
            f"{self.provider_of(chain[0])} first, hedged to {target} "
            f"({self.arrow.join(self.provider_of(o) for o in chain)}) every "
            f"{format_duration(policy.hedge_delay)} without an answer, up to "
            f"{policy.max_attempts} attempts"
        )
