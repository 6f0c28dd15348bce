"""The economics of sourcing: the adaptive conductor, switch-in, lead time, min_term, status quo.

The scenarios are deterministic (constant arrivals, constant service times, no failures),
so every figure is known exactly by hand:

- `adaptive` re-sources when the switch pays for itself: with saving s per hour, switch-in
  cost K, payback horizon P and hysteresis h it switches iff s·P > (1 + h)·K (and s is more
  than h of the current cost per hour). It reviews every `review`, so a price event at t
  makes it switch exactly at the first review after t, once, paying K once; a price
  change whose saving does not repay K within P leaves it where it is. A latency
  regression (`slowdown`) costs money only through SLO penalties, so it switches when the
  flow has penalties, not otherwise.
- Lead time: an option engaged at t serves from t + lead_time; until then the old option
  serves (each option is recognisable by its constant service time).
- `min_term`: an option engaged at 0 with minimum term M is released no earlier than M,
  even when the component migrated away before M; its per-hour price accrues until then
  (× the provider's price factor after a price event).
- `status_quo` (brownfield): a strategy whose choice differs from the status quo pays the
  switch-in once and is served by the status quo until the lead time has passed; one that
  keeps the status quo pays nothing; greenfield starts are free and serve at once. An
  option in its lead time serves no call, and no call of a component ever reaches an
  option of another component.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import conductor
from conductor.engine.simulation import simulate
from conductor.metrics.summary import replication_figures
from conductor.plan import compile_plan
from conductor.strategies.registry import build_strategy
from tests.builders import (
    add_flow,
    add_option,
    add_provider,
    add_strategy,
    constant,
    skeleton,
    update_option,
)

HOUR = 3600.0
RATE = 0.2  # constant arrivals: one every 5 s, 720 calls per hour
REVIEW = HOUR
EVENT_AT = 5.5 * HOUR  # between the reviews at 5 h and 6 h
FIRST_REVIEW_AFTER = 6 * HOUR
SWITCH_COST = 100.0
LEAD_TIME = 0.5 * HOUR
SERVICE = {"a": 0.1, "b": 0.3}  # tells which option served a request
PER_CALL = {"a": 0.01, "b": 0.012}
HORIZON = 12 * HOUR


def scenario(
    *,
    events: list[dict[str, Any]] | None = None,
    payback: str = "1d",
    a: dict[str, Any] | None = None,
    b: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """Component `api`, options at vendors a (cheap) and b (switch-in 100, lead 30 min)."""
    document = skeleton("economics")
    add_provider(document, "a", "external")
    add_provider(document, "b", "external")
    add_option(document, "api", "a", SERVICE["a"], cost={"per_call": PER_CALL["a"]})
    add_option(
        document,
        "api",
        "b",
        SERVICE["b"],
        cost={"per_call": PER_CALL["b"]},
        switch_in={"cost": SWITCH_COST, "lead_time": LEAD_TIME},
    )
    update_option(document, "api", "a", **(a or {}))
    update_option(document, "api", "b", **(b or {}))
    add_flow(document, "main", constant(RATE), {"api": {}})
    add_strategy(document, "conductor", "adaptive", review=REVIEW, payback=payback, hysteresis=0.1)
    add_strategy(document, "stay", "static", use={"api": "a"})
    add_strategy(document, "move", "static", use={"api": "b"})
    document["events"] = copy.deepcopy(events or [])
    document.update(copy.deepcopy(top))
    return document


def simulate_one(document: dict[str, Any], strategy: str, horizon: float = HORIZON):
    """One replication: the strategy after the run, its records, its figures."""
    loaded = conductor.load_scenario(document)
    plan = compile_plan(loaded)
    built = build_strategy(strategy, loaded.strategies[strategy], plan)
    records = simulate(plan, built, 0, seed=1, horizon=horizon, warmup=0)
    return built, records, replication_figures(records, plan)


def served_by(records) -> dict[str, np.ndarray]:
    """Arrival times of the requests served by each option (told by their latency)."""
    assert records.ok.all()
    found = {name: records.arrival[np.isclose(records.latency, s)] for name, s in SERVICE.items()}
    assert sum(len(v) for v in found.values()) == len(records.arrival)
    return {name: np.sort(times) for name, times in found.items()}


def pays_back(price: float, payback_hours: float, a_per_hour: float = 0.0) -> bool:
    """The hand computation of the adaptive rule for a price factor on vendor a."""
    calls = RATE * HOUR
    current = calls * PER_CALL["a"] * price + a_per_hour * price
    best = calls * PER_CALL["b"]
    saving = current - best
    return saving * payback_hours > 1.1 * SWITCH_COST and saving > 0.1 * current


A, B = 0, 1  # option indices: declared order


# 4. adaptive -----------------------------------------------------------------------------


def test_adaptive_switches_once_at_the_first_review_after_a_price_rise():
    assert pays_back(2.0, 24)
    document = scenario(events=[{"at": EVENT_AT, "provider": "a", "price": 2.0}])
    strategy, records, figures = simulate_one(document, "conductor")
    assert strategy.decisions == [(FIRST_REVIEW_AFTER, "api", "a", "b")]
    assert records.engagements == [
        (0.0, A, True),
        (FIRST_REVIEW_AFTER, B, True),
        (FIRST_REVIEW_AFTER + LEAD_TIME, A, False),
    ]
    assert records.switches == 1
    assert figures["summary", "switches"] == 1
    assert figures["summary", "cost", "switching"] == SWITCH_COST
    # Variable cost, exactly: a at 0.01 before the event, 0.02 after; b at 0.012.
    served = served_by(records)
    before = np.count_nonzero(served["a"] < EVENT_AT)
    expected = (
        before * PER_CALL["a"]
        + (len(served["a"]) - before) * 2 * PER_CALL["a"]
        + len(served["b"]) * PER_CALL["b"]
    )
    assert figures["summary", "cost", "variable"] == pytest.approx(expected, rel=1e-9)


def test_adaptive_lead_time_the_new_option_serves_only_after_it():
    document = scenario(events=[{"at": EVENT_AT, "provider": "a", "price": 2.0}])
    _, records, _ = simulate_one(document, "conductor")
    served = served_by(records)
    ready = FIRST_REVIEW_AFTER + LEAD_TIME
    assert served["a"].max() <= ready
    assert ready <= served["b"].min() < ready + 1.0 / RATE
    # The old option kept serving through the lead time, so no request failed.
    assert len(served["a"]) + len(served["b"]) == HORIZON * RATE


def test_adaptive_decides_once_when_the_lead_time_spans_several_reviews():
    """A migration under way is not decided again at the next reviews."""
    lead = 3 * HOUR
    document = scenario(
        events=[{"at": EVENT_AT, "provider": "a", "price": 2.0}],
        b={"switch_in": {"lead_time": lead}},
    )
    strategy, records, figures = simulate_one(document, "conductor")
    assert records.engagements == [
        (0.0, A, True),
        (FIRST_REVIEW_AFTER, B, True),
        (FIRST_REVIEW_AFTER + lead, A, False),
    ]
    assert figures["summary", "cost", "switching"] == SWITCH_COST
    assert figures["summary", "switches"] == 1
    served = served_by(records)
    assert served["a"].max() <= FIRST_REVIEW_AFTER + lead <= served["b"].min()
    assert strategy.decisions == [(FIRST_REVIEW_AFTER, "api", "a", "b")]


@pytest.mark.parametrize(("price", "payback"), [(1.5, "1d"), (2.0, "12h")])
def test_adaptive_does_not_switch_when_the_saving_does_not_pay_back(price, payback):
    hours = {"1d": 24, "12h": 12}[payback]
    assert not pays_back(price, hours)
    assert pays_back(price, 1000)  # a saving there is; it is too small for the payback
    document = scenario(events=[{"at": EVENT_AT, "provider": "a", "price": price}], payback=payback)
    strategy, records, figures = simulate_one(document, "conductor")
    assert strategy.decisions == []
    assert records.engagements == [(0.0, A, True)]
    assert figures["summary", "switches"] == 0
    assert figures["summary", "cost", "switching"] == 0
    assert len(served_by(records)["b"]) == 0


@pytest.mark.parametrize("penalties", [True, False])
def test_adaptive_switches_on_a_latency_regression_only_when_it_costs(penalties):
    # b dearer per call but within the SLO; a slowed ×10 (1 s) misses the 500 ms SLO.
    slo = {"latency": "500ms", "penalty": 1.0} if penalties else None
    document = scenario(
        events=[{"at": EVENT_AT, "provider": "a", "slowdown": 10}], b={"cost": {"per_call": 0.02}}
    )
    if slo:
        document["flows"]["main"]["slo"] = slo
    strategy, _, figures = simulate_one(document, "conductor")
    if penalties:
        # At 6 h, half of the last hour's calls to a were late: 720 × (0.01 + 0.5 × 1) per
        # hour against 720 × 0.02 for b.
        assert strategy.decisions == [(FIRST_REVIEW_AFTER, "api", "a", "b")]
        assert figures["summary", "switches"] == 1
        assert figures["summary", "cost", "switching"] == SWITCH_COST
    else:
        assert strategy.decisions == []
        assert figures["summary", "switches"] == 0


# 5. min_term -----------------------------------------------------------------------------


@pytest.mark.parametrize("min_term", [0.0, 8 * HOUR])
def test_min_term_keeps_the_old_option_engaged_and_paid(min_term):
    per_hour = 1.0
    assert pays_back(2.0, 24, per_hour)
    document = scenario(
        events=[{"at": EVENT_AT, "provider": "a", "price": 2.0}],
        a={"min_term": min_term, "cost": {"per_hour": per_hour}},
    )
    strategy, records, _ = simulate_one(document, "conductor")
    handed_over = FIRST_REVIEW_AFTER + LEAD_TIME
    released = max(handed_over, min_term)
    assert strategy.decisions == [(FIRST_REVIEW_AFTER, "api", "a", "b")]
    # The migration is decided, and completes, before the minimum term runs out.
    assert min_term == 0 or min_term > handed_over
    assert records.engagements == [
        (0.0, A, True),
        (FIRST_REVIEW_AFTER, B, True),
        (released, A, False),
    ]
    # b serves from the hand-over even while a is still engaged.
    served = served_by(records)
    assert served["a"].max() <= handed_over <= served["b"].min()
    # a's per-hour price accrues until its release, doubled after the price event.
    fixed = per_hour * (EVENT_AT / HOUR) + 2 * per_hour * (released - EVENT_AT) / HOUR
    assert records.fixed_cost[A] == pytest.approx(fixed, rel=1e-12)
    assert records.fixed_cost[B] == 0.0


def test_min_term_of_the_status_quo_outlasts_the_lead_time():
    term = 5 * HOUR
    document = scenario(status_quo={"api": "a"}, a={"min_term": term, "cost": {"per_hour": 2.0}})
    _, records, _ = simulate_one(document, "move")
    assert records.engagements == [(0.0, A, True), (0.0, B, True), (term, A, False)]
    assert records.fixed_cost[A] == pytest.approx(2.0 * term / HOUR, rel=1e-12)
    served = served_by(records)
    assert served["a"].max() <= LEAD_TIME <= served["b"].min()


# 6. status quo ---------------------------------------------------------------------------

STATUS_QUO_LEAD = 2 * HOUR
STATUS_QUO_COST = 500.0


@pytest.mark.parametrize(
    ("status_quo", "strategy"), [("a", "move"), ("a", "stay"), (None, "move"), (None, "stay")]
)
def test_status_quo_migration_pays_once_and_serves_after_the_lead_time(status_quo, strategy):
    document = scenario(
        b={"switch_in": {"cost": STATUS_QUO_COST, "lead_time": STATUS_QUO_LEAD}},
        **({"status_quo": {"api": status_quo}} if status_quo else {}),
    )
    _, records, figures = simulate_one(document, strategy, horizon=4 * HOUR)
    served = served_by(records)
    wanted = {"move": "b", "stay": "a"}[strategy]
    if status_quo is not None and wanted != status_quo:
        assert figures["summary", "switches"] == 1
        assert figures["summary", "cost", "switching"] == STATUS_QUO_COST
        assert records.engagements == [(0.0, A, True), (0.0, B, True), (STATUS_QUO_LEAD, A, False)]
        assert served["a"].max() <= STATUS_QUO_LEAD <= served["b"].min()
        assert served["b"].min() < STATUS_QUO_LEAD + 1.0 / RATE
    else:
        # Keeping the status quo, or a greenfield start: free, and serving at once.
        assert figures["summary", "switches"] == 0
        assert figures["summary", "cost", "switching"] == 0
        index = {"a": A, "b": B}[wanted]
        assert records.engagements == [(0.0, index, True)]
        other = "a" if wanted == "b" else "b"
        assert len(served[other]) == 0
        assert served[wanted].min() == 0.0


@pytest.mark.parametrize(
    "spec",
    [
        {"policy": "weighted", "weights": {"b": 1}},
        {"policy": "failover", "order": ["b"]},
    ],
    ids=["weighted", "failover"],
)
def test_no_call_is_served_by_an_option_in_its_lead_time(spec):
    """A multi-sourcing policy moving off the status quo: until b's lead time has passed
    b cannot serve, and no other component's option may take the calls in its place."""
    document = scenario(
        status_quo={"api": "a"},
        b={"switch_in": {"cost": STATUS_QUO_COST, "lead_time": STATUS_QUO_LEAD}},
    )
    # A second component, last in the plan, that the flow never calls.
    document["providers"]["z"] = {"kind": "internal"}
    document["components"]["unused"] = {"options": {"z": {"service_time": 0.7}}}
    document["strategies"] = {"multi": spec}
    _, records, figures = simulate_one(document, "multi", horizon=4 * HOUR)
    assert figures["components", "unused", "calls"] == 0
    assert records.attempts[2] == 0, "calls of api were sent to unused@z"
    assert figures["summary", "cost", "switching"] == STATUS_QUO_COST
    b_served = records.arrival[records.ok & np.isclose(records.latency, SERVICE["b"])]
    assert b_served.min() >= STATUS_QUO_LEAD
