"""Finding strategies by policy name through the `conductor.strategies` entry-point group."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from pydantic import ValidationError

from conductor.errors import ConductorError, ScenarioError
from conductor.plan import Plan
from conductor.scenario.located import translated
from conductor.scenario.model import Scenario, StrategySpec
from conductor.strategies.base import Strategy


@cache
def policies() -> dict[str, str]:
    """Policy name -> 'module:Class' of every policy registered in the entry-point group,
    the built-ins (declared in setup.cfg) and every installed plug-in alike."""
    found = {entry.name: entry.value for entry in entry_points(group="conductor.strategies")}
    if not found:
        raise ConductorError(
            "no strategies are registered: install conductor (pip install -e .) so that "
            "its entry points exist"
        )
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
        raise translated(error, spec.params, model=cls.Params, under=path) from None
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


def schema_with_policies(schema: dict) -> dict:
    """The scenario schema with `StrategySpec` replaced by a union keyed on `policy`: one
    branch per registered policy, holding that policy's own keys and nothing else, so an
    editor flags an unknown policy, a misspelt key or a bad value as `check` does."""
    definitions = schema.setdefault("$defs", {})
    branches = []
    for name in policies():
        params = policy_class(name).Params.model_json_schema(
            mode="validation", ref_template="#/$defs/{model}"
        )
        for key, value in params.pop("$defs", {}).items():
            definitions.setdefault(key, value)
        branch_name = f"Policy_{name.replace('-', '_')}"
        properties = {"policy": {"const": name}, **params.get("properties", {})}
        definitions[branch_name] = {
            "type": "object",
            "title": f"policy: {name}",
            "description": (policy_class(name).__doc__ or "").strip().splitlines()[0]
            if policy_class(name).__doc__
            else "",
            "properties": properties,
            "required": ["policy", *params.get("required", [])],
            "additionalProperties": False,
        }
        branches.append({"$ref": f"#/$defs/{branch_name}"})
    spec = definitions["StrategySpec"]
    definitions["StrategySpec"] = {
        "description": spec.get("description", ""),
        "title": "StrategySpec",
        "type": "object",
        "properties": {"policy": {"enum": list(policies())}},
        "required": ["policy"],
        # Each branch fixes `policy` to one name, so exactly one can match.
        "oneOf": branches,
    }
    return schema
