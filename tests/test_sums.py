"""Quantiles of service + round trip without sampling, against exact values.

Exact laws of a sum (all independent):

- Exp(rate a) + Exp(rate b), a ≠ b: hypoexponential, P(T > t) = (b e^{−at} − a e^{−bt})/(b − a);
- Exp(rate a) + Exp(rate a): Erlang 2 (gamma, shape 2);
- Gamma(k₁, θ) + Gamma(k₂, θ): Gamma(k₁ + k₂, θ);
- a constant c + a lognormal L: c + Q_L(q);
- Uniform(0, 1) + Uniform(0, 1): triangular on [0, 2].

The module promises 0.5 %; the grid gives about 10⁻⁴ or better, and the checks hold it to
10⁻⁴ so a coarsening of the grid is noticed.
"""

import math

import numpy as np
import pytest
from scipy import optimize, stats

from conductor.samplers import (
    Constant,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    Mixture,
    Uniform,
    Weibull,
)
from conductor.sums import sum_cdf, sum_quantile
from tests.theory import assert_proportion, scenario, simulate

LEVELS = [0.01, 0.5, 0.9, 0.95, 0.99, 0.999]
TOLERANCE = 1e-4


def hypoexponential_quantile(a: float, b: float, q: float) -> float:
    def survival(t: float) -> float:
        return (b * math.exp(-a * t) - a * math.exp(-b * t)) / (b - a)

    return optimize.brentq(lambda t: 1 - survival(t) - q, 0.0, 200.0 / min(a, b), xtol=1e-15)


SIGMA = math.log(0.120 / 0.025) / stats.norm.ppf(0.99)
CASES = {
    "exp(1) + exp(4)": (
        Exponential(1.0),
        Exponential(0.25),
        lambda q: hypoexponential_quantile(1.0, 4.0, q),
    ),
    "exp(2) + exp(2), Erlang 2": (
        Exponential(0.5),
        Exponential(0.5),
        lambda q: stats.gamma(2, scale=0.5).ppf(q),
    ),
    "gamma(4) + gamma(12), same scale": (
        Gamma(1.0, 0.5),
        Gamma(3.0, 1 / math.sqrt(12)),
        lambda q: stats.gamma(16, scale=0.25).ppf(q),
    ),
    "40 ms + lognormal(25 ms, p99 120 ms)": (
        Constant(0.040),
        LogNormal(math.log(0.025), SIGMA),
        lambda q: 0.040 + stats.lognorm(s=SIGMA, scale=0.025).ppf(q),
    ),
    "lognormal + 40 ms (either order)": (
        LogNormal(math.log(0.025), SIGMA),
        Constant(0.040),
        lambda q: 0.040 + stats.lognorm(s=SIGMA, scale=0.025).ppf(q),
    ),
    "uniform + uniform, triangular": (
        Uniform(0.0, 1.0),
        Uniform(0.0, 1.0),
        lambda q: math.sqrt(2 * q) if q <= 0.5 else 2 - math.sqrt(2 * (1 - q)),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("level", LEVELS)
def test_sum_quantile_matches_the_exact_law(case, level):
    first, second, exact = CASES[case]
    assert sum_quantile(first, second, level) == pytest.approx(exact(level), rel=TOLERANCE)


def test_sum_quantile_of_a_tiny_service_and_a_wide_round_trip():
    """A narrow gamma next to a wide lognormal: the narrow one must be the gridded one."""
    service = Gamma(0.001, 0.01)
    network = LogNormal(math.log(0.025), SIGMA)
    for level in (0.5, 0.99):
        exact = 0.001 + network.quantile(level)
        assert sum_quantile(service, network, level) == pytest.approx(exact, rel=1e-3)


def test_sum_of_two_sample_sets_is_exact():
    """Measured samples: the sum's law is the discrete convolution, computed in full."""
    a = Empirical([0.125, 0.25, 0.5])  # dyadic, so the sums are exact in binary
    b = Empirical([0.0, 0.0625])
    sums = np.sort((a.samples[:, None] + b.samples[None, :]).ravel())
    for index, value in enumerate(sums):
        assert sum_cdf(a, b, value) == pytest.approx((index + 1) / sums.size)
        assert sum_quantile(a, b, (index + 1) / sums.size) == pytest.approx(value)


def test_mixture_is_split_into_its_components():
    """A mixture's sum is the mixture of the sums."""
    slow, fast = Exponential(1.0), Constant(0.1)
    mix = Mixture([0.3, 0.7], [slow, fast])
    network = Weibull(0.2, 1.5)
    for x in (0.2, 0.5, 2.0):
        expected = 0.3 * sum_cdf(slow, network, x) + 0.7 * network.cdf(x - 0.1)
        assert sum_cdf(mix, network, x) == pytest.approx(expected, abs=1e-6)


def test_vectorised_cdf_agrees_with_the_scalar_one():
    points = np.array([-1.0, 0.0, 0.01, 0.1, 0.5, 1.0, 3.0])
    for law in (Exponential(0.3), LogNormal(-2.0, 0.8), Gamma(0.2, 1.5), Weibull(0.1, 0.7)):
        assert law.cdfs(points) == pytest.approx([law.cdf(max(x, 0)) for x in points])


def test_sum_quantile_is_deterministic_and_monotone():
    first, second, _ = CASES["exp(1) + exp(4)"]
    values = [sum_quantile(first, second, q) for q in LEVELS]
    assert values == [sum_quantile(first, second, q) for q in LEVELS]
    assert values == sorted(values)


def test_hedge_at_p95_of_service_plus_round_trip_fires_on_five_percent_of_calls():
    """`delay: p95` is the p95 of service + round trip, so 5 % of calls get a hedge.

    With sampling of two half round trips (the old engine) or a mis-computed quantile the
    fraction drifts (3.75 % in the issue that found it); infinite servers make the calls
    independent, so an exact binomial interval over all calls applies.
    """
    network = {"dist": "lognormal", "median": "25ms", "p99": "120ms"}
    mapping = scenario(
        "hedge-round-trip",
        {"api": {"vendor": {"service_time": {"dist": "gamma", "mean": "30ms", "cv": 0.5}}}},
        {"api": {}},
        20.0,
        providers={"vendor": {"kind": "external", "network": network}},
    )
    mapping["strategies"] = {"hedged": {"policy": "hedged", "delay": "p95", "max_attempts": 2}}
    res = simulate(mapping, replications=1, seed=13, horizon=3000.0, warmup=10.0)
    calls = int(res.values("components", "api", "calls")[0])
    sent = int(res.values("components", "api", "attempts")[0])
    assert_proportion(sent - calls, calls, 0.05, what="hedges per call at p95 of S + R")
