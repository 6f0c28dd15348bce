"""What-if events, provider dependencies and change requests, against exact counts.

With constant arrivals (one request at every integer second) and constant service and
network times, the effect of each event is known exactly; events happen at half-seconds
so that no arrival coincides with one:

- `outage` D at T: exactly the requests arriving in [T, T + D) fail under `static`; the
  provider's availability over the window W is 1 − D/W.
- `depends_on`: a provider is down whenever one it depends on is, so an outage of a cloud
  takes down a SaaS built on it: the same failures, the same availability 1 − D/W, while
  a provider that does not depend on the cloud is unaffected. With independent random
  outages the dependent's availability is the product A_saas · A_cloud (a series system;
  Student-t interval over replications).
- `exit` at T: the provider is down from T on for good: `static` on it fails every later
  request, `failover` to another provider succeeds on every one; availability T/W.
- `slowdown` k for D: every attempt made inside the window takes k × its time.
- `surge` k for D: the arrivals in the window are the nominal ones plus a Poisson number
  of mean (k − 1)·λ·D (exact Poisson interval); a surge below 1 keeps each arrival with
  probability k (exact binomial interval); outside the window nothing changes.
- `price` k at T: per-call prices × k for attempts from T on, per-hour prices × k for the
  time after T (option and relationship costs alike): the costs are exact sums.
- Change requests take the `change_lead_time` of the option serving the component: their
  mean is the declared mean of that option (Student-t interval over replications of
  i.i.d. exponential lead times, 3 days for build, 45 days for buy).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pytest
from scipy import stats

import conductor
from tests.theory import LEVEL, MAX_HALF_WIDTH, assert_proportion, assert_within_ci

SERVICE = 0.01
# THEORY_SEED_SHIFT re-runs the statistical checks on other random numbers, as in theory.py.
SEED_SHIFT = int(os.environ.get("THEORY_SEED_SHIFT", "0"))


def mapping(
    providers: dict[str, dict[str, Any]],
    options: dict[str, dict[str, Any]],
    strategies: dict[str, dict[str, Any]],
    *,
    events: list[dict[str, Any]] | None = None,
    rate: float = 1.0,
    **top: Any,
) -> dict[str, Any]:
    """One flow with constant arrivals calling one component `api`."""
    return {
        "name": "events",
        "providers": providers,
        "components": {"api": {"options": options}},
        "flows": {
            "main": {"arrivals": {"process": "constant", "rate": rate}, "steps": {"api": {}}}
        },
        "strategies": strategies,
        "events": events or [],
        **top,
    }


def run(document: dict[str, Any], strategy: str, **settings: Any) -> conductor.RunResult:
    """Replications of one strategy (one unless told), records kept."""
    settings.setdefault("replications", 1)
    settings.setdefault("seed", 1)
    return conductor.run(
        conductor.load_scenario(document), strategy, workers=1, keep_records=True, **settings
    )


def two_vendors(**extra: Any) -> dict[str, Any]:
    return mapping(
        {"p1": {"kind": "external"}, "p2": {"kind": "external"}},
        {"p1": {"service_time": SERVICE}, "p2": {"service_time": SERVICE}},
        {
            "static": {"policy": "static", "use": {"api": "p1"}},
            "failover": {"policy": "failover", "order": ["p1", "p2"]},
        },
        **extra,
    )


def failed_arrivals(result: conductor.RunResult) -> np.ndarray:
    records = result.records[0]
    return np.sort(records.arrival[~records.ok])


# outage and depends_on -------------------------------------------------------------------

AT, FOR, HORIZON, WARMUP = 100.5, 50.0, 1000.0, 50.0
WINDOW = HORIZON - WARMUP


def test_outage_event_fails_exactly_the_calls_inside_it():
    document = two_vendors(events=[{"at": AT, "provider": "p1", "outage": FOR}])
    result = run(document, "static", horizon=HORIZON, warmup=WARMUP)
    np.testing.assert_array_equal(failed_arrivals(result), np.arange(101.0, 151.0))
    assert result.values("providers", "p1", "availability")[0] == pytest.approx(1 - FOR / WINDOW)
    assert result.values("providers", "p2", "availability")[0] == 1.0
    assert result.values("summary", "success_rate")[0] == pytest.approx(1 - FOR / WINDOW)
    assert run(document, "failover", horizon=HORIZON, warmup=WARMUP).records[0].ok.all()


def test_outage_of_a_dependency_takes_down_its_dependents():
    document = mapping(
        {
            "cloud": {"kind": "external"},
            "saas": {"kind": "external", "depends_on": ["cloud"]},
            "other": {"kind": "external"},
        },
        {"saas": {"service_time": SERVICE}, "other": {"service_time": SERVICE}},
        {
            "saas": {"policy": "static", "use": {"api": "saas"}},
            "other": {"policy": "static", "use": {"api": "other"}},
        },
        events=[{"at": AT, "provider": "cloud", "outage": FOR}],
    )
    result = run(document, "saas", horizon=HORIZON, warmup=WARMUP)
    np.testing.assert_array_equal(failed_arrivals(result), np.arange(101.0, 151.0))
    for provider in ("cloud", "saas"):
        assert result.values("providers", provider, "availability")[0] == pytest.approx(
            1 - FOR / WINDOW
        ), provider
    assert result.values("providers", "other", "availability")[0] == 1.0
    assert run(document, "other", horizon=HORIZON, warmup=WARMUP).records[0].ok.all()


def test_depends_on_is_transitive():
    """A chain saas → platform → cloud: a cloud outage reaches the SaaS."""
    document = mapping(
        {
            "cloud": {"kind": "external"},
            "platform": {"kind": "external", "depends_on": ["cloud"]},
            "saas": {"kind": "external", "depends_on": ["platform"]},
        },
        {"saas": {"service_time": SERVICE}},
        {"saas": {"policy": "static"}},
        events=[{"at": AT, "provider": "cloud", "outage": FOR}],
    )
    result = run(document, "saas", horizon=HORIZON, warmup=WARMUP)
    np.testing.assert_array_equal(failed_arrivals(result), np.arange(101.0, 151.0))
    assert result.values("providers", "saas", "availability")[0] == pytest.approx(1 - FOR / WINDOW)


def test_availability_of_a_dependent_is_the_product_of_availabilities():
    """Independent renewal outages: the SaaS is up when it and the cloud both are,
    A = A_saas · A_cloud = 0.8 × 0.9 (Barlow & Proschan, series system)."""
    document = mapping(
        {
            "cloud": {"kind": "external", "outages": {"mtbf": 900, "mttr": 100}},
            "saas": {
                "kind": "external",
                "depends_on": ["cloud"],
                "outages": {"mtbf": 400, "mttr": 100},
            },
        },
        {"saas": {"service_time": SERVICE}},
        {"saas": {"policy": "static"}},
        rate=0.01,
    )
    result = run(document, "saas", replications=8, seed=SEED_SHIFT + 4, horizon=2e5, warmup=1000)
    assert_within_ci(
        result.values("providers", "cloud", "availability"), 0.9, what="cloud availability"
    )
    assert_within_ci(
        result.values("providers", "saas", "availability"), 0.72, what="dependent availability"
    )
    assert_within_ci(
        result.values("summary", "success_rate"),
        0.72 * math.exp(-SERVICE / 900 - SERVICE / 400),
        what="calls to the dependent",
    )


# exit ------------------------------------------------------------------------------------

EXIT_AT = 300.5


def test_exit_static_fails_from_then_on_and_failover_copes():
    document = two_vendors(events=[{"at": EXIT_AT, "provider": "p1", "exit": True}])
    static = run(document, "static", horizon=HORIZON, warmup=WARMUP)
    np.testing.assert_array_equal(failed_arrivals(static), np.arange(301.0, HORIZON))
    assert static.values("providers", "p1", "availability")[0] == pytest.approx(
        (EXIT_AT - WARMUP) / WINDOW
    )
    failover = run(document, "failover", horizon=HORIZON, warmup=WARMUP)
    assert failover.records[0].ok.all()
    # After the exit every call is on p2 (the dead p1 fails at once, then p2 serves).
    assert failover.values("components", "api", "by_option", "p2", "attempts")[0] == (
        HORIZON - 301.0
    )


# slowdown --------------------------------------------------------------------------------


def test_slowdown_multiplies_service_and_network_times():
    factor, at, length = 3.0, 100.5, 50.0
    document = mapping(
        {"p": {"kind": "external", "network": "100ms"}},
        {"p": {"service_time": "200ms"}},
        {"static": {"policy": "static"}},
        events=[{"at": at, "provider": "p", "slowdown": factor, "for": length}],
    )
    records = run(document, "static", horizon=400, warmup=0).records[0]
    order = np.argsort(records.arrival)
    arrival, latency = records.arrival[order], records.latency[order]
    inside = (arrival > at) & (arrival + factor * 0.3 < at + length)
    outside = (arrival + 0.3 < at) | (arrival > at + length)
    assert inside.sum() == 49 and outside.sum() == 350  # arrivals 101..149; 0..100, 151..
    np.testing.assert_allclose(latency[inside], factor * 0.3, rtol=1e-9)
    np.testing.assert_allclose(latency[outside], 0.3, rtol=1e-9)
    assert records.ok.all()


# surge -----------------------------------------------------------------------------------


def poisson_interval(count: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson mean from one count."""
    alpha = 1.0 - level
    low = stats.chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    return low, stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2


