"""The portfolio: which options a strategy has engaged, and what engagement costs.

Engaged options accrue their `per_hour` price, and each provider with at least one
engaged option accrues its relationship `per_hour`, for the time inside the measured
window. Engaging an option outside the free starting portfolio pays its switch-in cost
once and makes it serve only after its lead time; `min_term` forbids disengaging early.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from conductor.engine.providers import ProviderState
from conductor.engine.streams import Streams
from conductor.metrics.costs import fixed_rates
from conductor.plan import Plan


class Portfolio:
    """The engaged options of one strategy in one replication; the strategy's Context."""

    def __init__(
        self,
        env: simpy.Environment,
        plan: Plan,
        providers: list[ProviderState],
        streams: Streams,
        window: tuple[float, float],
        strategy_name: str,
    ):
        self.env = env
        self.plan = plan
        self.providers = providers
        self.streams = streams
        self.low, self.high = window
        self.strategy_name = strategy_name
        count = len(plan.options)
        self.engaged_at = [float("nan")] * count
        self.ready_at = [float("inf")] * count
        self.is_engaged = [False] * count
        self.current = [-1] * len(plan.components)
        self.pending = [-1] * len(plan.components)  # option being switched to, if any
        self.starting = True
        self.accrued_to = 0.0
        self.fixed_by_option = np.zeros(count)
        self.fixed_by_provider = np.zeros(len(plan.providers))
        self.switching_by_option = np.zeros(count)
        self.switches = 0
        self.history: list[tuple[float, int, bool]] = []

    @property
    def now(self) -> float:
        """The simulation clock."""
        return self.env.now

    # The Context protocol -------------------------------------------------------------

    def engage(self, option: int) -> None:
        """Engage an option; outside the free start it pays switch-in and waits lead time."""
        if self.is_engaged[option]:
            return
        self.accrue(self.now)
        plan = self.plan.options[option]
        self.is_engaged[option] = True
        self.engaged_at[option] = self.now
        # Greenfield: the starting portfolio is free, unless the scenario names a status
        # quo for this component, in which case anything else is a migration.
        free = self.starting and plan.component not in self.plan.status_quo
        if free:
            self.ready_at[option] = self.now
        else:
            self.ready_at[option] = self.now + plan.lead_time
            self.switches += 1
            self.switching_by_option[option] += plan.switch_cost
        self.history.append((self.now, option, True))

    def disengage(self, option: int) -> bool:
        """Disengage an option unless its minimum term has not yet run out."""
        if not self.is_engaged[option]:
            return True
        if self.now < self.engaged_at[option] + self.plan.options[option].min_term:
            return False
        self.accrue(self.now)
        self.is_engaged[option] = False
        self.ready_at[option] = float("inf")
        self.history.append((self.now, option, False))
        return True

    def migrate(self, component: int, option: int) -> None:
        """Make `option` the component's current option: engage it, keep the old one serving
        through the lead time, then disengage the old one as soon as its min_term allows."""
        old = self.current[component]
        superseded = self.pending[component]
        if superseded == option or (old == option and superseded < 0):
            return
        if superseded >= 0:
            # A migration still in its lead time gives way: it never served, so it is
            # released (as its min_term allows) rather than taking over later.
            self.pending[component] = -1
            if not self.disengage(superseded):
                self.env.process(self._release_after_term(component, superseded))
            if old == option:
                return
        self.engage(option)
        if self.serving(option):
            self._hand_over(component, old, option)
        else:
            self.pending[component] = option
            self.env.process(self._after_lead_time(component, old, option))

    def adopt(self, component: int, options: tuple[int, ...]) -> None:
        """Engage several options for a component (multi-sourcing). A current option
        outside them (the status quo) keeps serving until the first of them is ready,
        then is released as soon as its min_term allows."""
        old = self.current[component]
        for option in options:
            self.engage(option)
        if old < 0 or old in options:
            self.current[component] = old if old >= 0 else options[0]
            return
        ready = min(self.ready_at[o] for o in options)
        first = next(o for o in options if self.ready_at[o] == ready)
        if ready <= self.now:
            self._hand_over(component, old, first)
        else:
            self.pending[component] = first
            self.env.process(self._after_lead_time(component, old, first))

    def _after_lead_time(self, component: int, old: int, new: int):
        yield self.env.timeout(self.ready_at[new] - self.now)
        if self.is_engaged[new] and self.pending[component] == new:
            self._hand_over(component, old, new)

    def _hand_over(self, component: int, old: int, new: int) -> None:
        self.current[component] = new
        self.pending[component] = -1
        if old >= 0 and old != new and not self.disengage(old):
            self.env.process(self._release_after_term(component, old))

    def _release_after_term(self, component: int, option: int):
        yield self.env.timeout(
            self.engaged_at[option] + self.plan.options[option].min_term - self.now
        )
        if self.current[component] != option:
            self.disengage(option)

    def serving(self, option: int) -> bool:
        """True when an option is engaged and past its lead time."""
        return self.ready_at[option] <= self.env._now  # read on every call: no property

    def engaged(self, option: int) -> bool:
        """True when an option is engaged."""
        return self.is_engaged[option]

    def generator(self, name: str) -> np.random.Generator:
        """A random stream of the strategy's own."""
        return self.streams.generator(f"strategy/{self.strategy_name}/{name}")

    def uniforms(self, name: str) -> Callable[[], float]:
        """Block-drawn uniforms from a stream of the strategy's own."""
        return self.streams.uniforms(f"strategy/{self.strategy_name}/{name}")

    def price(self, option: int) -> float:
        """The current price factor of an option's provider."""
        return self.providers[self.plan.options[option].provider].price

    # Costs ------------------------------------------------------------------------------

    def start(self) -> None:
        """Engage the status quo, free, before the strategy builds its starting portfolio."""
        for component, option in self.plan.status_quo.items():
            self.is_engaged[option] = True
            self.engaged_at[option] = self.now
            self.ready_at[option] = self.now
            self.current[component] = option
            self.history.append((self.now, option, True))

    def started(self) -> None:
        """End of the free start: later engagements are switches."""
        self.starting = False

    def accrue(self, now: float) -> None:
        """Add the fixed costs of engagement from the last accrual to `now`."""
        start = max(self.accrued_to, self.low)
        end = min(now, self.high)
        self.accrued_to = max(self.accrued_to, now)
        if end <= start:
            return
        hours = (end - start) / 3600.0
        factors = [state.price for state in self.providers]
        options, providers = fixed_rates(self.plan, self.is_engaged, factors)
        for index, rate in options:
            self.fixed_by_option[index] += rate * hours
        for index, rate in providers:
            self.fixed_by_provider[index] += rate * hours
