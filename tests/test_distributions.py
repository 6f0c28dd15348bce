"""Distribution specs and runtime distributions: declared values, sampling, errors, schema.

Sampled checks use n = 200,000 variates from a fixed seed and bounds of five standard errors,
so they are deterministic and fail only if the declared and sampled distributions disagree.
"""

from __future__ import annotations

import json
import math
from statistics import NormalDist
from typing import Any, NamedTuple

import numpy as np
import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from conductor.engine.streams import Streams
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
)
from conductor.scenario.distributions import DistributionSpec, build_distribution

N = 200_000
Z = NormalDist().inv_cdf
PHI = NormalDist().cdf


def _pdf(x: float) -> float:
    return math.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)


def _truncated_normal(mu: float, sd: float) -> tuple[float, float, dict[float, float]]:
    """Mean, variance and quantiles of N(mu, sd²) conditioned on X >= 0 (closed forms)."""
    alpha = -mu / sd
    tail = 1 - PHI(alpha)
    ratio = _pdf(alpha) / tail
    mean = mu + sd * ratio
    variance = sd**2 * (1 + alpha * ratio - ratio**2)
    quantiles = {q: mu + sd * Z(PHI(alpha) + q * tail) for q in (0.1, 0.5, 0.9)}
    return mean, variance, quantiles


def _lognormal(mu: float, sigma: float) -> tuple[float, float]:
    return math.exp(mu + sigma**2 / 2), math.expm1(sigma**2) * math.exp(2 * mu + sigma**2)


class Case(NamedTuple):
    spec: Any
    kind: type[Distribution]
    mean: float
    variance: float
    quantiles: dict[float, float]
    continuous: bool = True


S99 = math.log(0.3 / 0.04) / Z(0.99)
S95 = math.log(3.0) / Z(0.95)
S_CV = math.sqrt(math.log1p(1.5**2))
TN_MEAN, TN_VAR, TN_Q = _truncated_normal(1.0, 0.5)
TN2_MEAN, TN2_VAR, TN2_Q = _truncated_normal(0.1, 1.0)
MIX_MU, MIX_SIGMA = math.log(0.1), 1.0
MIX_MEAN = 0.7 * 0.01 + 0.3 * _lognormal(MIX_MU, MIX_SIGMA)[0]
MIX_SECOND = 0.7 * 2 * 0.01**2 + 0.3 * math.exp(2 * MIX_MU + 2 * MIX_SIGMA**2)

