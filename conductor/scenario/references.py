"""Checks that every name in a scenario points at something that exists, and the DAGs."""

from __future__ import annotations

import graphlib
import heapq

from conductor.arrivals import PROCESSES
from conductor.errors import ScenarioError
from conductor.scenario.model import Scenario


def step_order(steps: dict) -> list[str]:
    """A flow's steps in topological order, ties going to the step declared first
    (graphlib.CycleError when `after` makes a cycle)."""
    sorter = graphlib.TopologicalSorter({step_id: step.after for step_id, step in steps.items()})
    sorter.prepare()
    declared = {step_id: index for index, step_id in enumerate(steps)}
    ready = [(declared[step_id], step_id) for step_id in sorter.get_ready()]
    heapq.heapify(ready)
    order = []
    while ready:
        _, step_id = heapq.heappop(ready)
        order.append(step_id)
        sorter.done(step_id)
        for after in sorter.get_ready():
            heapq.heappush(ready, (declared[after], after))
    return order


def _cycle(nodes: list[str], edges: list[tuple[str, str]]) -> str | None:
    """One cycle of a directed graph as `a -> b -> c`, or None when it is a DAG."""
    sorter = graphlib.TopologicalSorter()
    for node in nodes:
        sorter.add(node)
    for before, after in edges:
        sorter.add(after, before)
    try:
        sorter.prepare()
    except graphlib.CycleError:
        import networkx as nx  # slow to import: only to name the cycle of a broken scenario

        graph = nx.DiGraph()
        graph.add_nodes_from(nodes)
        graph.add_edges_from(edges)
        return " -> ".join(a for a, _ in nx.find_cycle(graph))
    return None


def check_references(scenario: Scenario) -> None:
    """Raise ScenarioError (with its key path) on the first dangling name or cycle."""
    providers = scenario.providers
    for name, provider in providers.items():
        for index, other in enumerate(provider.depends_on):
            if other not in providers:
                raise _unknown(
                    "provider", other, f"providers.{name}.depends_on[{index}]", providers
                )
            if other == name:
                raise ScenarioError(
                    "a provider cannot depend on itself", path=f"providers.{name}.depends_on"
                )
    dependencies = [(name, other) for name, p in providers.items() for other in p.depends_on]
    cycle = _cycle([], dependencies)
    if cycle is not None:
        raise ScenarioError(f"depends_on forms a cycle ({cycle})", path="providers")

    for name, component in scenario.components.items():
        for provider in component.options:
            if provider not in providers:
                raise _unknown(
                    "provider", provider, f"components.{name}.options.{provider}", providers
                )

    for flow_name, flow in scenario.flows.items():
        for step_id, step in flow.steps.items():
            where = f"flows.{flow_name}.steps.{step_id}"
            component = step.component or step_id
            if component not in scenario.components:
                path = f"{where}.component" if step.component else where
                raise _unknown("component", component, path, scenario.components)
            for index, before in enumerate(step.after):
                if before == step_id:
                    raise ScenarioError("a step cannot come after itself", path=f"{where}.after")
                if before not in flow.steps:
                    raise _unknown("step", before, f"{where}.after[{index}]", flow.steps)
        # Nodes and edges in the order written, so that the cycle named is always the same.
        nodes = list(dict.fromkeys(n for s, step in flow.steps.items() for n in (s, *step.after)))
        edges = [(before, s) for s, step in flow.steps.items() for before in step.after]
        cycle = _cycle(nodes, edges)
        if cycle is not None:
            raise ScenarioError(
                f"steps form a cycle ({cycle}); `after` must make a DAG",
                path=f"flows.{flow_name}.steps",
            )

    for index, event in enumerate(scenario.events):
        where = f"events[{index}]"
        if event.provider is not None and event.provider not in providers:
            raise _unknown("provider", event.provider, f"{where}.provider", providers)
        if event.flow is not None:
            if event.flow not in scenario.flows:
                raise _unknown("flow", event.flow, f"{where}.flow", scenario.flows)
            if not PROCESSES[scenario.flows[event.flow].arrivals.process].open:
                kinds = ", ".join(kind for kind, process in PROCESSES.items() if process.open)
                raise ScenarioError(
                    f"a surge applies to open arrivals ({kinds})", path=f"{where}.surge"
                )

    if scenario.changes is not None:
        for index, name in enumerate(scenario.changes.components):
            if name not in scenario.components:
                raise _unknown(
                    "component", name, f"changes.components[{index}]", scenario.components
                )
            for provider, option in scenario.components[name].options.items():
                if option.change_lead_time is None:
                    raise ScenarioError(
                        "missing change_lead_time, needed by `changes.components`",
                        path=f"components.{name}.options.{provider}.change_lead_time",
                    )
        if not change_targets(scenario):
            raise ScenarioError(
                "no component declares change_lead_time on every option, "
                "so no change request has a lead time",
                path="changes",
            )

    for component, provider in scenario.status_quo.items():
        if component not in scenario.components:
            raise _unknown("component", component, f"status_quo.{component}", scenario.components)
        if provider not in scenario.components[component].options:
            raise _unknown(
                f"option of {component}",
                provider,
                f"status_quo.{component}",
                scenario.components[component].options,
            )


def change_targets(scenario: Scenario) -> list[str]:
    """The components change requests are drawn from: those listed, or by default every
    component whose options all declare a change_lead_time."""
    if scenario.changes is None:
        return []
    if scenario.changes.components:
        return list(scenario.changes.components)
    return [
        name
        for name, component in scenario.components.items()
        if all(o.change_lead_time is not None for o in component.options.values())
    ]


def _unknown(what: str, name: str, path: str, known) -> ScenarioError:
    choices = ", ".join(sorted(known)) or "none"
    return ScenarioError(f"unknown {what} '{name}' (expected one of: {choices})", path=path)
