"""Memory of the statistics: a one-flow run where every request succeeds is summarised
without full-size copies of its records beyond one working copy for the percentiles.

Bounds are in bytes per request, measured with tracemalloc (numpy reports its buffers to
it), and generous: a float64 copy of the latencies is 8 bytes per request; before these
stages were made lean the warm-up check took 28, the summary 26 and the timeline 35.
"""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest

import conductor
from conductor.engine.simulation import simulate
from conductor.experiments.run import plan_of
from conductor.metrics.summary import percentile_counting_failures, replication_figures
from conductor.metrics.timeline import replication_timeline
from conductor.metrics.warmup import mser_cut, settling_of, settling_time
from conductor.strategies.registry import build_strategy
from tests.builders import minimal

REQUESTS = 200_000
HORIZON = 2000.0


@pytest.fixture(scope="module")
def large():
    """Records of REQUESTS successful requests of one flow, in arrival order, and the plan."""
    scenario = conductor.load_scenario(minimal())
    plan = plan_of(scenario)
    strategy = build_strategy("build", scenario.strategies["build"], plan)
    small = simulate(plan, strategy, horizon=HORIZON, warmup=0.0)
    rng = np.random.default_rng(1)
    arrival = np.sort(rng.uniform(0.0, HORIZON, REQUESTS))
    records = dataclasses.replace(
        small,
        flow=np.zeros(REQUESTS, dtype=np.uint16),
        arrival=arrival,
        latency=rng.exponential(0.01, REQUESTS),
        ok=np.ones(REQUESTS, dtype=bool),
        attempt_times=[arrival] + [np.zeros(0)] * (len(plan.options) - 1),
    )
    return records, plan


def bytes_per_request(work) -> float:
    """Peak memory `work()` allocates above what was held when it started."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        work()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - start) / REQUESTS


def test_warm_up_check_copies_nothing_full_size(large):
    records, _ = large
    used = bytes_per_request(
        lambda: settling_of(records.arrival, records.latency, records.ok, 0.0, HORIZON)
    )
    assert used < 8.0


def test_summary_of_one_flow_makes_one_working_copy_at_most(large):
    records, plan = large
    assert bytes_per_request(lambda: replication_figures(records, plan)) < 12.0


def test_timeline_of_one_flow_makes_one_working_copy_at_most(large):
    records, plan = large
    assert bytes_per_request(lambda: replication_timeline(records, plan)) < 12.0


def test_statistics_leave_the_records_as_they_were(large):
    records, plan = large
    latency = records.latency.copy()
    replication_figures(records, plan)
    replication_timeline(records, plan)
    settling_of(records.arrival, records.latency, records.ok, 0.0, HORIZON)
    assert np.array_equal(records.latency, latency)


def reference_mser_cut(latency: np.ndarray) -> int:
    """MSER-5 with every array full size, as it was first written."""
    count = latency.size // 5
    if count < 40:
        return 0
    batches = latency[: count * 5].reshape(count, 5).mean(axis=1)
    tail_sum = np.cumsum(batches[::-1])[::-1]
    tail_squares = np.cumsum((batches * batches)[::-1])[::-1]
    left = np.arange(count, 0, -1, dtype=float)
    spread = np.maximum(tail_squares - tail_sum * tail_sum / left, 0.0)
    score = spread / (left * left)
    return int(np.argmin(score[: count // 2 + 1])) * 5


@pytest.mark.parametrize("seed", range(40))
def test_lean_warm_up_check_gives_the_same_answer(seed: int):
    """Same cut and settling time as masks and copies give, with failures and a start-up
    transient, to the last bit."""
    rng = np.random.default_rng(seed)
    size = int(rng.integers(0, 4000))
    arrival = np.sort(rng.uniform(0.0, 100.0, size))
    latency = rng.exponential(1.0, size) + np.maximum(0.0, 5.0 - arrival / 4.0) * (seed % 3)
    ok = rng.random(size) > (0.0 if seed % 2 else 0.2)
    low, end = 1.0, float(rng.uniform(50.0, 110.0))
    kept = ok & (arrival < end)
    expected = settling_time(arrival[kept], latency[kept], low, end)
    assert mser_cut(latency) == reference_mser_cut(latency)
    assert settling_of(arrival, latency, ok, low, end) == expected


def test_percentiles_reordering_in_place_are_the_same():
    successes = np.random.default_rng(2).lognormal(0.0, 1.0, 1001)
    for level in (50.0, 90.0, 99.0, 99.9):
        expected = percentile_counting_failures(successes, 1010, level)
        assert percentile_counting_failures(
            successes.copy(), 1010, level, overwrite_input=True
        ) == (expected)