CASES: dict[str, Case] = {
    "constant": Case({"dist": "constant", "value": "2s"}, Constant, 2.0, 0.0, {0.5: 2.0}, False),
    "shorthand": Case("40ms", Constant, 0.04, 0.0, {0.1: 0.04, 0.9: 0.04}, False),
    "shorthand-number": Case(1.5, Constant, 1.5, 0.0, {0.5: 1.5}, False),
    "exponential": Case(
        {"dist": "exponential", "mean": "10ms"},
        Exponential,
        0.01,
        1e-4,
        {0.5: 0.01 * math.log(2), 0.99: 0.01 * math.log(100)},
    ),
    "lognormal-median-p99": Case(
        {"dist": "lognormal", "median": "40ms", "p99": "300ms"},
        LogNormal,
        *_lognormal(math.log(0.04), S99),
        {0.5: 0.04, 0.99: 0.3},
    ),
    "lognormal-median-p95": Case(
        {"dist": "lognormal", "median": 1, "p95": "3s"},
        LogNormal,
        *_lognormal(0.0, S95),
        {0.5: 1.0, 0.95: 3.0},
    ),
    "lognormal-mean-cv": Case(
        {"dist": "lognormal", "mean": "2s", "cv": 1.5},
        LogNormal,
        2.0,
        9.0,
        {0.5: 2.0 / math.sqrt(1 + 1.5**2)},
    ),
    "lognormal-mu-sigma": Case(
        {"dist": "lognormal", "mu": 0, "sigma": 0.5},
        LogNormal,
        *_lognormal(0.0, 0.5),
        {0.5: 1.0, PHI(1.0): math.exp(0.5)},
    ),
    # cv = 1 is the exponential, whose quantiles have a closed form.
    "gamma-cv1": Case(
        {"dist": "gamma", "mean": "2s", "cv": 1},
        Gamma,
        2.0,
        4.0,
        {0.5: 2 * math.log(2), 0.9: 2 * math.log(10)},
    ),
    "gamma": Case({"dist": "gamma", "mean": "2s", "cv": 0.5}, Gamma, 2.0, 1.0, {}),
    "weibull": Case(
        {"dist": "weibull", "scale": "2s", "shape": 2},
        Weibull,
        math.sqrt(math.pi),
        4 - math.pi,
        {0.5: 2 * math.sqrt(math.log(2)), 1 - math.exp(-1): 2.0},
    ),
    "uniform": Case(
        {"dist": "uniform", "low": "1s", "high": "3s"},
        Uniform,
        2.0,
        1 / 3,
        {0.0: 1.0, 0.25: 1.5, 1.0: 3.0},
    ),
    "normal": Case({"dist": "normal", "mean": "1s", "sd": "500ms"}, Normal, TN_MEAN, TN_VAR, TN_Q),
    "normal-mostly-truncated": Case(
        {"dist": "normal", "mean": "100ms", "sd": "1s"}, Normal, TN2_MEAN, TN2_VAR, TN2_Q
    ),
    "pareto": Case(
        {"dist": "pareto", "scale": "1s", "alpha": 3},
        Pareto,
        0.5,
        0.75,
        {0.5: 2 ** (1 / 3) - 1, 0.99: 100 ** (1 / 3) - 1},
    ),
    "pareto-infinite-variance": Case(
        {"dist": "pareto", "scale": "1s", "alpha": 1.5},
        Pareto,
        2.0,
        math.inf,
        {0.5: 2 ** (2 / 3) - 1},
    ),
    "pareto-infinite-mean": Case(
        {"dist": "pareto", "scale": "1s", "alpha": 0.8},
        Pareto,
        math.inf,
        math.inf,
        {0.5: 2 ** (1 / 0.8) - 1},
    ),
    "mixture": Case(
        {
            "dist": "mixture",
            "of": [
                {"weight": 0.7, "dist": "exponential", "mean": "10ms"},
                {"weight": 0.3, "dist": "lognormal", "mu": MIX_MU, "sigma": MIX_SIGMA},
            ],
        },
        Mixture,
        MIX_MEAN,
        MIX_SECOND - MIX_MEAN**2,
        {},
    ),
    "empirical": Case(
        {"dist": "empirical", "samples": [1, "2s", 2, 4]},
        Empirical,
        2.25,
        6.25 - 2.25**2,
        {0.25: 1.0, 0.5: 2.0, 0.75: 2.0, 0.8: 4.0, 1.0: 4.0},
        False,
    ),
}

CONTINUOUS = [name for name, case in CASES.items() if case.continuous]


def _build(name: str) -> Distribution:
    return build_distribution(CASES[name].spec)


_samples: dict[str, np.ndarray] = {}


def _sample(name: str) -> np.ndarray:
    if name not in _samples:
        _samples[name] = _build(name).sample(np.random.default_rng(20240611), N)
    return _samples[name]


@pytest.mark.parametrize("name", CASES)
def test_declared_moments_and_quantiles(name: str) -> None:
    case = CASES[name]
    dist = _build(name)
    assert type(dist) is case.kind
    assert dist.mean == pytest.approx(case.mean, rel=1e-9)
    assert dist.variance == pytest.approx(case.variance, rel=1e-9, abs=1e-15)
    for q, expected in case.quantiles.items():
        assert dist.quantile(q) == pytest.approx(expected, rel=1e-9), q
    if math.isfinite(case.variance) and case.mean > 0:
        assert dist.scv == pytest.approx(case.variance / case.mean**2, rel=1e-9)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_cdf_inverts_quantile(name: str) -> None:
    dist = _build(name)
    for q in (1e-4, 0.01, 0.1, 0.5, 0.9, 0.99, 0.9999):
        assert dist.cdf(dist.quantile(q)) == pytest.approx(q, rel=1e-9), q
    assert dist.cdf(-1.0) == 0.0
    assert dist.cdf(dist.quantile(0.0)) == 0.0


