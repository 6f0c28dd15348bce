"""`static`: a fixed choice per component — build, buy, or name the provider.

`use` maps a component (or `"*"` for every other one) to a provider name, or to
`internal` / `external` for the first declared option of that kind. A component left out
uses its first declared option. Retries go back to the same option. Theory: each
component is a fixed queue, so the composition is a plain queueing network.
"""

from __future__ import annotations

from pydantic import Field

from conductor.errors import ScenarioError
from conductor.strategies.base import Context, Strategy, StrategyParams


class StaticParams(StrategyParams):
    """Parameters of `static`."""

    use: dict[str, str] = Field(
        default_factory=dict,
        description='Component or "*" -> provider name, or internal / external.',
    )


class Static(Strategy):
    """Every call of a component goes to one option chosen up front."""

    Params = StaticParams

    def __init__(self, params: StaticParams, plan, name: str = ""):
        super().__init__(params, plan, name)
        names = {c.name for c in plan.components}
        for key in params.use:
            if key != "*" and key not in names:
                raise ScenarioError(
                    f"unknown component '{key}' (expected one of: *, {', '.join(sorted(names))})",
                    path=f"use.{key}",
                )
        self.route = tuple(self._resolve(c) for c in plan.components)

    def _resolve(self, component) -> int:
        use = self.params.use
        wanted = use.get(component.name)
        explicit = wanted is not None
        wanted = wanted if explicit else use.get("*")
        if wanted is None:
            return component.options[0]
        for index in component.options:
            option = self.plan.options[index]
            provider = self.plan.providers[option.provider]
            if wanted == provider.name or wanted == (
                "internal" if provider.internal else "external"
            ):
                return index
        if explicit:
            known = [
                self.plan.providers[self.plan.options[i].provider].name for i in component.options
            ]
            raise ScenarioError(
                f"'{wanted}' serves no option of {component.name} "
                f"(expected one of: {', '.join(known)}, internal, external)",
                path=f"use.{component.name}",
            )
        return component.options[0]  # "*" names a kind this component has no option of

    def start(self, context: Context) -> None:
        for option in self.route:
            context.engage(option)

    def choose(self, component: int, attempt: int, previous: int) -> int:
        return self.route[component]

    def describe(self) -> dict[str, str]:
        return {
            c.name: self.plan.providers[self.plan.options[self.route[c.index]].provider].name
            for c in self.plan.components
        }
