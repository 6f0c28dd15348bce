"""`static`: a fixed choice per component — build, buy, or name the provider.

`use` maps a component (or `"*"` for every other one) to a provider name, or to
`internal` / `external` for the first declared option of that kind. A component left out
uses its first declared option, and so does one that `"*"` names a kind it lacks.
Retries go back to the same option. Theory: each component is a fixed queue, so the
composition is a plain queueing network (Jackson, fork-join).
"""

from __future__ import annotations

from pydantic import Field

from conductor.errors import ScenarioError
from conductor.plan import ComponentPlan
from conductor.strategies.base import StrategyParams
from conductor.strategies.single import SingleSourcing


class StaticParams(StrategyParams):
    """Parameters of `static`."""

    use: dict[str, str] = Field(
        default_factory=dict,
        description='Component or "*" -> provider name, or internal / external.',
    )


class Static(SingleSourcing):
    """Every call of a component goes to one option chosen up front."""

    Params = StaticParams

    def __init__(self, params: StaticParams, plan, name: str = ""):
        names = {c.name for c in plan.components}
        for key in params.use:
            if key != "*" and key not in names:
                raise ScenarioError(
                    f"unknown component '{key}' (expected one of: *, {', '.join(sorted(names))})",
                    path=f"use.{key}",
                )
        super().__init__(params, plan, name)

    def pick(self, component: ComponentPlan) -> int:
        use = self.params.use
        wanted = use.get(component.name)
        explicit = wanted is not None
        wanted = wanted if explicit else use.get("*")
        if wanted is None:
            return component.options[0]
        for index in component.options:
            if self.matches(index, wanted):
                return index
        if explicit:
            known = [self.provider_of(i) for i in component.options]
            raise ScenarioError(
                f"'{wanted}' serves no option of {component.name} "
                f"(expected one of: {', '.join(known)}, internal, external)",
                path=f"use.{component.name}",
            )
        return component.options[0]
