"""The scenario file as pydantic models: the one place that owns every key and default.

A scenario describes providers (organisations), components with their sourcing options
(a component as served by one provider), flows of requests whose steps form a DAG, the
strategies to compare and how to run them. Unknown keys are errors, never silent
defaults. Field descriptions become the JSON Schema (`conductor schema`) and the format
reference. Cross-references (steps to components, options to providers) are checked in
`conductor.scenario.references`, where the key path of a dangling name is known.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from conductor.scenario.distributions import DistributionSpec
from conductor.scenario.units import Duration, Money, PositiveDuration, Probability, Rate

MAX_FACTOR = 1e6
"""Largest factor of an event (slowdown, price, surge): products of figures stay finite."""

MAX_USERS = 1_000_000
"""Largest closed population: each user is a process from the start."""

MAX_REPLICATIONS = 100_000
"""Most replications of a run."""

MAX_CALLS = 1000
"""Most calls of one step in sequence."""


class Model(BaseModel):
    """Base of every scenario model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _exponential_if_duration(value: Any) -> Any:
    # `mtbf: 30d` means exponential up times with that mean; a mapping is any distribution.
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return {"dist": "exponential", "mean": value}
    return value


RenewalTime = Annotated[DistributionSpec, BeforeValidator(_exponential_if_duration)]


class Outages(Model):
    """Alternating renewal process of up and down times for a provider."""

    mtbf: RenewalTime = Field(
        description="Up time: a mean duration (exponential) or a distribution."
    )
    mttr: RenewalTime = Field(
        description="Down time: a mean duration (exponential) or a distribution."
    )


class ProviderCost(Model):
    """Relationship cost of a provider."""

    per_hour: Money = Field(0.0, description="Paid while any of the provider's options is engaged.")


class Provider(Model):
    """An organisation that serves options: an internal team or an external vendor."""

    kind: Literal["internal", "external"] = Field(description="internal team or external vendor")
    network: DistributionSpec | None = Field(
        None, description="Round trip added to every call (half before, half after service)."
    )
    outages: Outages | None = Field(None, description="Random outages of the whole provider.")
    depends_on: list[str] = Field(
        default_factory=list, description="Providers whose outages take this one down too."
    )
    cost: ProviderCost = Field(default_factory=ProviderCost)
    description: str = ""


class OptionCost(Model):
    """Prices of one option."""

    per_call: Money = Field(0.0, description="Paid per attempt sent (hedges and retries included).")
    per_hour: Money = Field(
        0.0, description="Paid while the option is engaged, whatever its capacity."
    )
    per_server_hour: Money = Field(
        0.0,
        description="Paid per unit of `capacity` per hour while the option is engaged "
        "(servers, licences, seats): what makes more capacity cost more.",
    )


class SwitchIn(Model):
    """One-time price of engaging an option that is not yet engaged."""

    cost: Money = Field(0.0, description="One-time cost of engaging the option.")
    lead_time: Duration = Field(0.0, description="Delay before a newly engaged option can serve.")


class Option(Model):
    """A component as served by one provider."""

    service_time: DistributionSpec = Field(description="Time to serve one call.")
    capacity: PositiveInt | None = Field(
        None, description="Concurrent calls served (default unlimited)."
    )
    queue: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Waiting places (default unlimited); a call finding it full is rejected."
    )
    rate_limit: Rate | None = Field(
        None, description="Token-bucket rate limit; a call over it is rejected."
    )
    burst: PositiveInt | None = Field(
        None, description="Token-bucket size (default: one second of rate_limit, at least 1)."
    )
    failure: Probability = Field(
        0.0, description="Probability that a served call returns an error at the end of service."
    )
    cost: OptionCost = Field(default_factory=OptionCost)
    switch_in: SwitchIn = Field(default_factory=SwitchIn)
    min_term: Duration = Field(0.0, description="An engaged option cannot be disengaged earlier.")
    change_lead_time: DistributionSpec | None = Field(
        None, description="Time to ship one change request through this option."
    )

    @model_validator(mode="after")
    def _burst_needs_rate_limit(self) -> Option:
        if self.burst is not None and self.rate_limit is None:
            raise ValueError("burst needs rate_limit")
        if self.cost.per_server_hour and self.capacity is None:
            raise ValueError("cost.per_server_hour needs a capacity (unlimited servers cost)")
        return self


class Component(Model):
    """A piece of the service that one or more providers can serve."""

    options: dict[str, Option] = Field(
        min_length=1, description="Sourcing options keyed by provider name."
    )
    description: str = ""


