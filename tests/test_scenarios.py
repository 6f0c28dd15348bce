"""The scenario library: every bundled scenario validates, runs, and tells its story.

For every `scenarios/*.yaml`: `conductor check` exits 0 without warnings, and a short
comparison of all its strategies (2 replications, a shortened horizon, one process)
completes with requests measured for every strategy. Each scenario of the library then
has one assertion of its story, on that short run, chosen to be robust: an effect
several times larger than the noise of two short replications.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import conductor
from conductor.cli import main

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml"))

LIBRARY = (
    "checkout.yaml",
    "tail-at-scale.yaml",
    "concentration-risk.yaml",
    "lock-in.yaml",
    "sourcer-innovator.yaml",
    "demand-focused.yaml",
    "retry-storm.yaml",
)
"""The scenarios whose stories are asserted below."""

MINUTE = 60.0
DAY = 86400.0

SHORT: dict[str, dict[str, float]] = {
    # No incident in the first 10 minutes: the build-or-buy trade-off alone.
    "checkout.yaml": {"horizon": 10 * MINUTE, "warmup": 1 * MINUTE},
    "tail-at-scale.yaml": {"horizon": 60.0, "warmup": 5.0},
    # The window [20min, 35min) holds the first 10 minutes of bigcloud's outage.
    "concentration-risk.yaml": {"horizon": 35 * MINUTE, "warmup": 20 * MINUTE},
    # Past the price rise of day 10 and the conductor's review at that moment.
    "lock-in.yaml": {"horizon": 11 * DAY, "warmup": 0.0},
    "sourcer-innovator.yaml": {"horizon": 5 * DAY, "warmup": 0.0},
    "demand-focused.yaml": {"horizon": 5 * MINUTE, "warmup": 30.0},
    # The surge runs from 3:00 to 4:00; the storm must outlive it.
    "retry-storm.yaml": {"horizon": 6 * MINUTE, "warmup": 0.0},
}
"""Short run settings per scenario; any other scenario runs for 2 minutes."""


@functools.cache
def short_compare(name: str) -> conductor.CompareResult:
    """All strategies of a scenario, 2 replications of its short run, in this process."""
    settings = SHORT.get(name, {"horizon": 2 * MINUTE, "warmup": 0.0})
    return conductor.compare(str(SCENARIO_DIR / name), replications=2, workers=1, **settings)


def mean(result: conductor.CompareResult, strategy: str, *path: str) -> float:
    """Mean over the replications of one figure of one strategy."""
    stat = result.results[strategy].stat(*path)
    return math.nan if stat is None else stat["mean"]


def it_spend(result: conductor.CompareResult, strategy: str) -> float:
    """Per-call plus per-hour spend, without switching costs or penalties."""
    return mean(result, strategy, "summary", "cost", "variable") + mean(
        result, strategy, "summary", "cost", "fixed"
    )


# Every scenario ------------------------------------------------------------------------


def test_the_library_is_there():
    names = {path.name for path in SCENARIOS}
    assert set(LIBRARY) <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_check_passes_without_warnings(path: Path):
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output.lower()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_short_compare_measures_requests_for_every_strategy(path: Path):
    result = short_compare(path.name)
    scenario = conductor.load_scenario(path)
    assert list(result.results) == list(scenario.strategies)
    for name, run in result.results.items():
        requests = run.values("summary", "requests")
        assert len(requests) == 2
        assert all(count > 0 for count in requests), name


@pytest.mark.parametrize("name", LIBRARY)
def test_library_scenarios_say_what_to_expect(name: str):
    text = (SCENARIO_DIR / name).read_text()
    assert "What you should see" in text


# One story per scenario ------------------------------------------------------------------


def test_checkout_hedging_and_failover_beat_building_everything():
    result = short_compare("checkout.yaml")
    p99 = {s: mean(result, s, "summary", "latency_s", "p99") for s in result.results}
    cost = {s: mean(result, s, "summary", "cost", "total") for s in result.results}
    # Building is the cheapest IT bill but the slowest and, penalties counted, dearer.
    assert it_spend(result, "build") < it_spend(result, "failover")
    assert cost["failover"] < cost["build"]
    assert cost["hedged"] < cost["build"]
    assert p99["hedged"] < 0.75 * p99["build"]


def test_tail_at_scale_hedging_at_p95_cuts_the_tail():
    result = short_compare("tail-at-scale.yaml")
    plain = mean(result, "plain", "summary", "latency_s", "p99")
    hedged = mean(result, "hedged-p95", "summary", "latency_s", "p99")
    assert hedged < 0.5 * plain
    assert mean(result, "hedged-p95", "summary", "latency_s", "p50") < mean(
        result, "plain", "summary", "latency_s", "p50"
    )


def test_concentration_risk_only_diversification_survives_the_cloud_outage():
    result = short_compare("concentration-risk.yaml")
    success = {s: mean(result, s, "summary", "success_rate") for s in result.results}
    assert success["diversified"] > 0.99
    assert success["diversified"] > success["single-cloud"] + 0.2
    # A second PSP on the same cloud is no diversification at all.
    assert success["two-psps-one-cloud"] < success["diversified"] - 0.2


def test_lock_in_the_conductor_switches_after_the_price_rise():
    result = short_compare("lock-in.yaml")
    switches = {s: mean(result, s, "summary", "switches") for s in result.results}
    assert switches["stay"] == 0
    assert switches["conductor"] == 1  # decided at the day-10 review
    assert switches["conductor-30d"] == 0  # a 30-day payback does not cover 40 k USD
    assert mean(result, "conductor", "summary", "cost", "switching") == pytest.approx(40000)


def test_sourcer_innovator_the_wrong_blend_is_worst_on_both_kpis():
    result = short_compare("sourcer-innovator.yaml")
    cost = {s: mean(result, s, "summary", "cost", "total") for s in result.results}
    lead = {s: mean(result, s, "summary", "change_lead_time_s") for s in result.results}
    assert cost["sourcer"] < cost["outsource-back"] < cost["innovator"] < cost["outsource-front"]
    assert lead["outsource-front"] > 3 * lead["innovator"]
    assert lead["outsource-back"] < lead["sourcer"] / 3


def test_demand_focused_penalties_reverse_the_it_view():
    result = short_compare("demand-focused.yaml")
    cost = {s: mean(result, s, "summary", "cost", "total") for s in result.results}
    assert it_spend(result, "cheapest") < it_spend(result, "conductor")
    assert cost["conductor"] < cost["cheapest"]
    assert cost["hedged"] < cost["cheapest"]
    assert mean(result, "conductor", "summary", "slo_attainment") > mean(
        result, "cheapest", "summary", "slo_attainment"
    )


def test_retry_storm_naive_retries_never_recover():
    result = short_compare("retry-storm.yaml")
    success = {s: mean(result, s, "summary", "success_rate") for s in result.results}
    assert success["naive-retries"] < success["no-retries"] - 0.15
    assert success["naive-retries"] < success["retry-budget"] - 0.15
    assert success["naive-retries"] < success["circuit-breaker"] - 0.15
