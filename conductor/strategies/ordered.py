"""Ordered multi-sourcing: the shared base of `failover`, `hedged` and `circuit-breaker`.

`order: [provider or internal/external, ...]` (default: the declared order) names each
component's options in order of preference; all of them stay engaged (a status quo
outside them serves until the first is ready, then is released).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from conductor.strategies.base import Context, Strategy, StrategyParams


class OrderedParams(StrategyParams):
    """The `order` key of ordered policies."""

    order: list[str] = Field(default_factory=list, description="Providers, in order.")


class Ordered(Strategy):
    """A chain of options per component, in the order of preference."""

    Params = OrderedParams
    arrow: ClassVar[str] = " → "

    def __init__(self, params: OrderedParams, plan, name: str = ""):
        super().__init__(params, plan, name)
        self.check_providers(params.order, "order")
        self.chains = [self.ordered(c, p.order) for c, p in enumerate(self.component_params)]

    def start(self, context: Context) -> None:
        super().start(context)
        for component in self.scope:
            context.adopt(component, self.chains[component])

    def explain(self, component: int) -> str:
        return self.arrow.join(self.provider_of(o) for o in self.chains[component])

    def choose_first(self, component: int) -> int:
        return self.chains[component][0]
