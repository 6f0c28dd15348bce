"""`adaptive`: the conductor, which re-sources a component when the switch pays for itself.

It starts from the option with the lowest expected total cost per hour on the declared
figures (see `economics`), leaving a `status_quo` only when that move pays back by the
rule below. Every `review` it re-estimates each option's cost per hour from what it
observed (calls, failures, lateness, current prices), blending each period into the
earlier estimate with weight `smoothing`, and keeps the declared figures for options it
has not observed. It switches a component
to a cheaper option when the saving over `payback` exceeds the switch-in cost by more
than `hysteresis` (saving × payback > (1 + h) × switch cost) and the saving is more
than h of the current cost, so noise does not make it flap. The new option serves after
its lead time; the old one is released when its `min_term` allows.
Theory: a switch is worth making when its cost is recovered within the payback horizon.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from conductor.scenario.units import PositiveDuration, format_duration
from conductor.strategies.base import CANCELLED, OK, Context, StrategyParams
from conductor.strategies.economics import (
    component_terms,
    declared_risk,
    hourly_cost,
    nominal_calls_per_hour,
)
from conductor.strategies.single import SingleSourcing

MIN_OBSERVED = 30  # attempts before an option's observed figures replace its declared ones


class AdaptiveParams(StrategyParams):
    """Parameters of `adaptive`."""

    review: PositiveDuration = Field(86400.0, description="Time between portfolio reviews.")
    hysteresis: Annotated[float, Field(ge=0)] = Field(
        0.1, description="Margin a switch must clear, relative to its cost."
    )
    payback: PositiveDuration = Field(
        90 * 86400.0, description="Horizon over which a switch must pay for itself."
    )
    among: list[str] = Field(
        default_factory=list, description="Candidate providers (default: every option)."
    )
    smoothing: Annotated[float, Field(gt=0, le=1)] = Field(
        0.5,
        description="Weight of the latest review period in the observed estimates "
        "(1: only the latest period; lower: a longer memory, fewer knee-jerk switches).",
    )


class Adaptive(SingleSourcing):
    """Reviews each component's sourcing and switches when it pays."""

    Params = AdaptiveParams
    observes = True

    def __init__(self, params: AdaptiveParams, plan, name: str = ""):
        self.terms = component_terms(plan)
        self.nominal = nominal_calls_per_hour(plan)
        count = len(plan.options)
        # Last observed (fail, late) per option; None until observed.
        self.observed: list[tuple[float, float] | None] = [None] * count
        super().__init__(params, plan, name)
        self.check_providers(params.among, "among")
        self.review_interval = params.review
        self.attempts = [0] * count
        self.failures = [0] * count
        self.late = [0] * count
        self.decisions: list[tuple[float, str, str, str]] = []

    def candidates(self, component: int) -> tuple[int, ...]:
        """Options the conductor may choose for a component."""
        return self.ordered(component, self.params.among)

    def pick(self, component) -> int:
        calls = self.nominal[component.index]
        costs = {o: self.cost(o, calls, 1.0) for o in self.candidates(component.index)}
        best = min(costs, key=costs.get)
        current = self.plan.status_quo.get(component.index)
        if current is None or current == best:
            return best
        # Brownfield: leave the status quo only when the move pays back its switch-in.
        staying = self.cost(current, calls, 1.0)
        switch_cost = self.plan.options[best].switch_cost
        return best if self.pays(staying, costs[best], switch_cost) else current

    def pays(self, current: float, candidate: float, switch_cost: float) -> bool:
        """True when moving from a cost per hour to a lower one repays the switch in time."""
        saving = current - candidate
        hysteresis = self.params.hysteresis
        payback_hours = self.params.payback / 3600.0
        return saving * payback_hours > (1 + hysteresis) * switch_cost and (
            saving > hysteresis * current
        )

    def cost(self, option: int, calls_per_hour: float, price: float) -> float:
        """Estimated total cost per hour of an option taking all of its component's calls."""
        component = self.plan.options[option].component
        terms = self.terms[component]
        fail, late = self.observed[option] or declared_risk(self.plan, option, terms)
        return hourly_cost(self.plan, option, calls_per_hour, fail, late, terms, price)

    def observe(self, option: int, outcome: int, latency: float, now: float) -> None:
        if outcome == CANCELLED:
            return
        self.attempts[option] += 1
        if outcome != OK:
            self.failures[option] += 1
        elif latency > self.terms[self.plan.options[option].component].slo:
            self.late[option] += 1

    def review(self, context: Context) -> None:
        weight = self.params.smoothing
        for option, attempts in enumerate(self.attempts):
            if attempts >= MIN_OBSERVED:
                fail = self.failures[option] / attempts
                late = self.late[option] / max(attempts - self.failures[option], 1)
                before = self.observed[option]
                if before is not None:
                    fail = weight * fail + (1 - weight) * before[0]
                    late = weight * late + (1 - weight) * before[1]
                self.observed[option] = (fail, late)
        hours = self.review_interval / 3600.0
        for index in self.scope:
            component = self.plan.components[index]
            current = context.current[index]
            if current < 0 or context.pending[index] >= 0:
                continue  # nothing to compare with, or a migration is under way
            observed_calls = sum(self.attempts[o] for o in component.options) / hours
            calls = observed_calls if observed_calls > 0 else self.nominal[index]
            costs = {o: self.cost(o, calls, context.price(o)) for o in self.candidates(index)}
            best = min(costs, key=costs.get)
            switch_cost = 0.0 if context.engaged(best) else self.plan.options[best].switch_cost
            staying = self.cost(current, calls, context.price(current))
            if best != current and self.pays(staying, costs[best], switch_cost):
                context.migrate(index, best)
                self.decisions.append(
                    (context.now, component.name, self.provider_of(current), self.provider_of(best))
                )
        self.attempts = [0] * len(self.attempts)
        self.failures = [0] * len(self.failures)
        self.late = [0] * len(self.late)

    def explain(self, component: int) -> str:
        params = self.params
        among = ", ".join(self.provider_of(o) for o in self.candidates(component))
        return (
            f"{self.provider_of(self.route[component])} at the start; reviewed every "
            f"{format_duration(params.review)} among {among}, switching when the saving repays "
            f"the switch-in within {format_duration(params.payback)} by more than "
            f"{params.hysteresis:.0%}"
        )
