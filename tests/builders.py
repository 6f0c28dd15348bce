"""Scenario mappings for the tests, built in one way.

A test states only what its story needs: it starts from a skeleton (a name and empty
providers, components and flows) or from `minimal()` (the smallest valid scenario) and adds
providers, options, flows, steps and strategies with the helpers below, or changes keys by
dotted path with `change`. Mappings keep the order things were added in, because the order
of providers, components, options, flows and strategies is their declared order (option
indices, default strategy, report rows).

    document = skeleton("dag", run={"horizon": 0.5, "replications": 1, "seed": 1})
    add_provider(document, "inhouse")
    add_option(document, "api", "inhouse", 0.1, capacity=2)
    add_flow(document, "main", constant(1), {"api": {}})

Every helper returns the document it was given, changed in place; values are deep-copied
so two documents never share a nested mapping.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

Document = dict[str, Any]

DELETE = object()
"""A value for `change` that removes the key."""


# Distributions and arrivals --------------------------------------------------------------


def exponential(mean: float) -> dict[str, Any]:
    """An exponential distribution in scenario syntax."""
    return {"dist": "exponential", "mean": mean}


def poisson(rate: float) -> dict[str, Any]:
    """Poisson arrivals at `rate` per second."""
    return {"process": "poisson", "rate": rate}


def constant(rate: float) -> dict[str, Any]:
    """Arrivals exactly 1/rate apart, the first at time 0."""
    return {"process": "constant", "rate": rate}


def option(service_time: Any, capacity: int | None = None, queue: int | None = None, **fields):
    """One option mapping: its service time, capacity and queue when given, other fields."""
    spec: dict[str, Any] = {"service_time": copy.deepcopy(service_time)}
    if capacity is not None:
        spec["capacity"] = capacity
    if queue is not None:
        spec["queue"] = queue
    spec.update(copy.deepcopy(fields))
    return spec


# Documents -------------------------------------------------------------------------------


def skeleton(name: str, run: Mapping[str, Any] | None = None) -> Document:
    """A named scenario with no providers, components or flows yet (not valid as it is)."""
    document: Document = {"name": name}
    if run is not None:
        document["run"] = dict(run)
    document.update(providers={}, components={}, flows={})
    return document


def minimal() -> Document:
    """One flow, one step, one in-house option with a constant 2 s service time.

    A vendor is declared but serves nothing; `build` is a static in-house strategy.
    """
    document = skeleton("tiny", run={"horizon": 10, "warmup": 0, "replications": 1, "seed": 1})
    add_provider(document, "inhouse", "internal")
    add_provider(document, "vendor", "external")
    add_option(document, "a", "inhouse", 2)
    add_flow(document, "web", constant(1), {"a": {}})
    add_strategy(document, "build", "static", use={"*": "internal"})
    return document


def add_provider(document: Document, name: str, kind: str = "internal", **fields) -> Document:
    """Declare a provider (`kind` internal or external) with any other provider fields."""
    document.setdefault("providers", {})[name] = {"kind": kind, **copy.deepcopy(fields)}
    return document


def add_option(
    document: Document, component: str, provider: str, service_time: Any, **fields
) -> Document:
    """Add the option of `component` at `provider`, declaring the component if it is new.

    `fields` are those of `option` (capacity, queue, cost, switch_in, failure, ...).
    """
    components = document.setdefault("components", {})
    options = components.setdefault(component, {"options": {}})["options"]
    options[provider] = option(service_time, **fields)
    return document


def update_option(document: Document, component: str, provider: str, **fields) -> Document:
    """Change fields of an existing option; a mapping value updates the mapping there."""
    spec = document["components"][component]["options"][provider]
    for key, value in fields.items():
        if isinstance(value, dict):
            spec.setdefault(key, {}).update(copy.deepcopy(value))
        else:
            spec[key] = copy.deepcopy(value)
    return document


def add_flow(
    document: Document,
    name: str,
    arrivals: Mapping[str, Any],
    steps: Mapping[str, Any] | None = None,
    **fields,
) -> Document:
    """Add a flow with its arrivals, its steps (by id) and any other fields (slo, ...)."""
    flow = {"arrivals": copy.deepcopy(dict(arrivals)), **copy.deepcopy(fields)}
    flow["steps"] = copy.deepcopy(dict(steps or {}))
    document.setdefault("flows", {})[name] = flow
    return document


def add_step(document: Document, flow: str, name: str, **fields) -> Document:
    """Add a step to a flow: `after`, `component`, `calls`, `probability`, ..."""
    document["flows"][flow]["steps"][name] = copy.deepcopy(fields)
    return document


def add_strategy(document: Document, name: str, policy: str, **params) -> Document:
    """Add a strategy running `policy` with its parameters."""
    document.setdefault("strategies", {})[name] = {"policy": policy, **copy.deepcopy(params)}
    return document


def change(document: Document, changes: Mapping[str, Any]) -> Document:
    """Set each dotted key path to its value (`DELETE` removes it), creating mappings."""
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node.setdefault(key, {})
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)
    return document


def build_scenario(changes: Mapping[str, Any] | None = None, /, **top: Any) -> Document:
    """`minimal()` with top-level keys replaced, then dotted paths set.

    `build_scenario({"run.horizon": 5}, components={...})` replaces `components` and then
    sets `run.horizon`; a value of `DELETE` removes the key.
    """
    document = minimal()
    document.update(copy.deepcopy(top))
    return change(document, changes or {})
