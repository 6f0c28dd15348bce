"""Cost accounting by hand: constant times and replayed arrivals make every count exact.

The measured window is [warmup, horizon) = [1 h, 2 h): per-call costs count the attempts
of the requests arriving in it, per-hour costs the engaged time inside it.
"""

from __future__ import annotations

import pytest

import conductor
from tests.conftest import STARTER, build_scenario, run_once, trace_arrivals

HOUR = 3600.0
RUN = {"horizon": 2 * HOUR, "warmup": HOUR, "replications": 1, "seed": 1}
# One request a minute over two hours: 60 before the warmup, 60 measured.
MINUTES = [60.0 * k for k in range(120)]


def summary_cost(result) -> dict[str, float]:
    """The summary cost figures of the only replication."""
    return {
        key: result.values("summary", "cost", key)[0]
        for key in ("total", "per_request", "per_hour", "variable", "fixed", "switching", "penalty")
    }


def test_per_call_cost_is_paid_per_attempt_retries_included(trace):
    """per_call 0.02 on a call that always fails, retried twice: 3 attempts per request.

    60 measured requests x 3 attempts x 0.02 = 3.6; the 60 before warmup are not counted.
    """
    document = build_scenario(
        run=RUN,
        components={
            "pay": {
                "options": {
                    "vendor": {"service_time": 0.2, "failure": 1.0, "cost": {"per_call": 0.02}}
                }
            }
        },
        flows={"web": {"arrivals": trace_arrivals(trace(MINUTES)), "steps": {"pay": {}}}},
        strategies={"retry": {"policy": "static", "retries": 2}},
    )
    result = run_once(document)
    cost = summary_cost(result)
    assert result.values("components", "pay", "attempts") == [180.0]
    assert cost["variable"] == pytest.approx(3.6)
    assert cost["fixed"] == pytest.approx(0.0)
    assert cost["penalty"] == pytest.approx(0.0)  # no SLO, no failure penalty
    assert cost["total"] == pytest.approx(3.6)
    assert cost["per_request"] == pytest.approx(3.6 / 60)
    assert cost["per_hour"] == pytest.approx(3.6)


def test_timed_out_attempts_are_paid_too(trace):
    """timeout 1 s on a 3 s service, one retry: 2 paid attempts per request (60 x 2 x 0.5)."""
    document = build_scenario(
        run=RUN,
        components={"pay": {"options": {"vendor": {"service_time": 3, "cost": {"per_call": 0.5}}}}},
        flows={"web": {"arrivals": trace_arrivals(trace(MINUTES)), "steps": {"pay": {}}}},
        strategies={"retry": {"policy": "static", "retries": 1, "timeout": "1s"}},
    )
    assert summary_cost(run_once(document))["variable"] == pytest.approx(60.0)


def test_per_hour_costs_accrue_over_the_measured_window_only(trace):
    """Option per_hour 3.0 and vendor relationship per_hour 0.5 over a 1 h window: 3.5."""
    document = build_scenario(
        run=RUN,
        providers={
            "inhouse": {"kind": "internal"},
            "vendor": {"kind": "external", "cost": {"per_hour": 0.5}},
        },
        components={
            "pay": {"options": {"vendor": {"service_time": 0.2, "cost": {"per_hour": 3.0}}}}
        },
        flows={"web": {"arrivals": trace_arrivals(trace(MINUTES)), "steps": {"pay": {}}}},
        strategies={"buy": {"policy": "static"}},
    )
    result = run_once(document)
    cost = summary_cost(result)
    assert cost["fixed"] == pytest.approx(3.5)
    assert cost["variable"] == pytest.approx(0.0)
    assert cost["total"] == pytest.approx(3.5)
    assert cost["per_hour"] == pytest.approx(3.5)
    assert cost["per_request"] == pytest.approx(3.5 / 60)
    assert result.values("providers", "vendor", "cost") == [pytest.approx(3.5)]


def test_per_hour_cost_scales_with_the_window(trace):
    """Without warmup the 2 h window costs twice as much: 2 x (3.0 + 0.5) = 7."""
    document = build_scenario(
        run={**RUN, "warmup": 0},
        providers={
            "inhouse": {"kind": "internal"},
            "vendor": {"kind": "external", "cost": {"per_hour": 0.5}},
        },
        components={
            "pay": {"options": {"vendor": {"service_time": 0.2, "cost": {"per_hour": 3.0}}}}
        },
        flows={"web": {"arrivals": trace_arrivals(trace(MINUTES)), "steps": {"pay": {}}}},
        strategies={"buy": {"policy": "static"}},
    )
    cost = summary_cost(run_once(document))
    assert cost["fixed"] == pytest.approx(7.0)
    assert cost["per_hour"] == pytest.approx(3.5)
    assert cost["per_request"] == pytest.approx(7.0 / 120)


