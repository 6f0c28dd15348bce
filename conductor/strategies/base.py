"""The strategy interface: how a policy plugs into the engine.

A strategy holds a portfolio of engaged options and decides, for every attempt of every
call, which engaged option serves it. It meets the engine only through
`conductor.engine.protocol`: the engine owns time, servers and records; the strategy owns
the choices, and each component's `CallPolicy` (built by `call_policy`) runs its calls —
the default attempt/retry loop, or a policy's own (`hedged.HedgedCall`):

- `start(context)` engages the starting portfolio (free unless it differs from the
  scenario's `status_quo`);
- `choose(component, attempt, previous)` names the option for an attempt (or -1 if none
  can serve);
- `observe(option, outcome, latency)` is told every attempt's outcome when `observes`;
- `review(context)` runs every `review_interval` seconds, when it is set, and may engage
  and disengage options through the context (switch-in costs, lead times, `min_term`).

Each policy declares its parameters as a pydantic model (`Params`), so the registry
validates a scenario's `strategies:` section before anything runs. The keys common to
every policy (`timeout`, `retries`, `backoff`, `retry_budget`, `per_component`) live
in `StrategyParams`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, ValidationError

from conductor.engine.protocol import (
    CANCELLED,
    ERROR,
    OK,
    OUTAGE,
    REJECTED,
    TIMEOUT,
    CallPolicy,
    Context,
)
from conductor.errors import ScenarioError
from conductor.plan import ComponentPlan, Plan
from conductor.scenario.located import translated
from conductor.scenario.model import Backoff, Model
from conductor.scenario.units import PositiveDuration, format_duration

__all__ = [
    "CANCELLED",
    "ERROR",
    "OK",
    "OUTAGE",
    "REJECTED",
    "TIMEOUT",
    "CallPolicy",
    "Context",
    "Strategy",
    "StrategyParams",
]

MAX_RETRIES = 100
"""Most retries (and hedged attempts) of one call: past that a call never ends."""


class StrategyParams(Model):
    """Keys every policy accepts."""

    timeout: PositiveDuration | None = Field(None, description="Per-attempt timeout.")
    retries: Annotated[int, Field(ge=0, le=MAX_RETRIES)] = Field(
        0, description="Retries after a failed attempt."
    )
    backoff: Backoff = Field(default_factory=Backoff, description="Delay before each retry.")
    retry_budget: Annotated[float, Field(ge=0)] | None = Field(
        None, description="Retries allowed as a fraction of recent calls (gRPC retry throttling)."
    )
    per_component: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Overrides of these keys for single components."
    )
    components: list[str] | None = Field(
        None,
        description="Components the policy's mechanism applies to (default: every one); "
        "the others get one attempt per call at the option `use` names.",
    )
    use: dict[str, str] = Field(
        default_factory=dict,
        description='Component or "*" -> provider name, or internal / external: the option '
        "serving a component outside `components` (static: every component). Default: the "
        "component's first option.",
    )


class Strategy:
    """Base class of every policy; subclasses override the hooks they need."""

    Params: ClassVar[type[StrategyParams]] = StrategyParams
    observes: ClassVar[bool] = False
    review_interval: float | None = None

    def __init__(self, params: StrategyParams, plan: Plan, name: str = ""):
        self.params = params
        self.plan = plan
        self.name = name or type(self).__name__.lower()
        names = [c.name for c in plan.components]
        self._check_components(params.use, "use", allow_star=True)
        self._check_components(params.components or [], "components")
        self.in_scope = tuple(
            params.components is None or c.name in params.components for c in plan.components
        )
        self.scope = tuple(c.index for c in plan.components if self.in_scope[c.index])
        for component in params.per_component:
            if component not in names:
                raise ScenarioError(
                    f"unknown component '{component}' (expected one of: {', '.join(names)})",
                    path=f"per_component.{component}",
                )
            if not self.in_scope[names.index(component)]:
                raise ScenarioError(
                    f"'{component}' is outside `components`: it gets one attempt per call at "
                    "its `use` option, so there is nothing to override",
                    path=f"per_component.{component}",
                )
        self.fixed = tuple(self.use_option(c) for c in plan.components)
        self.component_params = tuple(
            self._params_for(component.name) for component in plan.components
        )
        self.policies = tuple(
            self.call_policy(c, p) if self.in_scope[c] else CallPolicy(static=True)
            for c, p in enumerate(self.component_params)
        )

    def _check_components(self, names, key: str, allow_star: bool = False) -> None:
        known = [c.name for c in self.plan.components]
        for index, name in enumerate(names):
            if name in known or (allow_star and name == "*"):
                continue
            expected = ", ".join(["*", *known] if allow_star else known)
            where = f"{key}.{name}" if isinstance(names, dict) else f"{key}[{index}]"
            raise ScenarioError(
                f"unknown component '{name}' (expected one of: {expected})", path=where
            )

    def use_option(self, component: ComponentPlan) -> int:
        """The option `use` names for a component: by component, else `"*"`, else the
        first declared (also when `"*"` names a kind the component lacks)."""
        use = self.params.use
        wanted = use.get(component.name)
        explicit = wanted is not None
        wanted = wanted if explicit else use.get("*")
        if wanted is None:
            return component.options[0]
        for index in component.options:
            if self.matches(index, wanted):
                return index
        if explicit:
            known = [self.provider_of(i) for i in component.options]
            raise ScenarioError(
                f"'{wanted}' serves no option of {component.name} "
                f"(expected one of: {', '.join(known)}, internal, external)",
                path=f"use.{component.name}",
            )
        return component.options[0]

    def _params_for(self, component: str) -> StrategyParams:
        overrides = self.params.per_component.get(component)
        if not overrides:
            return self.params
        # Only what the scenario wrote: re-validating computed defaults (an unbounded
        # backoff.max) would fail, and unset keys take their defaults again anyway.
        merged = {
            **self.params.model_dump(
                exclude={"per_component", "components", "use"}, exclude_unset=True
            ),
            **overrides,
        }
        try:
            return type(self.params).model_validate(merged)
        except ValidationError as error:
            raise translated(
                error, merged, model=type(self.params), under=f"per_component.{component}"
            ) from None

    def call_policy(self, component: int, params: StrategyParams) -> CallPolicy:
        """The call mechanics for one component, from its parameters."""
        return CallPolicy(
            timeout=params.timeout,
            retries=params.retries,
            backoff_base=params.backoff.base,
            backoff_multiplier=params.backoff.multiplier,
            backoff_max=params.backoff.max,
            jitter=params.backoff.jitter == "full",
            retry_budget=params.retry_budget,
        )

    def start(self, context: Context) -> None:
        """Engage the starting portfolio: here, each component outside the scope's `use`
        option; a policy engages what its own components need (`self.scope`)."""
        self.context = context
        for component, option in enumerate(self.fixed):
            if not self.in_scope[component]:
                context.migrate(component, option)

    def static_choose(self, component: int, attempt: int, previous: int) -> int:
        """The option of a call outside the scope: the component's current one (its `use`
        option, or the status quo until that is ready)."""
        return self.fallback(component)

    def choose(self, component: int, attempt: int, previous: int) -> int:
        """The option index for this attempt of a call, or -1 when none can serve."""
        raise NotImplementedError

    def observe(self, option: int, outcome: int, latency: float, now: float) -> None:
        """Learn from one attempt's outcome (called only when `observes` is True)."""

    def primary(self, component: int) -> int:
        """The option that mainly serves a component now (where its changes land)."""
        return self.choose(component, 0, -1)

    def review(self, context: Context) -> None:
        """Revisit the portfolio (called every `review_interval` seconds)."""

    def describe(self) -> dict[str, str]:
        """Component name -> how this strategy serves it, exactly as it will run (the
        policy's mechanism and the call's timeout, retries, backoff and retry budget)."""
        described = {}
        for component in self.plan.components:
            index = component.index
            if not self.in_scope[index]:
                described[component.name] = (
                    f"{self.provider_of(self.fixed[index])}, one attempt per call "
                    "(outside `components`)"
                )
                continue
            mechanics = call_mechanics(self.policies[index])
            described[component.name] = self.explain(index) + (
                f"; {mechanics}" if mechanics else ""
            )
        return described

    def explain(self, component: int) -> str:
        """What the policy does with one component in its scope, in a few words."""
        return self.provider_of(self.choose_first(component))

    def serving(self) -> dict[str, str]:
        """Component name -> the provider that mainly serves it at the start."""
        return {
            c.name: self.provider_of(
                self.choose_first(c.index) if self.in_scope[c.index] else self.fixed[c.index]
            )
            for c in self.plan.components
        }

    def choose_first(self, component: int) -> int:
        """The option a component's first call goes to on the declared figures (for
        descriptions; before `start`)."""
        return self.plan.components[component].options[0]

    def shares(self, component: int) -> dict[int, float]:
        """Option -> share of a component's first attempts at the start, on the declared
        figures (for the analytic estimate; a policy that splits traffic overrides it)."""
        if not self.in_scope[component]:
            return {self.fixed[component]: 1.0}
        return {self.choose_first(component): 1.0}

    # Helpers for policies ---------------------------------------------------------------

    def provider_of(self, option: int) -> str:
        """Name of the provider serving an option."""
        return self.plan.providers[self.plan.options[option].provider].name

    def matches(self, option: int, wanted: str) -> bool:
        """True when `wanted` names the option's provider, or its kind (internal/external)."""
        provider = self.plan.providers[self.plan.options[option].provider]
        return wanted == provider.name or wanted == (
            "internal" if provider.internal else "external"
        )

    def ordered(self, component: int, order: list[str]) -> tuple[int, ...]:
        """The component's options in the order named (each at most once), or all declared."""
        options = self.plan.components[component].options
        if not order:
            return options
        chosen: list[int] = []
        for wanted in order:
            for option in options:
                if option not in chosen and self.matches(option, wanted):
                    chosen.append(option)
                    break
        return tuple(chosen) or options[:1]

    def fallback(self, component: int) -> int:
        """The component's current option (the status quo during a migration), if serving."""
        current = self.context.current[component]
        return current if current >= 0 and self.context.serving(current) else -1

    def check_providers(self, names: list[str] | dict[str, Any], key: str) -> None:
        """Raise ScenarioError when a name (a list item or a mapping key) is neither a
        provider nor internal/external."""
        known = {p.name for p in self.plan.providers} | {"internal", "external"}
        for index, name in enumerate(names):
            if name not in known:
                where = f"{key}.{name}" if isinstance(names, dict) else f"{key}[{index}]"
                raise ScenarioError(
                    f"unknown provider '{name}' (expected one of: {', '.join(sorted(known))})",
                    path=where,
                )


def call_mechanics(policy: CallPolicy) -> str:
    """'timeout 1s, 2 retries (backoff 50ms ×2, full jitter), retry budget 10 %'."""
    parts = []
    if policy.timeout is not None:
        parts.append(f"timeout {format_duration(policy.timeout)}")
    if policy.retries:
        text = f"{policy.retries} retr{'y' if policy.retries == 1 else 'ies'}"
        if policy.backoff_base > 0:
            backoff = (
                f"backoff {format_duration(policy.backoff_base)} ×{policy.backoff_multiplier:g}"
            )
            if policy.backoff_max != float("inf"):
                backoff += f" up to {format_duration(policy.backoff_max)}"
            if policy.jitter:
                backoff += ", full jitter"
            text += f" ({backoff})"
        parts.append(text)
        if policy.retry_budget is not None:
            parts.append(f"retry budget {policy.retry_budget:.0%} of calls")
    return ", ".join(parts)
