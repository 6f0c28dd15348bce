"""Queueing formulas the estimates stand on, each with its source.

Everything here is a pure function of rates and moments (seconds, calls per second); the
plan-level estimate that applies them to a scenario is `conductor.analysis`. Exact results:

- Erlang B and C (A. K. Erlang 1917; L. Kleinrock, *Queueing Systems* vol. 1, 1975, §3.6,
  §3.7; D. Gross and C. M. Harris, *Fundamentals of Queueing Theory*, §2.3), computed so
  that they neither overflow nor loop for a huge number of servers: the recurrence below
  1000 servers, the Poisson pmf over cdf ratio B = p(c; a) / P(c; a) above, with the pmf's
  logarithm written through log1p so that c and a near 10³⁰ do not cancel;
- M/M/c/K by its birth-death probabilities (Gross & Harris §2.5);
- M/G/1 by Pollaczek–Khinchine, W_q = λE[S²] / (2(1 − ρ)) (Kleinrock §5.6);
- the two-server fork-join of identical M/M/1 queues, (12 − ρ)/8 · 1/(μ − λ)
  (L. Flatto and S. Hahn, SIAM J. Appl. Math. 44, 1984);
- closed single-class product-form networks by exact mean value analysis (M. Reiser and
  S. S. Lavenberg, J. ACM 27(2), 1980).

Approximations, labelled as such wherever they are used:

- M/G/c by Allen–Cunneen, W_q ≈ C(c, a)/(cμ − λ) · (c_a² + c_s²)/2 (A. O. Allen,
  *Probability, Statistics, and Queueing Theory*, 1990, §6.4);
- the K-way fork-join of identical M/M/1 queues by Nelson–Tantawi,
  R_K ≈ [H_K/H_2 + (4/11)(1 − H_K/H_2) ρ] R_2, H the harmonic numbers (R. Nelson and
  A. N. Tantawi, IEEE Trans. Computers 37(6), 1988);
- a call with failure probability f per attempt and r retries succeeds with probability
  1 − f^{r+1} after 1 + E[k | success] attempts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_RECURRENCE_LIMIT = 1000


def _poisson_log_pmf(k: float, mean: float) -> float:
    """log(mean^k e^{−mean} / k!) for large k, without cancelling k log mean against mean."""
    x = (k - mean) / mean
    # k log(k/mean) − (k − mean) = mean·((1 + x) log1p(x) − x), the series near x = 0.
    if abs(x) < 1e-4:
        deviance = mean * (x * x / 2 - x**3 / 6 + x**4 / 12)
    else:
        deviance = mean * ((1 + x) * math.log1p(x) - x)
    # log k! = k log k − k + ½ log(2πk) + Stirling's correction 1/(12k) − ...
    stirling = 1 / (12 * k) - 1 / (360 * k**3)
    return -deviance - 0.5 * math.log(2 * math.pi * k) - stirling


def erlang_b(servers: int, load: float) -> float:
    """Probability that a call is lost at c servers without a queue, offered `load` Erlangs."""
    if load <= 0:
        return 0.0
    if servers < _RECURRENCE_LIMIT:
        blocking = 1.0
        for k in range(1, servers + 1):
            blocking = load * blocking / (k + load * blocking)
        return blocking
    from scipy import special  # slow to import, and only a thousand servers or more need it

    below = float(special.gammaincc(servers + 1, load))  # P(Poisson(load) <= servers)
    if below > 1e-300:
        return min(1.0, math.exp(_poisson_log_pmf(servers, load)) / below)
    # Far beyond capacity: 1/B = Σ_j Π_{i<j} (c − i)/a = Σ_j r^j (1 − j(j − 1)/(2c) + ...)
    # with r = c/a, that is 1/(1 − r) − r²/(c(1 − r)³), the next term O(1/(c²(1 − r)⁵)).
    r = servers / load
    return 1.0 / (1.0 / (1.0 - r) - r * r / (servers * (1.0 - r) ** 3))


def erlang_c(servers: int, load: float) -> float:
    """Probability that a call waits at c servers with an unlimited queue (1 when load >= c)."""
    if load >= servers:
        return 1.0
    blocking = erlang_b(servers, load)
    return servers * blocking / (servers - load * (1.0 - blocking))


def mmc_wait(servers: int, rate: float, service_mean: float) -> float:
    """Mean wait in M/M/c: C(c, a) / (cμ − λ); infinite at or over capacity."""
    load = rate * service_mean
    if load >= servers:
        return math.inf
    if load == 0:
        return 0.0
    return erlang_c(servers, load) * service_mean / (servers - load)


def allen_cunneen_wait(
    servers: int, rate: float, service_mean: float, service_scv: float, arrival_scv: float = 1.0
) -> float:
    """Mean wait in G/G/c, approximately: the M/M/c wait times (c_a² + c_s²)/2.

    Exact for M/M/c, and for M/G/1 it is Pollaczek–Khinchine.
    """
    return mmc_wait(servers, rate, service_mean) * (arrival_scv + service_scv) / 2.0


def pollaczek_khinchine_wait(rate: float, service_mean: float, service_scv: float) -> float:
    """Mean wait in M/G/1: λE[S²] / (2(1 − ρ)), E[S²] = (1 + c_s²) E[S]²."""
    rho = rate * service_mean
    if rho >= 1:
        return math.inf
    return rate * (1.0 + service_scv) * service_mean**2 / (2.0 * (1.0 - rho))


def mmck(servers: int, places: int, rate: float, service_mean: float) -> tuple[float, float]:
    """M/M/c/K with K = c + places: blocking probability and mean wait of admitted calls."""
    load = rate * service_mean
    if load == 0:
        return 0.0, 0.0
    # Probabilities relative to state c, so that neither a^n/n! nor its sum overflows.
    log_c = servers * math.log(load) - math.lgamma(servers + 1)
    below = [math.exp(n * math.log(load) - math.lgamma(n + 1) - log_c) for n in range(servers)]
    ratio = load / servers
    above = [ratio**j for j in range(places + 1)]  # states c, c + 1, ..., c + places
    total = math.fsum(below) + math.fsum(above)
    blocking = above[-1] / total
    queue = math.fsum(j * p for j, p in enumerate(above)) / total
    return blocking, queue / (rate * (1.0 - blocking))


def fork_join_two(rate: float, service_mean: float) -> float:
    """Mean response of the fork-join of two identical M/M/1 queues (exact)."""
    mu = 1.0 / service_mean
    if rate >= mu:
        return math.inf
    rho = rate / mu
    return (12.0 - rho) / 8.0 / (mu - rate)


def nelson_tantawi(branches: int, rate: float, service_mean: float) -> float:
    """Mean response of the fork-join of K identical M/M/1 queues (approximate for K > 2)."""
    if branches == 1:
        return service_mean / (1.0 - rate * service_mean) if rate * service_mean < 1 else math.inf
    two = fork_join_two(rate, service_mean)
    if branches == 2:
        return two
    harmonic = sum(1.0 / k for k in range(1, branches + 1)) / 1.5  # H_K / H_2
    rho = rate * service_mean
    return (harmonic + 4.0 / 11.0 * (1.0 - harmonic) * rho) * two


def mva(
    demands: Sequence[float], users: int, think: float, delays: Sequence[bool] | None = None
) -> tuple[float, list[float]]:
    """Exact MVA of a closed single-class network: throughput and residence per station.

    `demands[k]` is the mean service demand per request at station k (visits × service
    time), a single FCFS exponential server, or a pure delay where `delays[k]` is True.
    """
    delays = delays or [False] * len(demands)
    queues = [0.0] * len(demands)
    throughput, residence = 0.0, [0.0] * len(demands)
    for n in range(1, users + 1):
        residence = [
            d if delay else d * (1.0 + q)
            for d, q, delay in zip(demands, queues, delays, strict=True)
        ]
        throughput = n / (think + math.fsum(residence))
        queues = [throughput * r for r in residence]
    return throughput, residence


def retried(failure: float, retries: int) -> tuple[float, float]:
    """A call of independent attempts failing with probability f, retried up to r times:
    its success probability and its mean number of attempts."""
    if failure <= 0:
        return 1.0, 1.0
    success = 1.0 - failure ** (retries + 1)
    attempts = success / (1.0 - failure) if failure < 1 else retries + 1.0
    return success, attempts


def failed_before_success(failure: float, retries: int) -> float:
    """Mean number of failed attempts before the success, given that the call succeeds
    (nan when it never does)."""
    if failure <= 0:
        return 0.0
    success, _ = retried(failure, retries)
    if success <= 0:
        return math.nan
    weights = [failure**j * (1.0 - failure) for j in range(retries + 1)]
    return math.fsum(j * w for j, w in enumerate(weights)) / success
