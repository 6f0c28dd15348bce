"""Single sourcing: every call of a component goes to its one current option.

The shared base of `static`, `cheapest`, `fastest` and `adaptive`: a subclass picks an
option per component; the portfolio migrates to it (from the status quo, paying the
switch-in and waiting out the lead time) and routing reads the portfolio's current
option, so a migration takes effect the moment the new option is ready.
"""

from __future__ import annotations

from conductor.plan import ComponentPlan
from conductor.strategies.base import Context, Strategy


class SingleSourcing(Strategy):
    """Routes every call of a component to one option picked by `pick`."""

    def __init__(self, params, plan, name: str = ""):
        super().__init__(params, plan, name)
        self.route = tuple(
            self.pick(c) if self.in_scope[c.index] else self.fixed[c.index] for c in plan.components
        )

    def pick(self, component: ComponentPlan) -> int:
        """The option a component starts with."""
        return component.options[0]

    def start(self, context: Context) -> None:
        super().start(context)
        for component, option in enumerate(self.route):
            context.migrate(component, option)
        # The portfolio's own list: a migration shows up here when it completes.
        self.current = context.current

    def choose(self, component: int, attempt: int, previous: int) -> int:
        return self.current[component]

    def choose_first(self, component: int) -> int:
        return self.route[component]
