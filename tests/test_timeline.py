"""Exact timelines: constant times and replayed arrivals make every latency exact.

Each test is a short story told with arrival times (a trace file, or evenly spaced
arrivals) and constant service times, so that the expected latencies can be worked out
by hand, as in the SimPy tutorials.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import build_scenario, run_once, trace_arrivals

EXACT = 1e-9


def option(service: float, **extra) -> dict:
    """An option mapping with a constant service time."""
    return {"service_time": service, **extra}


def component(service: float, provider: str = "inhouse", **extra) -> dict:
    """A component with a single option."""
    return {"options": {provider: option(service, **extra)}}


def flow(arrivals: dict, steps: dict, **extra) -> dict:
    """A flow mapping."""
    return {"arrivals": arrivals, "steps": steps, **extra}


def by_arrival(records) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrival, latency and ok of the measured requests, ordered by arrival time."""
    order = np.argsort(records.arrival, kind="stable")
    return records.arrival[order], records.latency[order], records.ok[order]


def attempts_of(result, name: str) -> float:
    """Measured attempts of a component in the only replication."""
    return result.values("components", name, "attempts")[0]


def latencies(result) -> list[float]:
    """Latencies of the only replication, ordered by arrival."""
    return list(by_arrival(result.records[0])[1])


# Chains and DAGs ------------------------------------------------------------------------


def test_chain_latency_is_the_sum_of_service_times(trace):
    """a (2 s) -> b (3 s) -> c (0.5 s): one request takes 5.5 s."""
    document = build_scenario(
        components={"a": component(2), "b": component(3), "c": component(0.5)},
        flows={
            "web": flow(
                trace_arrivals(trace([0.0])),
                {"a": {}, "b": {"after": ["a"]}, "c": {"after": "b"}},
            )
        },
    )
    result = run_once(document)
    assert latencies(result) == pytest.approx([5.5], abs=EXACT)
    assert result.records[0].ok.all()


def test_chain_adds_the_network_round_trip_of_each_external_call(trace):
    """A vendor with network 0.1 s adds 0.1 s per call: 2 + (0.05 + 3 + 0.05) = 5.1 s."""
    document = build_scenario(
        providers={
            "inhouse": {"kind": "internal"},
            "vendor": {"kind": "external", "network": 0.1},
        },
        components={"a": component(2), "b": component(3, "vendor")},
        flows={"web": flow(trace_arrivals(trace([0.0, 10.0])), {"a": {}, "b": {"after": ["a"]}})},
        strategies={"mixed": {"policy": "static"}},
        run={"horizon": 20, "warmup": 0, "replications": 1, "seed": 1},
    )
    assert latencies(run_once(document)) == pytest.approx([5.1, 5.1], abs=EXACT)


def test_network_is_a_constant_distribution_too(trace):
    """`network: {dist: constant, value: 0.1}` on two calls of the vendor adds 0.2 s."""
    document = build_scenario(
        providers={
            "inhouse": {"kind": "internal"},
            "vendor": {"kind": "external", "network": {"dist": "constant", "value": 0.1}},
        },
        components={"a": component(1, "vendor")},
        flows={"web": flow(trace_arrivals(trace([0.0])), {"a": {"calls": 2}})},
        strategies={"buy": {"policy": "static", "use": {"*": "external"}}},
    )
    assert latencies(run_once(document)) == pytest.approx([2.2], abs=EXACT)


def test_and_join_waits_for_the_slowest_predecessor(trace):
    """a (2 s) and b (5 s) in parallel, then c (1 s) after both: 6 s, not 8 s nor 3 s."""
    document = build_scenario(
        components={"a": component(2), "b": component(5), "c": component(1)},
        flows={
            "web": flow(
                trace_arrivals(trace([0.0])), {"a": {}, "b": {}, "c": {"after": ["a", "b"]}}
            )
        },
    )
    result = run_once(document)
    assert latencies(result) == pytest.approx([6.0], abs=EXACT)
    assert result.records[0].ok.all()


