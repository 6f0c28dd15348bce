"""M/D/1 and M/G/1: the mean wait against the Pollaczek-Khinchine formula.

For Poisson arrivals at rate λ and a constant service time D = 1/μ, ρ = λ/μ < 1, the
Pollaczek-Khinchine mean-value formula for M/G/1, W_q = λ E[S²] / (2(1 − ρ)), becomes
with E[S²] = 1/μ² (Pollaczek 1930, Khinchine 1932; Kleinrock, *Queueing Systems* vol. 1,
1975, §5.6; Gross & Harris, *Fundamentals of Queueing Theory*, §5.1.1):

    W_q = ρ / (2μ(1 − ρ)),  T = W_q + 1/μ.

The general form is also checked with a gamma service time of coefficient of variation
cv, E[S²] = (1 + cv²)/μ²: W_q = ρ (1 + cv²) / (2μ(1 − ρ)).

The constant service time is written both ways the scenario format allows: a plain duration and
`{dist: constant, value: ...}`. Each figure is estimated once per independent
replication after a warm-up of 1000 service times, and the theory must lie inside the
99.9 % Student-t interval of the per-replication values.
"""

import pytest

from tests.theory import assert_within_ci, option, scenario, simulate

# (λ, μ, how the constant service time is written)
POINTS = [(0.5, 1.0, "plain"), (1.6, 2.0, "mapping")]
REPLICATIONS = 10
SEED = 5
REQUESTS = 12000  # measured requests per replication (about)


def md1(rate: float, mu: float, spelling: str):
    service = 1.0 / mu if spelling == "plain" else {"dist": "constant", "value": 1.0 / mu}
    mapping = scenario(
        "md1", {"server": {"inhouse": option(service, capacity=1)}}, {"server": {}}, rate
    )
    return simulate(
        mapping,
        replications=REPLICATIONS,
        seed=SEED,
        horizon=REQUESTS / rate,
        warmup=1000.0 / mu,
    )


@pytest.mark.parametrize(("rate", "mu", "spelling"), POINTS)
def test_md1_mean_wait_pollaczek_khinchine(rate, mu, spelling):
    res = md1(rate, mu, spelling)
    rho = rate / mu
    assert_within_ci(
        res.values("components", "server", "by_option", "inhouse", "wait_s"),
        rho / (2.0 * mu * (1.0 - rho)),
        what=f"M/D/1 λ={rate} μ={mu} mean wait (P-K)",
    )


@pytest.mark.parametrize(("rate", "mu", "spelling"), POINTS)
def test_md1_mean_response_time(rate, mu, spelling):
    res = md1(rate, mu, spelling)
    rho = rate / mu
    assert_within_ci(
        res.values("summary", "latency_s", "mean"),
        rho / (2.0 * mu * (1.0 - rho)) + 1.0 / mu,
        what=f"M/D/1 λ={rate} μ={mu} mean response",
    )


# (λ, μ, cv of the gamma service time): a service four times as variable as exponential
GENERAL = [(1.2, 2.0, 2.0)]


@pytest.mark.parametrize(("rate", "mu", "cv"), GENERAL)
def test_mg1_mean_wait_pollaczek_khinchine(rate, mu, cv):
    mapping = scenario(
        "mg1",
        {"server": {"inhouse": option({"dist": "gamma", "mean": 1.0 / mu, "cv": cv}, capacity=1)}},
        {"server": {}},
        rate,
    )
    res = simulate(
        mapping, replications=REPLICATIONS, seed=SEED, horizon=REQUESTS / rate, warmup=1000.0 / mu
    )
    rho = rate / mu
    assert_within_ci(
        res.values("components", "server", "by_option", "inhouse", "wait_s"),
        rho * (1.0 + cv * cv) / (2.0 * mu * (1.0 - rho)),
        what=f"M/G/1 λ={rate} μ={mu} gamma cv={cv} mean wait (P-K)",
    )
