"""`static`: a fixed choice per component — build, buy, or name the provider.

`use` maps a component (or `"*"` for every other one) to a provider name, or to
`internal` / `external` for the first declared option of that kind. A component left out
uses its first declared option, and so does one that `"*"` names a kind it lacks.
Retries go back to the same option (with `components:`, only those components retry).
Theory: each component is a fixed queue, so the composition is a plain queueing network
(Jackson, fork-join).
"""

from __future__ import annotations

from conductor.plan import ComponentPlan
from conductor.strategies.single import SingleSourcing


class Static(SingleSourcing):
    """Every call of a component goes to one option chosen up front."""

    def pick(self, component: ComponentPlan) -> int:
        return self.fixed[component.index]
