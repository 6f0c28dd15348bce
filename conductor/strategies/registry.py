"""Finding strategies by policy name through the `conductor.strategies` entry-point group."""

from __future__ import annotations

import difflib
from functools import cache
from importlib.metadata import entry_points

from pydantic import ValidationError

from conductor.errors import ScenarioError
from conductor.plan import Plan
from conductor.scenario.load import key_path
from conductor.scenario.model import Scenario, StrategySpec
from conductor.strategies.base import Strategy

# Built-ins are listed here too, so a source checkout works before it is installed.
BUILTIN = {
    "static": "conductor.strategies.static:Static",
    "cheapest": "conductor.strategies.cheapest:Cheapest",
    "fastest": "conductor.strategies.fastest:Fastest",
    "weighted": "conductor.strategies.weighted:Weighted",
    "failover": "conductor.strategies.failover:Failover",
    "hedged": "conductor.strategies.hedged:Hedged",
    "circuit-breaker": "conductor.strategies.breaker:CircuitBreaker",
    "adaptive": "conductor.strategies.adaptive:Adaptive",
    "ucb": "conductor.strategies.ucb:UCB",
    "thompson": "conductor.strategies.thompson:Thompson",
}


@cache
def policies() -> dict[str, str]:
    """Policy name -> 'module:Class' for the built-ins and every installed plug-in."""
    found = dict(BUILTIN)
    for entry in entry_points(group="conductor.strategies"):
        found[entry.name] = entry.value
    return found


def policy_class(name: str) -> type[Strategy]:
    """The Strategy subclass registered under a policy name."""
    target = policies().get(name)
    if target is None:
        raise ScenarioError(f"unknown policy '{name}' (expected one of: {', '.join(policies())})")
    module_name, _, class_name = target.partition(":")
    module = __import__(module_name, fromlist=[class_name])
    return getattr(module, class_name)


def build_strategy(name: str, spec: StrategySpec, plan: Plan) -> Strategy:
    """Validate a strategy's parameters and construct it for a plan."""
    path = f"strategies.{name}"
    try:
        cls = policy_class(spec.policy)
    except ScenarioError as error:
        raise error.located(path=f"{path}.policy") from None
    try:
        params = cls.Params.model_validate(spec.params)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = key_path(first["loc"], spec.params)
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = f"unknown key for policy '{spec.policy}'"
            key = first["loc"][-1]
            if len(first["loc"]) == 1 and isinstance(key, str):
                valid = [n for n in cls.Params.model_fields if n not in spec.params]
                close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
                if close:
                    message += f" (did you mean '{close[0]}'?)"
        raise ScenarioError(message, path=f"{path}.{where}" if where else path) from None
    try:
        return cls(params, plan, name)
    except ScenarioError as error:
        raise ScenarioError(
            error.message, path=f"{path}.{error.path}" if error.path else path
        ) from None


def check_strategies(scenario: Scenario, plan: Plan) -> None:
    """Build every strategy of a scenario once, so bad parameters fail before a run."""
    for name, spec in scenario.strategies.items():
        try:
            build_strategy(name, spec, plan)
        except ScenarioError as error:
            raise error.located(file=scenario.file) from None
