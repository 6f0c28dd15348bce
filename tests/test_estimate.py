"""The work estimate (SPEC §10): what check prints, how close it is, and the guard."""

from __future__ import annotations

import pytest

import conductor
from conductor.experiments.estimate import estimate_work
from conductor.plan import compile_plan
from tests.conftest import build_scenario, invoke, trace_arrivals, write_yaml


def _work(document, **kwargs):
    scenario = conductor.load_scenario(document)
    plan = compile_plan(scenario)
    return estimate_work(plan, plan.horizon, plan.replications, **kwargs)


def test_poisson_estimate_matches_the_simulated_requests():
    """Rate × horizon per replication, within the noise of what a run measures."""
    document = build_scenario(
        {
            "run.horizon": 2000,
            "run.replications": 3,
            "flows.web.arrivals": {"process": "poisson", "rate": 5},
        }
    )
    work = _work(document, strategies=2)
    assert work.requests_per_replication == pytest.approx(10_000)
    assert work.requests == pytest.approx(60_000)
    measured = conductor.run(conductor.load_scenario(document), workers=1)
    assert measured.stat("summary", "requests")["mean"] == pytest.approx(10_000, rel=0.05)


def test_visits_count_probability_and_calls():
    """A step run half the time, three calls each: 1.5 visits per request."""
    document = build_scenario({"flows.web.steps.a": {"probability": 0.5, "calls": 3}})
    work = _work(document)
    assert work.visits_per_replication == pytest.approx(1.5 * work.requests_per_replication)


def test_trace_counts_its_arrivals_in_the_horizon(trace):
    """A trace's estimate is its own arrivals before the horizon."""
    path = trace([0.5, 1, 2, 3, 50, 60])
    work = _work(build_scenario({"flows.web.arrivals": trace_arrivals(path)}))
    assert work.requests_per_replication == 4


def test_surge_adds_its_extra_arrivals():
    """A 3x surge for 4 s adds rate × 2 × 4 requests."""
    document = build_scenario({"events": [{"at": 2, "flow": "web", "surge": 3, "for": 4}]})
    assert _work(document).requests_per_replication == pytest.approx(10 + 8)


def test_closed_population_is_bounded_by_think_and_service():
    """Users × (1 + horizon / (think + fastest service)) per replication."""
    document = build_scenario({"flows.web.arrivals": {"process": "closed", "users": 4, "think": 3}})
    assert _work(document).requests_per_replication == pytest.approx(4 * (1 + 10 / 5))


def test_check_prints_the_estimate(tmp_path):
    """check names the requests and visits per replication and the total."""
    path = write_yaml(tmp_path / "s.yaml", build_scenario())
    result = invoke("check", path)
    assert result.exit_code == 0, result.output
    assert "about 10 requests and 10 step visits per replication" in " ".join(result.stdout.split())


@pytest.mark.parametrize(("limit", "code"), [("9", 2), ("10", 0)])
def test_max_requests_guard_is_at_the_estimate(tmp_path, limit, code):
    """The base scenario is 10 requests: --max-requests 9 refuses it, 10 runs it."""
    path = write_yaml(tmp_path / "s.yaml", build_scenario())
    result = invoke("run", path, "-q", "-w", "1", "--max-requests", limit)
    assert result.exit_code == code, result.output
    if code == 2:
        assert "--max-requests 9" in result.stderr and "10 requests" in result.stderr


def test_the_api_takes_max_requests_too():
    """conductor.run refuses as the command line does; None lifts the limit."""
    scenario = conductor.load_scenario(build_scenario())
    with pytest.raises(conductor.ScenarioError, match="max-requests"):
        conductor.run(scenario, workers=1, max_requests=5)
    assert conductor.run(scenario, workers=1, max_requests=None).replications == 1