def test_diamond_runs_both_branches_in_parallel(trace):
    """start (1 s) -> {left (2 s), right (4 s)} -> end (1 s): 1 + 4 + 1 = 6 s."""
    document = build_scenario(
        components={n: component(t) for n, t in [("s", 1), ("l", 2), ("r", 4), ("e", 1)]},
        flows={
            "web": flow(
                trace_arrivals(trace([0.0])),
                {
                    "s": {},
                    "l": {"after": ["s"]},
                    "r": {"after": ["s"]},
                    "e": {"after": ["l", "r"]},
                },
            )
        },
    )
    assert latencies(run_once(document)) == pytest.approx([6.0], abs=EXACT)


def test_queueing_behind_a_single_server(trace):
    """Capacity 1, service 2 s, arrivals at 0 and 0.5: latencies 2 and 3.5 (FIFO)."""
    document = build_scenario(
        components={"a": component(2, capacity=1)},
        flows={"web": flow(trace_arrivals(trace([0.0, 0.5])), {"a": {}})},
    )
    result = run_once(document)
    arrival, latency, ok = by_arrival(result.records[0])
    assert list(arrival) == pytest.approx([0.0, 0.5], abs=EXACT)
    assert list(latency) == pytest.approx([2.0, 3.5], abs=EXACT)
    assert ok.all()
    assert result.values("components", "a", "by_option", "inhouse", "wait_s")[0] == (
        pytest.approx(0.75, abs=EXACT)
    )


def test_utilization_is_busy_time_over_capacity_and_window(trace):
    """Capacity 2, service 2 s, arrivals at 0, 0.5 and 1 in a 10 s window: 6 / (2 x 10)."""
    document = build_scenario(
        components={"a": component(2, capacity=2)},
        flows={"web": flow(trace_arrivals(trace([0.0, 0.5, 1.0])), {"a": {}})},
    )
    result = run_once(document)
    utilization = result.values("components", "a", "by_option", "inhouse", "utilization")
    assert utilization == [pytest.approx(0.3, abs=EXACT)]


def test_utilization_without_capacity_is_mean_concurrency(trace):
    """Unlimited servers, three 2 s calls in a 10 s window: 0.6 calls in service on average."""
    document = build_scenario(
        components={"a": component(2)},
        flows={"web": flow(trace_arrivals(trace([0.0, 0.0, 5.0])), {"a": {}})},
    )
    result = run_once(document)
    utilization = result.values("components", "a", "by_option", "inhouse", "utilization")
    assert utilization == [pytest.approx(0.6, abs=EXACT)]


def test_two_servers_serve_two_at_once(trace):
    """Capacity 2, three arrivals at 0: latencies 2, 2 and 4."""
    document = build_scenario(
        components={"a": component(2, capacity=2)},
        flows={"web": flow(trace_arrivals(trace([0.0, 0.0, 0.0])), {"a": {}})},
    )
    assert sorted(latencies(run_once(document))) == pytest.approx([2.0, 2.0, 4.0], abs=EXACT)


# Skips, calls ---------------------------------------------------------------------------


@pytest.mark.parametrize("chain", [True, False], ids=["chain", "dag"])
def test_a_step_with_probability_zero_is_skipped_and_counts_as_done(trace, chain):
    """a (1 s) -> b (p = 0, 10 s) -> c (2 s): b never runs, c still does: 3 s."""
    steps = {"a": {}, "b": {"after": ["a"], "probability": 0}, "c": {"after": ["b"]}}
    if not chain:  # a second root makes the flow a DAG rather than a chain
        steps["d"] = {}
    document = build_scenario(
        components={"a": component(1), "b": component(10), "c": component(2), "d": component(0)},
        flows={"web": flow(trace_arrivals(trace([0.0, 1.0, 2.0])), steps)},
    )
    result = run_once(document)
    assert latencies(result) == pytest.approx([3.0] * 3, abs=EXACT)
    assert result.records[0].ok.all()
    assert attempts_of(result, "b") == 0
    assert attempts_of(result, "c") == 3


