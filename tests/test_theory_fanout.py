"""Fan-out tail amplification ("The Tail at Scale").

A request fans out to n parallel steps (no `after`, AND-join), each calling its own
infinite-server component (no `capacity`) whose service time has distribution F. With
no queueing the calls are independent, the request latency is their maximum, and

    P(latency > t) = 1 − F(t)^n.

With t the single call's 99th percentile and n = 10, 1 − 0.99^10 ≈ 9.6 % of requests
are slower than a 1-in-100 call (J. Dean and L. A. Barroso, "The Tail at Scale",
Communications of the ACM 56(2), 2013, p. 74-80).

F(t) is computed here from the declared parameters with scipy, independently of the
engine. Infinite servers and Poisson arrivals make the requests' latencies independent
draws, so the check uses the exact (Clopper-Pearson) 99.9 % binomial interval over all
measured requests.
"""

import math

import numpy as np
import pytest
from scipy import stats

from tests.theory import assert_proportion, scenario, simulate

FAN_OUT = 10
RATE = 5.0
HORIZON = 3000.0  # ~15 000 measured requests
SEED = 41

# lognormal: median 50 ms, p99 400 ms  =>  σ = ln(400/50) / z_0.99
LOG_SIGMA = math.log(0.4 / 0.05) / stats.norm.ppf(0.99)
CASES = {
    "exponential": ({"dist": "exponential", "mean": 1.0}, stats.expon(scale=1.0)),
    "lognormal": (
        {"dist": "lognormal", "median": "50ms", "p99": "400ms"},
        stats.lognorm(s=LOG_SIGMA, scale=0.05),
    ),
}


def fan_out(case: str):
    service, _ = CASES[case]
    names = [f"shard{i}" for i in range(FAN_OUT)]
    mapping = scenario(
        "fan-out",
        {name: {"inhouse": {"service_time": service}} for name in names},
        {name: {} for name in names},
        RATE,
    )
    return simulate(mapping, replications=1, seed=SEED, horizon=HORIZON, warmup=10.0)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("quantile", [0.5, 0.9, 0.99])
def test_fan_out_tail_at_scale(case, quantile):
    """P(request latency > single-call q-quantile) = 1 − q^n."""
    res = fan_out(case)
    _, law = CASES[case]
    threshold = float(law.ppf(quantile))
    latency = np.concatenate([r.latency[r.ok] for r in res.records])
    requests = sum(r.ok.size for r in res.records)
    assert latency.size == requests, "infinite servers without failures: every request succeeds"
    expected = 1.0 - law.cdf(threshold) ** FAN_OUT
    assert_proportion(
        int(np.count_nonzero(latency > threshold)),
        int(latency.size),
        expected,
        what=f"fan-out {FAN_OUT} {case} P(T > single p{quantile * 100:g})",
    )
