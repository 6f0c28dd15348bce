"""Distributions of random times as written in a scenario file: the specs.

Every random time in a scenario (a service time, a network round trip, a time to repair) is
written as a distribution: a mapping with ``dist`` and one set of parameters, or a plain
duration meaning that constant. Validation turns the mapping into a ``*Spec`` model, which lets
authors use whichever parameters they know (a median and a p99 read off a dashboard, say);
``build()`` turns the spec into its runtime law (`conductor.samplers`), with one canonical
parameterisation, which the plan holds and the engine samples.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationInfo,
    create_model,
    model_validator,
)

from conductor.samplers import (
    Constant,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    Mixture,
    Normal,
    Pareto,
    Uniform,
    Weibull,
    normal_quantile,
)
from conductor.scenario.files import read_numbers
from conductor.scenario.units import (
    DURATION_PATTERN,
    MAX_DURATION,
    Duration,
    PositiveDuration,
    format_duration,
    parse_duration,
)


def _finite(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def _not_bool(value: Any) -> Any:
    # pydantic's lax float takes True as 1.0; in a scenario `cv: yes` is a mistake, not a 1.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    return value


_Number = Annotated[float, BeforeValidator(_not_bool)]
# Constraints before the validator, so that they reach the float schema and the JSON Schema.
_PositiveNumber = Annotated[float, Field(gt=0), BeforeValidator(_not_bool)]
_NonNegativeNumber = Annotated[float, Field(ge=0), BeforeValidator(_not_bool)]


class BaseSpec(BaseModel):
    """Base of the distribution specs: unknown keys are errors; build() makes the runtime form."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    def build(self) -> Distribution:
        """The runtime law."""
        raise NotImplementedError


class ConstantSpec(BaseSpec):
    """Always the same time."""

    dist: Literal["constant"]
    value: Duration

    def build(self) -> Distribution:
        """The runtime law."""
        return Constant(self.value)


class ExponentialSpec(BaseSpec):
    """Memoryless times with the given mean."""

    dist: Literal["exponential"]
    mean: PositiveDuration

    def build(self) -> Distribution:
        """The runtime law."""
        return Exponential(self.mean)


_LOGNORMAL_SETS = (("median", "p99"), ("median", "p95"), ("mean", "cv"), ("mu", "sigma"))


class LogNormalSpec(BaseSpec):
    """Lognormal times by median + p99, median + p95, mean + cv, or mu + sigma (of ln X)."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": list(names)} for names in _LOGNORMAL_SETS]}
    )

    dist: Literal["lognormal"]
    median: PositiveDuration | None = None
    p99: PositiveDuration | None = None
    p95: PositiveDuration | None = None
    mean: PositiveDuration | None = None
    cv: _PositiveNumber | None = None
    mu: _Number | None = None
    sigma: _NonNegativeNumber | None = None

    @model_validator(mode="after")
    def _one_parameter_set(self) -> LogNormalSpec:
        names = ("median", "p99", "p95", "mean", "cv", "mu", "sigma")
        given = tuple(name for name in names if getattr(self, name) is not None)
        if not any(set(given) == set(names) for names in _LOGNORMAL_SETS):
            got = " + ".join(given) if given else "none of them"
            raise ValueError(
                f"lognormal needs median + p99, median + p95, mean + cv, or mu + sigma; got {got}"
            )
        for tail in ("p99", "p95"):
            value = getattr(self, tail)
            if value is not None and value <= self.median:
                raise ValueError(
                    f"lognormal {tail} must be greater than the median, got median="
                    f"{format_duration(self.median)} and {tail}={format_duration(value)}"
                )
        return self

    def build(self) -> Distribution:
        """The runtime law."""
        if self.mu is not None:
            return LogNormal(self.mu, self.sigma)
        if self.mean is not None:
            sigma2 = math.log1p(self.cv**2)
            return LogNormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2))
        tail, level = (self.p99, 0.99) if self.p99 is not None else (self.p95, 0.95)
        mu = math.log(self.median)
        return LogNormal(mu, (math.log(tail) - mu) / normal_quantile(level))


class GammaSpec(BaseSpec):
    """Gamma times by mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: PositiveDuration
    cv: _PositiveNumber

    def build(self) -> Distribution:
        """The runtime law."""
        return Gamma(self.mean, self.cv)


class WeibullSpec(BaseSpec):
    """Weibull times by scale and shape."""

    dist: Literal["weibull"]
    scale: PositiveDuration
    shape: _PositiveNumber

    def build(self) -> Distribution:
        """The runtime law."""
        return Weibull(self.scale, self.shape)


class UniformSpec(BaseSpec):
    """Times spread evenly between low and high."""

    dist: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> UniformSpec:
        if self.low > self.high:
            low, high = format_duration(self.low), format_duration(self.high)
            raise ValueError(f"uniform low must not exceed high, got low={low} and high={high}")
        return self

    def build(self) -> Distribution:
        """The runtime law."""
        return Uniform(self.low, self.high)


class NormalSpec(BaseSpec):
    """Normal times truncated at 0; mean and sd are those before truncation."""

    dist: Literal["normal"]
    mean: Duration
    sd: PositiveDuration

    def build(self) -> Distribution:
        """The runtime law."""
        return Normal(self.mean, self.sd)


class ParetoSpec(BaseSpec):
    """Heavy-tailed Pareto type II (Lomax) times by scale and tail index alpha."""

    dist: Literal["pareto"]
    scale: PositiveDuration
    alpha: _PositiveNumber

    def build(self) -> Distribution:
        """The runtime law."""
        return Pareto(self.scale, self.alpha)


