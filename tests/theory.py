"""Shared helpers of the statistical validation tests (tests/test_theory_*.py).

The formulas here are written out independently of the package (nothing is imported from
`conductor.nominal`), so a test compares the engine with textbook theory, not with itself:

- Erlang B by the standard recursion B(0, a) = 1, B(c, a) = a B(c-1, a) / (c + a B(c-1, a));
  Erlang C from it, C = c B / (c - a (1 - B)) (Kleinrock, *Queueing Systems* vol. 1, 1975,
  §3.6 and §3.7; Gross & Harris, *Fundamentals of Queueing Theory*, §2.3).

Tolerances come from the replications, never from a guessed percentage: every figure is
estimated once per independent replication (each after its own warm-up), and the theory
must lie inside the two-sided Student-t interval of those per-replication values at a
high level (99.9 % by default, so the suite is not flaky across seeds). Where the
per-request outcomes are independent by construction (infinite-server stations fed by a
Poisson process), an exact Clopper-Pearson binomial interval over all requests is used.

Teeth. A check that passes whatever the engine does proves nothing, so every latency or
wait check also asserts that its interval is narrow: a relative half-width of at most
0.6 times the move a 3 % bias would cause (every delay stretched by 3 %, a pure time
rescaling), MAX_HALF_WIDTH = 1.8 % for a mean time or a quantile. The biased estimate
then falls outside the interval unless the noise pulls it back by 2.6 standard errors:
the check fails with probability above 99.5 %. The measured width is itself noisy (its
relative sd is ~16 % at 20 replications), so run lengths aim at two thirds of the bound.
A tail probability P(T > t) moves by its own amount under the bias (e^{θt·0.03/1.03} − 1
for an exponential tail), and its bound is 0.6 times that. The measured half-widths are
in each module's docstring and in docs/validation.md.

THEORY_RECORD=path appends one JSON line per check (what, simulated, theory, interval) to
that file; `python docs/build.py --validation path` turns a full run into the table of
docs/validation.md.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import stats

import conductor
from tests.builders import add_flow, add_option, add_provider, poisson, skeleton
from tests.builders import exponential as exponential  # re-exported for the theory tests
from tests.builders import option as option  # re-exported for the theory tests

LEVEL = 0.999
BIAS = 0.03


def teeth(shift: float) -> float:
    """The widest relative half-width that still catches a figure moved by `shift`.

    At 0.6·shift an estimate moved by the shift leaves the 99.9 % interval unless the
    noise pulls it back by 0.4·shift = 2.6 standard errors: it is caught with probability
    above 99.5 %.
    """
    return 0.6 * shift


MAX_HALF_WIDTH = teeth(BIAS)  # a mean time or quantile moves by the bias itself


# Formulas --------------------------------------------------------------------------------


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c (Erlang's loss formula) with offered load a = λ/μ."""
    blocking = 1.0
    for c in range(1, servers + 1):
        blocking = load * blocking / (c + load * blocking)
    return blocking


def erlang_c(servers: int, load: float) -> float:
    """Probability of waiting in M/M/c (Erlang's delay formula), a = λ/μ < c."""
    if load >= servers:
        raise ValueError("Erlang C needs a < c")
    blocking = erlang_b(servers, load)
    return servers * blocking / (servers - load * (1.0 - blocking))


def mmck(servers: int, places: int, rate: float, mu: float) -> tuple[float, float]:
    """M/M/c/K with K = c + places: blocking P_K and the mean wait of admitted calls.

    Birth-death probabilities π_n ∝ a^n/n! for n <= c and a^c/c! (a/c)^(n-c) above
    (Gross & Harris §2.5); by PASTA an arrival is lost with probability π_K, and by
    Little's law the admitted wait is L_q / (λ (1 − π_K)).
    """
    load = rate / mu
    weights = [load**n / math.factorial(n) for n in range(servers + 1)]
    for _ in range(places):
        weights.append(weights[-1] * load / servers)
    total = sum(weights)
    probabilities = [w / total for w in weights]
    queue = sum((n - servers) * p for n, p in enumerate(probabilities) if n > servers)
    blocking = probabilities[-1]
    return blocking, queue / (rate * (1.0 - blocking))