@pytest.mark.parametrize("chain", [True, False], ids=["chain", "dag"])
def test_a_step_with_probability_one_always_runs(trace, chain):
    """a (1 s) -> b (p = 1, 10 s) -> c (2 s): every request takes 13 s."""
    steps = {"a": {}, "b": {"after": ["a"], "probability": 1}, "c": {"after": ["b"]}}
    if not chain:
        steps["d"] = {}
    document = build_scenario(
        components={"a": component(1), "b": component(10), "c": component(2), "d": component(0)},
        flows={"web": flow(trace_arrivals(trace([0.0, 1.0, 2.0])), steps)},
    )
    result = run_once(document)
    assert latencies(result) == pytest.approx([13.0] * 3, abs=EXACT)
    assert attempts_of(result, "b") == 3


def test_calls_are_made_in_sequence(trace):
    """`calls: 3` of a 2 s component take 6 s and make 3 calls."""
    document = build_scenario(
        components={"a": component(2)},
        flows={"web": flow(trace_arrivals(trace([0.0])), {"a": {"calls": 3}})},
    )
    result = run_once(document)
    assert latencies(result) == pytest.approx([6.0], abs=EXACT)
    assert result.values("components", "a", "calls") == [3.0]
    assert attempts_of(result, "a") == 3


# Failures -------------------------------------------------------------------------------


def failing_chain(trace, optional: bool) -> dict:
    """a (1 s) -> b (2 s, always fails) -> c (1 s)."""
    return build_scenario(
        components={"a": component(1), "b": component(2, failure=1.0), "c": component(1)},
        flows={
            "web": flow(
                trace_arrivals(trace([0.0])),
                {"a": {}, "b": {"after": ["a"], "optional": optional}, "c": {"after": ["b"]}},
            )
        },
    )


def test_a_failing_step_fails_the_request_at_that_instant(trace):
    """b fails at the end of its service (t = 3): the request fails then; c never runs."""
    result = run_once(failing_chain(trace, optional=False))
    records = result.records[0]
    assert list(records.latency) == pytest.approx([3.0], abs=EXACT)
    assert not records.ok.any()
    assert attempts_of(result, "c") == 0
    assert result.values("components", "b", "failures") == [1.0]


def test_an_optional_failing_step_does_not_fail_the_request(trace):
    """With `optional: true` the request carries on to c and succeeds at t = 4."""
    result = run_once(failing_chain(trace, optional=True))
    records = result.records[0]
    assert list(records.latency) == pytest.approx([4.0], abs=EXACT)
    assert records.ok.all()
    assert attempts_of(result, "c") == 1


def test_a_failure_abandons_the_parallel_steps_of_a_dag(trace):
    """Roots slow (10 s) and bad (2 s, fails) then c after both: the request fails at 2 s.

    The request does not wait for `slow`, and `c` never starts.
    """
    document = build_scenario(
        components={"slow": component(10), "bad": component(2, failure=1.0), "c": component(1)},
        flows={
            "web": flow(
                trace_arrivals(trace([0.0])),
                {"slow": {}, "bad": {}, "c": {"after": ["slow", "bad"]}},
            )
        },
    )
    result = run_once(document)
    records = result.records[0]
    assert list(records.latency) == pytest.approx([2.0], abs=EXACT)
    assert not records.ok.any()
    assert attempts_of(result, "c") == 0


# Timeouts and retries -------------------------------------------------------------------


def test_a_timeout_fails_the_call_when_it_expires(trace):
    """timeout 1 s on a 3 s service: the request fails at t = 1 (latency 1)."""
    document = build_scenario(
        components={"a": component(3, capacity=1)},
        flows={"web": flow(trace_arrivals(trace([0.0])), {"a": {}})},
        strategies={"impatient": {"policy": "static", "timeout": "1s"}},
    )
    records = run_once(document).records[0]
    assert list(records.latency) == pytest.approx([1.0], abs=EXACT)
    assert not records.ok.any()


