"""`fastest`: per component, the option with the lowest expected latency at nominal load.

Expected latency = mean network round trip + mean queueing wait + mean service, the wait
from Erlang C scaled by (1 + cs²)/2 (Allen–Cunneen), all from the declared figures.
Theory: minimises mean latency per component, whatever it costs.
"""

from __future__ import annotations

from conductor.nominal import component_rates, estimate
from conductor.plan import ComponentPlan
from conductor.strategies.single import SingleSourcing


class Fastest(SingleSourcing):
    """The lowest declared latency at nominal load, per component."""

    def pick(self, component: ComponentPlan) -> int:
        rate = component_rates(self.plan)[component.index]
        guesses = [estimate(self.plan, self.plan.options[o], rate) for o in component.options]
        return min(guesses, key=lambda g: g.latency).option.index
