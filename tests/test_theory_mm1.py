"""M/M/1: the engine against the closed forms of the single exponential server.

For Poisson arrivals at rate λ and exponential service at rate μ, ρ = λ/μ < 1
(Kleinrock, *Queueing Systems* vol. 1, 1975, §3.2; Gross & Harris, *Fundamentals of
Queueing Theory*, §2.2):

- mean response time T = 1/(μ − λ), mean wait W_q = ρ/(μ − λ);
- server utilisation (busy fraction) = ρ;
- the response time is Exponential(μ − λ): P(T > t) = e^{−(μ − λ) t}.

Each figure is estimated once per independent replication (warm-up discarded) and the
theory must lie inside the 99.9 % Student-t interval of those values. The queue starts
empty; its relaxation time 1/(μ(1 − √ρ)²) is at most ~60 service times at the loads used
here, so a warm-up of 1000 service times leaves a bias of order e^{-15}: no slack needed.
"""

import math

import numpy as np
import pytest

from tests.theory import assert_within_ci, exponential, option, scenario, simulate

# (λ, μ): a light and a moderately heavy load, on different time scales.
POINTS = [(0.5, 1.0), (1.5, 2.0)]
REPLICATIONS = 10
SEED = 11
REQUESTS = 12000  # measured requests per replication (about)


def mm1(rate: float, mu: float):
    mapping = scenario(
        "mm1",
        {"server": {"inhouse": option(exponential(1.0 / mu), capacity=1)}},
        {"server": {}},
        rate,
    )
    horizon = REQUESTS / rate
    return simulate(
        mapping, replications=REPLICATIONS, seed=SEED, horizon=horizon, warmup=1000.0 / mu
    )


@pytest.mark.parametrize(("rate", "mu"), POINTS)
def test_mm1_mean_response_time(rate, mu):
    res = mm1(rate, mu)
    assert_within_ci(
        res.values("summary", "latency_s", "mean"),
        1.0 / (mu - rate),
        what=f"M/M/1 λ={rate} μ={mu} mean response",
    )


@pytest.mark.parametrize(("rate", "mu"), POINTS)
def test_mm1_mean_wait(rate, mu):
    res = mm1(rate, mu)
    assert_within_ci(
        res.values("components", "server", "by_option", "inhouse", "wait_s"),
        (rate / mu) / (mu - rate),
        what=f"M/M/1 λ={rate} μ={mu} mean wait",
    )


@pytest.mark.parametrize(("rate", "mu"), POINTS)
def test_mm1_utilization(rate, mu):
    res = mm1(rate, mu)
    assert_within_ci(
        res.values("components", "server", "by_option", "inhouse", "utilization"),
        rate / mu,
        what=f"M/M/1 λ={rate} μ={mu} utilisation",
    )


@pytest.mark.parametrize(("rate", "mu"), POINTS)
@pytest.mark.parametrize("multiple", [1.0, 3.0])
def test_mm1_response_time_tail(rate, mu, multiple):
    """P(T > t) = e^{-(μ-λ)t} at t = 1 and 3 mean response times (e^{-1}, e^{-3})."""
    res = mm1(rate, mu)
    t = multiple / (mu - rate)
    fractions = [float(np.mean(r.latency[r.ok] > t)) for r in res.records]
    assert_within_ci(
        fractions,
        math.exp(-(mu - rate) * t),
        what=f"M/M/1 λ={rate} μ={mu} P(T > {t:.3g})",
    )
