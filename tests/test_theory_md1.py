"""M/D/1 and M/G/1: the mean wait against the Pollaczek-Khinchine formula.

For Poisson arrivals at rate λ and a constant service time D = 1/μ, ρ = λ/μ < 1, the
Pollaczek-Khinchine mean-value formula for M/G/1, W_q = λ E[S²] / (2(1 − ρ)), becomes
with E[S²] = 1/μ² (Pollaczek 1930, Khinchine 1932; Kleinrock, *Queueing Systems* vol. 1,
1975, §5.6; Gross & Harris, *Fundamentals of Queueing Theory*, §5.1.1):

    W_q = ρ / (2μ(1 − ρ)),  T = W_q + 1/μ.

The general form is also checked with a gamma service time of coefficient of variation
cv, E[S²] = (1 + cv²)/μ²: W_q = ρ (1 + cv²) / (2μ(1 − ρ)).

The constant service time is written both ways the scenario format allows: a plain
duration and `{dist: constant, value: ...}`; both must give the very same run. Each figure
is estimated once per independent replication after a warm-up of 1000 service times, and
the theory must lie inside the 99.9 % Student-t interval of the per-replication values.

Run length: 20 replications at ρ = 0.5 of ~100 000 requests (M/D/1) and ~220 000
(M/G/1), sized for MAX_HALF_WIDTH = 1.8 % (tests/theory.py). Measured relative
half-widths (99.9 %):

| figure | half-width |
|---|---|
| M/D/1 mean wait | 1.0 % |
| M/D/1 mean response | 0.3 % |
| M/G/1 (gamma cv = 1.5) mean wait | 1.4 % |
| M/G/1 mean response | 0.9 % |
"""

import pytest

from tests.theory import MAX_HALF_WIDTH, assert_within_ci, option, scenario, simulate

# (λ, μ): half load
RATE, MU = 1.0, 2.0
REPLICATIONS = 20
SEED = 5
REQUESTS = 100_000  # measured requests per replication (about)


def md1(spelling: str, requests: int = REQUESTS, replications: int = REPLICATIONS):
    service = 1.0 / MU if spelling == "plain" else {"dist": "constant", "value": 1.0 / MU}
    mapping = scenario(
        "md1", {"server": {"inhouse": option(service, capacity=1)}}, {"server": {}}, RATE
    )
    return simulate(
        mapping,
        replications=replications,
        seed=SEED,
        horizon=requests / RATE,
        warmup=1000.0 / MU,
    )


def test_md1_mean_wait_pollaczek_khinchine():
    res = md1("plain")
    rho = RATE / MU
    assert_within_ci(
        res.values("components", "server", "by_option", "inhouse", "wait_s"),
        rho / (2.0 * MU * (1.0 - rho)),
        what=f"M/D/1 λ={RATE} μ={MU} mean wait (P-K)",
        max_half_width=MAX_HALF_WIDTH,
    )


def test_md1_mean_response_time():
    res = md1("plain")
    rho = RATE / MU
    assert_within_ci(
        res.values("summary", "latency_s", "mean"),
        rho / (2.0 * MU * (1.0 - rho)) + 1.0 / MU,
        what=f"M/D/1 λ={RATE} μ={MU} mean response",
        max_half_width=MAX_HALF_WIDTH,
    )


def test_constant_spelled_as_a_mapping_is_the_same_service():
    plain, mapping = (md1(s, requests=2000, replications=2) for s in ("plain", "mapping"))
    assert plain.values("summary", "latency_s", "mean") == mapping.values(
        "summary", "latency_s", "mean"
    )


# (λ, μ, cv of the gamma service time): a service 2.25 times as variable as exponential
# (cv = 2 needs three times the requests for the same interval: its wait is heavy-tailed).
GENERAL = [(1.0, 2.0, 1.5)]
GENERAL_REQUESTS = 220_000


@pytest.fixture(scope="module", params=GENERAL)
def mg1(request):
    rate, mu, cv = request.param
    mapping = scenario(
        "mg1",
        {"server": {"inhouse": option({"dist": "gamma", "mean": 1.0 / mu, "cv": cv}, capacity=1)}},
        {"server": {}},
        rate,
    )
    res = simulate(
        mapping,
        replications=REPLICATIONS,
        seed=SEED,
        horizon=GENERAL_REQUESTS / rate,
        warmup=1000.0 / mu,
    )
    return rate, mu, cv, res


def test_mg1_mean_wait_pollaczek_khinchine(mg1):
    rate, mu, cv, res = mg1
    rho = rate / mu
    assert_within_ci(
        res.values("components", "server", "by_option", "inhouse", "wait_s"),
        rho * (1.0 + cv * cv) / (2.0 * mu * (1.0 - rho)),
        what=f"M/G/1 λ={rate} μ={mu} gamma cv={cv} mean wait (P-K)",
        max_half_width=MAX_HALF_WIDTH,
    )


def test_mg1_mean_response_time(mg1):
    rate, mu, cv, res = mg1
    rho = rate / mu
    assert_within_ci(
        res.values("summary", "latency_s", "mean"),
        rho * (1.0 + cv * cv) / (2.0 * mu * (1.0 - rho)) + 1.0 / mu,
        what=f"M/G/1 λ={rate} μ={mu} gamma cv={cv} mean response",
        max_half_width=MAX_HALF_WIDTH,
    )
