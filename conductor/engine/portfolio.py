"""The portfolio: which options a strategy has engaged, and what engagement costs.

Engaged options accrue their `per_hour` price, and each provider with at least one
engaged option accrues its relationship `per_hour`, for the time inside the measured
window. Engaging an option outside the free starting portfolio pays its switch-in cost
once and makes it serve only after its lead time; `min_term` forbids disengaging early.
"""

from __future__ import annotations

import numpy as np
import simpy

from conductor.engine.providers import ProviderState
from conductor.engine.streams import Streams
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
        self.free = set(plan.status_quo.values())
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
        free = self.starting and (not self.plan.status_quo or option in self.free)
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

    def serving(self, option: int) -> bool:
        """True when an option is engaged and past its lead time."""
        return self.ready_at[option] <= self.now

    def engaged(self, option: int) -> bool:
        """True when an option is engaged."""
        return self.is_engaged[option]

    def generator(self, name: str) -> np.random.Generator:
        """A random stream of the strategy's own."""
        return self.streams.generator(f"strategy/{self.strategy_name}/{name}")

    # Costs ------------------------------------------------------------------------------

    def start(self) -> None:
        """Engage the status quo, free, before the strategy builds its starting portfolio."""
        for option in self.plan.status_quo.values():
            self.engage(option)

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
        options = self.plan.options
        providers_engaged = set()
        for index, engaged in enumerate(self.is_engaged):
            if engaged:
                option = options[index]
                price = self.providers[option.provider].price
                self.fixed_by_option[index] += option.per_hour * price * hours
                providers_engaged.add(option.provider)
        for index in providers_engaged:
            state = self.providers[index]
            self.fixed_by_provider[index] += state.plan.per_hour * state.price * hours
