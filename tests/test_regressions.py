"""Stories from bugs found along the way, kept so they stay fixed."""

from __future__ import annotations

import pytest

import conductor
from conductor.engine.simulation import simulate
from conductor.plan import compile_plan
from conductor.strategies.registry import build_strategy


def one_component(option: dict, strategy: dict, **top) -> dict:
    return {
        "name": "story",
        "run": {"horizon": 50, "replications": 2, "seed": 3},
        "providers": {"inhouse": {"kind": "internal"}, "vendor": {"kind": "external"}},
        "components": {"api": {"options": {"inhouse": option}}},
        "flows": {"web": {"arrivals": {"process": "poisson", "rate": 5}, "steps": {"api": {}}}},
        "strategies": {"s": strategy},
        **top,
    }


def test_per_component_overrides_without_a_backoff_cap():
    """Re-validating the unbounded default backoff.max used to reject every override."""
    mapping = one_component(
        {"service_time": 0.01}, {"policy": "static", "per_component": {"api": {"timeout": "1s"}}}
    )
    strategy = conductor.load_scenario(mapping)
    plan = compile_plan(strategy)
    built = build_strategy("s", strategy.strategies["s"], plan)
    assert built.policies[0].timeout == 1.0


def test_mixtures_cross_process_boundaries():
    """Mixture components are pickled to worker processes."""
    service = {
        "dist": "mixture",
        "of": [
            {"weight": 0.9, "dist": "exponential", "mean": 0.01},
            {"weight": 0.1, "dist": "constant", "value": 0.5},
        ],
    }
    scenario = conductor.load_scenario(
        one_component({"service_time": service}, {"policy": "static"})
    )
    assert (
        conductor.run(scenario, workers=2).to_dict() == conductor.run(scenario, workers=1).to_dict()
    )


def test_hedged_retries_wait_their_backoff():
    """A hedged call that failed is retried after its backoff, within max_attempts each."""
    mapping = one_component(
        {"service_time": 0.1, "failure": 1.0},
        {
            "policy": "hedged",
            "delay": "1s",
            "max_attempts": 1,
            "retries": 2,
            "backoff": {"base": 0.5, "multiplier": 2},
        },
        run={"horizon": 0.5, "replications": 1, "seed": 1},
    )
    mapping["flows"]["web"]["arrivals"] = {"process": "constant", "rate": 1}
    result = conductor.run(conductor.load_scenario(mapping), workers=1, keep_records=True)
    records = result.records[0]
    # 0.1 fail, wait 0.5, 0.1 fail, wait 1.0, 0.1 fail.
    assert records.latency.tolist() == pytest.approx([1.8])
    assert records.attempts.tolist() == [3]


def test_adaptive_keeps_a_status_quo_whose_replacement_never_pays_back():
    """Moving off the status quo at the start must repay its switch-in like any switch."""
    mapping = one_component(
        {"service_time": 0.01, "cost": {"per_hour": 2.0}},
        {"policy": "adaptive", "review": "1h", "payback": "1d"},
        run={"horizon": 3600, "replications": 1, "seed": 1},
        status_quo={"api": "inhouse"},
    )
    mapping["components"]["api"]["options"]["vendor"] = {
        "service_time": 0.01,
        "cost": {"per_hour": 1.0},
        "switch_in": {"cost": 1000.0},
    }
    scenario = conductor.load_scenario(mapping)
    plan = compile_plan(scenario)
    records = simulate(plan, build_strategy("s", scenario.strategies["s"], plan), 0)
    assert records.switches == 0
    # Saving 1/h for a day (24) is far from repaying 1000; a cheap switch-in would pay.
    mapping["components"]["api"]["options"]["vendor"]["switch_in"]["cost"] = 5.0
    scenario = conductor.load_scenario(mapping)
    plan = compile_plan(scenario)
    records = simulate(plan, build_strategy("s", scenario.strategies["s"], plan), 0)
    assert records.switches == 1


def test_changes_default_to_components_that_declare_lead_times():
    """SPEC §4's example declares change_lead_time on payment only: changes land there."""
    mapping = one_component(
        {"service_time": 0.01, "change_lead_time": "3d"},
        {"policy": "static"},
        run={"horizon": 7 * 86400, "replications": 1, "seed": 1},
        changes={"rate": "20/day"},
    )
    mapping["components"]["plain"] = {"options": {"inhouse": {"service_time": 0.01}}}
    mapping["flows"]["web"]["arrivals"]["rate"] = 0.01
    scenario = conductor.load_scenario(mapping)
    assert [
        c.name
        for c in compile_plan(scenario).components
        if c.index in compile_plan(scenario).change_components
    ] == ["api"]
    figure = conductor.run(scenario, workers=1).to_dict()["summary"]["change_lead_time_s"]
    assert figure["mean"] == pytest.approx(3 * 86400)
    del mapping["components"]["api"]["options"]["inhouse"]["change_lead_time"]
    with pytest.raises(conductor.ScenarioError, match="no component declares"):
        conductor.load_scenario(mapping)


def test_the_spec_example_loads_and_runs():
    """SPEC §4's scenario, as written there (elided components filled in)."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "spec-example.yaml"
    scenario = conductor.load_scenario(path, ["run.horizon=5min", "run.warmup=30s"])
    assert list(scenario.strategies) == [
        "build",
        "buy",
        "cheapest",
        "failover",
        "hedged",
        "conductor",
    ]
    result = conductor.compare(scenario, replications=2, workers=1).to_dict()
    for name, run in result["strategies"].items():
        assert run["summary"]["requests"]["mean"] > 0, name