def test_relationship_cost_is_paid_only_while_an_option_is_engaged(trace):
    """The vendor's relationship per_hour is not paid by a strategy that only builds."""
    document = build_scenario(
        run=RUN,
        providers={
            "inhouse": {"kind": "internal"},
            "vendor": {"kind": "external", "cost": {"per_hour": 100}},
        },
        components={
            "pay": {
                "options": {
                    "inhouse": {"service_time": 0.2, "cost": {"per_hour": 2.0}},
                    "vendor": {"service_time": 0.2, "cost": {"per_hour": 50.0}},
                }
            }
        },
        flows={"web": {"arrivals": trace_arrivals(trace(MINUTES)), "steps": {"pay": {}}}},
        strategies={"build": {"policy": "static", "use": {"*": "internal"}}},
    )
    result = run_once(document)
    assert summary_cost(result)["fixed"] == pytest.approx(2.0)
    assert result.values("providers", "vendor", "cost") == [pytest.approx(0.0)]
    assert result.values("providers", "inhouse", "cost") == [pytest.approx(2.0)]


def test_slo_penalty_per_late_success_and_failure_penalty_per_failure(trace):
    """Capacity 1, service 1 s, two arrivals each minute: one takes 1 s, the other 2 s.

    SLO 1.5 s: 60 of the 120 measured requests are late (x 0.05 = 3.0); no failures.
    """
    pairs = sorted(MINUTES + MINUTES)
    document = build_scenario(
        run=RUN,
        components={"pay": {"options": {"inhouse": {"service_time": 1, "capacity": 1}}}},
        flows={
            "web": {
                "arrivals": trace_arrivals(trace(pairs)),
                "steps": {"pay": {}},
                "slo": {"latency": "1500ms", "penalty": 0.05, "failure_penalty": 1.0},
            }
        },
    )
    result = run_once(document)
    cost = summary_cost(result)
    assert result.values("summary", "requests") == [120.0]
    assert cost["penalty"] == pytest.approx(3.0)
    assert cost["total"] == pytest.approx(3.0)
    assert result.values("summary", "slo_attainment") == [pytest.approx(0.5)]
    assert result.values("flows", "web", "cost", "penalty") == [pytest.approx(3.0)]


def test_a_request_exactly_at_the_slo_latency_meets_it(trace):
    """Service 2 s and SLO 2 s: "within" includes the bound, so nothing is charged."""
    document = build_scenario(
        run=RUN,
        components={"pay": {"options": {"inhouse": {"service_time": 2}}}},
        flows={
            "web": {
                "arrivals": trace_arrivals(trace(MINUTES)),
                "steps": {"pay": {}},
                "slo": {"latency": "2s", "penalty": 0.05},
            }
        },
    )
    result = run_once(document)
    assert summary_cost(result)["penalty"] == pytest.approx(0.0)
    assert result.values("summary", "slo_attainment") == [pytest.approx(1.0)]


def test_failed_requests_pay_the_failure_penalty_not_the_late_penalty(trace):
    """Every call fails after 5 s: 60 failures x 1.0, no late penalty, attainment 0."""
    document = build_scenario(
        run=RUN,
        components={"pay": {"options": {"inhouse": {"service_time": 5, "failure": 1.0}}}},
        flows={
            "web": {
                "arrivals": trace_arrivals(trace(MINUTES)),
                "steps": {"pay": {}},
                "slo": {"latency": "1s", "penalty": 0.05, "failure_penalty": 1.0},
            }
        },
    )
    result = run_once(document)
    assert summary_cost(result)["penalty"] == pytest.approx(60.0)
    assert result.values("summary", "slo_attainment") == [pytest.approx(0.0)]
    assert result.values("summary", "success_rate") == [pytest.approx(0.0)]


def test_total_is_the_sum_of_its_parts(trace):
    """per_call 0.02 x 3 attempts, per_hour 3 + 0.5, failure_penalty 1: 3.6 + 3.5 + 60."""
    document = build_scenario(
        run=RUN,
        providers={
            "inhouse": {"kind": "internal"},
            "vendor": {"kind": "external", "cost": {"per_hour": 0.5}},
        },
        components={
            "pay": {
                "options": {
                    "vendor": {
                        "service_time": 0.2,
                        "failure": 1.0,
                        "cost": {"per_call": 0.02, "per_hour": 3.0},
                    }
                }
            }
        },
        flows={
            "web": {
                "arrivals": trace_arrivals(trace(MINUTES)),
                "steps": {"pay": {}},
                "slo": {"latency": "1s", "penalty": 0.05, "failure_penalty": 1.0},
            }
        },
        strategies={"retry": {"policy": "static", "retries": 2}},
    )
    result = run_once(document)
    cost = summary_cost(result)
    assert cost["variable"] == pytest.approx(3.6)
    assert cost["fixed"] == pytest.approx(3.5)
    assert cost["switching"] == pytest.approx(0.0)
    assert cost["penalty"] == pytest.approx(60.0)
    assert cost["total"] == pytest.approx(67.1)
    assert cost["per_request"] == pytest.approx(67.1 / 60)
    assert cost["per_hour"] == pytest.approx(67.1)
    assert result.values("flows", "web", "cost", "total") == [pytest.approx(67.1)]
    # The provider's cost is its IT spend: calls, option hours and relationship.
    assert result.values("providers", "vendor", "cost") == [pytest.approx(7.1)]


