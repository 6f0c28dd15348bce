"""The orchestration policies against what theory predicts of each.

- `failover` over providers with independent outages (alternating renewal, exponential
  up and down times) succeeds unless every provider fails the call: success rate
  1 − ∏(1 − aᵢ), with aᵢ = Aᵢ e^{−s/MTBFᵢ} ≈ Aᵢ = MTBFᵢ / (MTBFᵢ + MTTRᵢ) for a service
  time s ≪ MTBF (Barlow & Proschan); `static` on the first provider succeeds with a₁.
  Outages make requests dependent, so the check is a 99.9 % Student-t interval over
  independent replications.
- `hedged` on one option with unlimited capacity: attempts are independent draws X₁, X₂
  of the service time, the second sent after d, so the latency is L = min(X₁, d + X₂)
  with survival S_L(t) = S(t) for t < d and S(t)·S(t − d) for t ≥ d, E[L] = ∫ S_L
  (Dean & Barroso, "The Tail at Scale", 2013). Hedges per call are Bernoulli(S(d)), 5 %
  at d = p95, and every attempt is billed. Requests are i.i.d., so mean latency is
  checked with a t interval over requests and quantiles and the hedge rate with exact
  (Clopper-Pearson) binomial intervals. ~150 000 requests per case give the mean a
  relative half-width near 0.8 % and each quantile check an interval at most 0.6 times
  the move a 3 % time bias would cause (asserted, see tests/theory.py).
  A per-attempt `timeout` (a key common to every policy) applies to hedges too.
- `circuit-breaker` under an outage event fails fast on the primary and routes to the
  fallback, so its success during the outage is close to 1 where `static` has 0; after
  the outage a half-open probe succeeds and every call is back on the primary (Nygard),
  whether or not change requests are being measured.
- `ucb` and `thompson`: regret grows logarithmically (Lai & Robbins 1985; Auer et al.
  2002), so the worse option's share of calls and the regret in the second half of a run
  are well below those of the first half.
- Common random numbers: every policy sees the same arrivals in replication r, and
  measuring change requests (their own streams) changes no request's outcome.
- `cheapest` and `fastest` pick what a hand computation from the declared figures picks
  (cost per hour at nominal load; M/M/1 latency 1/(μ − λ), options at ρ ≥ 1 passed over);
  `weighted` thins the calls, the share of an option being Binomial(calls, w/Σw).
- Bad strategy parameters are ScenarioErrors naming the key path.
"""

from __future__ import annotations

import functools
import math
import os
from typing import Any

import numpy as np
import pytest
from scipy import integrate, optimize, stats

import conductor
from conductor.engine.simulation import simulate
from conductor.plan import compile_plan
from conductor.strategies.registry import build_strategy, policies
from tests.theory import (
    BIAS,
    MAX_HALF_WIDTH,
    assert_proportion,
    assert_within_ci,
    t_interval,
    teeth,
)

# THEORY_SEED_SHIFT re-runs the statistical checks on other random numbers, as in theory.py.
SEED_SHIFT = int(os.environ.get("THEORY_SEED_SHIFT", "0"))

# Helpers ---------------------------------------------------------------------------------


