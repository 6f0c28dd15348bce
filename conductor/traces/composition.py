"""Folding the call trees of a root operation into one step DAG.

Every request of a flow (a root operation) is laid over one template tree: a template
node is a call to one component with one operation, at one place in the tree. Calls of
one parent to the same component and operation that follow each other are one node with
`calls` (the count seen most often); ones that overlap are parallel lanes, each its own
node. Of two sibling nodes seen together, the second comes `after` the first when it
started after the first ended in most requests holding both; otherwise they overlap and
run in parallel. A node seen in a fraction of the requests gets that `probability`
(drawn on its own: conductor skips a step, not its subtree). A call that failed while
its request succeeded is `optional`.

Conductor's steps do not nest: a callee's own work is its step, its calls are steps that
come after it, and whatever followed the callee at its caller's level comes after the
last of those. Along every path the sum of the times is what the trace shows, the
callee's own work being moved before its calls.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from conductor.traces.trees import NS, Call, Request

Key = tuple[str, bool, str, int]  # component, external, operation, lane


@dataclass
class Node:
    """A place in a flow's template tree and what was seen there."""

    component: str
    external: bool
    operation: str
    seen: int = 0
    counts: Counter = field(default_factory=Counter)
    tolerated: int = 0  # successful requests in which this call failed
    fatal: int = 0  # failed requests whose failure started at this call
    children: dict[Key, Node] = field(default_factory=dict)
    together: Counter = field(default_factory=Counter)
    before: Counter = field(default_factory=Counter)
    exits: tuple[str, ...] = ()  # the steps that end this node's subtree, once flattened

    @property
    def calls(self) -> int:
        """The repeat count seen most often (the smaller one on a tie)."""
        return min(self.counts, key=lambda n: (-self.counts[n], n)) if self.counts else 1


@dataclass(frozen=True)
class StepShape:
    """One step of an imported flow, with what was seen of it."""

    name: str
    component: str
    after: tuple[str, ...]
    probability: float
    calls: int
    optional: bool
    seen: int
    counts: dict[int, int]


@dataclass
class FlowShape:
    """An imported flow: its root operation, requests, rate and steps."""

    name: str
    operation: str
    requests: int
    succeeded: int
    rate: float
    steps: list[StepShape]
    latencies: list[float]  # end-to-end seconds of the successful requests
    arrivals: list[float] = field(default_factory=list)  # seconds since the first request
    conflicts: int = 0


@dataclass
class ComponentSeen:
    """Everything measured of one component over all flows."""

    name: str
    external: bool
    service: list[float] = field(default_factory=list)
    round_trip: list[float] = field(default_factory=list)
    own: list[float] = field(default_factory=list)
    calls: int = 0
    failures: int = 0
    operations: Counter = field(default_factory=Counter)
    by_operation: dict[str, list[float]] = field(default_factory=dict)  # service times


def pooled_operations(component: ComponentSeen, factor: float = 2.0) -> str | None:
    """A warning when a component's operations take times far apart (medians more than
    `factor` apart, each seen at least 20 times): one service time pools them."""
    medians = {
        operation: float(np.median(times))
        for operation, times in component.by_operation.items()
        if len(times) >= 20
    }
    if len(medians) < 2:
        return None
    low, high = min(medians, key=medians.get), max(medians, key=medians.get)
    if medians[low] <= 0 or medians[high] / medians[low] <= factor:
        return None
    return (
        f"{component.name}: its operations take different times ({low or '?'} p50 "
        f"{medians[low] * 1e3:.3g}ms, {high or '?'} p50 {medians[high] * 1e3:.3g}ms), pooled "
        "into one service time; `conductor validate` shows what that costs"
    )


