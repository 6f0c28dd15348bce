"""Distributions of random times: the scenario-file specs and the runtime objects they build.

Every random time in a scenario (a service time, a network round trip, a time to repair) is
written as a distribution: a mapping with ``dist`` and one set of parameters, or a plain
duration meaning that constant. Validation turns the mapping into a ``*Spec`` model, which lets
authors use whichever parameters they know (a median and a p99 read off a dashboard, say);
``build()`` turns the spec into a runtime ``Distribution`` with one canonical parameterisation.
A runtime distribution is a small immutable object that knows its exact mean, variance,
quantiles and cdf (for reports and analytic checks) and draws vectorised samples from a numpy
``Generator`` (for the engine, which asks for a block of variates at a time).
"""

from __future__ import annotations

import abc
import functools
import math
import numbers
import operator
import os
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
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
from scipy import special

from conductor.scenario.files import read_numbers
from conductor.scenario.units import (
    DURATION_PATTERN,
    MAX_DURATION,
    Duration,
    PositiveDuration,
    format_duration,
    parse_duration,
)

# ---------------------------------------------------------------------------------------------
# Runtime distributions


def _exp(x: float) -> float:
    # math.exp raises on overflow; an infinite moment is an answer here, not an error.
    return math.exp(x) if x < 709.78 else math.inf


def _num(x: float) -> str:
    return f"{x:.3g}"


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _finite(x: float) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