def mva(demands: Sequence[float], users: int, think: float) -> tuple[float, float]:
    """Exact mean value analysis of a closed network of single FCFS exponential queues.

    R_k(n) = D_k (1 + Q_k(n − 1)), X(n) = n / (Z + Σ R_k(n)), Q_k(n) = X(n) R_k(n)
    (Reiser & Lavenberg, J. ACM 27(2), 1980). Returns throughput X(N) and response Σ R_k(N).
    """
    queues = [0.0] * len(demands)
    throughput = response = 0.0
    for n in range(1, users + 1):
        residence = [d * (1.0 + q) for d, q in zip(demands, queues, strict=True)]
        response = sum(residence)
        throughput = n / (think + response)
        queues = [throughput * r for r in residence]
    return throughput, response


def mmc_sojourn_survival(servers: int, rate: float, mu: float, t: float) -> float:
    """P(T > t) of FIFO M/M/c: T = S + W_q, W_q = 0 w.p. 1 − C, else Exp(cμ − λ), S ~ Exp(μ).

    The wait is independent of the call's own service, so given a wait T is
    hypoexponential (Gross & Harris §2.3).
    """
    waiting = erlang_c(servers, rate / mu)
    gamma = servers * mu - rate
    if abs(gamma - mu) < 1e-12:
        both = (1.0 + mu * t) * math.exp(-mu * t)
    else:
        both = (gamma * math.exp(-mu * t) - mu * math.exp(-gamma * t)) / (gamma - mu)
    return (1.0 - waiting) * math.exp(-mu * t) + waiting * both


# Scenarios -------------------------------------------------------------------------------


def scenario(
    name: str,
    components: Mapping[str, Mapping[str, dict]],
    steps: Mapping[str, dict],
    rate: float,
    providers: Mapping[str, dict] | None = None,
) -> dict[str, Any]:
    """A one-flow scenario: `components` maps component -> {provider: option mapping};
    a provider not in `providers` is in-house."""
    document = skeleton(name)
    for provider, fields in (providers or {}).items():
        add_provider(document, provider, **fields)
    for component, options in components.items():
        for provider, spec in options.items():
            if provider not in document["providers"]:
                add_provider(document, provider, "internal")
            add_option(document, component, provider, **spec)
    return add_flow(document, "main", poisson(rate), steps)


@lru_cache(maxsize=32)
def _simulate(text: str, replications: int, seed: int, horizon: float, warmup: float):
    scenario_ = conductor.load_scenario(json.loads(text))
    return conductor.run(
        scenario_,
        replications=replications,
        seed=seed,
        horizon=horizon,
        warmup=warmup,
        workers=1,
        keep_records=True,
    )


def simulate(
    mapping: Mapping[str, Any], *, replications: int, seed: int, horizon: float, warmup: float
) -> conductor.RunResult:
    """Run a scenario mapping (cached: several tests may check one simulation).

    The environment variable THEORY_SEED_SHIFT, when set, is added to every seed, to
    re-run the whole suite on other random numbers (`THEORY_SEED_SHIFT=1000 pytest ...`).
    """
    seed += int(os.environ.get("THEORY_SEED_SHIFT", "0"))
    return _simulate(
        json.dumps(mapping, sort_keys=True), replications, seed, float(horizon), float(warmup)
    )


# Intervals -------------------------------------------------------------------------------


