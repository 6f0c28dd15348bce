"""Availability under provider outages: a single provider, and two in series.

A provider's outages form an alternating renewal process with up times of mean MTBF and
down times of mean MTTR (both exponential here); its long-run availability is

    A = MTBF / (MTBF + MTTR)

(Barlow and Proschan, *Mathematical Theory of Reliability*, 1965, ch. 3; any renewal
text). The `availability` figure is the measured fraction of the window the provider was
up, an estimate of A.

A call of constant service time s succeeds when it finds the provider up (probability A,
PASTA) and no outage begins during its service (probability e^{−s/MTBF}, the up time
being exponential and memoryless), so success_rate = A · e^{−s/MTBF}; for s ≪ MTBF this is
A. A long call (s = 20 s against MTBF = 100 s) checks the rule that an attempt in
progress when an outage begins fails: without it the success rate would be A, not
A e^{−0.2}. Two steps served by two providers with independent outages, in a chain or in parallel
(AND-join), succeed when both calls do: success_rate = A₁ e^{−s/MTBF₁} · A₂ e^{−s/MTBF₂}
(in the chain the second call starts s later, but the second provider's state is
stationary and independent of the first's, so the product form is exact).

Windows are long against MTBF + MTTR (about a thousand up/down cycles per replication)
and the warm-up of 1000 s is twenty times the relaxation time 1/(1/MTBF + 1/MTTR) of the
provider's two-state Markov process, so the bias from starting up is negligible. Each
figure is estimated once per independent replication and the theory must lie inside the
99.9 % Student-t interval of the per-replication values (outages make the requests'
outcomes dependent, so the replications are the independent observations).
"""

import math

import pytest

from tests.theory import assert_within_ci, scenario, simulate

SERVICE = 0.05  # constant service time (s) of the short calls; infinite servers, no network
RATE = 0.05  # ~10 000 measured requests per replication
HORIZON = 200000.0
WARMUP = 1000.0
REPLICATIONS = 10
SEED = 3

# (MTBF, MTTR, service time) in seconds
SINGLE = [(200.0, 20.0, SERVICE), (150.0, 50.0, SERVICE), (100.0, 10.0, 20.0)]


def provider(mtbf: float, mttr: float) -> dict:
    return {"kind": "external", "outages": {"mtbf": mtbf, "mttr": mttr}}


def single(mtbf: float, mttr: float, service: float):
    mapping = scenario(
        "availability",
        {"api": {"vendor": {"service_time": service}}},
        {"api": {}},
        RATE,
        providers={"vendor": provider(mtbf, mttr)},
    )
    return simulate(mapping, replications=REPLICATIONS, seed=SEED, horizon=HORIZON, warmup=WARMUP)


@pytest.mark.parametrize(("mtbf", "mttr", "service"), SINGLE)
def test_provider_availability(mtbf, mttr, service):
    res = single(mtbf, mttr, service)
    assert_within_ci(
        res.values("providers", "vendor", "availability"),
        mtbf / (mtbf + mttr),
        what=f"availability MTBF={mtbf} MTTR={mttr} s={service}",
    )


@pytest.mark.parametrize(("mtbf", "mttr", "service"), SINGLE)
def test_success_rate_under_outages(mtbf, mttr, service):
    res = single(mtbf, mttr, service)
    assert_within_ci(
        res.values("summary", "success_rate"),
        mtbf / (mtbf + mttr) * math.exp(-service / mtbf),
        what=f"success rate MTBF={mtbf} MTTR={mttr} s={service}",
    )


FIRST = (200.0, 20.0)
SECOND = (300.0, 30.0)


@pytest.mark.parametrize("layout", ["chain", "parallel"])
def test_series_availability(layout):
    steps = {"a": {}, "b": {"after": ["a"]} if layout == "chain" else {}}
    mapping = scenario(
        f"series-{layout}",
        {"a": {"first": {"service_time": SERVICE}}, "b": {"second": {"service_time": SERVICE}}},
        steps,
        RATE,
        providers={"first": provider(*FIRST), "second": provider(*SECOND)},
    )
    res = simulate(mapping, replications=REPLICATIONS, seed=SEED, horizon=HORIZON, warmup=WARMUP)
    expected = 1.0
    for mtbf, mttr in (FIRST, SECOND):
        expected *= mtbf / (mtbf + mttr) * math.exp(-SERVICE / mtbf)
    assert_within_ci(
        res.values("summary", "success_rate"),
        expected,
        what=f"series ({layout}) success rate A1·A2",
    )