def mapping(
    options: dict[str, dict[str, Any]],
    strategies: dict[str, dict[str, Any]],
    *,
    providers: dict[str, dict[str, Any]] | None = None,
    arrivals: dict[str, Any] | None = None,
    slo: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """One flow calling one component `api` whose options are given by provider."""
    known = {name: {"kind": "external"} for name in options}
    known.update(providers or {})
    flow: dict[str, Any] = {
        "arrivals": arrivals or {"process": "poisson", "rate": 1},
        "steps": {"api": {}},
    }
    if slo:
        flow["slo"] = slo
    return {
        "name": "strategies",
        "providers": known,
        "components": {"api": {"options": options}},
        "flows": {"main": flow},
        "strategies": strategies,
        **top,
    }


def run(document: dict[str, Any], strategy: str, **settings: Any) -> conductor.RunResult:
    """Replications of one strategy, records kept."""
    settings.setdefault("replications", 1)
    return conductor.run(
        conductor.load_scenario(document), strategy, workers=1, keep_records=True, **settings
    )


def simulate_one(document: dict[str, Any], strategy: str, replication: int = 0, **settings):
    """One replication through the engine: (strategy object after the run, its records)."""
    scenario = conductor.load_scenario(document)
    plan = compile_plan(scenario)
    built = build_strategy(strategy, scenario.strategies[strategy], plan)
    return built, simulate(plan, built, replication, **settings)


def attempts(result: conductor.RunResult, provider: str) -> np.ndarray:
    """Per-replication attempts at the option of `api` served by `provider`."""
    return np.array(result.values("components", "api", "by_option", provider, "attempts"))


# 1. Failover -----------------------------------------------------------------------------

SERVICE = 0.001
OUTAGES = {"p1": (900.0, 100.0), "p2": (400.0, 100.0)}  # (MTBF, MTTR): A = 0.9 and 0.8


def outage_prone() -> dict[str, Any]:
    return mapping(
        {name: {"service_time": SERVICE} for name in OUTAGES},
        {
            "failover": {"policy": "failover", "order": ["p1", "p2"]},
            "static": {"policy": "static", "use": {"api": "p1"}},
        },
        providers={
            name: {"kind": "external", "outages": {"mtbf": mtbf, "mttr": mttr}}
            for name, (mtbf, mttr) in OUTAGES.items()
        },
        arrivals={"process": "poisson", "rate": 0.1},
    )


def call_success(mtbf: float, mttr: float) -> float:
    """P(a call finds the provider up and no outage starts during its service)."""
    return mtbf / (mtbf + mttr) * math.exp(-SERVICE / mtbf)


@pytest.mark.parametrize("strategy", ["failover", "static"])
def test_failover_availability_is_one_minus_product_of_unavailabilities(strategy):
    a1, a2 = (call_success(*OUTAGES[p]) for p in ("p1", "p2"))
    expected = 1.0 - (1.0 - a1) * (1.0 - a2) if strategy == "failover" else a1
    result = run(
        outage_prone(), strategy, replications=10, seed=SEED_SHIFT + 11, horizon=1e5, warmup=1000
    )
    assert_within_ci(
        result.values("summary", "success_rate"), expected, what=f"{strategy} success rate"
    )


# 2. Hedged requests ----------------------------------------------------------------------

LOG_SIGMA = math.log(0.4 / 0.05) / stats.norm.ppf(0.99)  # lognormal median 50 ms, p99 400 ms
HEDGE_CASES = {
    "exponential-100ms": (
        {"dist": "exponential", "mean": "100ms"},
        stats.expon(scale=0.1),
        "100ms",
    ),
    "lognormal-80ms": (
        {"dist": "lognormal", "median": "50ms", "p99": "400ms"},
        stats.lognorm(s=LOG_SIGMA, scale=0.05),
        "80ms",
    ),
    "lognormal-p95": (
        {"dist": "lognormal", "median": "50ms", "p99": "400ms"},
        stats.lognorm(s=LOG_SIGMA, scale=0.05),
        "p95",
    ),
}
PER_CALL = 0.01


def hedged_survival(law, delay: float):
    """S_L(t) of L = min(X₁, d + X₂), X₁ and X₂ independent with law `law`."""

    def survival(t: float) -> float:
        return float(law.sf(t) * (law.sf(t - delay) if t >= delay else 1.0))

    return survival


@pytest.fixture(scope="module", params=sorted(HEDGE_CASES))
def hedged_run(request):
    service, law, delay = HEDGE_CASES[request.param]
    document = mapping(
        {"p": {"service_time": service, "cost": {"per_call": PER_CALL}}},
        {"hedged": {"policy": "hedged", "delay": delay, "max_attempts": 2}},
        arrivals={"process": "poisson", "rate": 10},
    )
    d = law.ppf(0.95) if delay == "p95" else float(delay.removesuffix("ms")) / 1000.0
    result = run(document, "hedged", seed=SEED_SHIFT + 5, horizon=15000, warmup=10)
    return request.param, law, d, result


def test_hedged_mean_latency_is_that_of_min_x1_d_plus_x2(hedged_run):
    case, law, delay, result = hedged_run
    survival = hedged_survival(law, delay)
    expected = integrate.quad(survival, 0, delay)[0] + integrate.quad(survival, delay, np.inf)[0]
    latency = result.records[0].latency
    assert result.records[0].ok.all()
    assert_within_ci(
        latency, expected, what=f"hedged mean latency ({case})", max_half_width=MAX_HALF_WIDTH
    )
    # Hedging helps: the mean is below that of a single attempt.
    assert expected < law.mean()


@pytest.mark.parametrize("quantile", [0.5, 0.9, 0.99])
def test_hedged_latency_quantiles(hedged_run, quantile):
    case, law, delay, result = hedged_run
    survival = hedged_survival(law, delay)
    point = optimize.brentq(lambda t: survival(t) - (1.0 - quantile), 1e-9, 100.0)
    latency = result.records[0].latency
    # Every time 3 % longer: P(L <= point) becomes P(L <= point / 1.03).
    biased = 1.0 - survival(point / (1 + BIAS))
    assert_proportion(
        int(np.count_nonzero(latency <= point)),
        latency.size,
        quantile,
        what=f"hedged P(L <= theoretical p{quantile * 100:g}) ({case})",
        max_half_width=teeth(abs(biased / quantile - 1)),
    )


def test_hedged_extra_attempts_and_billing(hedged_run):
    case, law, delay, result = hedged_run
    calls = int(result.values("components", "api", "calls")[0])
    sent = int(attempts(result, "p")[0])
    expected = 0.05 if case.endswith("p95") else float(law.sf(delay))
    assert_proportion(sent - calls, calls, expected, what=f"hedges per call ({case})")
    # Every attempt sent is billed, the losers' included.
    variable = result.values("summary", "cost", "variable")[0]
    assert variable == pytest.approx(PER_CALL * sent, rel=1e-9)


def test_hedged_attempts_honour_the_timeout():
    """`timeout` is a common key: a hedged attempt is given up after it too (SPEC §5)."""
    document = mapping(
        {"p": {"service_time": "5s"}},
        {
            "hedged": {"policy": "hedged", "delay": "500ms", "max_attempts": 2, "timeout": "1s"},
            "failover": {"policy": "failover", "timeout": "1s"},
        },
        arrivals={"process": "constant", "rate": 1},
    )
    for name, gives_up_at in (("failover", 1.0), ("hedged", 1.5)):
        records = run(document, name, horizon=20, warmup=0).records[0]
        # Every attempt takes 5 s against a 1 s timeout: every call fails, at the last
        # attempt's timeout (the hedge leaves at 0.5 s and times out at 1.5 s).
        assert not records.ok.any(), name
        np.testing.assert_allclose(records.latency, gives_up_at, err_msg=name)
        assert records.timeouts.sum() == records.attempts.sum() > 0, name


# 3. Circuit breaker ----------------------------------------------------------------------

OUTAGE_AT, OUTAGE_FOR, COOL_DOWN = 1000.25, 600.0, 30.0
BREAKER_HORIZON = 3000.0


def breaker_scenario(changes: bool = False) -> dict[str, Any]:
    """p1 down for 10 min; optionally change requests (which must not disturb routing)."""
    option = {"service_time": "10ms", "change_lead_time": "1d"}
    return mapping(
        {"p1": option, "p2": option},
        {
            "breaker": {
                "policy": "circuit-breaker",
                "order": ["p1", "p2"],
                "window": 20,
                "failure_ratio": 0.5,
                "cool_down": COOL_DOWN,
            },
            "static": {"policy": "static", "use": {"api": "p1"}},
        },
        arrivals={"process": "poisson", "rate": 2},
        events=[{"at": OUTAGE_AT, "provider": "p1", "outage": OUTAGE_FOR}],
        **({"changes": {"rate": "1/s"}} if changes else {}),
    )


@pytest.mark.parametrize("changes", [False, True], ids=["plain", "with-change-requests"])
def test_circuit_breaker_routes_round_an_outage_and_closes_after_it(changes):
    document = breaker_scenario(changes)
    during = {}
    for name in ("breaker", "static"):
        strategy, records = simulate_one(
            document, name, seed=SEED_SHIFT + 2, horizon=BREAKER_HORIZON, warmup=0
        )
        inside = (records.arrival >= OUTAGE_AT) & (records.arrival < OUTAGE_AT + OUTAGE_FOR)
        during[name] = records.ok[inside].mean()
        # Only a call in service when the outage begins can fail outside it.
        assert np.count_nonzero(~records.ok[~inside]) <= 1, name
        if name == "breaker":
            arrivals = np.count_nonzero(inside)
            trips = strategy.trips
    # static sends every call to the dead provider; the breaker fails only the calls
    # that fill its window (10 of 20) and one half-open probe per cool-down.
    assert during["static"] == 0.0
    floor = 1.0 - (10 + OUTAGE_FOR / COOL_DOWN + 1) / arrivals
    assert during["breaker"] >= floor, during
    # After the outage and a cool-down, the probe has succeeded: every call is on p1.
    settle = OUTAGE_AT + OUTAGE_FOR + COOL_DOWN + 10.0
    after = run(document, "breaker", seed=SEED_SHIFT + 2, horizon=BREAKER_HORIZON, warmup=settle)
    calls = after.values("components", "api", "calls")[0]
    assert calls > 0
    assert attempts(after, "p2")[0] == 0, "calls stay on the fallback after the outage"
    assert attempts(after, "p1")[0] == calls
    # One trip when the window fills, then one per failed half-open probe.
    assert trips == pytest.approx(OUTAGE_FOR / COOL_DOWN, abs=2)


# 7. Bandits ------------------------------------------------------------------------------

FAILURE = {"a": 0.25, "b": 0.05}  # a is worse: its expected cost per call is 0.2 higher
GAP = FAILURE["a"] - FAILURE["b"]  # failure penalty 1, equal prices


def bandit_choices(policy: str, replication: int, horizon: float) -> tuple[np.ndarray, ...]:
    """(time, option) of every choice the bandit makes in one replication."""
    document = mapping(
        {
            name: {"service_time": SERVICE, "failure": p, "cost": {"per_call": 0.01}}
            for name, p in FAILURE.items()
        },
        {policy: {"policy": policy}},
        slo={"latency": "1s", "failure_penalty": 1.0},
    )
    scenario = conductor.load_scenario(document)
    plan = compile_plan(scenario)
    strategy = build_strategy(policy, scenario.strategies[policy], plan)
    log: list[tuple[float, int]] = []
    choose = strategy.choose

    def logged(component: int, attempt: int, previous: int) -> int:
        option = choose(component, attempt, previous)
        log.append((strategy.context.now, option))
        return option

    strategy.choose = logged
    simulate(plan, strategy, replication, seed=SEED_SHIFT + 21, horizon=horizon, warmup=0)
    times, options = (np.array(column) for column in zip(*log, strict=True))
    worse = plan.option("api", "a").index
    assert sum(strategy.pulls) == len(log)
    return times, options == worse


@pytest.mark.parametrize("policy", ["ucb", "thompson"])
def test_bandit_regret_is_sublinear(policy):
    horizon, replications = 8000.0, 6
    ratios = []
    for replication in range(replications):
        times, worse = bandit_choices(policy, replication, horizon)
        first = times < horizon / 2
        share_first, share_second = worse[first].mean(), worse[~first].mean()
        regret_first = GAP * worse[first].sum()
        regret_second = GAP * worse[~first].sum()
        print(
            f"[theory] {policy} r{replication}: worse share {share_first:.4f} -> "
            f"{share_second:.4f}, regret {regret_first:.1f} -> {regret_second:.1f}"
        )
        assert worse.any(), "the worse option is explored"
        assert share_second < share_first
        assert regret_second < regret_first
        ratios.append(regret_second / regret_first)
    # Linear regret makes the two halves equal (ratio 1); logarithmic regret makes the
    # second half a small fraction of the first (ln 2 / ln(T/2) asymptotically for UCB).
    mean, _, high = t_interval(ratios)
    print(f"[theory] {policy}: regret(T/2..T) / regret(0..T/2) = {mean:.3f}, upper {high:.3f}")
    assert high < 1.0


# 8. Common random numbers ----------------------------------------------------------------

EVERY_POLICY = {
    "static": {"policy": "static", "use": {"*": "internal"}},
    "cheapest": {"policy": "cheapest"},
    "fastest": {"policy": "fastest"},
    "weighted": {"policy": "weighted", "weights": {"inhouse": 1, "vendor": 2}},
    "failover": {"policy": "failover", "order": ["vendor", "inhouse"], "timeout": "300ms"},
    "hedged": {"policy": "hedged", "delay": "p90", "max_attempts": 2},
    "circuit-breaker": {"policy": "circuit-breaker", "order": ["vendor", "inhouse"]},
    "adaptive": {"policy": "adaptive", "review": "1min", "payback": "1h"},
    "ucb": {"policy": "ucb"},
    "thompson": {"policy": "thompson"},
}


def every_policy_document(changes: bool) -> dict[str, Any]:
    """Two options, random outages, failures, events (no surge); change requests if asked."""
    return mapping(
        {
            "inhouse": {
                "service_time": {"dist": "exponential", "mean": "100ms"},
                "capacity": 2,
                "cost": {"per_hour": 3},
                "change_lead_time": "3d",
            },
            "vendor": {
                "service_time": {"dist": "lognormal", "median": "50ms", "p99": "500ms"},
                "failure": 0.05,
                "cost": {"per_call": 0.001},
                "switch_in": {"cost": 10, "lead_time": "2min"},
                "change_lead_time": "30d",
            },
        },
        EVERY_POLICY,
        providers={
            "inhouse": {"kind": "internal"},
            "vendor": {"kind": "external", "outages": {"mtbf": "5min", "mttr": "30s"}},
        },
        arrivals={"process": "poisson", "rate": 3},
        slo={"latency": "200ms", "penalty": 0.01, "failure_penalty": 0.1},
        events=[
            {"at": 200, "provider": "vendor", "outage": 60},
            {"at": 400, "provider": "inhouse", "slowdown": 3, "for": 60},
            {"at": 500, "provider": "vendor", "price": 2},
        ],
        **({"changes": {"rate": "1/s"}} if changes else {}),
    )


@functools.cache
def every_policy_run(name: str, changes: bool) -> conductor.RunResult:
    return run(
        every_policy_document(changes),
        name,
        replications=2,
        seed=SEED_SHIFT + 8,
        horizon=700,
        warmup=60,
    )


def test_every_builtin_policy_sees_the_same_arrivals():
    builtin = {n for n, target in policies().items() if target.startswith("conductor.")}
    assert builtin <= {spec["policy"] for spec in EVERY_POLICY.values()}
    reference = every_policy_run("static", False)
    for name in EVERY_POLICY:
        result = every_policy_run(name, False)
        assert result.values("summary", "requests") == reference.values("summary", "requests"), name
        for mine, theirs in zip(result.records, reference.records, strict=True):
            # Records are kept in completion order: compare the arrival instants as sets.
            np.testing.assert_array_equal(
                np.sort(mine.arrival), np.sort(theirs.arrival), err_msg=name
            )
    # The replications themselves differ.
    assert not np.array_equal(reference.records[0].arrival, reference.records[1].arrival)


@pytest.mark.parametrize("name", sorted(EVERY_POLICY))
def test_change_requests_do_not_disturb_routing(name):
    """Change requests only measure lead times: every request's outcome stays the same."""
    plain, measured = every_policy_run(name, False), every_policy_run(name, True)
    assert all(len(r.change_lead_times) > 0 for r in measured.records)
    for mine, theirs in zip(measured.records, plain.records, strict=True):
        np.testing.assert_array_equal(mine.attempts, theirs.attempts, err_msg=name)
        np.testing.assert_array_equal(mine.latency, theirs.latency, err_msg=name)
        np.testing.assert_array_equal(mine.ok, theirs.ok, err_msg=name)


# 12. cheapest, fastest, weighted ---------------------------------------------------------

RATE = 2.0  # calls per second at nominal load


def declared() -> dict[str, Any]:
    return mapping(
        {
            # M/M/1, μ = 5: ρ = 0.4, latency 1/(μ − λ) = 1/3 s; 20 per hour.
            "inhouse": {
                "service_time": {"dist": "exponential", "mean": "200ms"},
                "capacity": 1,
                "cost": {"per_hour": 20},
            },
            # No queue: latency 0.1 + 0.3 (network) = 0.4 s; 7200 × 0.002 + 3 = 17.4 per hour.
            "lean": {"service_time": "100ms", "cost": {"per_call": 0.002}},
            # 7200 × 0.001 + 2 = 9.2 per hour, but ρ = 2 × 0.6 = 1.2: unstable.
            "overload": {
                "service_time": {"dist": "exponential", "mean": "600ms"},
                "capacity": 1,
                "cost": {"per_call": 0.001, "per_hour": 2},
            },
        },
        {
            "cheapest": {"policy": "cheapest"},
            "fastest": {"policy": "fastest"},
            "weighted": {"policy": "weighted", "weights": {"inhouse": 3, "lean": 1}},
        },
        providers={
            "inhouse": {"kind": "internal"},
            "lean": {"kind": "external", "network": "300ms", "cost": {"per_hour": 3}},
        },
        arrivals={"process": "poisson", "rate": RATE},
    )


def by_hand() -> dict[str, str]:
    calls = RATE * 3600
    cost = {"inhouse": 20.0, "lean": calls * 0.002 + 3.0, "overload": calls * 0.001 + 2.0}
    latency = {"inhouse": 1.0 / (5.0 - RATE), "lean": 0.1 + 0.3, "overload": math.inf}
    stable = {"inhouse": 0.4 < 1, "lean": True, "overload": RATE * 0.6 < 1}
    return {
        "cheapest": min((p for p in cost if stable[p]), key=cost.get),
        "fastest": min(latency, key=latency.get),
    }


@pytest.mark.parametrize("policy", ["cheapest", "fastest"])
def test_cheapest_and_fastest_pick_the_hand_computed_option(policy):
    expected = by_hand()[policy]
    assert expected == {"cheapest": "lean", "fastest": "inhouse"}[policy]
    result = run(declared(), policy, seed=3, horizon=300, warmup=0)
    calls = result.values("components", "api", "calls")[0]
    assert calls > 0
    assert attempts(result, expected)[0] == calls
    scenario = conductor.load_scenario(declared())
    plan = compile_plan(scenario)
    assert build_strategy(policy, scenario.strategies[policy], plan).describe() == {"api": expected}


def test_weighted_splits_calls_by_weight():
    result = run(declared(), "weighted", seed=SEED_SHIFT + 4, horizon=2000, warmup=0)
    calls = int(result.values("components", "api", "calls")[0])
    assert attempts(result, "overload")[0] == 0
    assert attempts(result, "inhouse")[0] + attempts(result, "lean")[0] == calls
    assert_proportion(int(attempts(result, "inhouse")[0]), calls, 0.75, what="weighted share")


# 14. Bad parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"policy": "weighted", "weights": {"nosuch": 1}}, "strategies.bad.weights.nosuch"),
        ({"policy": "weighted", "weights": {"lean": -1}}, "strategies.bad.weights.lean"),
        ({"policy": "hedged", "delay": "p999x"}, "strategies.bad.delay"),
        ({"policy": "hedged", "max_attempts": 0}, "strategies.bad.max_attempts"),
        ({"policy": "circuit-breaker", "failure_ratio": 2}, "strategies.bad.failure_ratio"),
        ({"policy": "circuit-breaker", "order": ["nosuch"]}, "strategies.bad.order[0]"),
        ({"policy": "failover", "order": ["lean", "nosuch"]}, "strategies.bad.order[1]"),
        ({"policy": "static", "use": {"nosuch": "lean"}}, "strategies.bad.use.nosuch"),
        ({"policy": "static", "use": {"api": "nosuch"}}, "strategies.bad.use.api"),
        ({"policy": "adaptive", "review": "soon"}, "strategies.bad.review"),
        ({"policy": "ucb", "explore": 0}, "strategies.bad.explore"),
        ({"policy": "static", "retries": -1}, "strategies.bad.retries"),
        ({"policy": "static", "colour": "red"}, "strategies.bad.colour"),
        ({"policy": "nosuch"}, "strategies.bad.policy"),
        (
            {"policy": "failover", "per_component": {"api": {"retries": -1}}},
            "strategies.bad.per_component.api.retries",
        ),
        (
            {"policy": "failover", "per_component": {"nosuch": {"retries": 1}}},
            "strategies.bad.per_component.nosuch",
        ),
    ],
)
def test_bad_parameters_name_their_key_path(spec, path):
    document = declared()
    document["strategies"] = {"bad": spec}
    with pytest.raises(conductor.ScenarioError) as caught:
        conductor.load_scenario(document)
    assert caught.value.path == path, str(caught.value)
    if "nosuch" in str(spec):
        assert "nosuch" in str(caught.value)