@pytest.mark.parametrize("name", CASES)
def test_sample_mean_within_standard_error(name: str) -> None:
    dist, x = _build(name), _sample(name)
    assert x.dtype == np.float64
    assert x.shape == (N,)
    assert (x >= 0).all()
    if not math.isfinite(dist.variance):
        pytest.skip("infinite variance: see the quantile test")
    bound = 5 * math.sqrt(dist.variance / N)
    assert abs(x.mean() - dist.mean) <= bound + 1e-12


@pytest.mark.parametrize("name", CONTINUOUS)
def test_sample_quantiles_within_standard_error(name: str) -> None:
    # Valid for heavy tails too: F_n(q_p) is an average of indicators, variance p(1−p)/n.
    dist, x = _build(name), np.sort(_sample(name))
    for p in (0.05, 0.25, 0.5, 0.75, 0.95, 0.99):
        empirical = np.searchsorted(x, dist.quantile(p), side="right") / N
        assert abs(empirical - p) < 5 * math.sqrt(p * (1 - p) / N), p


@pytest.mark.parametrize("name", CASES)
def test_sampling_is_deterministic(name: str) -> None:
    dist = _build(name)
    first = dist.sample(np.random.default_rng(7), 1000)
    again = dist.sample(np.random.default_rng(7), 1000)
    np.testing.assert_array_equal(first, again)
    assert dist.sample(np.random.default_rng(7), 0).shape == (0,)


@pytest.mark.parametrize("name", CASES)
def test_slowed_draws_are_the_draws_scaled(name: str) -> None:
    # A slowdown scales the variates drawn (Streams.draws' scale), never the law itself.
    dist = _build(name)
    plain, slowed = Streams(7, 0).draws("x", dist), Streams(7, 0).draws("x", dist, scale=2.5)
    for _ in range(100):
        assert slowed() == 2.5 * plain()


@pytest.mark.parametrize("name", CASES)
def test_repr_is_short_and_readable(name: str) -> None:
    text = repr(_build(name))
    assert text.startswith(CASES[name].kind.__name__.lower())
    assert len(text) < 120


def test_lognormal_from_median_and_p99() -> None:
    dist = build_distribution({"dist": "lognormal", "median": "40ms", "p99": "300ms"})
    assert dist.quantile(0.5) == pytest.approx(0.04, rel=1e-12)
    assert dist.quantile(0.99) == pytest.approx(0.3, rel=1e-12)
    assert repr(dist) == "lognormal(median=0.04s, p99=0.3s)"


def test_truncated_normal_far_from_zero_is_the_normal() -> None:
    dist = Normal(10.0, 1.0)
    assert dist.mean == pytest.approx(10.0, rel=1e-12)
    assert dist.variance == pytest.approx(1.0, rel=1e-12)
    assert dist.quantile(0.975) == pytest.approx(10 + Z(0.975), rel=1e-9)
    assert (dist.loc, dist.sd) == (10.0, 1.0)


def test_truncated_normal_at_zero_is_half_normal() -> None:
    dist = Normal(0.0, 1.0)
    assert dist.mean == pytest.approx(math.sqrt(2 / math.pi), rel=1e-12)
    assert dist.variance == pytest.approx(1 - 2 / math.pi, rel=1e-12)


def test_mixture_mean_and_atoms() -> None:
    dist = build_distribution(
        {
            "dist": "mixture",
            "of": [
                {"weight": 0.9, "dist": "exponential", "mean": "10ms"},
                {"weight": 0.1, "dist": "constant", "value": "1s"},
            ],
        }
    )
    assert dist.mean == pytest.approx(0.9 * 0.01 + 0.1 * 1.0, rel=1e-12)
    # Within the atom at 1s the quantile is exactly the atom.
    assert dist.quantile(0.95) == 1.0
    assert dist.cdf(1.0) == pytest.approx(1.0)
    x = dist.sample(np.random.default_rng(3), N)
    assert np.mean(x == 1.0) == pytest.approx(0.1, abs=5 * math.sqrt(0.09 / N))


