"""Per-call bandits: learn which option is cheapest in total while using them.

Every option among the candidates stays engaged; each call picks one. The cost of an
attempt is its price plus the penalties it causes (`economics`): the failure penalty if
it fails, the late penalty if it succeeds later than the SLO. `ucb` picks the option with
the best optimistic estimate (UCB1, Auer et al. 2002); `thompson` samples each option's
mean cost from a Gaussian posterior and takes the lowest. Theory: regret grows
logarithmically, so the share of calls sent to a worse option shrinks over time.
"""

from __future__ import annotations

import math

from pydantic import Field

from conductor.strategies.base import CANCELLED, OK, Context, Strategy, StrategyParams
from conductor.strategies.economics import component_terms


class BanditParams(StrategyParams):
    """Parameters of the bandits."""

    among: list[str] = Field(
        default_factory=list, description="Candidate providers (default: every option)."
    )
    explore: float = Field(2.0, gt=0, description="Exploration weight.")


class Bandit(Strategy):
    """Shared bookkeeping of the per-call bandits."""

    Params = BanditParams
    observes = True

    def __init__(self, params: BanditParams, plan, name: str = ""):
        super().__init__(params, plan, name)
        self.check_providers(params.among, "among")
        self.terms = component_terms(plan)
        self.arms = [self.ordered(c, p.among) for c, p in enumerate(self.component_params)]
        count = len(plan.options)
        self.pulls = [0] * count
        self.total = [0.0] * count
        self.squares = [0.0] * count
        self.calls = [0] * len(plan.components)
        # Costs are scaled to [0, 1] by the largest a single attempt could cost.
        self.scale = [
            max(
                max((plan.options[o].per_call for o in arms), default=0.0) * 2.0
                + self.terms[c].failure_penalty
                + self.terms[c].penalty,
                1e-12,
            )
            for c, arms in enumerate(self.arms)
        ]

    def start(self, context: Context) -> None:
        super().start(context)
        for component in self.scope:
            context.adopt(component, self.arms[component])

    def choose(self, component: int, attempt: int, previous: int) -> int:
        serving = [o for o in self.arms[component] if self.context.serving(o)]
        if not serving:
            return self.fallback(component)
        self.calls[component] += 1
        for option in serving:
            if self.pulls[option] == 0:
                return option
        return min(serving, key=lambda o: self.index(component, o))

    def primary(self, component: int) -> int:
        return max(self.arms[component], key=lambda o: self.pulls[o])

    def index(self, component: int, option: int) -> float:
        """The score of an option (lower is better)."""
        raise NotImplementedError

    def observe(self, option: int, outcome: int, latency: float, now: float) -> None:
        if outcome == CANCELLED:
            return
        component = self.plan.options[option].component
        terms = self.terms[component]
        cost = self.plan.options[option].per_call * self.context.price(option)
        if outcome != OK:
            cost += terms.failure_penalty
        elif latency > terms.slo:
            cost += terms.penalty
        scaled = cost / self.scale[component]
        self.pulls[option] += 1
        self.total[option] += scaled
        self.squares[option] += scaled * scaled

    def mean(self, option: int) -> float:
        """Mean scaled cost observed for an option."""
        return self.total[option] / self.pulls[option]

    def explain(self, component: int) -> str:
        arms = ", ".join(self.provider_of(o) for o in self.arms[component])
        return f"{type(self).__name__} bandit per call among {arms}, on total cost per attempt"

    def choose_first(self, component: int) -> int:
        return self.arms[component][0]


class UCB(Bandit):
    """UCB1 on the scaled total cost per attempt."""

    def index(self, component: int, option: int) -> float:
        bonus = math.sqrt(
            self.params.explore * math.log(self.calls[component]) / self.pulls[option]
        )
        return self.mean(option) - bonus


class Thompson(Bandit):
    """Thompson sampling with a Gaussian posterior of each option's mean cost."""

    def start(self, context: Context) -> None:
        super().start(context)
        self.normal = context.generator("thompson")

    def index(self, component: int, option: int) -> float:
        pulls = self.pulls[option]
        mean = self.mean(option)
        variance = max(self.squares[option] / pulls - mean * mean, 0.0) + 1.0 / (pulls + 1)
        spread = math.sqrt(self.params.explore * variance / pulls)
        return mean + spread * float(self.normal.standard_normal())