def test_abandoned_work_still_occupies_the_server(trace):
    """The provider does not know the caller gave up: the server stays busy until t = 3.

    Capacity 1, service 3 s, timeout 1 s; a request at 0 times out at 1 and a second one at
    1.5 waits for the abandoned work until t = 3 (a queue wait of 1.5 s); it times out too.
    """
    document = build_scenario(
        components={"a": component(3, capacity=1)},
        flows={"web": flow(trace_arrivals(trace([0.0, 1.5])), {"a": {}})},
        strategies={"impatient": {"policy": "static", "timeout": "1s"}},
    )
    result = run_once(document)
    _, latency, ok = by_arrival(result.records[0])
    assert list(latency) == pytest.approx([1.0, 1.0], abs=EXACT)
    assert not ok.any()
    # Waits: 0 for the first, 3 - 1.5 for the second.
    assert result.values("components", "a", "by_option", "inhouse", "wait_s")[0] == (
        pytest.approx(0.75, abs=EXACT)
    )


def test_abandoned_work_delays_a_later_request_past_its_timeout(trace):
    """Capacity 1, service 3 s, timeout 4 s; arrivals at 0, 0, 4.5 and 9.5.

    - r1 is served 0-3: latency 3, ok.
    - r2 waits until 3, is served 3-6, but its caller gives up at 4: latency 4, failed.
    - r3 arrives at 4.5; the server is still busy with r2's abandoned work until 6, so it
      is served 6-9 and its caller gives up at 8.5: latency 4, failed. (Had the abandoned
      work been dropped, r3 would have succeeded in 3 s.)
    - r4 arrives at 9.5 to a free server: latency 3, ok.
    """
    document = build_scenario(
        components={"a": component(3, capacity=1)},
        flows={"web": flow(trace_arrivals(trace([0.0, 0.0, 4.5, 9.5])), {"a": {}})},
        strategies={"patient": {"policy": "static", "timeout": "4s"}},
    )
    _, latency, ok = by_arrival(run_once(document).records[0])
    assert list(latency) == pytest.approx([3.0, 4.0, 4.0, 3.0], abs=EXACT)
    assert list(ok) == [True, False, False, True]


def test_retries_with_exponential_backoff(trace):
    """retries 2, backoff 0.5 s x 2, service 0.1 s that always fails.

    attempt 0-0.1, wait 0.5, attempt 0.6-0.7, wait 1.0, attempt 1.7-1.8: latency 1.8,
    three attempts for one call.
    """
    document = build_scenario(
        components={"a": component(0.1, failure=1.0)},
        flows={"web": flow(trace_arrivals(trace([0.0])), {"a": {}})},
        strategies={
            "retry": {
                "policy": "static",
                "retries": 2,
                "timeout": "1s",
                "backoff": {"base": 0.5, "multiplier": 2},
            }
        },
    )
    result = run_once(document)
    records = result.records[0]
    assert list(records.latency) == pytest.approx([1.8], abs=EXACT)
    assert not records.ok.any()
    assert attempts_of(result, "a") == 3
    assert result.values("components", "a", "calls") == [1.0]
    assert result.values("components", "a", "failures") == [1.0]


def test_backoff_is_capped_by_max(trace):
    """retries 3, backoff 1 s x 10 capped at 2 s, service 0.1 s failing: 0.4 + 1 + 2 + 2."""
    document = build_scenario(
        components={"a": component(0.1, failure=1.0)},
        flows={"web": flow(trace_arrivals(trace([0.0])), {"a": {}})},
        strategies={
            "retry": {
                "policy": "static",
                "retries": 3,
                "backoff": {"base": 1, "multiplier": 10, "max": 2},
            }
        },
    )
    result = run_once(document)
    assert latencies(result) == pytest.approx([5.4], abs=EXACT)
    assert attempts_of(result, "a") == 4


def test_a_timed_out_attempt_is_retried(trace):
    """timeout 1 s, retries 1, no backoff, unlimited servers, service 3 s: fails at t = 2."""
    document = build_scenario(
        components={"a": component(3)},
        flows={"web": flow(trace_arrivals(trace([0.0])), {"a": {}})},
        strategies={"retry": {"policy": "static", "retries": 1, "timeout": "1s"}},
    )
    result = run_once(document)
    assert latencies(result) == pytest.approx([2.0], abs=EXACT)
    assert attempts_of(result, "a") == 2


# Rejections -----------------------------------------------------------------------------


