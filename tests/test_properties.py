"""Properties over random compositions (hypothesis): the DAG executor against networkx.

With constant service times, unlimited capacity and one request, a request's latency is
the length of the DAG's critical path: the longest path where each node weighs its
service time times its calls. Skipped steps weigh nothing; a failing step ends the
request at the moment it fails. Durations also round-trip through their text form.
"""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conductor
from conductor.scenario.units import format_duration, parse_duration
from tests.builders import add_flow, add_option, add_provider, add_step, constant, skeleton


@st.composite
def compositions(draw):
    """A random DAG of steps: service times, calls, and edges from earlier to later steps."""
    size = draw(st.integers(min_value=1, max_value=8))
    times = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=size, max_size=size))
    calls = draw(st.lists(st.integers(1, 3), min_size=size, max_size=size))
    skipped = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    edges = [(i, j) for j in range(size) for i in range(j) if draw(st.booleans())]
    return times, calls, skipped, edges


def scenario_of(times, calls, skipped, edges, failing=None):
    """Step s<j> calls component s<j> (in-house, constant times[j]) after its edges' tails."""
    document = skeleton("dag", run={"horizon": 0.5, "replications": 1, "seed": 1})
    add_provider(document, "inhouse")
    for j, t in enumerate(times):
        add_option(document, f"s{j}", "inhouse", t, **({"failure": 1} if j == failing else {}))
    add_flow(document, "only", constant(1))
    for j in range(len(times)):
        step = {"after": [f"s{i}" for i, k in edges if k == j]}
        if calls[j] > 1:
            step["calls"] = calls[j]
        if skipped[j]:
            step["probability"] = 0
        add_step(document, "only", f"s{j}", **step)
    return document


def critical_path(times, calls, skipped, edges) -> float:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(times)))
    graph.add_edges_from(edges)
    finish: dict[int, float] = {}
    for node in nx.topological_sort(graph):
        start = max((finish[p] for p in graph.predecessors(node)), default=0.0)
        finish[node] = start + (0.0 if skipped[node] else times[node] * calls[node])
    return max(finish.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(compositions())
def test_latency_is_the_critical_path(composition):
    times, calls, skipped, edges = composition
    result = conductor.run(
        conductor.load_scenario(scenario_of(times, calls, skipped, edges)),
        workers=1,
        keep_records=True,
    )
    records = result.records[0]
    assert records.ok.tolist() == [True]
    assert records.latency[0] == pytest.approx(critical_path(times, calls, skipped, edges))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(compositions(), st.data())
def test_a_failing_step_ends_the_request_when_it_fails(composition, data):
    times, calls, skipped, edges = composition
    failing = data.draw(st.integers(0, len(times) - 1))
    skipped[failing] = False
    result = conductor.run(
        conductor.load_scenario(scenario_of(times, calls, skipped, edges, failing)),
        workers=1,
        keep_records=True,
    )
    records = result.records[0]
    assert records.ok.tolist() == [False]
    # It fails after its first call, once everything it comes after has finished.
    graph = nx.DiGraph(edges)
    graph.add_nodes_from(range(len(times)))
    before = nx.ancestors(graph, failing)
    sub = [i for i in range(len(times)) if i in before]
    keep = {i: n for n, i in enumerate(sub)}
    start = (
        critical_path(
            [times[i] for i in sub],
            [calls[i] for i in sub],
            [skipped[i] for i in sub],
            [(keep[a], keep[b]) for a, b in edges if a in keep and b in keep],
        )
        if sub
        else 0.0
    )
    assert records.latency[0] == pytest.approx(start + times[failing])


@given(st.floats(min_value=1e-6, max_value=1e7, allow_nan=False))
def test_durations_round_trip_through_text(seconds):
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, rel=5e-3)
