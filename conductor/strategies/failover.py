"""`failover`: an ordered list of options; a failed attempt moves to the next one.

`order: [provider or internal/external, ...]` (default: the declared order). The first
serving option takes each call; on failure (error, timeout, rejection, outage) the retry
goes to the next option in order, wrapping round. `retries` defaults to one less than
the number of options, so each is tried once. Every option in the order stays engaged.
Theory: with independent providers and enough retries, availability is 1 − ∏(1 − Aᵢ).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from conductor.strategies.base import CallPolicy
from conductor.strategies.ordered import Ordered, OrderedParams


class FailoverParams(OrderedParams):
    """Parameters of `failover`."""

    retries: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Retries after a failed attempt (default: options − 1)."
    )


class Failover(Ordered):
    """Primary first, the next option on failure."""

    Params = FailoverParams

    def call_policy(self, component: int, params: FailoverParams) -> CallPolicy:
        chain = self.ordered(component, params.order)
        retries = params.retries if params.retries is not None else len(chain) - 1
        return super().call_policy(component, params.model_copy(update={"retries": retries}))

    def choose(self, component: int, attempt: int, previous: int) -> int:
        chain = self.chains[component]
        serving = self.context.serving
        first = chain.index(previous) + 1 if attempt and previous in chain else 0
        for step in range(len(chain)):
            option = chain[(first + step) % len(chain)]
            if serving(option):
                return option
        return self.fallback(component)

    def explain(self, component: int) -> str:
        chain = self.chains[component]
        if len(chain) == 1:
            return f"{self.provider_of(chain[0])} only (nothing to fail over to)"
        return f"{self.arrow.join(self.provider_of(o) for o in chain)}, the next on a failure"
