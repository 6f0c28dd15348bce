"""`weighted`: multi-sourcing, splitting each component's calls by provider weights.

`weights: {provider or internal/external: w}`; each call (and each retry) draws an option
with probability proportional to its weight among the engaged options that are serving.
Every weighted option stays engaged, so each carries its fixed costs. Theory: each option
sees a thinned Poisson stream of rate w·λ/Σw, so its queue is that of its own share.
"""

from __future__ import annotations

from itertools import accumulate
from typing import Annotated

from pydantic import Field

from conductor.errors import ScenarioError
from conductor.strategies.base import Context, Strategy, StrategyParams


class WeightedParams(StrategyParams):
    """Parameters of `weighted`."""

    weights: dict[str, Annotated[float, Field(ge=0)]] = Field(
        description="Provider (or internal / external) -> relative share of calls."
    )


class Weighted(Strategy):
    """Splits traffic across options by weight."""

    Params = WeightedParams

    def __init__(self, params: WeightedParams, plan, name: str = ""):
        super().__init__(params, plan, name)
        self.check_providers(params.weights, "weights")
        self.split: list[tuple[tuple[int, ...], tuple[float, ...]]] = []
        for component, params_c in zip(plan.components, self.component_params, strict=True):
            options, weights = [], []
            for option in component.options:
                weight = next(
                    (w for key, w in params_c.weights.items() if self.matches(option, key)), None
                )
                if weight is not None:
                    options.append(option)
                    weights.append(weight)
            if not options:  # no weight names this component: its first option takes all
                options, weights = [component.options[0]], [1.0]
            total = sum(weights)
            if total <= 0:
                raise ScenarioError(
                    f"the weights of {component.name}'s options are all zero", path="weights"
                )
            kept = [(o, w / total) for o, w in zip(options, weights, strict=True) if w > 0]
            self.split.append((tuple(o for o, _ in kept), tuple(w for _, w in kept)))

    def start(self, context: Context) -> None:
        super().start(context)
        self.draws = [context.uniforms(f"split/{c.name}") for c in self.plan.components]
        for component in self.scope:
            context.adopt(component, self.split[component][0])
        self.context = context

    def choose(self, component: int, attempt: int, previous: int) -> int:
        options, weights = self.split[component]
        if len(options) == 1:
            return options[0] if self.context.serving(options[0]) else self.fallback(component)
        serving = [(o, w) for o, w in zip(options, weights, strict=True) if self.context.serving(o)]
        if not serving:
            return self.fallback(component)
        total = sum(w for _, w in serving)
        target = self.draws[component]() * total
        for (option, _), edge in zip(serving, accumulate(w for _, w in serving), strict=True):
            if target < edge:
                return option
        return serving[-1][0]

    def primary(self, component: int) -> int:
        options, weights = self.split[component]
        return options[weights.index(max(weights))]

    def explain(self, component: int) -> str:
        options, weights = self.split[component]
        if len(options) == 1:
            return self.provider_of(options[0])
        shares = ", ".join(
            f"{self.provider_of(o)} {w:.0%}" for o, w in zip(options, weights, strict=True)
        )
        return f"split at random: {shares}"

    def choose_first(self, component: int) -> int:
        return self.primary(component)

    def shares(self, component: int) -> dict[int, float]:
        if not self.in_scope[component]:
            return super().shares(component)
        options, weights = self.split[component]
        return dict(zip(options, weights, strict=True))