@pytest.mark.parametrize("factor", [3.0, 0.25])
def test_surge_multiplies_arrivals_inside_its_window(factor):
    at, length, horizon = 500.5, 1000.0, 2000.0
    document = mapping(
        {"p": {"kind": "internal"}},
        {"p": {"service_time": SERVICE}},
        {"static": {"policy": "static"}},
        events=[{"at": at, "flow": "main", "surge": factor, "for": length}],
    )
    for seed in (SEED_SHIFT + 1, SEED_SHIFT + 2):
        arrival = run(document, "static", horizon=horizon, warmup=0, seed=seed).records[0].arrival
        inside = (arrival >= at) & (arrival < at + length)
        nominal = length  # one arrival per second: 501 .. 1500
        count = int(inside.sum())
        # Outside the window the nominal arrivals, exactly.
        np.testing.assert_array_equal(
            np.sort(arrival[~inside]), np.r_[np.arange(0.0, 501.0), np.arange(1501.0, horizon)]
        )
        if factor >= 1:
            extra = count - int(nominal)
            expected = (factor - 1.0) * nominal
            low, high = poisson_interval(extra)
            print(f"[theory] surge ×{factor}: extra arrivals {extra}, Poisson mean {expected}")
            assert low <= expected <= high, (extra, expected, low, high)
            assert np.all(np.isin(np.arange(501.0, 1501.0), arrival))
        else:
            assert_proportion(count, int(nominal), factor, what=f"surge ×{factor} admitted")
            assert np.all(np.isin(arrival[inside], np.arange(501.0, 1501.0)))