def test_nested_mixture() -> None:
    inner = {
        "dist": "mixture",
        "of": [
            {"weight": 0.5, "dist": "constant", "value": 1},
            {"weight": 0.5, "dist": "constant", "value": 3},
        ],
    }
    dist = build_distribution(
        {
            "dist": "mixture",
            "of": [{"weight": 0.5, **inner}, {"weight": 0.5, "dist": "constant", "value": 0}],
        }
    )
    assert dist.mean == pytest.approx(1.0)


def test_empirical_from_file(tmp_path) -> None:
    (tmp_path / "latencies.csv").write_text("latency_s\n0.1\n0.2, 0.3\n\n0.4\n")
    spec = {"dist": "empirical", "file": "latencies.csv"}
    dist = build_distribution(spec, base_dir=tmp_path)
    assert isinstance(dist, Empirical)
    np.testing.assert_allclose(dist.samples, [0.1, 0.2, 0.3, 0.4])
    assert dist.mean == pytest.approx(0.25)
    assert dist.cdf(0.2) == 0.5
    # The base directory comes from the validation context, as when loading a scenario.
    adapter = TypeAdapter(DistributionSpec)
    assert adapter.validate_python(spec, context={"base_dir": str(tmp_path)}).build() == dist
    # An absolute path needs no base directory.
    absolute = {"dist": "empirical", "file": str(tmp_path / "latencies.csv")}
    assert build_distribution(absolute) == dist


def test_empirical_sample_is_a_bootstrap() -> None:
    dist = Empirical([0.5, 0.1, 0.3])
    x = dist.sample(np.random.default_rng(1), 1000)
    assert set(np.unique(x)) == {0.1, 0.3, 0.5}


def _error(spec: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as error:
        build_distribution(spec, **kwargs)
    return error.value.errors(include_url=False)[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read empirical samples file 'latencies.csv': file not found"),
        ("", "cannot read empirical samples file 'latencies.csv': it holds no numbers"),
        ("seconds\n", "it holds no numbers"),
        ("0.1\nabc\n", "line 2 is not a list of numbers"),
        ("0.1\n-0.2\n", "values must be finite, >= 0"),
    ],
)
def test_empirical_file_errors(tmp_path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "latencies.csv").write_text(content)
    error = _error({"dist": "empirical", "file": "latencies.csv"}, base_dir=tmp_path)
    assert message in error["msg"]


@pytest.mark.parametrize(
    ("spec", "kind", "message"),
    [
        ({"dist": "gauss", "mean": 1}, "union_tag_invalid", "'gauss'"),
        ({"mean": 1}, "union_tag_not_found", "discriminator 'dist'"),
        (
            {"dist": "lognormal", "median": "40ms"},
            "value_error",
            "lognormal needs median + p99, median + p95, mean + cv, or mu + sigma; got median",
        ),
        (
            {"dist": "lognormal", "median": "40ms", "p99": "1s", "cv": 1},
            "value_error",
            "lognormal needs median + p99",
        ),
        (
            {"dist": "lognormal", "median": "40ms", "p99": "30ms"},
            "value_error",
            "p99 must be greater than the median",
        ),
        ({"dist": "exponential"}, "missing", "Field required"),
        ({"dist": "exponential", "mean": 1, "sd": 1}, "extra_forbidden", "Extra inputs"),
        ({"dist": "exponential", "mean": 0}, "value_error", "expected a positive duration"),
        ({"dist": "gamma", "mean": 1, "cv": 0}, "greater_than", "greater than 0"),
        ({"dist": "gamma", "mean": 1, "cv": True}, "value_error", "expected a number"),
        ({"dist": "weibull", "scale": 1, "shape": math.inf}, "finite_number", "finite"),
        ({"dist": "uniform", "low": 3, "high": 1}, "value_error", "low must not exceed high"),
        ({"dist": "constant", "value": "5m"}, "value_error", "ambiguous duration unit"),
        ({"dist": "empirical", "samples": []}, "too_short", "at least 1"),
        ({"dist": "empirical", "samples": [1, -1]}, "value_error", "non-negative"),
        ({"dist": "empirical"}, "value_error", "empirical needs either samples or file"),
        ("exponential", "value_error", "expected a distribution"),
        (None, "value_error", "expected a distribution"),
        (-1, "value_error", "expected a non-negative duration"),
    ],
)
def test_spec_errors(spec: Any, kind: str, message: str) -> None:
    error = _error(spec)
    assert error["type"] == kind
    assert message in error["msg"]


