"""`conductor compare`: common random numbers, paired differences, Pareto front, the CLI.

The scenario: one component served in-house (2 s, a fixed price per hour), by a vendor
(1 s, 0.5 per call) or by a premium vendor (1 s, 1.0 per call). The premium vendor is as
fast as the vendor and dearer, so it is dominated; in-house is cheap but slow.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats as scipy_stats

import conductor
from conductor.cli import main
from conductor.experiments.compare import CompareResult, pareto_front, rank
from tests.builders import add_flow, add_option, add_provider, add_strategy, poisson, skeleton
from tests.conftest import write_yaml

STRATEGIES = ["build", "buy", "premium"]


def document() -> dict:
    """Three static strategies over Poisson arrivals, three short replications."""
    document = skeleton("tiny", run={"horizon": 60, "warmup": 5, "replications": 3, "seed": 11})
    add_provider(document, "inhouse", "internal")
    add_provider(document, "vendor", "external")
    add_provider(document, "premium", "external")
    add_option(document, "a", "inhouse", 2, cost={"per_hour": 36})
    add_option(document, "a", "vendor", 1, cost={"per_call": 0.5})
    add_option(document, "a", "premium", 1, cost={"per_call": 1.0})
    add_flow(document, "web", poisson(1), {"a": {}}, slo={"latency": 1.5, "penalty": 0.01})
    for name, use in (("build", "internal"), ("buy", "vendor"), ("premium", "premium")):
        add_strategy(document, name, "static", use={"*": use})
    return document


@pytest.fixture(scope="module")
def result() -> CompareResult:
    """All three strategies against `build`, in this process."""
    return conductor.compare(conductor.load_scenario(document()), workers=1)


def test_replication_r_sees_the_same_arrivals_under_every_strategy(result):
    counts = {name: result.results[name].values("summary", "requests") for name in STRATEGIES}
    assert counts["build"] == counts["buy"] == counts["premium"]
    assert len(set(counts["build"])) > 1  # Poisson: the replications do differ


def test_defaults_are_all_strategies_in_order_against_the_first(result):
    assert list(result.results) == STRATEGIES
    assert result.baseline == "build"
    assert set(result.differences) == {"buy", "premium"}


def test_cost_difference_is_the_paired_relative_change(result):
    base = np.array(result.results["build"].values("summary", "cost", "total"))
    buy = np.array(result.results["buy"].values("summary", "cost", "total"))
    changes = (buy - base) / np.abs(base)
    half = scipy_stats.t.ppf(0.975, 2) * changes.std(ddof=1) / math.sqrt(3)
    got = result.differences["buy"]["cost_total"]
    assert got["n"] == 3
    assert got["mean"] == pytest.approx(changes.mean())
    assert got["sd"] == pytest.approx(changes.std(ddof=1))
    assert got["ci95"] == pytest.approx([changes.mean() - half, changes.mean() + half])


def test_figures_without_a_paired_change_are_left_out(result):
    figures = result.differences["buy"]
    # build meets the 1.5 s SLO never, so no relative change exists; no change requests.
    assert "slo_attainment" not in figures
    assert "change_lead_time" not in figures
    assert {"cost_total", "cost_per_request", "latency_p99", "success_rate"} <= set(figures)
    assert figures["latency_p99"]["mean"] == pytest.approx(-0.5)


def test_common_random_numbers_make_a_price_ratio_exact():
    both = conductor.compare(document(), ["buy", "premium"], workers=1)
    cost = both.differences["premium"]["cost_total"]
    assert cost["mean"] == pytest.approx(1.0)
    assert cost["sd"] == pytest.approx(0.0, abs=1e-12)
    assert both.differences["premium"]["latency_p99"]["mean"] == pytest.approx(0.0)


def test_dominated_strategy_is_off_the_front_and_ranked_by_cost(result):
    assert result.pareto == ["build", "buy"]
    assert result.ranking == ["build", "buy", "premium"]


def test_pareto_front_of_constructed_points():
    points = {
        "cheap-slow": (1.0, 3.0),
        "dear-fast": (5.0, 1.0),
        "dominated": (5.0, 2.0),
        "twin": (1.0, 3.0),
        "no-success": (0.0, None),
    }
    assert pareto_front(points) == ["cheap-slow", "dear-fast", "twin"]


def test_ranking_breaks_cost_ties_by_p99_then_declared_order():
    points = {"a": (2.0, 1.0), "b": (1.0, 5.0), "c": (1.0, 2.0), "d": (1.0, None), "e": (1.0, 2.0)}
    assert rank(points) == ["c", "e", "b", "d", "a"]


def test_choosing_strategies_and_baseline():
    loaded = conductor.load_scenario(document())
    picked = conductor.compare(loaded, ["premium", "buy", "premium"], baseline="build", workers=1)
    assert list(picked.results) == ["build", "premium", "buy"]
    assert picked.baseline == "build"
    with pytest.raises(conductor.ScenarioError, match="unknown strategy 'nope'"):
        conductor.compare(loaded, ["buy", "nope"], workers=1)
    with pytest.raises(conductor.ScenarioError, match="unknown strategy 'nope'"):
        conductor.compare(loaded, baseline="nope", workers=1)


def test_to_dict_is_the_compare_shape(result):
    shape = json.loads(json.dumps(result.to_dict()))
    assert set(shape) == {"strategies", "baseline", "differences", "pareto", "ranking"}
    assert list(shape["strategies"]) == STRATEGIES
    assert shape["strategies"]["buy"]["strategy"] == "buy"
    assert shape["strategies"]["buy"]["summary"]["cost"]["total"]["n"] == 3
    assert shape["baseline"] == "build"
    assert set(shape["differences"]["premium"]["cost_total"]) == {"mean", "ci95", "sd", "n"}


def test_rows_and_frame_cover_every_strategy_and_replication(result):
    rows = result.rows()
    assert [(row["strategy"], row["replication"]) for row in rows] == [
        (name, r) for name in STRATEGIES for r in range(3)
    ]
    frame = result.to_frame()
    assert frame.shape[0] == 9
    assert "summary.cost.total" in frame.columns


def test_workers_do_not_change_the_results(result):
    pooled = conductor.compare(document(), workers=2)
    assert pooled.to_dict() == result.to_dict()


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> str:
    """The scenario as a YAML file."""
    return str(write_yaml(tmp_path_factory.mktemp("compare") / "three.yaml", document()))


def invoke(*args: str):
    """Run the CLI in this process, one worker, no progress bar."""
    return CliRunner().invoke(main, ["compare", *args, "--workers", "1", "--quiet"])


def test_cli_prints_a_ranked_table_and_the_front(scenario_file):
    outcome = invoke(scenario_file)
    assert outcome.exit_code == 0, outcome.output
    for name in STRATEGIES:
        assert name in outcome.stdout
    assert "vs build" in outcome.stdout
    assert "★" in outcome.stdout
    assert "lead time" not in outcome.stdout
    assert "Pareto front (cost vs p99 counting failures): build, buy" in outcome.stdout


def test_cli_json(scenario_file):
    outcome = invoke(scenario_file, "-s", "buy", "-s", "premium", "--json")
    assert outcome.exit_code == 0, outcome.output
    shape = json.loads(outcome.stdout)
    assert {"strategies", "baseline", "differences"} <= set(shape)
    assert list(shape["strategies"]) == ["buy", "premium"]
    assert shape["baseline"] == "buy"


def test_cli_out_writes_results_and_runs(scenario_file, tmp_path):
    folder = tmp_path / "out"
    outcome = invoke(scenario_file, "--out", str(folder), "--baseline", "buy", "-r", "2")
    assert outcome.exit_code == 0, outcome.output
    shape = json.loads((folder / "results.json").read_text())
    assert shape["baseline"] == "buy"
    lines = (folder / "runs.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["strategy", "replication"]
    cells = [line.split(",")[:2] for line in lines[1:]]
    assert cells == [[name, str(r)] for name in STRATEGIES for r in range(2)]


def test_cli_unknown_baseline_is_one_line_and_status_2(scenario_file):
    outcome = invoke(scenario_file, "--baseline", "nope")
    assert outcome.exit_code == 2
    assert outcome.output.count("\n") == 1
    assert "unknown strategy 'nope'" in outcome.output