def test_a_full_queue_rejects_at_once(trace):
    """Capacity 1, queue 0, two arrivals at t = 0: the second is rejected immediately."""
    document = build_scenario(
        components={"a": component(2, capacity=1, queue=0)},
        flows={"web": flow(trace_arrivals(trace([0.0, 0.0])), {"a": {}})},
    )
    result = run_once(document)
    records = result.records[0]
    assert sorted(records.latency) == pytest.approx([0.0, 2.0], abs=EXACT)
    assert sorted(records.ok) == [False, True]
    assert records.latency[~records.ok] == pytest.approx([0.0], abs=EXACT)


def test_a_queue_of_one_holds_one_waiting_call(trace):
    """Capacity 1, queue 1, three arrivals at 0: served at 2, waited until 4, rejected at 0."""
    document = build_scenario(
        components={"a": component(2, capacity=1, queue=1)},
        flows={"web": flow(trace_arrivals(trace([0.0, 0.0, 0.0])), {"a": {}})},
    )
    records = run_once(document).records[0]
    order = np.argsort(records.latency)
    assert list(records.latency[order]) == pytest.approx([0.0, 2.0, 4.0], abs=EXACT)
    assert list(records.ok[order]) == [False, True, True]


def test_rate_limit_rejects_calls_over_the_token_bucket():
    """rate_limit 1/s (bucket of 1): of 10 arrivals in one second, 9 are rejected."""
    document = build_scenario(
        {"run.horizon": 1},
        components={"a": component(0.01, rate_limit="1/s")},
        flows={"web": flow({"process": "constant", "rate": "10/s"}, {"a": {}})},
    )
    records = run_once(document).records[0]
    assert records.ok.size == 10
    assert int((~records.ok).sum()) == 9
    assert records.ok[np.argmin(records.arrival)]  # the first one had the token


def test_rate_limit_refills_over_time():
    """rate_limit 1/s, arrivals every 0.25 s for 3 s: one call a second gets through."""
    document = build_scenario(
        {"run.horizon": 3},
        components={"a": component(0.01, rate_limit=1)},
        flows={"web": flow({"process": "constant", "rate": 4}, {"a": {}})},
    )
    arrival, latency, ok = by_arrival(run_once(document).records[0])
    assert arrival.size == 12
    assert list(arrival[ok]) == pytest.approx([0.0, 1.0, 2.0], abs=EXACT)
    assert latency[~ok] == pytest.approx(np.zeros(9), abs=EXACT)


def test_rate_limit_burst_lets_a_burst_through():
    """rate_limit 1/s with burst 3, arrivals every 0.25 s for 1 s: 3 pass, 1 is rejected."""
    document = build_scenario(
        {"run.horizon": 1},
        components={"a": component(0.01, rate_limit=1, burst=3)},
        flows={"web": flow({"process": "constant", "rate": 4}, {"a": {}})},
    )
    _, _, ok = by_arrival(run_once(document).records[0])
    assert list(ok) == [True, True, True, False]


# The measured window --------------------------------------------------------------------


def test_requests_in_flight_at_the_horizon_drain():
    """Arrivals at 0, 1, 2 (horizon 3), service 5 s: all recorded, the last ends at 7."""
    document = build_scenario(
        {"run.horizon": 3},
        components={"a": component(5)},
        flows={"web": flow({"process": "constant", "rate": 1}, {"a": {}})},
    )
    arrival, latency, ok = by_arrival(run_once(document).records[0])
    assert list(arrival) == pytest.approx([0.0, 1.0, 2.0], abs=EXACT)
    assert list(latency) == pytest.approx([5.0, 5.0, 5.0], abs=EXACT)
    assert ok.all()


def test_arrivals_at_or_after_the_horizon_are_dropped(trace):
    """A trace with times 1, 2.999, 3 and 4 under horizon 3: only 1 and 2.999 arrive."""
    document = build_scenario(
        {"run.horizon": 3},
        flows={"web": flow(trace_arrivals(trace([1.0, 2.999, 3.0, 4.0])), {"a": {}})},
    )
    arrival, _, _ = by_arrival(run_once(document).records[0])
    assert list(arrival) == pytest.approx([1.0, 2.999], abs=EXACT)