class Distribution(abc.ABC):
    """A distribution of non-negative times in seconds; immutable and hashable."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **attributes: Any) -> None:
        for name, value in attributes.items():
            object.__setattr__(self, name, value)

    @property
    @abc.abstractmethod
    def mean(self) -> float:
        """Expected value in seconds (math.inf when infinite)."""

    @property
    @abc.abstractmethod
    def variance(self) -> float:
        """Variance in seconds squared (math.inf when infinite)."""

    @property
    def scv(self) -> float:
        """Squared coefficient of variation, variance / mean²: 0 for a constant, 1 exponential."""
        mean, variance = self.mean, self.variance
        if math.isinf(variance):
            return math.inf
        return variance / mean**2 if mean > 0 else 0.0

    def quantile(self, q: float) -> float:
        """The q-quantile, inf{x : cdf(x) >= q}, computed exactly."""
        _check(0 <= q <= 1, f"quantile level must be in [0, 1], got {q!r}")
        return float(self._quantile(float(q)))

    def cdf(self, x: float) -> float:
        """P(X <= x)."""
        _check(not math.isnan(x), "cdf of nan")
        return float(self._cdf(float(x))) if x >= 0 else 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` independent variates as a float64 array, drawn in as few rng calls as possible."""
        _check(size >= 0, f"sample size must be >= 0, got {size}")
        return np.asarray(self._sample(rng, int(size)), dtype=np.float64)

    def scaled(self, factor: float) -> Distribution:
        """The distribution of factor·X (a slowdown when factor > 1)."""
        _check(_finite(factor) and factor >= 0, f"scale factor must be >= 0, got {factor!r}")
        if factor == 1:
            return self
        if factor == 0:
            return Constant(0.0)
        return self._scaled(float(factor))

    @abc.abstractmethod
    def _quantile(self, q: float) -> float: ...

    @abc.abstractmethod
    def _cdf(self, x: float) -> float: ...

    @abc.abstractmethod
    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray: ...

    @abc.abstractmethod
    def _scaled(self, factor: float) -> Distribution: ...

    @abc.abstractmethod
    def _key(self) -> tuple[Any, ...]:
        """The parameters that identify the distribution, for equality and hashing."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))


class Constant(Distribution):
    """Always the same time."""

    __slots__ = ("_value",)

    def __init__(self, value: float):
        _check(_finite(value) and value >= 0, f"constant must be >= 0, got {value!r}")
        self._set(_value=float(value))

    @property
    def value(self) -> float:
        """The time."""
        return self._value

    @property
    def mean(self) -> float:
        """Expected value in seconds."""
        return self._value

    @property
    def variance(self) -> float:
        """Variance: zero."""
        return 0.0

    def _quantile(self, q: float) -> float:
        return self._value

    def _cdf(self, x: float) -> float:
        return 1.0 if x >= self._value else 0.0

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self._value)

    def _scaled(self, factor: float) -> Distribution:
        return Constant(self._value * factor)

    def _key(self) -> tuple[Any, ...]:
        return (self._value,)

    def __repr__(self) -> str:
        return f"constant({format_duration(self._value)})"


class Exponential(Distribution):
    """Memoryless times with the given mean."""

    __slots__ = ("_mean",)

    def __init__(self, mean: float):
        _check(_finite(mean) and mean > 0, f"exponential mean must be > 0, got {mean!r}")
        self._set(_mean=float(mean))

    @property
    def mean(self) -> float:
        """Expected value in seconds."""
        return self._mean

    @property
    def variance(self) -> float:
        """Variance: mean²."""
        return self._mean**2

    def _quantile(self, q: float) -> float:
        return -self._mean * math.log1p(-q) if q < 1 else math.inf

    def _cdf(self, x: float) -> float:
        return -math.expm1(-x / self._mean)

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self._mean, size)

    def _scaled(self, factor: float) -> Distribution:
        return Exponential(self._mean * factor)

    def _key(self) -> tuple[Any, ...]:
        return (self._mean,)

    def __repr__(self) -> str:
        return f"exponential(mean={format_duration(self._mean)})"


_Z99 = float(special.ndtri(0.99))


class LogNormal(Distribution):
    """exp(N(mu, sigma²)): mu and sigma are of the natural log of the time."""

    __slots__ = ("_mu", "_sigma")

    def __init__(self, mu: float, sigma: float):
        _check(_finite(mu), f"lognormal mu must be a finite number, got {mu!r}")
        _check(_finite(sigma) and sigma >= 0, f"lognormal sigma must be >= 0, got {sigma!r}")
        self._set(_mu=float(mu), _sigma=float(sigma))

    @property
    def mu(self) -> float:
        """Mean of the log of the time."""
        return self._mu

    @property
    def sigma(self) -> float:
        """Standard deviation of the log of the time."""
        return self._sigma

    @property
    def median(self) -> float:
        """The median, exp(mu)."""
        return _exp(self._mu)

    @property
    def mean(self) -> float:
        """Expected value in seconds."""
        return _exp(self._mu + self._sigma**2 / 2)

    @property
    def variance(self) -> float:
        """Variance in seconds squared."""
        s2 = self._sigma**2
        return math.expm1(s2) * _exp(2 * self._mu + s2) if s2 < 709 else math.inf

    def _quantile(self, q: float) -> float:
        if self._sigma == 0:
            return self.median
        return _exp(self._mu + self._sigma * float(special.ndtri(q)))

    def _cdf(self, x: float) -> float:
        if x == 0:
            return 0.0
        if self._sigma == 0:
            return 1.0 if x >= self.median else 0.0
        return float(special.ndtr((math.log(x) - self._mu) / self._sigma))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self._mu, self._sigma, size)

    def _scaled(self, factor: float) -> Distribution:
        return LogNormal(self._mu + math.log(factor), self._sigma)

    def _key(self) -> tuple[Any, ...]:
        return (self._mu, self._sigma)

    def __repr__(self) -> str:
        p99 = _exp(self._mu + self._sigma * _Z99)
        return f"lognormal(median={format_duration(self.median)}, p99={format_duration(p99)})"


class Gamma(Distribution):
    """Gamma times by mean and coefficient of variation: shape 1/cv², scale mean·cv²."""

    __slots__ = ("_cv", "_mean")

    def __init__(self, mean: float, cv: float):
        _check(_finite(mean) and mean > 0, f"gamma mean must be > 0, got {mean!r}")
        _check(_finite(cv) and cv > 0, f"gamma cv must be > 0, got {cv!r}")
        self._set(_mean=float(mean), _cv=float(cv))

    @property
    def cv(self) -> float:
        """Coefficient of variation, sd / mean."""
        return self._cv

    @property
    def shape(self) -> float:
        """Shape k = 1/cv²."""
        return 1 / self._cv**2

    @property
    def scale(self) -> float:
        """Scale θ = mean·cv²."""
        return self._mean * self._cv**2

    @property
    def mean(self) -> float:
        """Expected value in seconds."""
        return self._mean

    @property
    def variance(self) -> float:
        """Variance: (mean·cv)²."""
        return (self._mean * self._cv) ** 2

    def _quantile(self, q: float) -> float:
        return float(special.gammaincinv(self.shape, q)) * self.scale

    def _cdf(self, x: float) -> float:
        return float(special.gammainc(self.shape, x / self.scale))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)

    def _scaled(self, factor: float) -> Distribution:
        return Gamma(self._mean * factor, self._cv)

    def _key(self) -> tuple[Any, ...]:
        return (self._mean, self._cv)

    def __repr__(self) -> str:
        return f"gamma(mean={format_duration(self._mean)}, cv={_num(self._cv)})"


class Weibull(Distribution):
    """Weibull times: cdf 1 − exp(−(x/scale)^shape)."""

    __slots__ = ("_scale", "_shape")

    def __init__(self, scale: float, shape: float):
        _check(_finite(scale) and scale > 0, f"weibull scale must be > 0, got {scale!r}")
        _check(_finite(shape) and shape > 0, f"weibull shape must be > 0, got {shape!r}")
        self._set(_scale=float(scale), _shape=float(shape))

    @property
    def scale(self) -> float:
        """Scale in seconds (the 63rd percentile)."""
        return self._scale

    @property
    def shape(self) -> float:
        """Shape: < 1 heavy-ish tail, 1 exponential, > 1 increasingly regular."""
        return self._shape

    @property
    def mean(self) -> float:
        """Expected value in seconds."""
        return self._scale * float(special.gamma(1 + 1 / self._shape))

    @property
    def variance(self) -> float:
        """Variance in seconds squared."""
        g1 = float(special.gamma(1 + 1 / self._shape))
        g2 = float(special.gamma(1 + 2 / self._shape))
        return self._scale**2 * (g2 - g1**2) if math.isfinite(g2) else math.inf

    def _quantile(self, q: float) -> float:
        return self._scale * (-math.log1p(-q)) ** (1 / self._shape) if q < 1 else math.inf

    def _cdf(self, x: float) -> float:
        return -math.expm1(-((x / self._scale) ** self._shape))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self._scale * rng.weibull(self._shape, size)

    def _scaled(self, factor: float) -> Distribution:
        return Weibull(self._scale * factor, self._shape)

    def _key(self) -> tuple[Any, ...]:
        return (self._scale, self._shape)

    def __repr__(self) -> str:
        return f"weibull(scale={format_duration(self._scale)}, shape={_num(self._shape)})"


class Uniform(Distribution):
    """Times spread evenly between low and high."""

    __slots__ = ("_high", "_low")

    def __init__(self, low: float, high: float):
        _check(_finite(low) and low >= 0, f"uniform low must be >= 0, got {low!r}")
        _check(_finite(high) and high >= low, f"uniform high must be >= low, got {high!r}")
        self._set(_low=float(low), _high=float(high))

    @property
    def low(self) -> float:
        """Smallest time."""
        return self._low

    @property
    def high(self) -> float:
        """Largest time."""
        return self._high

    @property
    def mean(self) -> float:
        """Expected value in seconds."""
        return (self._low + self._high) / 2

    @property
    def variance(self) -> float:
        """Variance: (high − low)² / 12."""
        return (self._high - self._low) ** 2 / 12

    def _quantile(self, q: float) -> float:
        return self._low + q * (self._high - self._low)

    def _cdf(self, x: float) -> float:
        if x >= self._high:
            return 1.0
        return max(0.0, (x - self._low) / (self._high - self._low))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self._low, self._high, size)

    def _scaled(self, factor: float) -> Distribution:
        return Uniform(self._low * factor, self._high * factor)

    def _key(self) -> tuple[Any, ...]:
        return (self._low, self._high)

    def __repr__(self) -> str:
        return f"uniform(low={format_duration(self._low)}, high={format_duration(self._high)})"


class Normal(Distribution):
    """A normal distribution conditioned on X >= 0.

    `mean` and `sd` given to the constructor are those of the normal before truncation (they are
    kept as `loc` and `sd`); the `mean` and `variance` properties are those of the truncated
    distribution, which is what gets sampled.
    """

    __slots__ = ("_frozen", "_loc", "_sd")

    def __init__(self, mean: float, sd: float):
        _check(_finite(mean), f"normal mean must be a finite number, got {mean!r}")
        _check(_finite(sd) and sd > 0, f"normal sd must be > 0, got {sd!r}")
        from scipy import stats  # slow to import, and only the normal needs it

        frozen = stats.truncnorm(-mean / sd, math.inf, loc=mean, scale=sd)
        self._set(_loc=float(mean), _sd=float(sd), _frozen=frozen)

    @property
    def loc(self) -> float:
        """Mean of the normal before truncation."""
        return self._loc

    @property
    def sd(self) -> float:
        """Standard deviation of the normal before truncation."""
        return self._sd

    @property
    def mean(self) -> float:
        """Expected value of the truncated distribution, in seconds."""
        return float(self._frozen.mean())

    @property
    def variance(self) -> float:
        """Variance of the truncated distribution."""
        return float(self._frozen.var())

    def _quantile(self, q: float) -> float:
        return max(0.0, float(self._frozen.ppf(q)))

    def _cdf(self, x: float) -> float:
        return float(self._frozen.cdf(x))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # Inversion rather than rejection: exact for any truncation and one draw per variate.
        return np.maximum(self._frozen.ppf(rng.random(size)), 0.0)

    def _scaled(self, factor: float) -> Distribution:
        return Normal(self._loc * factor, self._sd * factor)

    def _key(self) -> tuple[Any, ...]:
        return (self._loc, self._sd)

    def __repr__(self) -> str:
        loc, sd = format_duration(self._loc), format_duration(self._sd)
        return f"normal(mean={loc}, sd={sd}, truncated at 0)"


class Pareto(Distribution):
    """Pareto type II (Lomax) times from 0: cdf 1 − (1 + x/scale)^−alpha; heavy-tailed."""

    __slots__ = ("_alpha", "_scale")

    def __init__(self, scale: float, alpha: float):
        _check(_finite(scale) and scale > 0, f"pareto scale must be > 0, got {scale!r}")
        _check(_finite(alpha) and alpha > 0, f"pareto alpha must be > 0, got {alpha!r}")
        self._set(_scale=float(scale), _alpha=float(alpha))

    @property
    def scale(self) -> float:
        """Scale in seconds."""
        return self._scale

    @property
    def alpha(self) -> float:
        """Tail index: the mean is finite for alpha > 1, the variance for alpha > 2."""
        return self._alpha

    @property
    def mean(self) -> float:
        """Expected value in seconds: scale / (alpha − 1), infinite for alpha <= 1."""
        return self._scale / (self._alpha - 1) if self._alpha > 1 else math.inf

    @property
    def variance(self) -> float:
        """Variance, infinite for alpha <= 2."""
        a = self._alpha
        return self._scale**2 * a / ((a - 1) ** 2 * (a - 2)) if a > 2 else math.inf

    def _quantile(self, q: float) -> float:
        if q == 1:
            return math.inf
        return self._scale * math.expm1(-math.log1p(-q) / self._alpha)

    def _cdf(self, x: float) -> float:
        return -math.expm1(-self._alpha * math.log1p(x / self._scale))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # numpy's pareto is the Lomax distribution with scale 1.
        return self._scale * rng.pareto(self._alpha, size)

    def _scaled(self, factor: float) -> Distribution:
        return Pareto(self._scale * factor, self._alpha)

    def _key(self) -> tuple[Any, ...]:
        return (self._scale, self._alpha)

    def __repr__(self) -> str:
        return f"pareto(scale={format_duration(self._scale)}, alpha={_num(self._alpha)})"


class Mixture(Distribution):
    """With probability weights[i], a time from components[i]."""

    __slots__ = ("_components", "_weights")

    def __init__(self, weights: Sequence[float], components: Sequence[Distribution]):
        weights, components = tuple(weights), tuple(components)
        _check(len(weights) > 0, "a mixture needs at least one component")
        _check(len(weights) == len(components), "mixture needs one weight per component")
        _check(all(_finite(w) and w > 0 for w in weights), "mixture weights must be > 0")
        total = math.fsum(weights)
        _check(abs(total - 1) <= 1e-6, f"mixture weights must sum to 1, got {total:.9g}")
        _check(
            all(isinstance(c, Distribution) for c in components),
            "mixture components must be distributions",
        )
        # Renormalised so that rng.choice, which is strict about the sum, accepts them.
        self._set(_weights=tuple(float(w) / total for w in weights), _components=components)

    @property
    def weights(self) -> tuple[float, ...]:
        """Probability of each component."""
        return self._weights

    @property
    def components(self) -> tuple[Distribution, ...]:
        """The component distributions."""
        return self._components

    @property
    def mean(self) -> float:
        """Expected value in seconds: the weighted mean of the components' means."""
        return math.fsum(w * c.mean for w, c in zip(self._weights, self._components, strict=True))

    @property
    def variance(self) -> float:
        """Variance by the law of total variance."""
        mean = self.mean
        if math.isinf(mean):
            return math.inf
        return math.fsum(
            w * (c.variance + (c.mean - mean) ** 2)
            for w, c in zip(self._weights, self._components, strict=True)
        )

    def _quantile(self, q: float) -> float:
        # The mixture's quantile lies between the smallest and largest component quantile.
        bounds = [c.quantile(q) for c in self._components]
        low, high = min(bounds), max(bounds)
        if q in (0, 1) or low == high or self._cdf(low) >= q:
            return low if q < 1 else high
        from scipy.optimize import brentq  # slow to import, and only mixtures need it

        x = brentq(lambda x: self._cdf(x) - q, low, high, xtol=1e-300, maxiter=500)
        # brentq stops a few ulps from the root, possibly just below an atom of a component.
        for _ in range(64):
            if self._cdf(x) >= q:
                break
            x = math.nextafter(x, math.inf)
        return x

    def _cdf(self, x: float) -> float:
        return math.fsum(w * c.cdf(x) for w, c in zip(self._weights, self._components, strict=True))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        which = rng.choice(len(self._components), size=size, p=self._weights)
        out = np.empty(size)
        for index, component in enumerate(self._components):
            chosen = which == index
            count = int(np.count_nonzero(chosen))
            if count:
                out[chosen] = component.sample(rng, count)
        return out

    def _scaled(self, factor: float) -> Distribution:
        return Mixture(self._weights, [c.scaled(factor) for c in self._components])

    def _key(self) -> tuple[Any, ...]:
        return (self._weights, self._components)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{_num(w)}*{c!r}" for w, c in zip(self._weights, self._components, strict=True)
        )
        return f"mixture({parts})"