def slug(text: str) -> str:
    """A name fit for a scenario key (no dots, so --set paths stay unambiguous)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", text.strip()).strip("-").lower()
    return name or "unnamed"


def components_of(requests: list[Request]) -> dict[str, ComponentSeen]:
    """Per component: service times, round trips, own times, calls and failures."""
    seen: dict[str, ComponentSeen] = {}
    pending = [request.root for request in requests]
    while pending:
        call = pending.pop()
        component = seen.get(call.component)
        if component is None:
            component = seen[call.component] = ComponentSeen(call.component, call.external)
        component.service.append(call.service)
        if call.round_trip is not None:
            component.round_trip.append(call.round_trip)
        component.own.append(call.own)
        component.calls += 1
        component.failures += call.origin
        component.operations[call.operation] += 1
        component.by_operation.setdefault(call.operation, []).append(call.service)
        pending.extend(call.children)
    return seen


def flows_of(requests: list[Request]) -> list[FlowShape]:
    """One flow per root operation, in order of first arrival."""
    by_flow: dict[str, list[Request]] = defaultdict(list)
    for request in requests:
        by_flow[request.flow].append(request)
    if not requests:
        return []
    window = (requests[-1].arrival - requests[0].arrival) * NS
    total = len(requests)
    names: set[str] = set()
    shapes = []
    for operation, members in by_flow.items():
        name = slug(operation)
        while name in names:
            name += "-x"
        names.add(name)
        # N arrivals span N-1 gaps: (N-1)/T estimates the rate of the whole stream.
        rate = (total - 1) / window * len(members) / total if window > 0 else 0.0
        shape = _flow_shape(name, operation, members, rate)
        shape.arrivals = [(r.arrival - requests[0].arrival) * NS for r in members]
        shapes.append(shape)
    return shapes


def _flow_shape(name: str, operation: str, requests: list[Request], rate: float) -> FlowShape:
    root = Node(requests[0].root.component, False, requests[0].root.operation)
    succeeded = [r for r in requests if r.ok]
    # Failed requests stop early, so the structure is read from the successful ones.
    for request in succeeded or requests:
        _visit(root, [request.root], request.ok, structural=True)
    for request in requests:
        if not request.ok:
            _visit(root, [request.root], False, structural=False)
    basis = len(succeeded or requests)
    steps: list[StepShape] = []
    conflicts = _flatten(root, (), basis, steps, set())
    return FlowShape(
        name=name,
        operation=operation,
        requests=len(requests),
        succeeded=len(succeeded),
        rate=rate,
        steps=steps,
        latencies=[r.latency for r in succeeded],
        conflicts=conflicts,
    )


def _visit(node: Node, instances: list[Call], ok: bool, structural: bool) -> None:
    failed = any(call.failed for call in instances)
    if structural:
        node.seen += 1
        node.counts[len(instances)] += 1
        node.tolerated += failed and ok
    elif any(call.origin for call in instances):
        node.fatal += 1
    lanes = _lanes([child for call in instances for child in call.children])
    if structural:
        keys = list(lanes)
        spans = {key: (lanes[key][0].start, lanes[key][-1].end) for key in keys}
        for a in keys:
            for b in keys:
                if a != b:
                    node.together[a, b] += 1
                    node.before[a, b] += spans[a][1] <= spans[b][0]
    for key, calls in lanes.items():
        child = node.children.get(key)
        if child is None:
            if not structural:
                continue
            child = node.children[key] = Node(key[0], key[1], key[2])
        _visit(child, calls, ok, structural)


def _lanes(calls: list[Call]) -> dict[Key, list[Call]]:
    """Calls grouped by (component, operation); overlapping ones in separate lanes."""
    grouped: dict[tuple[str, bool, str], list[Call]] = defaultdict(list)
    for call in sorted(calls, key=lambda c: c.start):
        grouped[call.component, call.external, call.operation].append(call)
    lanes: dict[Key, list[Call]] = {}
    for (component, external, operation), members in grouped.items():
        ends: list[int] = []
        for call in members:
            lane = next((i for i, end in enumerate(ends) if end <= call.start), len(ends))
            if lane == len(ends):
                ends.append(call.end)
            ends[lane] = call.end
            lanes.setdefault((component, external, operation, lane), []).append(call)
    return lanes


def _flatten(
    node: Node, after: tuple[str, ...], basis: int, steps: list[StepShape], names: set[str]
) -> int:
    """Append the node's step and its subtree's; return the ordering conflicts met."""
    name = slug(node.component)
    base, number = name, 1
    while name in names:
        number += 1
        name = f"{base}-{number}"
    names.add(name)
    steps.append(
        StepShape(
            name=name,
            component=slug(node.component),
            after=after,
            probability=min(1.0, node.seen / basis) if basis else 1.0,
            calls=node.calls,
            optional=node.tolerated > 0 and node.tolerated >= node.fatal,
            seen=node.seen,
            counts=dict(node.counts),
        )
    )
    order, conflicts = _sibling_order(node)
    exits: dict[Key, tuple[str, ...]] = {}
    for key in nx.topological_sort(order):
        predecessors = list(order.predecessors(key))
        start = (
            tuple(dict.fromkeys(s for p in predecessors for s in exits[p]))
            if predecessors
            else (name,)
        )
        conflicts += _flatten(node.children[key], start, basis, steps, names)
        exits[key] = node.children[key].exits
    sinks = [key for key in order if order.out_degree(key) == 0]
    node.exits = tuple(dict.fromkeys(s for key in sinks for s in exits[key])) if sinks else (name,)
    return conflicts


def _sibling_order(node: Node) -> tuple[nx.DiGraph, int]:
    """The children of a node ordered by when they ran: an edge a -> b when b started
    after a ended in most requests holding both, reduced to the edges that matter."""
    order = nx.DiGraph()
    # Children in order of first appearance keep the output stable from run to run.
    order.add_nodes_from(node.children)
    votes = sorted(
        (
            (node.before[a, b] / node.together[a, b], a, b)
            for (a, b), together in node.together.items()
            if together and node.before[a, b] * 2 > together
        ),
        key=lambda vote: -vote[0],
    )
    conflicts = 0
    for _, a, b in votes:
        if nx.has_path(order, b, a):
            conflicts += 1  # a cycle of majorities: the weakest vote gives way
            continue
        order.add_edge(a, b)
    return nx.transitive_reduction(order) if order.number_of_edges() else order, conflicts