class EmpiricalSpec(BaseSpec):
    """Measured times, given inline as samples or read from a CSV or text file of seconds."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["samples"]}, {"required": ["file"]}]}
    )

    dist: Literal["empirical"]
    samples: Annotated[list[Duration], Field(min_length=1)] | None = None
    file: str | None = Field(
        None, description="CSV or text file of seconds, relative to the scenario's folder."
    )
    _values: tuple[float, ...] = PrivateAttr(())

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> EmpiricalSpec:
        if (self.samples is None) == (self.file is None):
            raise ValueError("empirical needs either samples or file")
        if self.file is not None:
            # Read now, so that a missing file is reported with the rest of the scenario's errors.
            context = info.context or {}
            self._values = read_numbers(
                self.file, context.get("base_dir"), "empirical samples file", context.get("files")
            )
        else:
            self._values = tuple(self.samples)
        return self

    def build(self) -> Distribution:
        """The runtime law."""
        return Empirical(self._values)


class MixtureSpec(BaseSpec):
    """With probability `weight`, a time from each of the distributions listed in `of`."""

    dist: Literal["mixture"]
    of: Annotated[list[MixtureComponentSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> MixtureSpec:
        total = math.fsum(component.weight for component in self.of)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"mixture weights must sum to 1, got {total:.9g}")
        return self

    def build(self) -> Distribution:
        """The runtime law."""
        weights = [component.weight for component in self.of]
        return Mixture(weights, [component.build() for component in self.of])


# Every distribution kind, in the order of the format reference.
SPECS: tuple[type[BaseSpec], ...] = (
    ConstantSpec,
    ExponentialSpec,
    LogNormalSpec,
    GammaSpec,
    WeibullSpec,
    UniformSpec,
    NormalSpec,
    ParetoSpec,
    MixtureSpec,
    EmpiricalSpec,
)


def _weighted(spec: type[BaseSpec]) -> type[BaseSpec]:
    # A mixture component is written flat ({weight: 0.9, dist: exponential, mean: 10ms}), so each
    # kind gets a twin with a weight: extra keys stay errors and error paths stay those written.
    return create_model(
        f"Weighted{spec.__name__}",
        __base__=spec,
        __module__=__name__,
        __doc__=f"A mixture component: {spec.__doc__[0].lower()}{spec.__doc__[1:]}",
        weight=(_PositiveNumber, Field(description="Probability of this component.")),
    )


_WEIGHTED = tuple(_weighted(spec) for spec in SPECS)
# Module globals under their own names, so that pickle (process pools, Dask) finds them.
globals().update({spec.__name__: spec for spec in _WEIGHTED})

MixtureComponentSpec = Annotated[
    functools.reduce(operator.or_, _WEIGHTED),
    Field(discriminator="dist"),
]
"""One entry of a mixture's `of`: `weight` plus a distribution."""

for _model in (MixtureSpec, *_WEIGHTED):
    _model.model_rebuild()


def _constant_shorthand(value: Any) -> Any:
    # A bare duration is the commonest distribution of all: a fixed time.
    if isinstance(value, (Mapping, BaseModel)):
        return value
    if (isinstance(value, str) and any(c.isdigit() for c in value)) or _finite(value):
        return {"dist": "constant", "value": parse_duration(value)}
    raise ValueError(
        f"expected a distribution (a mapping with dist: ...) or a duration such as 40ms, "
        f"got {value!r}"
    )


class _DurationShorthandSchema:
    """Adds the plain-duration shorthand to the JSON Schema of a distribution."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        if handler.mode != "validation":
            return schema
        shorthand = [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": DURATION_PATTERN},
        ]
        return {
            "anyOf": [*shorthand, schema],
            "description": "A distribution (a mapping with dist) or a duration meaning a constant.",
        }


_TAIL = 0.9999
"""The level whose quantile must stay within MAX_DURATION: the reach of a long run's draws."""


def _bounded(spec: BaseSpec) -> BaseSpec:
    # Parameters can each be fine and still give times that overflow (lognormal mu 1000,
    # weibull shape 1e-300): the engine would then add infinities, so they are refused here.
    distribution = spec.build()
    try:
        tail = distribution.quantile(_TAIL)
    except (OverflowError, ValueError, ZeroDivisionError):
        tail = math.inf
    if not (math.isfinite(tail) and tail <= MAX_DURATION):
        shown = format_duration(tail) if math.isfinite(tail) else "infinite"
        raise ValueError(
            f"{spec.dist} times overflow: the 99.99th percentile is {shown} "
            f"(expected at most {MAX_DURATION:g} s)"
        )
    return spec


DistributionSpec = Annotated[
    ConstantSpec
    | ExponentialSpec
    | LogNormalSpec
    | GammaSpec
    | WeibullSpec
    | UniformSpec
    | NormalSpec
    | ParetoSpec
    | MixtureSpec
    | EmpiricalSpec,
    Field(discriminator="dist"),
    BeforeValidator(_constant_shorthand),
    AfterValidator(_bounded),
    _DurationShorthandSchema(),
]
"""Field type of a random time: a mapping with `dist`, or a plain duration meaning a constant."""

_ADAPTER: TypeAdapter[BaseSpec] = TypeAdapter(DistributionSpec)


def build_distribution(spec: Any, base_dir: str | os.PathLike[str] | None = None) -> Distribution:
    """Validate a distribution as written in a scenario and build it (pydantic ValidationError)."""
    return _ADAPTER.validate_python(spec, context={"base_dir": base_dir}).build()