class Empirical(Distribution):
    """Measured times, resampled with replacement (bootstrap)."""

    __slots__ = ("_samples",)

    def __init__(self, samples: Sequence[float] | np.ndarray):
        values = np.sort(np.asarray(samples, dtype=np.float64).ravel())
        _check(values.size > 0, "empirical needs at least one sample")
        _check(bool(np.isfinite(values).all()), "empirical samples must be finite")
        _check(values[0] >= 0, f"empirical samples must be >= 0, got {values[0]!r}")
        values.flags.writeable = False
        self._set(_samples=values)

    @property
    def samples(self) -> np.ndarray:
        """The samples, sorted (read-only)."""
        return self._samples

    @property
    def mean(self) -> float:
        """Mean of the samples."""
        return float(self._samples.mean())

    @property
    def variance(self) -> float:
        """Population variance of the samples."""
        return float(self._samples.var())

    def _quantile(self, q: float) -> float:
        return float(np.quantile(self._samples, q, method="inverted_cdf"))

    def _cdf(self, x: float) -> float:
        return np.searchsorted(self._samples, x, side="right") / self._samples.size

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(self._samples, size=size)

    def _scaled(self, factor: float) -> Distribution:
        return Empirical(self._samples * factor)

    def _key(self) -> tuple[Any, ...]:
        return (self._samples.size, self._samples.tobytes())

    def __repr__(self) -> str:
        return f"empirical(n={self._samples.size}, mean={format_duration(self.mean)})"


