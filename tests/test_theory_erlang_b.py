"""Erlang B: the loss of a station with c servers and no waiting room (M/M/c/c).

With Poisson arrivals at rate λ, c servers, `queue: 0` (a call finding every server busy
is rejected and its request fails), the blocking probability is Erlang's loss formula
(A. K. Erlang, 1917; Kleinrock, *Queueing Systems* vol. 1, 1975, §3.6):

    B(c, a) = (a^c / c!) / Σ_{k=0..c} a^k / k!,  a = λ/μ,

and it is insensitive to the service distribution beyond its mean (Sevast'yanov 1957),
which is checked with a lognormal service time besides the exponential one. By PASTA the
fraction of requests rejected is B, so 1 − success_rate = B(c, a). The carried load per
server is a(1 − B)/c (the `utilization` figure).

Each figure is estimated once per independent replication after a warm-up, and the
theory must lie inside the 99.9 % Student-t interval of the per-replication values
(blocking events cluster in time, so the requests are not independent trials: the
replications are the independent observations).
"""

import pytest

from tests.theory import assert_within_ci, erlang_b, exponential, option, scenario, simulate

# (servers c, λ, service mean 1/μ, service distribution)
POINTS = [
    (3, 2.0, 1.0, "exponential"),
    (4, 3.0, 1.0, "lognormal"),
]
REPLICATIONS = 10
SEED = 31
REQUESTS = 10000  # measured requests per replication (about)


def loss(servers: int, rate: float, mean: float, dist: str):
    if dist == "exponential":
        service = exponential(mean)
    else:
        service = {"dist": "lognormal", "mean": mean, "cv": 1.5}
    mapping = scenario(
        "erlang-b",
        {"pool": {"inhouse": option(service, capacity=servers, queue=0)}},
        {"pool": {}},
        rate,
    )
    return simulate(
        mapping,
        replications=REPLICATIONS,
        seed=SEED,
        horizon=REQUESTS / rate,
        warmup=200.0 * mean,
    )


@pytest.mark.parametrize(("servers", "rate", "mean", "dist"), POINTS)
def test_erlang_b_loss(servers, rate, mean, dist):
    res = loss(servers, rate, mean, dist)
    failures = [1.0 - s for s in res.values("summary", "success_rate")]
    assert_within_ci(
        failures,
        erlang_b(servers, rate * mean),
        what=f"M/{dist[0].upper()}/{servers}/{servers} a={rate * mean} loss",
    )


@pytest.mark.parametrize(("servers", "rate", "mean", "dist"), POINTS)
def test_erlang_b_carried_load(servers, rate, mean, dist):
    res = loss(servers, rate, mean, dist)
    load = rate * mean
    assert_within_ci(
        res.values("components", "pool", "by_option", "inhouse", "utilization"),
        load * (1.0 - erlang_b(servers, load)) / servers,
        what=f"M/{dist[0].upper()}/{servers}/{servers} a={load} utilisation",
    )
