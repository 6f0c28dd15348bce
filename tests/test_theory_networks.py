"""Networks of queues: a tandem (Jackson) line and the two-server fork-join.

Tandem. A chain of steps (`after`), each calling its own single exponential server of
rate μ_i, fed by Poisson arrivals at rate λ: by Burke's theorem (1956) each departure
process is again Poisson(λ), and by Jackson's theorem (1957) the stations behave as
independent M/M/1 queues, so the mean end-to-end response time is

    E[T] = Σ_i 1 / (μ_i − λ)

(Kleinrock, *Queueing Systems* vol. 1, 1975, §4.8; Gross & Harris, §4.1).

Fork-join. Two steps without `after` start together at arrival and the request ends when
both are done (AND-join); each calls its own single exponential server of equal rate μ.
The exact mean response time of this two-server fork-join queue is

    E[T] = (12 − ρ)/8 · 1/(μ − λ),  ρ = λ/μ

(L. Flatto and S. Hahn, SIAM J. Appl. Math. 44, 1984; R. Nelson and A. N. Tantawi,
"Approximate analysis of fork/join synchronization in parallel queues", IEEE Trans.
Computers 37(6), 1988, eq. for K = 2, where it is exact).

Each mean is estimated once per independent replication after a warm-up of 1000 times
the slowest mean service time (far beyond the relaxation time at ρ ≤ 0.7), and the theory
must lie inside the 99.9 % Student-t interval of the per-replication values.
"""

import pytest

from tests.theory import assert_within_ci, exponential, option, scenario, simulate

REPLICATIONS = 10
SEED = 17
REQUESTS = 6000  # measured requests per replication


def station(mu: float) -> dict:
    return {"inhouse": option(exponential(1.0 / mu), capacity=1)}


# (λ, service rates along the chain)
TANDEM = [(0.6, (1.0, 1.5)), (1.0, (2.0, 1.5, 3.0))]


@pytest.mark.parametrize(("rate", "mus"), TANDEM)
def test_tandem_jackson_mean_response(rate, mus):
    names = [f"stage{i}" for i in range(len(mus))]
    steps = {names[0]: {}}
    steps.update({name: {"after": [names[i]]} for i, name in enumerate(names[1:])})
    mapping = scenario(
        "tandem", {name: station(mu) for name, mu in zip(names, mus, strict=True)}, steps, rate
    )
    res = simulate(
        mapping,
        replications=REPLICATIONS,
        seed=SEED,
        horizon=REQUESTS / rate,
        warmup=1000.0 / min(mus),
    )
    assert_within_ci(
        res.values("summary", "latency_s", "mean"),
        sum(1.0 / (mu - rate) for mu in mus),
        what=f"tandem λ={rate} μ={mus} mean end-to-end",
    )


# (λ, μ): ρ = 0.5 and 0.7
FORK_JOIN = [(0.5, 1.0), (1.4, 2.0)]


@pytest.mark.parametrize(("rate", "mu"), FORK_JOIN)
def test_fork_join_nelson_tantawi(rate, mu):
    mapping = scenario(
        "fork-join", {"left": station(mu), "right": station(mu)}, {"left": {}, "right": {}}, rate
    )
    res = simulate(
        mapping,
        replications=REPLICATIONS,
        seed=SEED,
        horizon=REQUESTS / rate,
        warmup=1000.0 / mu,
    )
    rho = rate / mu
    assert_within_ci(
        res.values("summary", "latency_s", "mean"),
        (12.0 - rho) / 8.0 / (mu - rate),
        what=f"fork-join λ={rate} μ={mu} mean response",
    )
