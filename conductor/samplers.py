"""Runtime laws of random times: exact moments, quantiles and cdfs, and vectorised sampling.

A law is a small immutable object with one canonical parameterisation, built once by the
plan from a scenario's distribution spec (`conductor.scenario.distributions`). It knows its
exact mean, variance, quantiles and cdf (for reports and analytic checks; `cdfs` is the cdf
over an array, for the estimates on a grid) and draws vectorised samples from a numpy
``Generator`` (for the engine, which asks for a block of variates at a time). Only numpy is
imported here: the normal and gamma functions come from `conductor.special`, and scipy,
slow to import, only when a rarer law (Weibull moments, the truncated normal) needs it.
"""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from conductor.special import gamma_p, gamma_p_inverse, normal_cdf, normal_cdfs, normal_quantile


def _special():
    from scipy import special  # slow to import: only the rarer laws need it

    return special


def _seconds(x: float) -> str:
    return f"{x:.3g}s"


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

    def cdfs(self, x: np.ndarray) -> np.ndarray:
        """P(X <= x) at every point of an array: the scalar `cdf`, vectorised."""
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self._cdfs(x, np.maximum(x, 0.0))
        return np.where(x < 0, 0.0, np.clip(out, 0.0, 1.0))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` independent variates as a float64 array, drawn in as few rng calls as possible."""
        _check(size >= 0, f"sample size must be >= 0, got {size}")
        return np.asarray(self._sample(rng, int(size)), dtype=np.float64)

    @abc.abstractmethod
    def _quantile(self, q: float) -> float: ...

    @abc.abstractmethod
    def _cdf(self, x: float) -> float: ...

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        # A law without a vectorised form: its own scalar cdf at each point.
        return np.array([self.cdf(float(v)) for v in x.ravel()]).reshape(x.shape)

    @abc.abstractmethod
    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray: ...

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

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        return (x >= self._value).astype(np.float64)

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self._value)

    def _key(self) -> tuple[Any, ...]:
        return (self._value,)

    def __repr__(self) -> str:
        return f"constant({_seconds(self._value)})"


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

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        return -np.expm1(-positive / self._mean)

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self._mean, size)

    def _key(self) -> tuple[Any, ...]:
        return (self._mean,)

    def __repr__(self) -> str:
        return f"exponential(mean={_seconds(self._mean)})"


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
        return _exp(self._mu + self._sigma * normal_quantile(q))

    def _cdf(self, x: float) -> float:
        if x == 0:
            return 0.0
        if self._sigma == 0:
            return 1.0 if x >= self.median else 0.0
        return normal_cdf((math.log(x) - self._mu) / self._sigma)

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        if self._sigma == 0:
            return (x >= self.median).astype(np.float64)
        return normal_cdfs((np.log(positive) - self._mu) / self._sigma)

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self._mu, self._sigma, size)

    def _key(self) -> tuple[Any, ...]:
        return (self._mu, self._sigma)

    def __repr__(self) -> str:
        p99 = self.quantile(0.99)
        return f"lognormal(median={_seconds(self.median)}, p99={_seconds(p99)})"


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
        return float(gamma_p_inverse(self.shape, q)) * self.scale

    def _cdf(self, x: float) -> float:
        return float(gamma_p(self.shape, x / self.scale))

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        return gamma_p(self.shape, positive / self.scale)

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)

    def _key(self) -> tuple[Any, ...]:
        return (self._mean, self._cv)

    def __repr__(self) -> str:
        return f"gamma(mean={_seconds(self._mean)}, cv={_num(self._cv)})"


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
        return self._scale * float(_special().gamma(1 + 1 / self._shape))

    @property
    def variance(self) -> float:
        """Variance in seconds squared."""
        g1 = float(_special().gamma(1 + 1 / self._shape))
        g2 = float(_special().gamma(1 + 2 / self._shape))
        return self._scale**2 * (g2 - g1**2) if math.isfinite(g2) else math.inf

    def _quantile(self, q: float) -> float:
        return self._scale * (-math.log1p(-q)) ** (1 / self._shape) if q < 1 else math.inf

    def _cdf(self, x: float) -> float:
        return -math.expm1(-((x / self._scale) ** self._shape))

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        return -np.expm1(-((positive / self._scale) ** self._shape))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self._scale * rng.weibull(self._shape, size)

    def _key(self) -> tuple[Any, ...]:
        return (self._scale, self._shape)

    def __repr__(self) -> str:
        return f"weibull(scale={_seconds(self._scale)}, shape={_num(self._shape)})"


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

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        if self._high == self._low:
            return (x >= self._low).astype(np.float64)
        return np.clip((x - self._low) / (self._high - self._low), 0.0, 1.0)

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self._low, self._high, size)

    def _key(self) -> tuple[Any, ...]:
        return (self._low, self._high)

    def __repr__(self) -> str:
        return f"uniform(low={_seconds(self._low)}, high={_seconds(self._high)})"


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

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        special = _special()
        below = special.ndtr(-self._loc / self._sd)
        return (special.ndtr((positive - self._loc) / self._sd) - below) / (1.0 - below)

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # Inversion rather than rejection: exact for any truncation and one draw per variate.
        return np.maximum(self._frozen.ppf(rng.random(size)), 0.0)

    def _key(self) -> tuple[Any, ...]:
        return (self._loc, self._sd)

    def __repr__(self) -> str:
        loc, sd = _seconds(self._loc), _seconds(self._sd)
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

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        return -np.expm1(-self._alpha * np.log1p(positive / self._scale))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # numpy's pareto is the Lomax distribution with scale 1.
        return self._scale * rng.pareto(self._alpha, size)

    def _key(self) -> tuple[Any, ...]:
        return (self._scale, self._alpha)

    def __repr__(self) -> str:
        return f"pareto(scale={_seconds(self._scale)}, alpha={_num(self._alpha)})"


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

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        return sum(w * c.cdfs(x) for w, c in zip(self._weights, self._components, strict=True))

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        which = rng.choice(len(self._components), size=size, p=self._weights)
        out = np.empty(size)
        for index, component in enumerate(self._components):
            chosen = which == index
            count = int(np.count_nonzero(chosen))
            if count:
                out[chosen] = component.sample(rng, count)
        return out

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

    def _cdfs(self, x: np.ndarray, positive: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._samples, x, side="right") / self._samples.size

    def _sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(self._samples, size=size)

    def _key(self) -> tuple[Any, ...]:
        return (self._samples.size, self._samples.tobytes())

    def __repr__(self) -> str:
        return f"empirical(n={self._samples.size}, mean={_seconds(self.mean)})"