# ---------------------------------------------------------------------------------------------
# Scenario-file specs


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
        """The runtime distribution."""
        raise NotImplementedError


class ConstantSpec(BaseSpec):
    """Always the same time."""

    dist: Literal["constant"]
    value: Duration

    def build(self) -> Distribution:
        """The runtime distribution."""
        return Constant(self.value)


class ExponentialSpec(BaseSpec):
    """Memoryless times with the given mean."""

    dist: Literal["exponential"]
    mean: PositiveDuration

    def build(self) -> Distribution:
        """The runtime distribution."""
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
        """The runtime distribution."""
        if self.mu is not None:
            return LogNormal(self.mu, self.sigma)
        if self.mean is not None:
            sigma2 = math.log1p(self.cv**2)
            return LogNormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2))
        tail, level = (self.p99, 0.99) if self.p99 is not None else (self.p95, 0.95)
        mu = math.log(self.median)
        return LogNormal(mu, (math.log(tail) - mu) / float(special.ndtri(level)))


class GammaSpec(BaseSpec):
    """Gamma times by mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: PositiveDuration
    cv: _PositiveNumber

    def build(self) -> Distribution:
        """The runtime distribution."""
        return Gamma(self.mean, self.cv)


class WeibullSpec(BaseSpec):
    """Weibull times by scale and shape."""

    dist: Literal["weibull"]
    scale: PositiveDuration
    shape: _PositiveNumber

    def build(self) -> Distribution:
        """The runtime distribution."""
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
        """The runtime distribution."""
        return Uniform(self.low, self.high)


class NormalSpec(BaseSpec):
    """Normal times truncated at 0; mean and sd are those before truncation."""

    dist: Literal["normal"]
    mean: Duration
    sd: PositiveDuration

    def build(self) -> Distribution:
        """The runtime distribution."""
        return Normal(self.mean, self.sd)


class ParetoSpec(BaseSpec):
    """Heavy-tailed Pareto type II (Lomax) times by scale and tail index alpha."""

    dist: Literal["pareto"]
    scale: PositiveDuration
    alpha: _PositiveNumber

    def build(self) -> Distribution:
        """The runtime distribution."""
        return Pareto(self.scale, self.alpha)


def _read_samples(
    name: str, base_dir: str | os.PathLike[str] | None, digests: dict[str, str] | None = None
) -> tuple[float, ...]:
    """Every number in a CSV or text file of seconds; a non-numeric first line is a header."""
    return read_numbers(name, base_dir, "empirical samples file", digests)


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
            self._values = _read_samples(self.file, context.get("base_dir"), context.get("files"))
        else:
            self._values = tuple(self.samples)
        return self

    def build(self) -> Distribution:
        """The runtime distribution."""
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
        """The runtime distribution."""
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
