"""What views need to know of a scenario's composition, carried in every run object.

Per component, each option (by provider, in declared order) with its capacity and kind;
per flow, its steps in plan order, each naming its component and the steps it waits
for. The composition figure draws from this alone, so a results file needs no scenario.
"""

from __future__ import annotations

from conductor.plan import Plan


def composition_of(plan: Plan) -> dict:
    """Each option's capacity and kind, and each flow's steps as a DAG of names."""
    return {
        "components": {
            component.name: {
                plan.providers[plan.options[o].provider].name: {
                    "capacity": plan.options[o].capacity,
                    "internal": plan.options[o].internal,
                }
                for o in component.options
            }
            for component in plan.components
        },
        "flows": {
            flow.name: [
                {
                    "step": step.name,
                    "component": plan.components[step.component].name,
                    "after": [flow.steps[before].name for before in step.after],
                    "probability": step.probability,
                    "optional": step.optional,
                    "calls": step.calls,
                }
                for step in flow.steps
            ]
            for flow in plan.flows
        },
    }
