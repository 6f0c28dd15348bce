"""The network round trip follows the declared law, quantiles included.

A provider's `network` is the round trip of one attempt: the engine draws it once per
attempt and spends half before service and half after. A call whose service takes no
time therefore has exactly the declared latency distribution R, and with infinite
servers (no `capacity`) fed by a Poisson process the requests' latencies are
independent draws from R. So

    P(latency <= r_q) = q  for every declared quantile r_q,

checked with the exact (Clopper-Pearson) 99.9 % binomial interval at q = 0.5 and 0.99,
and the whole distribution is checked by a Kolmogorov-Smirnov test against R. The
quantiles of R are computed here with scipy from the declared median and p99,
independently of the package.

The issue this guards against: two independent half-draws, ½R₁ + ½R₂, have R's mean but
a narrower spread (for median 25 ms, p99 120 ms: p50 27.6 ms and p99 89 ms).

Power against a 3 % bias in every delay (a pure time scaling, R → 1.03 R), at ~300 000
requests: P(latency <= r_0.5) falls to 0.4825 (the interval is ±0.003 wide), P(latency
<= r_0.99) to 0.9888 (interval ±0.0006), and the KS distance reaches 0.0175 against a
critical 0.0036, so each of the three checks fails under it (each asserts its interval
is at most 0.6 times the move, tests/theory.py).
"""

import math

import numpy as np
import pytest
from scipy import stats

from tests.theory import BIAS, assert_proportion, report, scenario, simulate, teeth

RATE = 50.0
HORIZON = 6000.0  # ~300 000 measured requests
SEED = 29
MEDIAN, P99 = 0.025, 0.120
SIGMA = math.log(P99 / MEDIAN) / stats.norm.ppf(0.99)
LAW = stats.lognorm(s=SIGMA, scale=MEDIAN)


def latencies() -> np.ndarray:
    network = {"dist": "lognormal", "median": "25ms", "p99": "120ms"}
    mapping = scenario(
        "round-trip",
        {"api": {"vendor": {"service_time": 0}}},
        {"api": {}},
        RATE,
        providers={"vendor": {"kind": "external", "network": network}},
    )
    res = simulate(mapping, replications=1, seed=SEED, horizon=HORIZON, warmup=1.0)
    latency = np.concatenate([r.latency[r.ok] for r in res.records])
    assert latency.size == sum(r.ok.size for r in res.records), "no call may fail"
    return latency


@pytest.mark.parametrize("quantile", [0.5, 0.99])
def test_round_trip_reproduces_the_declared_quantile(quantile):
    latency = latencies()
    threshold = float(LAW.ppf(quantile))
    assert_proportion(
        int(np.count_nonzero(latency <= threshold)),
        int(latency.size),
        quantile,
        what=f"round trip P(T <= declared p{quantile * 100:g} = {threshold * 1e3:.1f} ms)",
        max_half_width=teeth(abs(float(LAW.cdf(threshold / (1 + BIAS))) / quantile - 1)),
    )


def test_round_trip_whole_distribution_kolmogorov_smirnov():
    latency = latencies()
    result = stats.kstest(latency, LAW.cdf)
    critical = stats.kstwo.ppf(0.999, latency.size)
    report("round trip KS distance", result.statistic, 0.0, 0.0, (0.0, critical), kind="ks")
    assert result.statistic < critical, (
        f"round trip: KS distance {result.statistic:.4g} to the declared lognormal exceeds "
        f"the 99.9 % critical value {critical:.4g} over {latency.size} requests"
    )
