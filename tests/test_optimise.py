"""`conductor optimise` (SPEC §13): the front of sourcing assignments.

The scenario: five components in a chain, each served in-house (capacity 8, servers paid
by the hour), by `fast` (a third of the in-house service time, dear per call) or by
`cheap` (slower, cheapest per call). Costs are separable by component and nothing is
penalised, so the cheapest assignment is the cheapest option of each component and the
fastest assignment the fastest option of each (each fast law is a scaled-down copy of
the others, so it is faster in distribution, and sums keep that order). 3⁵ = 243
assignments; the budget is 20.
"""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

import conductor
from conductor.cli import main
from conductor.experiments import optimise as module
from tests.conftest import build_scenario, write_yaml

COMPONENTS = ["a", "b", "c", "d", "e"]

# Per component: (in-house per hour, fast per call, cheap per call); 5 calls/s = 18,000/h.
PRICES = {
    "a": (10.0, 0.002, 0.0002),  # cheapest: cheap (3.6/h) — fastest: fast
    "b": (4.0, 0.002, 0.0005),  # cheapest: in-house (4 + 8×0.1 = 4.8/h against 9/h)
    "c": (20.0, 0.001, 0.0004),  # cheapest: cheap (7.2/h)
    "d": (2.0, 0.003, 0.001),  # cheapest: in-house (2.8/h)
    "e": (30.0, 0.004, 0.0001),  # cheapest: cheap (1.8/h)
}
# Median service time (s) of (in-house, fast, cheap); d is fastest in-house.
MEDIANS = {
    "a": (0.030, 0.010, 0.060),
    "b": (0.020, 0.008, 0.040),
    "c": (0.050, 0.015, 0.080),
    "d": (0.004, 0.010, 0.030),
    "e": (0.040, 0.012, 0.070),
}
CHEAPEST = {"a": "cheap", "b": "inhouse", "c": "cheap", "d": "inhouse", "e": "cheap"}
FASTEST = {"a": "fast", "b": "fast", "c": "fast", "d": "inhouse", "e": "fast"}


def lognormal(median: float) -> dict:
    return {"dist": "lognormal", "median": median, "p99": median * 5}


def document(**changes) -> dict:
    """The five-component chain (2 short replications)."""
    components = {}
    for name in COMPONENTS:
        per_hour, fast, cheap = PRICES[name]
        inhouse, quick, slow = MEDIANS[name]
        components[name] = {
            "options": {
                "inhouse": {
                    "service_time": lognormal(inhouse),
                    "capacity": 8,
                    "cost": {"per_hour": per_hour, "per_server_hour": 0.1},
                },
                "fast": {"service_time": lognormal(quick), "cost": {"per_call": fast}},
                "cheap": {"service_time": lognormal(slow), "cost": {"per_call": cheap}},
            }
        }
    steps = {
        name: ({"after": [COMPONENTS[i - 1]]} if i else {}) for i, name in enumerate(COMPONENTS)
    }
    return build_scenario(
        {"run.horizon": 300, "run.warmup": 20, "run.replications": 2, "run.seed": 4, **changes},
        providers={
            "inhouse": {"kind": "internal"},
            "fast": {"kind": "external"},
            "cheap": {"kind": "external"},
        },
        components=components,
        flows={"web": {"arrivals": {"process": "poisson", "rate": 5}, "steps": steps}},
        strategies={"build": {"policy": "static", "use": {"*": "internal"}}},
    )


@pytest.fixture(scope="module")
def found():
    return conductor.optimise(conductor.load_scenario(document()), budget=20, workers=1)


def test_the_hand_computed_corners_are_on_the_front(found):
    assignments = [e.candidate.assignment for e in found.front]
    assert CHEAPEST in assignments
    assert FASTEST in assignments
    assert found.space == 243 and found.screened == 243
    assert found.simulated <= 20
    # Lowest cost first, fastest last.
    assert found.front[0].candidate.assignment == CHEAPEST
    assert found.front[-1].candidate.assignment == FASTEST


def test_no_point_of_the_front_is_dominated(found):
    values = [e.values for e in found.entries]
    for entry in found.front:
        assert not any(
            all(o <= v for o, v in zip(other, entry.values, strict=True)) and other != entry.values
            for other in values
        )
    assert all(e.confirmed for e in found.front)
    assert all(e.result.replications == 4 for e in found.front)


def test_cheapest_estimate_matches_the_hand_computed_cost(found):
    cheapest = next(e for e in found.front if e.candidate.assignment == CHEAPEST)
    per_hour = 3.6 + 4.8 + 7.2 + 2.8 + 1.8
    window_hours = 280 / 3600
    assert cheapest.estimate["cost_total"] == pytest.approx(per_hour * window_hours, rel=1e-9)
    simulated = cheapest.result.to_dict()["summary"]["cost"]["total"]["mean"]
    assert simulated == pytest.approx(per_hour * window_hours, rel=0.05)


