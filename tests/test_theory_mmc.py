"""M/M/c: the mean wait against Erlang's delay formula (Erlang C).

For Poisson arrivals at rate λ, c exponential servers of rate μ, FIFO and unlimited
waiting room, offered load a = λ/μ < c (A. K. Erlang, 1917; Kleinrock, *Queueing
Systems* vol. 1, 1975, §3.5; Gross & Harris, *Fundamentals of Queueing Theory*, §2.3):

    P(wait) = C(c, a) = c B(c, a) / (c − a (1 − B(c, a))),  B the Erlang B formula,
    W_q = C(c, a) / (cμ − λ),  T = W_q + 1/μ,  utilisation per server ρ = a / c.

Erlang B/C are computed in tests/theory.py, independently of conductor.nominal. Each
figure is estimated once per independent replication after a warm-up of 1000 service
times (far beyond the relaxation time at ρ ≤ 0.75), and the theory must lie inside the
99.9 % Student-t interval of the per-replication values.
"""

import pytest

from tests.theory import assert_within_ci, erlang_c, exponential, option, scenario, simulate

# (servers c, λ, μ): ρ = λ/(cμ) = 0.7 and 0.75.
POINTS = [(2, 1.4, 1.0), (5, 7.5, 2.0)]
REPLICATIONS = 10
SEED = 23
REQUESTS = 12000  # measured requests per replication (about)


def mmc(servers: int, rate: float, mu: float):
    mapping = scenario(
        "mmc",
        {"pool": {"inhouse": option(exponential(1.0 / mu), capacity=servers)}},
        {"pool": {}},
        rate,
    )
    return simulate(
        mapping,
        replications=REPLICATIONS,
        seed=SEED,
        horizon=REQUESTS / rate,
        warmup=1000.0 / mu,
    )


@pytest.mark.parametrize(("servers", "rate", "mu"), POINTS)
def test_mmc_mean_wait_erlang_c(servers, rate, mu):
    res = mmc(servers, rate, mu)
    expected = erlang_c(servers, rate / mu) / (servers * mu - rate)
    assert_within_ci(
        res.values("components", "pool", "by_option", "inhouse", "wait_s"),
        expected,
        what=f"M/M/{servers} λ={rate} μ={mu} mean wait (Erlang C)",
    )


@pytest.mark.parametrize(("servers", "rate", "mu"), POINTS)
def test_mmc_mean_response_time(servers, rate, mu):
    res = mmc(servers, rate, mu)
    expected = erlang_c(servers, rate / mu) / (servers * mu - rate) + 1.0 / mu
    assert_within_ci(
        res.values("summary", "latency_s", "mean"),
        expected,
        what=f"M/M/{servers} λ={rate} μ={mu} mean response",
    )


@pytest.mark.parametrize(("servers", "rate", "mu"), POINTS)
def test_mmc_utilization(servers, rate, mu):
    res = mmc(servers, rate, mu)
    assert_within_ci(
        res.values("components", "pool", "by_option", "inhouse", "utilization"),
        rate / (servers * mu),
        what=f"M/M/{servers} λ={rate} μ={mu} utilisation",
    )