class Poisson(Model):
    """Poisson arrivals."""

    process: Literal["poisson"]
    rate: Rate


class ConstantArrivals(Model):
    """Evenly spaced arrivals."""

    process: Literal["constant"]
    rate: Rate


class Bursty(Model):
    """Two-state Markov-modulated Poisson process."""

    process: Literal["bursty"]
    rates: list[Rate] = Field(min_length=2, max_length=2, description="Rate in each state.")
    mean_durations: list[PositiveDuration] = Field(
        min_length=2, max_length=2, description="Mean (exponential) time spent in each state."
    )


class Diurnal(Model):
    """Poisson arrivals with a sinusoidal daily rate."""

    process: Literal["diurnal"]
    mean: Rate = Field(description="Mean rate over a period.")
    amplitude: Annotated[float, Field(ge=0, le=1)] = Field(
        0.5, description="Relative swing: the rate goes from mean(1-a) to mean(1+a)."
    )
    period: PositiveDuration = Field(86400.0, description="Length of one cycle.")
    peak_at: Duration = Field(0.0, description="Time of the peak within the cycle.")


class Closed(Model):
    """A fixed population of users, each sending a request, waiting for it, then thinking."""

    process: Literal["closed"]
    users: Annotated[int, Field(ge=1, le=MAX_USERS)]
    think: DistributionSpec = Field(description="Think time between a response and the next call.")


class Trace(Model):
    """Arrival times replayed from a file (seconds, one per line or comma separated)."""

    process: Literal["trace"]
    file: str
    _times: list[float] = PrivateAttr(default_factory=list)

    @property
    def times(self) -> list[float]:
        """The arrival times read from the file, sorted."""
        return self._times

    @model_validator(mode="after")
    def _read(self, info: ValidationInfo) -> Trace:
        from conductor.scenario.files import read_numbers

        context = (info.context or {}) if info else {}
        self._times = sorted(
            read_numbers(self.file, context.get("base_dir"), "trace file", context.get("files"))
        )
        return self


Arrivals = Annotated[
    Poisson | ConstantArrivals | Bursty | Diurnal | Closed | Trace,
    Field(discriminator="process"),
]


class SLO(Model):
    """Service level of a flow and the business cost of missing it."""

    latency: PositiveDuration | None = Field(
        None, description="A request meets the SLO when it succeeds within this time."
    )
    penalty: Money = Field(0.0, description="Charged per successful request that misses it.")
    failure_penalty: Money = Field(0.0, description="Charged per failed request.")