def test_switching_from_the_status_quo_pays_switch_in_and_waits_for_lead_time(trace):
    """Status quo in-house; `buy` engages the vendor (switch-in 100, lead time 10 s).

    The request at t = 1 is still served in-house; the one at t = 15 by the vendor. One
    switch, 100 of switching cost, the vendor's per_call once, and the in-house per_hour
    while it is engaged (36/h over at most the 20 s window).
    """
    document = build_scenario(
        run={"horizon": 20, "warmup": 0, "replications": 1, "seed": 1},
        components={
            "a": {
                "options": {
                    "inhouse": {"service_time": 1, "cost": {"per_hour": 36}},
                    "vendor": {
                        "service_time": 1,
                        "switch_in": {"cost": 100, "lead_time": 10},
                        "cost": {"per_call": 1},
                    },
                }
            }
        },
        flows={"web": {"arrivals": trace_arrivals(trace([1.0, 15.0])), "steps": {"a": {}}}},
        strategies={"buy": {"policy": "static", "use": {"*": "external"}}},
        status_quo={"a": "inhouse"},
    )
    result = run_once(document)
    cost = summary_cost(result)
    assert result.values("summary", "switches") == [1.0]
    assert cost["switching"] == pytest.approx(100.0)
    assert cost["variable"] == pytest.approx(1.0)
    assert 0.1 - 1e-9 <= cost["fixed"] <= 0.2 + 1e-9
    assert result.values("components", "a", "by_option", "inhouse", "attempts") == [1.0]
    assert result.values("components", "a", "by_option", "vendor", "attempts") == [1.0]
    assert result.records[0].ok.all()


def test_the_greenfield_start_is_free(trace):
    """Without a status quo, engaging the starting portfolio costs nothing to switch."""
    document = build_scenario(
        components={
            "a": {
                "options": {
                    "vendor": {"service_time": 1, "switch_in": {"cost": 100, "lead_time": 10}}
                }
            }
        },
        flows={"web": {"arrivals": trace_arrivals(trace([1.0])), "steps": {"a": {}}}},
        strategies={"buy": {"policy": "static"}},
    )
    result = run_once(document)
    assert summary_cost(result)["switching"] == pytest.approx(0.0)
    assert result.values("summary", "switches") == [0.0]
    assert list(result.records[0].latency) == pytest.approx([1.0], abs=1e-9)


def test_flows_split_the_costs_of_their_own_options(trace):
    """Two flows, each calling its own option: each flow carries that option's costs."""
    document = build_scenario(
        run=RUN,
        components={
            "a": {"options": {"inhouse": {"service_time": 1, "cost": {"per_hour": 2.0}}}},
            "b": {"options": {"vendor": {"service_time": 1, "cost": {"per_call": 0.1}}}},
        },
        flows={
            "one": {"arrivals": trace_arrivals(trace(MINUTES)), "steps": {"a": {}}},
            "two": {"arrivals": trace_arrivals(trace(MINUTES)), "steps": {"b": {}}},
        },
        strategies={"mixed": {"policy": "static"}},
    )
    result = run_once(document)
    assert result.values("flows", "one", "cost", "fixed") == [pytest.approx(2.0)]
    assert result.values("flows", "one", "cost", "variable") == [pytest.approx(0.0)]
    assert result.values("flows", "two", "cost", "variable") == [pytest.approx(6.0)]
    assert result.values("flows", "two", "cost", "fixed") == [pytest.approx(0.0)]
    assert summary_cost(result)["total"] == pytest.approx(8.0)
    assert summary_cost(result)["per_request"] == pytest.approx(8.0 / 120)


def test_cost_identities_hold_on_a_random_scenario():
    """On the starter scenario: total = variable + fixed + switching + penalty, per request
    and per hour follow from it, and the flows' variable and penalty add up to the summary."""
    scenario = conductor.load_scenario(STARTER, ["run.horizon=3min", "run.warmup=1min"])
    result = conductor.run(scenario, "buy-retry", replications=2, seed=5, workers=1)
    hours = 2 / 60
    for run in result.runs:
        parts = sum(
            run["summary", "cost", k] for k in ("variable", "fixed", "switching", "penalty")
        )
        total = run["summary", "cost", "total"]
        assert total == pytest.approx(parts)
        assert run["summary", "cost", "per_hour"] == pytest.approx(total / hours)
        assert run["summary", "cost", "per_request"] == pytest.approx(
            total / run["summary", "requests"]
        )
        for key in ("variable", "penalty"):
            assert run["summary", "cost", key] == pytest.approx(
                run["flows", "checkout", "cost", key]
            )
