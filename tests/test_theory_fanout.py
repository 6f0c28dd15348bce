"""Fan-out tail amplification ("The Tail at Scale").

A request fans out to n parallel steps (no `after`, AND-join), each calling its own
infinite-server component (no `capacity`) whose service time has distribution F. With
no queueing the calls are independent, the request latency is their maximum, and

    P(latency <= t) = F(t)^n,  so  P(latency > t_q) = 1 − q^n  at the call's q-quantile.

With t the single call's 99th percentile and n = 10, 1 − 0.99^10 ≈ 9.6 % of requests
are slower than a 1-in-100 call (J. Dean and L. A. Barroso, "The Tail at Scale",
Communications of the ACM 56(2), 2013, p. 74-80).

F(t) is computed here from the declared parameters with scipy, independently of the
engine. Infinite servers and Poisson arrivals make the requests' latencies independent
draws, so the checks use the exact (Clopper-Pearson) 99.9 % binomial interval over all
measured requests at q = 0.9 and 0.99, and a Kolmogorov-Smirnov test of the whole
latency distribution against F^n.

Teeth: a 3 % time bias moves P(latency > t_q) to 1 − F(t_q/1.03)^n, by +4.1 % (q = 0.9)
and +13.7 % (q = 0.99) for the exponential, +3.4 % and +8.7 % for the lognormal; each
check asserts its interval is at most 0.6 times that wide (tests/theory.py). At ~60 000
requests the relative half-widths are 1.0 % and 4.2 %. (q = 0.5 is not checked: there
P(latency > t) = 0.999 and no run length makes a 3 % bias visible in it.) The KS distance
under the bias reaches ~0.013 against a critical value of 0.008.
"""

import math

import numpy as np
import pytest
from scipy import stats

from tests.theory import assert_proportion, report, scenario, simulate, teeth

FAN_OUT = 10
RATE = 20.0
HORIZON = 3000.0  # ~60 000 measured requests
SEED = 41
BIAS = 0.03

# lognormal: median 50 ms, p99 400 ms  =>  σ = ln(400/50) / z_0.99
LOG_SIGMA = math.log(0.4 / 0.05) / stats.norm.ppf(0.99)
CASES = {
    "exponential": ({"dist": "exponential", "mean": 1.0}, stats.expon(scale=1.0)),
    "lognormal": (
        {"dist": "lognormal", "median": "50ms", "p99": "400ms"},
        stats.lognorm(s=LOG_SIGMA, scale=0.05),
    ),
}


def latencies(case: str) -> np.ndarray:
    service, _ = CASES[case]
    names = [f"shard{i}" for i in range(FAN_OUT)]
    mapping = scenario(
        "fan-out",
        {name: {"inhouse": {"service_time": service}} for name in names},
        {name: {} for name in names},
        RATE,
    )
    res = simulate(mapping, replications=1, seed=SEED, horizon=HORIZON, warmup=10.0)
    latency = np.concatenate([r.latency[r.ok] for r in res.records])
    requests = sum(r.ok.size for r in res.records)
    assert latency.size == requests, "infinite servers without failures: every request succeeds"
    return latency


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("quantile", [0.9, 0.99])
def test_fan_out_tail_at_scale(case, quantile):
    """P(request latency > single-call q-quantile) = 1 − q^n."""
    latency = latencies(case)
    _, law = CASES[case]
    threshold = float(law.ppf(quantile))
    expected = 1.0 - law.cdf(threshold) ** FAN_OUT
    biased = 1.0 - law.cdf(threshold / (1 + BIAS)) ** FAN_OUT
    assert_proportion(
        int(np.count_nonzero(latency > threshold)),
        int(latency.size),
        expected,
        what=f"fan-out {FAN_OUT} {case} P(T > single p{quantile * 100:g})",
        max_half_width=teeth(biased / expected - 1),
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_fan_out_whole_distribution_kolmogorov_smirnov(case):
    """The request latency is distributed as F^n."""
    latency = latencies(case)
    _, law = CASES[case]
    result = stats.kstest(latency, lambda t: law.cdf(t) ** FAN_OUT)
    critical = stats.kstwo.ppf(0.999, latency.size)
    report(
        f"fan-out {FAN_OUT} {case} KS distance",
        result.statistic,
        0.0,
        0.0,
        (0.0, critical),
        kind="ks",
    )
    assert result.statistic < critical, (
        f"fan-out {case}: KS distance {result.statistic:.4g} to F^{FAN_OUT} exceeds the 99.9 % "
        f"critical value {critical:.4g} over {latency.size} requests"
    )
