"""Strategies are plug-ins found through the `conductor.strategies` entry-point group.

SPEC §5: "Strategies are classes behind one small interface, found through the
entry-point group `conductor.strategies`, so a user can add one without touching the
package." The test installs a distribution the way an installer would leave it (a module
and a `*.dist-info` folder with METADATA and entry_points.txt) in a temporary directory
on sys.path, and checks that a scenario naming its policy runs it: a policy that always
routes to the last declared option sends every call there, and its own parameters are
validated like a built-in's.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

import conductor
from conductor.strategies import registry
from tests.builders import add_flow, add_option, add_provider, add_strategy, poisson, skeleton

PLUGIN = textwrap.dedent(
    '''
    """A user's policy: always the last declared option of each component."""

    from pydantic import Field

    from conductor.strategies.base import Strategy, StrategyParams


    class LastParams(StrategyParams):
        note: str = Field("", description="A parameter of the plug-in's own.")


    class Last(Strategy):
        Params = LastParams

        def start(self, context):
            super().start(context)
            for component in self.plan.components:
                context.engage(component.options[-1])

        def choose(self, component, attempt, previous):
            return self.plan.components[component].options[-1]
    '''
)


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Install the plug-in distribution `myplugin` (policy `last`) for one test."""
    (tmp_path / "conductor_test_lastpolicy.py").write_text(PLUGIN)
    info = tmp_path / "myplugin-0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: myplugin\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(
        "[conductor.strategies]\nlast = conductor_test_lastpolicy:Last\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.policies.cache_clear()
    yield "last"
    sys.modules.pop("conductor_test_lastpolicy", None)
    registry.policies.cache_clear()


def scenario(policy: dict) -> dict:
    """Component `api` at `first` (10 ms, in-house) or `last` (20 ms, paid); one strategy."""
    document = skeleton("plugin")
    add_provider(document, "first", "internal")
    add_provider(document, "last", "external")
    add_option(document, "api", "first", "10ms")
    add_option(document, "api", "last", "20ms", cost={"per_call": 0.01})
    add_flow(document, "main", poisson(5), {"api": {}})
    return add_strategy(document, "mine", **policy)


def test_plugin_policy_is_found_through_the_entry_point_group(plugin):
    assert registry.policies()[plugin] == "conductor_test_lastpolicy:Last"
    loaded = conductor.load_scenario(scenario({"policy": plugin, "note": "hello"}))
    result = conductor.run(loaded, "mine", replications=2, seed=3, horizon=200, warmup=0)
    calls = result.values("components", "api", "calls")
    assert min(calls) > 0
    last = result.values("components", "api", "by_option", "last", "attempts")
    first = result.values("components", "api", "by_option", "first", "attempts")
    assert last == calls
    assert first == [0.0, 0.0]
    assert result.values("summary", "success_rate") == [1.0, 1.0]
    assert result.values("summary", "cost", "variable") == pytest.approx([0.01 * c for c in calls])


def test_plugin_parameters_are_validated(plugin):
    with pytest.raises(conductor.ScenarioError) as caught:
        conductor.load_scenario(scenario({"policy": plugin, "colour": "red"}))
    assert caught.value.path == "strategies.mine.colour"


def test_unknown_policy_without_the_plugin():
    registry.policies.cache_clear()
    assert "last" not in registry.policies()
    with pytest.raises(conductor.ScenarioError) as caught:
        conductor.load_scenario(scenario({"policy": "last"}))
    assert caught.value.path == "strategies.mine.policy"
