"""Theory beside simulation: `check --json` and the analytic column of `run` (SPEC §11).

The estimates of conductor.analysis are held, to 0.5 % or better, against the formulas
written out independently in tests/theory.py, where theory is exact: Erlang C, Pollaczek–
Khinchine, Jackson tandems, the two-way fork-join, M/M/c/K and closed MVA; the K-way
fork-join against the Nelson–Tantawi approximation typed from the paper. Erlang B and C
must not overflow or loop at 10³⁰ servers. A `run` carries the estimate with the
simulated mean beside it and flags an estimate outside the simulated interval.
"""

import json
import math
import time

import numpy as np
import pytest
from click.testing import CliRunner

import conductor
from conductor.cli import main as cli
from conductor.theory import erlang_b as package_erlang_b
from conductor.theory import erlang_c as package_erlang_c
from tests.theory import erlang_b, erlang_c, exponential, mmck, mva, option, scenario

TOLERANCE = 0.005


def check_json(mapping, tmp_path, *extra: str) -> dict:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(mapping))
    result = CliRunner().invoke(cli, ["check", str(path), "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def station(mean, servers=1, queue=None, dist=None):
    return {"inhouse": option(dist or exponential(mean), capacity=servers, queue=queue)}


@pytest.mark.parametrize(("servers", "rate", "mu"), [(1, 0.5, 1.0), (2, 1.2, 1.0), (5, 7.5, 2.0)])
def test_check_matches_erlang_c(tmp_path, servers, rate, mu):
    out = check_json(
        scenario("mmc", {"pool": station(1 / mu, servers)}, {"pool": {}}, rate), tmp_path
    )
    wait = erlang_c(servers, rate / mu) / (servers * mu - rate)
    assert out["options"]["pool.inhouse"]["wait_s"] == pytest.approx(wait, rel=TOLERANCE)
    assert out["flows"]["main"]["latency_mean_s"] == pytest.approx(wait + 1 / mu, rel=TOLERANCE)
    assert out["flows"]["main"]["exact"] is True
    assert set(out) >= {"strategy", "flows", "options", "warnings", "estimate"}


@pytest.mark.parametrize("cv", [0.0, 0.5, 2.0])
def test_check_matches_pollaczek_khinchine(tmp_path, cv):
    rate, mean = 1.5, 0.5
    service = {"dist": "gamma", "mean": mean, "cv": cv} if cv else mean
    out = check_json(
        scenario("mg1", {"pool": station(mean, dist=service)}, {"pool": {}}, rate), tmp_path
    )
    rho = rate * mean
    wait = rate * (1 + cv * cv) * mean**2 / (2 * (1 - rho))
    assert out["options"]["pool.inhouse"]["wait_s"] == pytest.approx(wait, rel=TOLERANCE)
    assert out["flows"]["main"]["exact"] is True


def test_check_matches_jackson_tandem_with_skips_and_round_trip(tmp_path):
    mapping = scenario(
        "tandem",
        {"a": station(0.5), "b": {"vendor": option(exponential(0.4), capacity=1)}},
        {"a": {}, "b": {"after": ["a"], "probability": 0.5}},
        1.0,
        providers={"vendor": {"kind": "external", "network": {"dist": "exponential", "mean": 0.1}}},
    )
    out = check_json(mapping, tmp_path)
    # b sees λ/2 (the skip is Bernoulli routing); its round trip adds its mean.
    expected = 1 / (2 - 1) + 0.5 * (0.1 + 1 / (2.5 - 0.5))
    assert out["flows"]["main"]["latency_mean_s"] == pytest.approx(expected, rel=TOLERANCE)
    assert out["flows"]["main"]["exact"] is True


def test_check_matches_the_two_way_fork_join(tmp_path):
    rate, mu = 1.4, 2.0
    mapping = scenario("fj", {"l": station(1 / mu), "r": station(1 / mu)}, {"l": {}, "r": {}}, rate)
    out = check_json(mapping, tmp_path)
    rho = rate / mu
    assert out["flows"]["main"]["latency_mean_s"] == pytest.approx(
        (12 - rho) / 8 / (mu - rate), rel=TOLERANCE
    )
    assert out["flows"]["main"]["exact"] is True


def test_check_gives_nelson_tantawi_for_a_k_way_fork_join(tmp_path):
    rate, mu, k = 0.6, 1.0, 4
    names = [f"s{i}" for i in range(k)]
    mapping = scenario("fj", {n: station(1 / mu) for n in names}, {n: {} for n in names}, rate)
    out = check_json(mapping, tmp_path)
    rho = rate / mu
    harmonic = sum(1 / i for i in range(1, k + 1)) / 1.5
    expected = (harmonic + 4 / 11 * (1 - harmonic) * rho) * (12 - rho) / 8 / (mu - rate)
    flow = out["flows"]["main"]
    assert flow["latency_mean_s"] == pytest.approx(expected, rel=TOLERANCE)
    assert flow["exact"] is False and "Nelson" in flow["method"]


def test_check_matches_mmck(tmp_path):
    mapping = scenario("mmck", {"pool": station(1.0, 2, queue=3)}, {"pool": {}}, 1.6)
    out = check_json(mapping, tmp_path)
    blocking, wait = mmck(2, 3, 1.6, 1.0)
    assert out["options"]["pool.inhouse"]["blocking"] == pytest.approx(blocking, rel=TOLERANCE)
    assert out["options"]["pool.inhouse"]["wait_s"] == pytest.approx(wait, rel=TOLERANCE)
    assert out["flows"]["main"]["success_rate"] == pytest.approx(1 - blocking, rel=TOLERANCE)


def test_check_matches_closed_mva(tmp_path):
    mapping = scenario(
        "closed", {"a": station(0.3), "b": station(0.5)}, {"a": {}, "b": {"after": ["a"]}}, 1
    )
    mapping["flows"]["main"]["arrivals"] = {
        "process": "closed",
        "users": 8,
        "think": exponential(4),
    }
    out = check_json(mapping, tmp_path)
    _, response = mva((0.3, 0.5), 8, 4.0)
    assert out["flows"]["main"]["latency_mean_s"] == pytest.approx(response, rel=TOLERANCE)
    assert out["flows"]["main"]["exact"] is True


def test_general_multi_server_is_a_labelled_approximation(tmp_path):
    service = {"dist": "gamma", "mean": 1.0, "cv": 0.5}
    out = check_json(
        scenario("mgc", {"pool": station(1, 3, dist=service)}, {"pool": {}}, 2.1), tmp_path
    )
    wait = erlang_c(3, 2.1) / (3 - 2.1) * (1 + 0.25) / 2
    assert out["options"]["pool.inhouse"]["wait_s"] == pytest.approx(wait, rel=TOLERANCE)
    assert out["flows"]["main"]["exact"] is False
    assert "Allen" in out["options"]["pool.inhouse"]["method"]


def test_retries_enter_by_their_probabilities(tmp_path):
    """Attempts failing with f and r retries: success 1 − f^(r+1)."""
    mapping = scenario(
        "retry", {"api": {"inhouse": {"service_time": 0.1, "failure": 0.2}}}, {"api": {}}, 1
    )
    mapping["strategies"] = {"retry": {"policy": "static", "retries": 2}}
    out = check_json(mapping, tmp_path)
    assert out["flows"]["main"]["success_rate"] == pytest.approx(1 - 0.2**3)
    failed = (0.2 * 0.8 + 2 * 0.04 * 0.8) / (1 - 0.2**3)  # failed attempts before a success
    assert out["flows"]["main"]["latency_mean_s"] == pytest.approx(0.1 * (1 + failed))
    assert out["options"]["api.inhouse"]["calls_per_s"] == pytest.approx((1 - 0.2**3) / 0.8)


def test_check_strategy_option_and_unknown_strategy(tmp_path):
    mapping = scenario(
        "two",
        {"api": {"inhouse": {"service_time": 0.1}, "vendor": {"service_time": 0.3}}},
        {"api": {}},
        1,
    )
    mapping["providers"]["vendor"] = {"kind": "external"}
    mapping["strategies"] = {
        "build": {"policy": "static", "use": {"*": "internal"}},
        "buy": {"policy": "static", "use": {"*": "external"}},
    }
    assert check_json(mapping, tmp_path)["flows"]["main"]["latency_mean_s"] == pytest.approx(0.1)
    out = check_json(mapping, tmp_path, "-s", "buy")
    assert out["strategy"] == "buy" and out["flows"]["main"]["latency_mean_s"] == pytest.approx(0.3)
    path = tmp_path / "scenario.json"
    result = CliRunner().invoke(cli, ["check", str(path), "--json", "-s", "nope"])
    assert result.exit_code == 2 and "unknown strategy 'nope'" in result.output


@pytest.mark.parametrize(
    ("servers", "load"),
    [(3, 2.0), (999, 950.0), (1000, 1000.0), (1001, 1200.0), (4000, 3000.0), (2000, 5000.0)],
)
def test_erlang_formulas_agree_with_the_recursion(servers, load):
    """Below 1000 servers the package recurses too; above, its closed forms (the last
    case is the heavy-overload asymptote) must agree with the recursion."""
    assert package_erlang_b(servers, load) == pytest.approx(erlang_b(servers, load), rel=1e-6)
    if load < servers:
        assert package_erlang_c(servers, load) == pytest.approx(erlang_c(servers, load), rel=1e-6)


def test_erlang_at_a_capacity_of_ten_to_the_thirty_answers_in_milliseconds():
    started = time.perf_counter()
    big = 10**30
    assert package_erlang_c(big, 0.999e30) == 0.0  # a sea of servers: nobody waits
    assert package_erlang_b(big, 1e30) == pytest.approx(math.sqrt(2 / (math.pi * 1e30)), rel=1e-3)
    assert package_erlang_b(big, 2e30) == pytest.approx(0.5, rel=1e-9)
    assert time.perf_counter() - started < 0.05


def test_run_carries_the_estimate_and_flags_disagreement():
    mapping = scenario("mm1", {"pool": station(1.0)}, {"pool": {}}, 0.5)
    exact = conductor.run(
        conductor.load_scenario(mapping),
        replications=5,
        seed=3,
        horizon=20_000,
        warmup=200,
        workers=1,
    ).to_dict()
    theory = exact["theory"]["flows"]["main"]
    assert theory["latency_mean_s"] == pytest.approx(2.0) and theory["exact"] is True
    assert theory["simulated_s"] == exact["flows"]["main"]["latency_s"]["mean"]["mean"]
    assert theory["disagrees"] is False
    # Bursty arrivals at the same mean rate queue far more than Poisson ones: the estimate,
    # which takes them as Poisson, is labelled approximate and flagged.
    mapping["flows"]["main"]["arrivals"] = {
        "process": "bursty",
        "rates": [0.05, 0.95],
        "mean_durations": [100, 100],
    }
    bursty = conductor.run(
        conductor.load_scenario(mapping),
        replications=5,
        seed=3,
        horizon=20_000,
        warmup=200,
        workers=1,
    ).to_dict()
    flagged = bursty["theory"]["flows"]["main"]
    assert flagged["exact"] is False and flagged["disagrees"] is True


def test_a_queue_free_fan_out_is_exact_on_the_grid(tmp_path):
    """Ten infinite-server lognormal shards: E[max] = ∫ (1 − F(t)^10) dt."""
    from scipy import integrate, stats

    sigma = math.log(0.4 / 0.05) / stats.norm.ppf(0.99)
    law = stats.lognorm(s=sigma, scale=0.05)
    service = {"dist": "lognormal", "median": "50ms", "p99": "400ms"}
    names = [f"shard{i}" for i in range(10)]
    mapping = scenario(
        "fan-out",
        {n: {"inhouse": {"service_time": service}} for n in names},
        {n: {} for n in names},
        5,
    )
    out = check_json(mapping, tmp_path)
    expected = integrate.quad(lambda t: 1 - law.cdf(t) ** 10, 0, np.inf, limit=200)[0]
    assert out["flows"]["main"]["latency_mean_s"] == pytest.approx(expected, rel=TOLERANCE)
    assert out["flows"]["main"]["exact"] is True


def test_queue_free_chains_joined_with_a_round_trip(tmp_path):
    """(a → b) and c, joined by d, without queues: E = E[max(a + b, R + c)] + E[d]."""
    mapping = scenario(
        "joined",
        {
            "a": {"inhouse": {"service_time": exponential(0.5)}},
            "b": {"inhouse": {"service_time": exponential(1.0)}},
            "c": {"vendor": {"service_time": exponential(0.5)}},
            "d": {"inhouse": {"service_time": 0.25}},
        },
        {"a": {}, "b": {"after": ["a"]}, "c": {}, "d": {"after": ["b", "c"]}},
        2,
        providers={"vendor": {"kind": "external", "network": 0.1}},
    )
    out = check_json(mapping, tmp_path)
    from scipy import integrate

    def below(t: float) -> float:
        chain = 1 - 2 * math.exp(-t) + math.exp(-2 * t)  # Exp(rate 2) + Exp(rate 1)
        return chain * (1 - math.exp(-2 * (t - 0.1)) if t > 0.1 else 0.0)

    expected = integrate.quad(lambda t: 1 - below(t), 0, np.inf)[0] + 0.25
    assert out["flows"]["main"]["latency_mean_s"] == pytest.approx(expected, rel=TOLERANCE)
    assert out["flows"]["main"]["exact"] is True
    # A diamond's two paths share their first step: independence is then an approximation.
    mapping["flows"]["main"]["steps"]["c"] = {"after": ["a"]}
    assert check_json(mapping, tmp_path)["flows"]["main"]["exact"] is False
