"""`circuit-breaker`: stop calling an option that keeps failing, fall back meanwhile.

Options are tried in `order`. Each option's breaker is closed until, over its last
`window` attempts, the failure ratio reaches `failure_ratio`; it then opens and calls go
to the next option in order (or fail at once when none is left) for `cool_down`; then it
is half-open and lets `probes` attempts through: all succeed and it closes, one fails and
it opens again. Theory: failing fast removes the retry load that keeps an overloaded
provider overloaded, so a metastable failure can recover (Nygard, "Release It!").
"""

from __future__ import annotations

from collections import deque
from typing import Annotated

from pydantic import Field

from conductor.scenario.units import PositiveDuration, format_duration
from conductor.strategies.base import CANCELLED, OK, Context
from conductor.strategies.ordered import Ordered, OrderedParams

CLOSED, OPEN, HALF_OPEN = range(3)


class BreakerParams(OrderedParams):
    """Parameters of `circuit-breaker`."""

    failure_ratio: Annotated[float, Field(gt=0, le=1)] = Field(
        0.5, description="Failure ratio over the window that opens the breaker."
    )
    window: Annotated[int, Field(ge=1)] = Field(20, description="Attempts in the window.")
    cool_down: PositiveDuration = Field(30.0, description="Time open before probing.")
    probes: Annotated[int, Field(ge=1)] = Field(1, description="Half-open trial attempts.")


class Breaker:
    """The breaker of one option."""

    __slots__ = ("failures", "opened_until", "outcomes", "probes_left", "state")

    def __init__(self, window: int):
        self.state = CLOSED
        self.outcomes: deque[bool] = deque(maxlen=window)
        self.failures = 0
        self.opened_until = 0.0
        self.probes_left = 0


class CircuitBreaker(Ordered):
    """Circuit breakers in front of an ordered list of options."""

    Params = BreakerParams
    observes = True

    def __init__(self, params: BreakerParams, plan, name: str = ""):
        super().__init__(params, plan, name)
        self.trips = 0

    def start(self, context: Context) -> None:
        super().start(context)
        self.settings = {
            option: self.component_params[c] for c in self.scope for option in self.chains[c]
        }
        self.breakers = {option: Breaker(p.window) for option, p in self.settings.items()}

    def choose(self, component: int, attempt: int, previous: int) -> int:
        now = self.context.now
        serving = False
        for option in self.chains[component]:
            if not self.context.serving(option):
                continue
            serving = True
            breaker = self.breakers[option]
            if breaker.state == OPEN and now >= breaker.opened_until:
                breaker.state = HALF_OPEN
                breaker.probes_left = self.settings[option].probes
            if breaker.state == CLOSED:
                return option
            if breaker.state == HALF_OPEN and breaker.probes_left > 0:
                breaker.probes_left -= 1
                return option
        # Every breaker open: fail fast. None of the options serving yet: the status quo.
        return -1 if serving else self.fallback(component)

    def primary(self, component: int) -> int:
        for option in self.chains[component]:
            if self.context.serving(option) and self.breakers[option].state == CLOSED:
                return option
        return self.chains[component][0]

    def observe(self, option: int, outcome: int, latency: float, now: float) -> None:
        if outcome == CANCELLED:
            return
        breaker = self.breakers[option]
        params = self.settings[option]
        failed = outcome != OK
        if breaker.state == HALF_OPEN:
            if failed:
                self._open(breaker, params, now)
            elif breaker.probes_left == 0:
                breaker.state = CLOSED
                breaker.outcomes.clear()
                breaker.failures = 0
            return
        if breaker.state == OPEN:
            return  # an attempt sent before the breaker opened
        if len(breaker.outcomes) == breaker.outcomes.maxlen and breaker.outcomes[0]:
            breaker.failures -= 1
        breaker.outcomes.append(failed)
        breaker.failures += failed
        full = len(breaker.outcomes) == breaker.outcomes.maxlen
        if full and breaker.failures >= params.failure_ratio * params.window:
            self._open(breaker, params, now)

    def _open(self, breaker: Breaker, params: BreakerParams, now: float) -> None:
        breaker.state = OPEN
        breaker.opened_until = now + params.cool_down
        breaker.outcomes.clear()
        breaker.failures = 0
        self.trips += 1

    def explain(self, component: int) -> str:
        params = self.component_params[component]
        chain = self.arrow.join(self.provider_of(o) for o in self.chains[component])
        return (
            f"{chain}, each behind a breaker that opens at {params.failure_ratio:.0%} "
            f"failures of {params.window} attempts for {format_duration(params.cool_down)}, "
            f"then lets {params.probes} probe{'s' if params.probes > 1 else ''} through"
        )
