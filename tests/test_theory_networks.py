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

Closed network. A `closed` flow of N users, each thinking an exponential time of mean Z
and then calling a chain of single exponential FCFS servers with mean service times
D_k, is a product-form closed network; exact mean value analysis (M. Reiser and
S. S. Lavenberg, "Mean-value analysis of closed multichain queuing networks", J. ACM
27(2), 1980) gives its throughput X(N) and mean response time R(N) (formula in
tests/theory.py).

Each figure is estimated once per independent replication after a warm-up of 1000 times
the slowest mean service time (far beyond the relaxation time at ρ ≤ 0.7), and the theory
must lie inside the 99.9 % Student-t interval of the per-replication values.

Run length: 20 replications, sized for MAX_HALF_WIDTH = 1.8 % (tests/theory.py).
Measured relative half-widths (99.9 %):

| figure | requests per replication | half-width |
|---|---|---|
| tandem, 2 stations | 56 000 | 1.0 % |
| tandem, 3 stations | 36 000 | 1.3 % |
| fork-join ρ = 0.5 | 20 000 | 1.1 % |
| fork-join ρ = 0.6 | 52 000 | 1.3 % |
| closed MVA response | ~28 000 | 0.7 % |
| closed MVA throughput | ~28 000 | 0.4 % |
"""

import pytest

from tests.theory import (
    MAX_HALF_WIDTH,
    assert_within_ci,
    exponential,
    mva,
    option,
    scenario,
    simulate,
)

REPLICATIONS = 20
SEED = 17


def station(mu: float) -> dict:
    return {"inhouse": option(exponential(1.0 / mu), capacity=1)}


# (λ, service rates along the chain, measured requests per replication)
TANDEM = [(0.6, (1.0, 1.5), 56_000), (1.0, (2.0, 1.5, 3.0), 36_000)]


@pytest.mark.parametrize(("rate", "mus", "requests"), TANDEM)
def test_tandem_jackson_mean_response(rate, mus, requests):
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
        horizon=requests / rate,
        warmup=1000.0 / min(mus),
    )
    assert_within_ci(
        res.values("summary", "latency_s", "mean"),
        sum(1.0 / (mu - rate) for mu in mus),
        what=f"tandem λ={rate} μ={mus} mean end-to-end",
        max_half_width=MAX_HALF_WIDTH,
    )


# (λ, μ, measured requests per replication): ρ = 0.5 and 0.6
FORK_JOIN = [(0.5, 1.0, 20_000), (1.2, 2.0, 52_000)]


@pytest.mark.parametrize(("rate", "mu", "requests"), FORK_JOIN)
def test_fork_join_nelson_tantawi(rate, mu, requests):
    mapping = scenario(
        "fork-join", {"left": station(mu), "right": station(mu)}, {"left": {}, "right": {}}, rate
    )
    res = simulate(
        mapping,
        replications=REPLICATIONS,
        seed=SEED,
        horizon=requests / rate,
        warmup=1000.0 / mu,
    )
    rho = rate / mu
    assert_within_ci(
        res.values("summary", "latency_s", "mean"),
        (12.0 - rho) / 8.0 / (mu - rate),
        what=f"fork-join λ={rate} μ={mu} mean response",
        max_half_width=MAX_HALF_WIDTH,
    )


USERS, THINK = 8, 4.0
DEMANDS = (0.3, 0.5)  # mean service times along the chain
CLOSED_HORIZON = 20_000.0  # ~30 000 requests per replication


def closed_network():
    names = [f"stage{i}" for i in range(len(DEMANDS))]
    steps = {names[0]: {}}
    steps.update({name: {"after": [names[i]]} for i, name in enumerate(names[1:])})
    mapping = scenario(
        "closed",
        {name: station(1.0 / d) for name, d in zip(names, DEMANDS, strict=True)},
        steps,
        1.0,
    )
    mapping["flows"]["main"]["arrivals"] = {
        "process": "closed",
        "users": USERS,
        "think": exponential(THINK),
    }
    return simulate(
        mapping,
        replications=REPLICATIONS,
        seed=SEED,
        horizon=CLOSED_HORIZON,
        warmup=1000.0 * max(DEMANDS),
    )


def test_closed_network_mva_response_time():
    _, response = mva(DEMANDS, USERS, THINK)
    assert_within_ci(
        closed_network().values("summary", "latency_s", "mean"),
        response,
        what=f"closed N={USERS} Z={THINK} D={DEMANDS} response (MVA)",
        max_half_width=MAX_HALF_WIDTH,
    )


def test_closed_network_mva_throughput():
    throughput, _ = mva(DEMANDS, USERS, THINK)
    assert_within_ci(
        closed_network().values("summary", "throughput_rps"),
        throughput,
        what=f"closed N={USERS} Z={THINK} D={DEMANDS} throughput (MVA)",
        max_half_width=MAX_HALF_WIDTH,
    )