def test_a_cheap_assignment_that_fails_often_is_never_on_the_front():
    flaky = document()
    flaky["providers"]["flaky"] = {"kind": "external"}
    flaky["components"]["a"]["options"]["flaky"] = {
        "service_time": lognormal(0.001),
        "failure": 0.2,
    }
    result = conductor.optimise(conductor.load_scenario(flaky), budget=25, workers=1)
    on_front = [e.candidate.assignment["a"] for e in result.front]
    assert "flaky" not in on_front
    assert all(math.isfinite(v) for e in result.front for v in e.values)
    # It is the cheapest of all (free), so only its failures keep it off.
    assert result.to_dict()["front"][0]["assignment"]["a"] != "flaky"


def test_the_same_seed_gives_the_same_front_whatever_the_workers(found):
    again = conductor.optimise(conductor.load_scenario(document()), budget=20, workers=2)
    assert again.to_dict() == found.to_dict()


def test_to_dict_and_frame_have_the_spec_shape(found):
    result = found.to_dict()
    assert result["objectives"] == ["cost_total", "latency_p99"]
    assert result["simulated"] == found.simulated
    entry = result["front"][0]
    assert set(entry) >= {"assignment", "summary", "objectives", "strategy"}
    assert entry["summary"]["latency_all_s"]["p99"]["mean"] == entry["objectives"]["latency_p99"]
    frame = found.to_frame()
    rows = frame.reset_index().to_dict("records") if hasattr(frame, "reset_index") else frame
    assert sum(row["on_front"] for row in rows) == len(found.front)
    assert len(rows) == found.simulated


def test_out_writes_a_front_scenario_that_compare_runs(found, tmp_path):
    paths = found.write(tmp_path)
    assert {p.name for p in paths} == {"results.json", "front.yaml", "pareto.png"}
    front = conductor.load_scenario(tmp_path / "front.yaml", ["run.replications=2"])
    assert list(front.strategies) == [f"front-{i}" for i in range(1, len(found.front) + 1)]
    compared = conductor.compare(front, workers=1)
    # Replications 0 and 1 of the same assignment: the same numbers as in the search.
    again = compared.results["front-1"].values("summary", "cost", "total")
    assert again == found.front[0].result.values("summary", "cost", "total")[:2]


def test_capacity_levels_are_searched_and_priced():
    scenario = conductor.load_scenario(document())
    result = conductor.optimise(
        scenario,
        budget=30,
        components=["a"],
        vary=["components.a.options.inhouse.capacity=1,8"],
        workers=1,
    )
    assert result.space == 3 * 2
    labels = {e.candidate.label for e in result.entries}
    assert "a=inhouse×1" in labels and "a=inhouse×8" in labels
    one = next(e for e in result.entries if e.candidate.label == "a=inhouse×1")
    eight = next(e for e in result.entries if e.candidate.label == "a=inhouse×8")
    # 0.7 servers busy on average: a single server queues, eight do not; eight cost 0.7/h more.
    assert one.estimate["latency_p99"] > eight.estimate["latency_p99"]
    assert eight.estimate["cost_total"] - one.estimate["cost_total"] == pytest.approx(
        0.7 * 280 / 3600
    )


def test_a_guided_search_beyond_enumeration_is_deterministic(monkeypatch):
    pytest.importorskip("optuna")
    monkeypatch.setattr(module, "ENUMERATE", 10)
    monkeypatch.setattr(module, "SAMPLED", 300)
    scenario = conductor.load_scenario(document())
    first = conductor.optimise(scenario, budget=10, workers=1, confirm=False)
    second = conductor.optimise(scenario, budget=10, workers=1, confirm=False)
    assert first.to_dict() == second.to_dict()
    assert first.screened < 243
    assert CHEAPEST in [e.candidate.assignment for e in first.front]


def test_per_server_hour_is_paid_per_unit_of_capacity():
    base = document(**{"run.replications": 1})
    run = conductor.run(conductor.load_scenario(base), "build", workers=1).to_dict()
    per_hour = sum(PRICES[c][0] + 8 * 0.1 for c in COMPONENTS)
    assert run["summary"]["cost"]["fixed"]["mean"] == pytest.approx(per_hour * 280 / 3600)
    unlimited = document()
    del unlimited["components"]["a"]["options"]["inhouse"]["capacity"]
    with pytest.raises(conductor.ScenarioError, match="per_server_hour needs a capacity"):
        conductor.load_scenario(unlimited)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--objective", "latency_p98"], "unknown objective 'latency_p98'"),
        (["--budget", "0"], "--budget must be"),
        (["--budget", "-3"], "--budget must be"),
        (["--components", "nope"], "unknown component 'nope'"),
        (["--vary", "run.horizon=1,2"], "optimise varies capacities only"),
        (["--vary", "components.a.options.inhouse.capacity=0,2"], "whole numbers >= 1"),
        (["--vary", "components.a.options.nobody.capacity=2"], "no option nobody"),
    ],
)
def test_bad_objectives_and_budgets_are_refused(tmp_path, arguments, message):
    path = write_yaml(tmp_path / "five.yaml", document())
    result = CliRunner().invoke(main, ["optimise", str(path), "-q", *arguments])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output


def test_cli_json(tmp_path):
    path = write_yaml(tmp_path / "five.yaml", document(**{"run.replications": 1}))
    result = CliRunner().invoke(
        main, ["optimise", str(path), "--budget", "6", "--json", "-q", "-w", "1"]
    )
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert parsed["simulated"] == 6 and parsed["front"]
    assert set(parsed) >= {"objectives", "simulated", "front", "dominated"}
