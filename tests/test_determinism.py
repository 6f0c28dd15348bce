"""Reproducibility: seeds, worker processes, common random numbers and named streams."""

from __future__ import annotations

import numpy as np
import pytest

import conductor
from conductor.scenario.model import Scenario
from tests.conftest import STARTER

SHORT = ["run.horizon=90s", "run.warmup=10s"]
# Frequent random outages of the payment vendor, so that outages are part of the story.
OUTAGES = ["providers.payco.outages.mtbf=20s", "providers.payco.outages.mttr=5s"]


def starter(*overrides: str, document: dict | None = None) -> Scenario:
    """The starter scenario, shortened, with overrides."""
    if document is not None:
        return conductor.load_scenario(document, [*SHORT, *overrides])
    return conductor.load_scenario(STARTER, [*SHORT, *overrides])


def starter_document() -> dict:
    """The starter scenario as a mapping."""
    import yaml

    return yaml.safe_load(STARTER.read_text())


def without_version(result: conductor.RunResult) -> dict:
    """The run object without what legitimately differs between scenarios (the digest)."""
    data = result.to_dict()
    data.pop("scenario")
    return data


def test_same_seed_gives_identical_results():
    """Two runs with seed 3 agree on every figure."""
    scenario = starter(*OUTAGES)
    first = conductor.run(scenario, "buy-retry", replications=2, seed=3, workers=1)
    second = conductor.run(scenario, "buy-retry", replications=2, seed=3, workers=1)
    assert first.to_dict() == second.to_dict()


def test_same_seed_from_the_file_or_the_argument():
    """`run.seed: 3` in the scenario and `seed=3` in the call are the same run."""
    from_file = conductor.run(starter("run.seed=3"), "build", replications=2, workers=1)
    from_call = conductor.run(starter("run.seed=9"), "build", replications=2, seed=3, workers=1)
    assert without_version(from_file) == without_version(from_call)


def test_different_seeds_give_different_results():
    """Seeds 3 and 4 draw different arrivals and service times."""
    scenario = starter()
    first = conductor.run(scenario, "build", replications=2, seed=3, workers=1)
    second = conductor.run(scenario, "build", replications=2, seed=4, workers=1)
    assert first.values("summary", "requests") != second.values("summary", "requests")
    assert first.values("summary", "latency_s", "mean") != second.values(
        "summary", "latency_s", "mean"
    )


def test_replications_differ_from_each_other():
    """Replication r draws from streams spawned from (seed, r): replications are not copies."""
    result = conductor.run(starter(), "build", replications=2, seed=3, workers=1)
    first, second = result.values("summary", "latency_s", "mean")
    assert first != second


def test_worker_processes_do_not_change_results():
    """workers=1 and workers=2 give the same run object."""
    scenario = starter(*OUTAGES)
    alone = conductor.run(scenario, "buy-retry", replications=3, seed=3, workers=1)
    spread = conductor.run(scenario, "buy-retry", replications=3, seed=3, workers=2)
    assert alone.to_dict() == spread.to_dict()


def test_a_replication_does_not_depend_on_how_many_are_run():
    """Replications 0 and 1 are the same whether 2 or 3 replications are asked for."""
    scenario = starter()
    two = conductor.run(scenario, "build", replications=2, seed=3, workers=1)
    three = conductor.run(scenario, "build", replications=3, seed=3, workers=1)
    assert three.runs[:2] == two.runs


@pytest.mark.parametrize(("first", "second"), [("build", "buy"), ("buy", "buy-retry")])
def test_strategies_see_the_same_arrivals(first, second):
    """Common random numbers: two strategies see identical requests per replication."""
    scenario = starter(*OUTAGES)
    a = conductor.run(scenario, first, replications=2, seed=3, workers=1, keep_records=True)
    b = conductor.run(scenario, second, replications=2, seed=3, workers=1, keep_records=True)
    assert a.values("summary", "requests") == b.values("summary", "requests")
    for left, right in zip(a.records, b.records, strict=True):
        np.testing.assert_array_equal(np.sort(left.arrival), np.sort(right.arrival))


def test_strategies_see_the_same_outages():
    """Common random numbers: the vendor's availability is the same under every strategy."""
    scenario = starter(*OUTAGES)
    build = conductor.run(scenario, "build", replications=2, seed=3, workers=1)
    buy = conductor.run(scenario, "buy", replications=2, seed=3, workers=1)
    availability = build.values("providers", "payco", "availability")
    assert availability == buy.values("providers", "payco", "availability")
    assert min(availability) < 1.0  # the outages did happen


def test_two_static_strategies_with_the_same_choices_agree_exactly():
    """A renamed copy of a strategy produces exactly the same figures."""
    document = starter_document()
    document["strategies"]["copy"] = dict(document["strategies"]["buy"])
    scenario = starter(*OUTAGES, document=document)
    original = conductor.run(scenario, "buy", replications=2, seed=3, workers=1)
    copy = conductor.run(scenario, "copy", replications=2, seed=3, workers=1)
    left, right = original.to_dict(), copy.to_dict()
    for result in (left, right):
        result.pop("strategy")
        (result.get("theory") or {}).pop("strategy", None)
    assert left == right


def test_an_unrelated_component_leaves_the_others_alone():
    """Adding a component no flow calls changes no figure of the rest (named streams)."""
    document = starter_document()
    before = conductor.run(starter(*OUTAGES, document=document), "buy", replications=2, seed=3)
    document["components"] = {
        "zzz": {"options": {"inhouse": {"service_time": {"dist": "exponential", "mean": "5ms"}}}},
        **document["components"],
    }
    after = conductor.run(starter(*OUTAGES, document=document), "buy", replications=2, seed=3)
    old, new = before.to_dict(), after.to_dict()
    assert new["summary"] == old["summary"]
    assert new["flows"] == old["flows"]
    assert new["providers"] == old["providers"]
    for name, figures in old["components"].items():
        assert new["components"][name] == figures


def test_an_unrelated_flow_leaves_the_first_flow_alone():
    """A second flow on its own component and provider does not change the first flow."""
    document = starter_document()
    before = conductor.run(starter(document=document), "build", replications=2, seed=3)
    document["providers"]["other"] = {"kind": "internal"}
    document["components"]["report"] = {
        "options": {"other": {"service_time": {"dist": "exponential", "mean": "50ms"}}}
    }
    document["flows"] = {
        "reports": {"arrivals": {"process": "poisson", "rate": "5/s"}, "steps": {"report": {}}},
        **document["flows"],
    }
    after = conductor.run(starter(document=document), "build", replications=2, seed=3)
    old, new = before.to_dict(), after.to_dict()
    for key in ("requests", "latency_s", "success_rate", "slo_attainment"):
        assert new["flows"]["checkout"][key] == old["flows"]["checkout"][key]
    for name, figures in old["components"].items():
        assert new["components"][name] == figures
