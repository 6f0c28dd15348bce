"""`cheapest`: per component, the option with the lowest expected cost per hour.

Cost per hour at nominal load = calls per hour × per-call price + the option's per-hour
price + its provider's relationship cost, from the declared figures (`conductor check`
shows them). Options that would be overloaded (utilisation ≥ 100 %) are passed over
unless every option would be. Theory: minimises IT spend, blind to latency and penalties.
"""

from __future__ import annotations

from conductor.nominal import component_rates, estimate
from conductor.plan import ComponentPlan
from conductor.strategies.single import SingleSourcing


class Cheapest(SingleSourcing):
    """The lowest declared cost per hour, per component."""

    def pick(self, component: ComponentPlan) -> int:
        rate = component_rates(self.plan)[component.index]
        guesses = [estimate(self.plan, self.plan.options[o], rate) for o in component.options]
        stable = [g for g in guesses if g.stable] or guesses
        return min(stable, key=lambda g: g.cost_per_hour).option.index