# price -----------------------------------------------------------------------------------


def test_price_event_scales_per_call_and_per_hour_prices():
    at, factor, horizon = 500.5, 1.5, 1000.0
    per_call, per_hour, relationship = 0.01, 3.6, 7.2
    document = mapping(
        {"p": {"kind": "external", "cost": {"per_hour": relationship}}},
        {"p": {"service_time": SERVICE, "cost": {"per_call": per_call, "per_hour": per_hour}}},
        {"static": {"policy": "static"}},
        events=[{"at": at, "provider": "p", "price": factor}],
    )
    result = run(document, "static", horizon=horizon, warmup=0)
    before, after = 501, 499  # arrivals 0..500 and 501..999
    variable = per_call * (before + factor * after)
    hours_before, hours_after = at / 3600.0, (horizon - at) / 3600.0
    fixed = (per_hour + relationship) * (hours_before + factor * hours_after)
    figure = result.to_dict()["summary"]["cost"]
    assert figure["variable"]["mean"] == pytest.approx(variable, rel=1e-12)
    assert figure["fixed"]["mean"] == pytest.approx(fixed, rel=1e-12)
    assert figure["total"]["mean"] == pytest.approx(variable + fixed, rel=1e-12)
    assert result.values("providers", "p", "cost")[0] == pytest.approx(variable + fixed)


# change requests -------------------------------------------------------------------------

DAY = 86400.0
CHANGE_MEANS = {"build": 3 * DAY, "buy": 45 * DAY}


@pytest.mark.parametrize("strategy", sorted(CHANGE_MEANS))
def test_change_lead_time_is_that_of_the_serving_option(strategy):
    document = mapping(
        {"inhouse": {"kind": "internal"}, "vendor": {"kind": "external"}},
        {
            "inhouse": {
                "service_time": SERVICE,
                "change_lead_time": {"dist": "exponential", "mean": "3d"},
            },
            "vendor": {
                "service_time": SERVICE,
                "change_lead_time": {"dist": "exponential", "mean": "45d"},
            },
        },
        {
            "build": {"policy": "static", "use": {"*": "internal"}},
            "buy": {"policy": "static", "use": {"*": "external"}},
        },
        rate=0.01,
        changes={"rate": "600/h"},
    )
    result = run(
        document, strategy, replications=20, seed=SEED_SHIFT + 9, horizon=36000, warmup=3600
    )
    counts = [len(r.change_lead_times) for r in result.records]
    # 600 per hour over the 9 h window: Poisson(5400) per replication, 108 000 in all, so
    # the interval is narrow enough to catch a 3 % bias (tests/theory.py).
    assert all(abs(c - 5400) < 6 * math.sqrt(5400) for c in counts), counts
    assert_within_ci(
        result.values("summary", "change_lead_time_s"),
        CHANGE_MEANS[strategy],
        what=f"change lead time ({strategy})",
        max_half_width=MAX_HALF_WIDTH,
    )