def t_interval(values: Iterable[float], level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of independent per-replication values."""
    data = np.asarray(list(values), dtype=float)
    if data.size < 2 or not np.all(np.isfinite(data)):
        raise AssertionError(f"need at least two finite per-replication values, got {data}")
    mean = float(data.mean())
    half = float(stats.t.ppf(0.5 + level / 2.0, data.size - 1) * data.std(ddof=1))
    half /= math.sqrt(data.size)
    return mean, mean - half, mean + half


def assert_within_ci(
    values: Sequence[float],
    expected: float,
    *,
    level: float = LEVEL,
    slack: float = 0.0,
    what: str = "figure",
    max_half_width: float | None = None,
) -> float:
    """Assert that `expected` lies in the t interval of the per-replication `values`.

    `slack` widens the interval by slack·|expected| on both sides; use it only for a
    documented systematic term (residual warm-up bias, say). `max_half_width` (relative to
    `expected`) asserts the interval is narrow enough to catch a bias of that order.
    Returns the relative error of the mean against the theory.
    """
    mean, low, high = t_interval(values, level)
    pad = slack * abs(expected)
    error = (mean - expected) / expected if expected else mean - expected
    report(what, mean, expected, error, (low, high), max_half_width)
    if max_half_width is not None:
        half = (high - low) / 2.0 / abs(expected)
        assert half <= max_half_width, (
            f"{what}: the interval's relative half-width {half:.2%} exceeds {max_half_width:.2%}, "
            "too wide to catch a 3 % bias; lengthen the run"
        )
    assert low - pad <= expected <= high + pad, (
        f"{what}: theory {expected:.6g} outside the {level:.1%} interval "
        f"[{low:.6g}, {high:.6g}] (slack ±{pad:.2g}) of {len(values)} replications; "
        f"simulated mean {mean:.6g}, relative error {error:+.3%}"
    )
    return error


def assert_proportion(
    hits: int,
    trials: int,
    expected: float,
    *,
    level: float = LEVEL,
    what: str = "proportion",
    max_half_width: float | None = None,
) -> float:
    """Assert `expected` lies in the exact (Clopper-Pearson) interval of hits/trials.

    Valid only when the trials are independent. `max_half_width` (relative to `expected`)
    asserts the interval is narrow enough to catch the move a bias would cause. Returns
    the relative error.
    """
    alpha = 1.0 - level
    low = stats.beta.ppf(alpha / 2, hits, trials - hits + 1) if hits > 0 else 0.0
    high = stats.beta.ppf(1 - alpha / 2, hits + 1, trials - hits) if hits < trials else 1.0
    observed = hits / trials
    error = (observed - expected) / expected
    report(what, observed, expected, error, (low, high), max_half_width)
    if max_half_width is not None:
        half = (high - low) / 2.0 / abs(expected)
        assert half <= max_half_width, (
            f"{what}: the interval's relative half-width {half:.2%} exceeds {max_half_width:.2%}, "
            "too wide to catch a 3 % bias; lengthen the run"
        )
    assert low <= expected <= high, (
        f"{what}: theory {expected:.6g} outside the {level:.1%} Clopper-Pearson interval "
        f"[{low:.6g}, {high:.6g}] of {hits}/{trials} = {observed:.6g}, "
        f"relative error {error:+.3%}"
    )
    return error


def report(
    what: str,
    observed: float,
    expected: float,
    error: float,
    interval,
    bound: float | None = None,
    kind: str = "interval",
) -> None:
    """One line per check, shown with `pytest -s` (or on failure), recorded on request.

    `bound` is the check's largest allowed relative half-width, `kind` "interval" (theory
    must lie in [low, high]) or "ks" (the statistic must stay below high).
    """
    low, high = interval
    print(
        f"[theory] {what}: simulated {observed:.6g} theory {expected:.6g} "
        f"rel.err {error:+.3%} interval [{low:.6g}, {high:.6g}]"
    )
    path = os.environ.get("THEORY_RECORD")
    if path:
        line = {
            "test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0],
            "what": what,
            "simulated": float(observed),
            "theory": float(expected),
            "low": float(low),
            "high": float(high),
            "bound": bound,
            "kind": kind,
        }
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")