class Step(Model):
    """One node of a flow's DAG: a call to a component."""

    component: str | None = Field(None, description="Component called (default: the step id).")
    after: list[str] = Field(default_factory=list, description="Steps that must finish first.")
    probability: Probability = Field(1.0, description="Chance the step runs; otherwise skipped.")
    optional: bool = Field(False, description="A failure of this step does not fail the request.")
    calls: Annotated[int, Field(ge=1, le=MAX_CALLS)] = Field(
        1, description="Calls to the component, in sequence."
    )

    @field_validator("after", mode="before")
    @classmethod
    def _one_name(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Flow(Model):
    """A stream of requests and the DAG of steps each request executes."""

    arrivals: Arrivals
    slo: SLO | None = None
    steps: dict[str, Step] = Field(min_length=1)
    description: str = ""


class Backoff(Model):
    """Delay between retries: base × multiplier^k, capped at max, optionally jittered."""

    base: Duration = 0.0
    multiplier: Annotated[float, Field(ge=1)] = 2.0
    max: Duration = Field(float("inf"))
    jitter: Literal["none", "full"] = "none"


class StrategySpec(BaseModel):
    """A named strategy: `policy` plus that policy's parameters (checked by the policy)."""

    model_config = ConfigDict(extra="allow")

    policy: str = Field(
        description="Registered policy name (entry-point group conductor.strategies)."
    )

    @property
    def params(self) -> dict[str, Any]:
        """Every key but `policy`."""
        return dict(self.model_extra or {})


class Event(Model):
    """A what-if at a given time: an outage, a slowdown, a price change, an exit, a surge."""

    at: Duration = Field(description="When the event happens.")
    provider: str | None = Field(None, description="The provider it happens to.")
    flow: str | None = Field(None, description="The flow a surge applies to.")
    outage: PositiveDuration | None = Field(None, description="Provider down for this long.")
    slowdown: Annotated[float, Field(gt=0, le=MAX_FACTOR)] | None = Field(
        None, description="Service and network times × this factor (for `for`)."
    )
    price: Annotated[float, Field(ge=0, le=MAX_FACTOR)] | None = Field(
        None, description="Per-call and per-hour prices × this factor from then on."
    )
    exit: bool = Field(False, description="The provider leaves the market for good.")
    surge: Annotated[float, Field(ge=0, le=MAX_FACTOR)] | None = Field(
        None, description="The flow's arrival rate × this factor (for `for`)."
    )
    duration: PositiveDuration | None = Field(
        None, alias="for", description="How long a slowdown or surge lasts (default: to the end)."
    )

    @model_validator(mode="after")
    def _one_action(self) -> Event:
        actions = [
            name
            for name in ("outage", "slowdown", "price", "surge")
            if getattr(self, name) is not None
        ] + (["exit"] if self.exit else [])
        if len(actions) != 1:
            raise ValueError(
                "an event takes exactly one of outage, slowdown, price, exit, surge"
                + (f" (got {', '.join(actions)})" if actions else "")
            )
        action = actions[0]
        if action == "surge":
            if self.flow is None or self.provider is not None:
                raise ValueError("a surge names a flow (and no provider)")
        elif self.provider is None or self.flow is not None:
            raise ValueError(f"{action} names a provider (and no flow)")
        if self.duration is not None and action not in ("slowdown", "surge"):
            raise ValueError(f"`for` goes with slowdown or surge, not {action}")
        return self

    @property
    def action(self) -> str:
        """Which of outage, slowdown, price, exit, surge this event is."""
        for name in ("outage", "slowdown", "price", "surge"):
            if getattr(self, name) is not None:
                return name
        return "exit"


class Changes(Model):
    """Change requests (new features) and where they land."""

    rate: Rate = Field(description="Change requests per unit of time, e.g. 3/week.")
    components: list[str] = Field(
        default_factory=list,
        description="Components they are drawn from, uniformly (default: every component "
        "whose options all declare a change_lead_time).",
    )


class Run(Model):
    """How long, how often and from which seed to simulate."""

    horizon: PositiveDuration = Field(
        3600.0, description="Arrivals stop here; in-flight requests drain."
    )
    warmup: Duration = Field(0.0, description="Start of the measured window.")
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = Field(
        5, description="Independent replications."
    )
    seed: Annotated[int, Field(ge=0)] = Field(1, description="Root seed of every random stream.")

    @field_validator("warmup")
    @classmethod
    def _warmup_before_horizon(cls, warmup: float, info: ValidationInfo) -> float:
        horizon = info.data.get("horizon")
        if horizon is not None and warmup >= horizon:
            raise ValueError(f"warmup must be shorter than horizon ({horizon:g}s)")
        return warmup


class Scenario(Model):
    """A whole scenario file."""

    name: str = ""
    description: str = ""
    currency: str = "USD"
    run: Run = Field(default_factory=Run)
    providers: dict[str, Provider] = Field(min_length=1)
    components: dict[str, Component] = Field(min_length=1)
    flows: dict[str, Flow] = Field(min_length=1)
    strategies: dict[str, StrategySpec] = Field(
        default_factory=lambda: {"static": StrategySpec(policy="static")},
        min_length=1,
        description="Named strategies; the first is the default of `conductor run`.",
    )
    status_quo: dict[str, str] = Field(
        default_factory=dict,
        description="Brownfield start: component -> provider engaged before the run.",
    )
    events: list[Event] = Field(default_factory=list, description="What-if events.")
    changes: Changes | None = Field(None, description="Change requests and their lead time.")

    _file: str = PrivateAttr("<scenario>")
    _sha256: str = PrivateAttr("")
    _document: dict = PrivateAttr(default_factory=dict)
    _base_dir: str | None = PrivateAttr(None)
    _files: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def document(self) -> dict:
        """The mapping the scenario was validated from (overrides applied)."""
        return self._document

    @property
    def base_dir(self) -> str | None:
        """The folder that relative data files (traces, samples) are read from."""
        return self._base_dir

    @property
    def files(self) -> dict[str, str]:
        """The data files the scenario read (resolved path -> sha256 of the bytes)."""
        return self._files

    @property
    def file(self) -> str:
        """Where the scenario was read from."""
        return self._file

    @property
    def sha256(self) -> str:
        """Digest of the scenario document after overrides: what results are keyed by."""
        return self._sha256