def _mixture(*components: dict[str, Any]) -> dict[str, Any]:
    return {"dist": "mixture", "of": list(components)}


def test_mixture_weights_must_sum_to_one() -> None:
    error = _error(
        _mixture(
            {"weight": 0.5, "dist": "exponential", "mean": 1},
            {"weight": 0.4, "dist": "constant", "value": 1},
        )
    )
    assert error["msg"] == "Value error, mixture weights must sum to 1, got 0.9"
    # Within 1e-6 is close enough (weights are often written to a few decimals).
    build_distribution(
        _mixture(
            {"weight": 1 / 3, "dist": "constant", "value": 1},
            {"weight": 0.6666667, "dist": "constant", "value": 2},
        )
    )


def test_mixture_component_errors_point_at_the_component() -> None:
    extra = _error(_mixture({"weight": 1, "dist": "exponential", "mean": 1, "sd": 2}))
    assert extra["type"] == "extra_forbidden"
    assert extra["loc"] == ("mixture", "of", 0, "exponential", "sd")
    missing = _error(_mixture({"dist": "exponential", "mean": 1}))
    assert missing["type"] == "missing"
    assert missing["loc"][-1] == "weight"
    negative = _error(_mixture({"weight": -1, "dist": "exponential", "mean": 1}))
    assert negative["type"] == "greater_than"


@pytest.mark.parametrize(
    "construct",
    [
        lambda: Constant(-1),
        lambda: Exponential(0),
        lambda: LogNormal(0, -1),
        lambda: Gamma(1, 0),
        lambda: Weibull(1, 0),
        lambda: Uniform(2, 1),
        lambda: Normal(1, 0),
        lambda: Pareto(1, 0),
        lambda: Mixture([0.5, 0.6], [Constant(1), Constant(2)]),
        lambda: Empirical([]),
        lambda: Empirical([1, math.nan]),
    ],
)
def test_runtime_parameters_are_checked(construct) -> None:
    with pytest.raises(ValueError):
        construct()


def test_runtime_distributions_are_immutable_values() -> None:
    dist = Exponential(1.0)
    with pytest.raises(AttributeError):
        dist.mean = 2.0  # type: ignore[misc]
    assert dist == Exponential(1.0)
    assert len({Exponential(1.0), Exponential(1.0), Gamma(1.0, 1.0)}) == 2
    assert Empirical([2, 1]) == Empirical([1, 2])
    with pytest.raises(ValueError):
        dist.quantile(1.5)


def test_infinite_mean_scv() -> None:
    dist = Pareto(1.0, 0.8)
    assert dist.mean == math.inf
    assert dist.scv == math.inf
    assert dist.quantile(1.0) == math.inf
    assert Constant(3).scv == 0
    assert Exponential(3).scv == pytest.approx(1)


class Scenario(BaseModel):
    service_time: DistributionSpec
    network: DistributionSpec | None = None
    think: DistributionSpec = Field(description="Think time.")


def test_specs_as_model_fields_and_json_schema() -> None:
    scenario = Scenario(
        service_time={"dist": "lognormal", "median": "40ms", "p99": "300ms"},
        think="2s",
    )
    assert scenario.service_time.build().quantile(0.5) == pytest.approx(0.04)
    assert scenario.think.build() == Constant(2.0)
    assert scenario.network is None

    schema = Scenario.model_json_schema()
    text = json.dumps(schema)
    assert "WeightedExponentialSpec" in text
    service = schema["properties"]["service_time"]
    number, string, tagged = service["anyOf"]
    assert number["type"] == "number"
    assert string["type"] == "string"
    assert tagged["discriminator"]["propertyName"] == "dist"
    assert set(tagged["discriminator"]["mapping"]) == {
        "constant",
        "exponential",
        "lognormal",
        "gamma",
        "weibull",
        "uniform",
        "normal",
        "pareto",
        "mixture",
        "empirical",
    }
    assert schema["properties"]["think"]["description"] == "Think time."
    assert schema["$defs"]["GammaSpec"]["additionalProperties"] is False
