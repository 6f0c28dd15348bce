"""The HTML report: self-contained, escaped, with tables, figures and a reading of the numbers.

The reading is checked on hand-set differences, so each sentence's numbers are known.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

import conductor
from conductor.report.html import build_report, reading
from tests.conftest import STARTER, invoke

STRATEGIES = ["build", "buy", "buy-retry"]


@pytest.fixture(scope="module")
def compared() -> dict:
    """A small compare of the starter scenario, as its JSON dict."""
    result = conductor.compare(STARTER, replications=2, horizon=120, warmup=20, workers=1)
    return json.loads(result.to_json())


@pytest.fixture(scope="module")
def page(compared) -> str:
    """The report of the compare, with the scenario."""
    return build_report(compared, conductor.load_scenario(STARTER))


def stat(mean: float, low: float | None = None, high: float | None = None) -> dict:
    """A Stat with an interval when given."""
    interval = None if low is None else [low, high]
    return {"mean": mean, "ci95": interval, "sd": None if low is None else 0.1, "n": 3}


def test_report_is_self_contained(page) -> None:
    assert page.startswith("<!doctype html>")
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower()
    assert "<link" not in page.lower() and "@import" not in page and "url(" not in page
    assert "data:image/png;base64," in page


def test_report_holds_summary_tables_figures_and_reading(page) -> None:
    for name in STRATEGIES:
        assert f">{name}<" in page
    assert "starter" in page and "replications" in page and "horizon" in page
    assert page.count("<table>") >= 2  # ranking and sourcing
    assert "★" in page
    # Composition, cdf, percentiles, cost, pareto and at least one timeline.
    assert page.count("data:image/png;base64,") >= 6
    assert "The cheapest is" in page or "is both the cheapest" in page
    assert re.search(r"(cuts|raises|leaves) p99", page)


def test_report_draws_the_composition_from_the_result_alone(compared) -> None:
    assert "composition figure" in build_report(compared)
    assert "composition figure" in build_report(compared["strategies"]["buy"])


def test_report_without_scenario_notes_the_missing_graph_and_escapes_text(compared) -> None:
    result = copy.deepcopy(compared)
    for run in result["strategies"].values():  # as written before runs carried their flows
        run["composition"].pop("flows")
    result["strategies"]["<b>bold</b>"] = result["strategies"].pop("buy")
    result["ranking"] = [n if n != "buy" else "<b>bold</b>" for n in result["ranking"]]
    result["pareto"] = [n if n != "buy" else "<b>bold</b>" for n in result["pareto"]]
    result["differences"]["<b>bold</b>"] = result["differences"].pop("buy")
    page = build_report(result)
    assert "--scenario" in page
    assert "composition figure" not in page
    assert "<b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_report_can_inline_svg(compared) -> None:
    page = build_report(compared["strategies"]["build"], image_format="svg")
    assert "data:image/svg+xml;base64," in page
    assert "http://" not in page


def test_report_of_a_run_and_of_a_sweep(compared) -> None:
    run = build_report(compared["strategies"]["buy"])
    assert "buy serves" in run and "data:image/png;base64," in run
    sweep = {
        "points": [
            {"set": {"flows.checkout.arrivals.rate": rate}, "strategies": compared["strategies"]}
            for rate in (5, 10, 20)
        ]
    }
    page = build_report(sweep)
    assert "lowest total cost" in page and "flows.checkout.arrivals.rate" in page


def test_reading_states_changes_and_significance(compared) -> None:
    result = copy.deepcopy(compared)
    result["differences"] = {
        "buy": {"latency_p99": stat(-0.54, -0.6, -0.5), "cost_total": stat(0.24, 0.2, 0.3)},
        "buy-retry": {"latency_p99": stat(-0.1, -0.3, 0.1), "cost_total": stat(-0.3, -0.4, -0.2)},
    }
    sentences = reading(result)
    assert "buy cuts p99 by 54 % for 24 % more spend than build." in sentences
    retry = next(s for s in sentences if s.startswith("buy-retry cuts"))
    assert "while spending 30 % less than build" in retry
    assert "p99 difference is not significant" in retry


def test_reading_names_failures_and_identical_strategies(compared) -> None:
    result = copy.deepcopy(compared)
    result["strategies"]["buy"]["summary"]["success_rate"] = stat(0.8766)
    result["strategies"]["clone"] = copy.deepcopy(result["strategies"]["build"])
    sentences = reading(result)
    assert "buy fails 12.34 % of requests." in sentences
    assert any(s.startswith("clone gives exactly the same figures as build") for s in sentences)


def test_report_command(tmp_path: Path, compared) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(compared))
    result = invoke("report", folder, "--scenario", STARTER)
    assert result.exit_code == 0, result.output
    page = (folder / "report.html").read_text()
    assert "composition figure" in page and "https://" not in page


def test_report_command_refuses_a_bad_folder(tmp_path: Path) -> None:
    result = invoke("report", tmp_path / "nowhere", "-o", tmp_path / "r.html")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()