def test_requests_arriving_before_warmup_are_not_counted():
    """Arrivals at 0..4 with warmup 2 (horizon 5): requests at 2, 3, 4 are measured."""
    document = build_scenario(
        {"run.horizon": 5, "run.warmup": 2},
        flows={"web": flow({"process": "constant", "rate": 1}, {"a": {}})},
    )
    result = run_once(document)
    arrival, _, _ = by_arrival(result.records[0])
    assert list(arrival) == pytest.approx([2.0, 3.0, 4.0], abs=EXACT)
    assert result.values("summary", "requests") == [3.0]
    assert attempts_of(result, "a") == 3
    assert result.values("summary", "throughput_rps") == [pytest.approx(1.0)]


def test_overrides_of_horizon_and_warmup_in_run():
    """`conductor.run(horizon=, warmup=)` override the scenario's run section."""
    document = build_scenario(flows={"web": flow({"process": "constant", "rate": 1}, {"a": {}})})
    arrival, _, _ = by_arrival(run_once(document, horizon=4, warmup=1).records[0])
    assert list(arrival) == pytest.approx([1.0, 2.0, 3.0], abs=EXACT)


# Outages --------------------------------------------------------------------------------


def outage_scenario(trace, times: list[float]) -> dict:
    """vendor is down on [10, 15), [25, 30), ...; shipper depends on vendor.

    Flow `direct` calls the vendor's component, flow `indirect` the shipper's; both take
    1 s when up.
    """
    return build_scenario(
        run={"horizon": 40, "warmup": 0, "replications": 1, "seed": 1},
        providers={
            "inhouse": {"kind": "internal"},
            "vendor": {
                "kind": "external",
                "outages": {
                    "mtbf": {"dist": "constant", "value": 10},
                    "mttr": {"dist": "constant", "value": 5},
                },
            },
            "shipper": {"kind": "external", "depends_on": ["vendor"]},
        },
        components={"pay": component(1, "vendor"), "ship": component(1, "shipper")},
        flows={
            "direct": flow(trace_arrivals(trace(times)), {"pay": {}}),
            "indirect": flow(trace_arrivals(trace(times)), {"ship": {}}),
        },
        strategies={"buy": {"policy": "static", "use": {"*": "external"}}},
    )


def outcomes(result, flow_index: int) -> tuple[list[float], list[float], list[bool]]:
    """Arrivals, latencies and outcomes of one flow, by arrival."""
    records = result.records[0]
    mine = records.flow == flow_index
    order = np.argsort(records.arrival[mine], kind="stable")
    return (
        list(records.arrival[mine][order]),
        list(records.latency[mine][order]),
        list(records.ok[mine][order]),
    )


def test_a_call_to_a_provider_that_is_down_fails_at_once(trace):
    """Calls at 2, 12, 16, 26, 31: those at 12 and 26 fall in outages and fail in 0 s."""
    result = run_once(outage_scenario(trace, [2.0, 12.0, 16.0, 26.0, 31.0]))
    _, latency, ok = outcomes(result, 0)
    assert ok == [True, False, True, False, True]
    assert latency == pytest.approx([1.0, 0.0, 1.0, 0.0, 1.0], abs=EXACT)


def test_a_provider_is_down_while_a_provider_it_depends_on_is_down(trace):
    """shipper has no outages of its own but depends on vendor: same failures."""
    result = run_once(outage_scenario(trace, [2.0, 12.0, 16.0, 26.0, 31.0]))
    _, latency, ok = outcomes(result, 1)
    assert ok == [True, False, True, False, True]
    assert latency == pytest.approx([1.0, 0.0, 1.0, 0.0, 1.0], abs=EXACT)


def test_availability_counts_the_down_time_in_the_window(trace):
    """Down on [10, 15) and [25, 30) of a 40 s window: availability 0.75 for both."""
    result = run_once(outage_scenario(trace, [2.0]))
    assert result.values("providers", "vendor", "availability") == [pytest.approx(0.75)]
    assert result.values("providers", "shipper", "availability") == [pytest.approx(0.75)]
    assert result.values("providers", "inhouse", "availability") == [pytest.approx(1.0)]
