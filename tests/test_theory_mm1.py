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

Run length, sized so that each latency and wait interval is narrow enough to catch a 3 %
bias (tests/theory.py, MAX_HALF_WIDTH = 1.8 %), with room for the noise in the interval's
own width (its relative sd is ~16 % at 20 replications): 20 replications of ~200 000
requests at ρ = 0.5. Measured relative half-widths (99.9 %):

| figure | half-width |
|---|---|
| mean wait | 1.0 % |
| mean response | 0.6 % |
| P(T > 1 mean) (moves 2.9 % under the bias, bound 1.8 %) | 0.4 % |
| P(T > 3 means) (moves 9.1 %, bound 5.5 %) | 2.2 % |
| utilisation (scale-free, no bound) | 0.2 % |
"""

import math

import numpy as np
import pytest

from tests.theory import (
    BIAS,
    MAX_HALF_WIDTH,
    assert_within_ci,
    exponential,
    option,
    scenario,
    simulate,
    teeth,
)

# (λ, μ): half load, where a wait interval of 1.8 % costs the fewest requests.
POINTS = [(0.5, 1.0)]
REPLICATIONS = 20
SEED = 11
REQUESTS = 200_000  # measured requests per replication (about)


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
        max_half_width=MAX_HALF_WIDTH,
    )


@pytest.mark.parametrize(("rate", "mu"), POINTS)
def test_mm1_mean_wait(rate, mu):
    res = mm1(rate, mu)
    assert_within_ci(
        res.values("components", "server", "by_option", "inhouse", "wait_s"),
        (rate / mu) / (mu - rate),
        what=f"M/M/1 λ={rate} μ={mu} mean wait",
        max_half_width=MAX_HALF_WIDTH,
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
        # Times 3 % longer lift e^{-θt} to e^{-θt/1.03}: +2.9 % at one mean, +9 % at three.
        max_half_width=teeth(math.exp((mu - rate) * t * BIAS / (1 + BIAS)) - 1),
    )
