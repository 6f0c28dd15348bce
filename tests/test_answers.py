"""Answers an architect can act on (SPEC §9–10): one flow at a time, failures never fast,
mechanisms where they are scoped, precision on demand, and work that survives a stop.

The two-flow scenario: `browse` (20/s) calls one fast in-house service; `order` (2/s)
calls it and then a payment, served by a vendor (exponential, mean 0.2 s) or a backup
(mean 0.3 s). The vendor is down for 20 s of the 190 s window. So the blend is mostly
fast browsing and hides the order flow's tail, and a strategy without a fallback fails
orders during the outage.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import conductor
from conductor.cli import main
from conductor.errors import ConductorError
from conductor.experiments import progress
from conductor.experiments.compare import pareto_front
from conductor.metrics.focus import focus
from conductor.report.terminal import compare_table
from tests.conftest import build_scenario, write_yaml

ROOT = Path(__file__).resolve().parents[1]


def two_flows(**changes) -> dict:
    """The two-flow scenario above (4 short replications)."""
    return build_scenario(
        {"run.horizon": 200, "run.warmup": 10, "run.replications": 4, "run.seed": 3, **changes},
        providers={
            "inhouse": {"kind": "internal"},
            "vendor": {"kind": "external"},
            "backup": {"kind": "external"},
        },
        components={
            "front": {"options": {"inhouse": {"service_time": 0.01, "capacity": 4}}},
            "pay": {
                "options": {
                    "vendor": {
                        "service_time": {"dist": "exponential", "mean": 0.2},
                        "cost": {"per_call": 0.01},
                    },
                    "backup": {
                        "service_time": {"dist": "exponential", "mean": 0.3},
                        "cost": {"per_call": 0.02},
                    },
                }
            },
        },
        flows={
            "browse": {"arrivals": {"process": "poisson", "rate": 20}, "steps": {"front": {}}},
            "order": {
                "arrivals": {"process": "poisson", "rate": 2},
                "slo": {"latency": 1.0, "failure_penalty": 1.0},
                "steps": {"front": {}, "pay": {"after": ["front"]}},
            },
        },
        strategies={
            "buy": {"policy": "static", "use": {"pay": "vendor"}},
            "failover": {
                "policy": "failover",
                "components": ["pay"],
                "order": ["vendor", "backup"],
                "retries": 1,
            },
            "hedged": {
                "policy": "hedged",
                "components": ["pay"],
                "delay": 0.4,
                "max_attempts": 2,
                "order": ["vendor", "backup"],
            },
            "hedged-all": {"policy": "hedged", "delay": 0.005, "max_attempts": 2},
            # Every attempt over 0.1 s fails: most orders fail, the rest are fast.
            "impatient": {"policy": "static", "use": {"pay": "vendor"}, "timeout": 0.1},
        },
        events=[{"at": 100, "provider": "vendor", "outage": 20}],
    )


@pytest.fixture(scope="module")
def compared():
    """Every strategy of the two-flow scenario, no focus."""
    return conductor.compare(conductor.load_scenario(two_flows()), workers=1)


@pytest.fixture(scope="module")
def on_order():
    """The same comparison with the order flow as the headline."""
    return conductor.compare(conductor.load_scenario(two_flows()), workers=1, flow="order")


def mean(node, *path):
    for key in path:
        node = node[key]
    return node["mean"]


# Focus on one flow -------------------------------------------------------------------------


def test_the_blend_hides_the_order_flows_tail(compared):
    run = compared.to_dict()["strategies"]["buy"]
    blend = mean(run, "summary", "latency_s", "p99")
    order = mean(run, "flows", "order", "latency_s", "p99")
    browse = mean(run, "flows", "browse", "latency_s", "p99")
    assert blend < 0.5 * order, (blend, order)
    assert browse < blend < order


def test_focused_compare_ranks_differs_and_fronts_on_the_flow(compared, on_order):
    focused = on_order.to_dict()
    assert focused["flow"] == "order"
    by_flow = compared.to_dict()["by_flow"]["order"]
    assert focused["ranking"] == by_flow["ranking"]
    assert focused["pareto"] == by_flow["pareto"]
    assert focused["differences"] == by_flow["differences"]
    # The blend's verdict is another one: the headline really moved.
    assert compared.to_dict()["differences"] != focused["differences"]
    cost = {n: mean(r, "flows", "order", "cost", "total") for n, r in focused["strategies"].items()}
    ranked = [cost[n] for n in focused["ranking"]]
    assert ranked == sorted(ranked)


def test_focus_view_swaps_the_headline_and_is_idempotent(compared):
    result = compared.to_dict()
    view = focus(result, "order")
    for name, run in view["strategies"].items():
        assert run["summary"] == result["strategies"][name]["flows"]["order"]
        assert (
            run["latency_distribution"]["latency_s"]
            == (result["strategies"][name]["latency_distribution"]["flows"]["order"]["latency_s"])
        )
    assert view["ranking"] == result["by_flow"]["order"]["ranking"]
    assert focus(view, "order") == view
    assert focus(result, None) == result
    assert result["strategies"]["buy"]["summary"] != view["strategies"]["buy"]["summary"]
    with pytest.raises(ConductorError, match=r"no flow 'nope'.*browse, order"):
        focus(result, "nope")


def test_summary_frame_of_a_flow(compared):
    rows = compared.summary_frame(flow="order")
    frame = rows.reset_index().to_dict("records") if hasattr(rows, "reset_index") else rows
    by_name = {row["strategy"]: row for row in frame}
    run = compared.results["failover"].to_dict()
    assert by_name["failover"]["latency_p99_s"] == pytest.approx(
        mean(run, "flows", "order", "latency_s", "p99")
    )
    assert [row["strategy"] for row in frame] == compared.by_flow["order"].ranking


def test_tables_show_a_row_per_flow_without_focus_and_fit_80_columns(compared, on_order):
    table, _, lines = compare_table(compared.to_dict(), 80)
    console = Console(width=80, record=True, color_system=None)
    console.print(table)
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert text.count("└ browse") == 5 and text.count("└ order") == 5
    assert any(line.startswith("flow order:") for line in lines)
    # No figure is cut: every total cost of the blend appears whole.
    for run in compared.to_dict()["strategies"].values():
        figure = f"{mean(run, 'summary', 'cost', 'total'):,.2f}"
        assert figure in text.replace("\n", " "), figure
    focused, _, _ = compare_table(on_order.to_dict(), 80)
    console = Console(width=80, record=True, color_system=None)
    console.print(focused)
    text = console.export_text()
    assert "└ browse" not in text and "flow order" in text


# Failures are not fast ---------------------------------------------------------------------


def test_a_failing_but_fast_strategy_is_off_the_front(on_order):
    result = on_order.to_dict()
    runs = result["strategies"]
    impatient = runs["impatient"]["flows"]["order"]
    assert 1 - impatient["success_rate"]["mean"] > 0.2
    # Its successes alone are the fastest of all: on successes only, it would be on the front.
    p99 = {n: mean(r, "flows", "order", "latency_s", "p99") for n, r in runs.items()}
    assert min(p99, key=p99.get) == "impatient"
    cost = {n: mean(r, "flows", "order", "cost", "total") for n, r in runs.items()}
    assert "impatient" in pareto_front({n: (cost[n], p99[n]) for n in runs})
    # Counting its failures, its p99 falls among them: null in JSON, off the front.
    assert impatient["latency_all_s"]["p99"]["mean"] is None
    assert impatient["latency_all_s"]["p99"]["n"] == 4
    assert "impatient" not in result["pareto"]
    assert math.isinf(impatient["latency_all_s"]["mean"]["mean"] or math.inf)


def test_latency_all_equals_latency_when_nothing_fails():
    document = two_flows(**{"events": []})
    document["strategies"] = {"failover": document["strategies"]["failover"]}
    document["components"]["front"]["options"]["inhouse"]["failure"] = 0.0
    result = conductor.run(conductor.load_scenario(document), workers=1).to_dict()
    browse = result["flows"]["browse"]
    assert browse["success_rate"]["mean"] == 1.0
    assert browse["latency_all_s"] == browse["latency_s"]


def test_every_strategy_on_the_front_is_said_not_starred():
    from conductor.report.terminal import _front_line

    runs = {"a": {}, "b": {}}
    line = _front_line({"pareto": ["a", "b"]}, runs, None, True)
    assert "every strategy is on the Pareto front" in line


# Scoped mechanisms --------------------------------------------------------------------------


def per_replication(result, component, figure):
    return result.values("components", component, figure)


def test_a_scoped_hedge_hedges_only_its_component(compared):
    hedged = compared.results["hedged"]
    calls = per_replication(hedged, "front", "calls")
    assert per_replication(hedged, "front", "attempts") == calls  # exactly one attempt each
    assert sum(per_replication(hedged, "pay", "attempts")) > sum(
        per_replication(hedged, "pay", "calls")
    )
    everywhere = compared.results["hedged-all"]
    assert sum(per_replication(everywhere, "front", "attempts")) > sum(
        per_replication(everywhere, "front", "calls")
    )


def test_a_scoped_failover_serves_the_rest_once_at_use():
    document = two_flows()
    document["components"]["front"]["options"]["vendor"] = {"service_time": 0.01}
    document["strategies"] = {
        "failover": {**document["strategies"]["failover"], "use": {"front": "vendor"}}
    }
    result = conductor.run(conductor.load_scenario(document), workers=1)
    shares = result.values("components", "front", "by_option", "vendor", "share")
    assert shares == [1.0] * 4
    assert per_replication(result, "front", "attempts") == per_replication(result, "front", "calls")
    described = result.to_dict()["policy"]["components"]
    assert described["front"] == "vendor, one attempt per call (outside `components`)"
    assert described["pay"].startswith("vendor → backup, the next on a failure")


def test_descriptions_include_per_component_overrides():
    document = two_flows()
    document["strategies"] = {
        "failover": {
            **document["strategies"]["failover"],
            "components": ["pay", "front"],
            "per_component": {"pay": {"timeout": 2, "retries": 2}},
        }
    }
    result = conductor.run(conductor.load_scenario(document), workers=1).to_dict()
    described = result["policy"]["components"]
    assert "timeout 2s" in described["pay"] and "2 retries" in described["pay"]
    assert "timeout" not in described["front"]


# Precision, warm-up and events ------------------------------------------------------------


def mm1(**changes) -> dict:
    """M/M/1 at load 0.5 (rate 1, mean service 0.5 s), short replications."""
    return build_scenario(
        {"run.horizon": 1500, "run.warmup": 100, "run.replications": 2, "run.seed": 5, **changes},
        components={
            "a": {
                "options": {
                    "inhouse": {
                        "service_time": {"dist": "exponential", "mean": 0.5},
                        "capacity": 1,
                    }
                }
            }
        },
        flows={"web": {"arrivals": {"process": "poisson", "rate": 1}, "steps": {"a": {}}}},
    )


def half_width(stat):
    low, high = stat["ci95"]
    return (high - low) / 2 / abs(stat["mean"])


def test_precision_adds_replications_until_the_target():
    scenario = conductor.load_scenario(mm1())
    two = conductor.run(scenario, workers=1).to_dict()
    assert half_width(two["summary"]["latency_s"]["mean"]) > 0.05  # far from 2 %
    result = conductor.run(scenario, workers=1, precision="2%", max_replications=400).to_dict()
    assert result["precision"]["reached"] is True
    assert result["precision"]["target"] == pytest.approx(0.02)
    assert result["replications"] == result["precision"]["replications"] > 2
    summary = result["summary"]
    for stat in (summary["latency_s"]["mean"], summary["latency_s"]["p99"]):
        assert half_width(stat) <= 0.02
    # The first replications are the ones a plain run makes: common random numbers hold.
    rerun = conductor.run(scenario, workers=1, replications=result["replications"]).to_dict()
    assert rerun["summary"] == summary


def test_precision_stops_at_max_replications_and_says_so():
    scenario = conductor.load_scenario(mm1())
    result = conductor.run(scenario, workers=1, precision=0.001, max_replications=4).to_dict()
    assert result["precision"] == {"target": 0.001, "reached": False, "replications": 4}


def test_the_warmup_warning_on_an_empty_start_at_high_load():
    heavy = mm1(**{"run.warmup": 0, "run.horizon": 3000, "run.replications": 1})
    heavy["components"]["a"]["options"]["inhouse"]["service_time"]["mean"] = 0.97
    result = conductor.run(conductor.load_scenario(heavy), workers=1).to_dict()
    assert any("had not settled" in w and "warm-up of at least" in w for w in result["warnings"])
    settled = conductor.run(conductor.load_scenario(mm1()), workers=1).to_dict()
    assert not any("settled" in w for w in settled["warnings"])


def test_events_outside_the_window_are_warnings():
    document = mm1(**{"run.replications": 1})
    document["providers"]["vendor"] = {"kind": "external"}
    document["events"] = [
        {"at": 5000, "provider": "inhouse", "outage": 10},
        {"at": 50, "provider": "inhouse", "slowdown": 2, "for": 10},
    ]
    warnings = conductor.run(conductor.load_scenario(document), workers=1).to_dict()["warnings"]
    assert any("events[0]" in w and "never happens" in w for w in warnings)
    assert any("events[1]" in w and "before the warm-up ends" in w for w in warnings)


# Views: plot and report on one flow --------------------------------------------------------


@pytest.fixture(scope="module")
def results_folder(tmp_path_factory, compared):
    folder = tmp_path_factory.mktemp("compared")
    compared.write(folder)
    return folder


def test_plot_and_report_take_a_flow(results_folder):
    runner = CliRunner()
    plotted = runner.invoke(main, ["plot", str(results_folder), "--flow", "order"])
    assert plotted.exit_code == 0, plotted.output
    assert (results_folder / "flow-order" / "pareto.png").stat().st_size > 0
    reported = runner.invoke(main, ["report", str(results_folder), "--flow", "order"])
    assert reported.exit_code == 0, reported.output
    page = (results_folder / "report-order.html").read_text()
    assert "flow in focus" in page and "order" in page
    unknown = runner.invoke(main, ["plot", str(results_folder), "--flow", "nope"])
    assert unknown.exit_code == 2 and "no flow 'nope'" in unknown.output


def test_report_without_focus_has_rows_and_sentences_per_flow(results_folder):
    from conductor.report.html import build_report

    page = build_report(json.loads((results_folder / "results.json").read_text()))
    assert page.count("└ flow order") == 5
    assert "Flow order, cheapest first" in page
    assert "impatient" in page and "off the front" in page
    assert "one attempt per call (outside `components`)" in page


def test_pareto_figure_pins_failing_strategies_to_the_top(compared):
    from conductor.plots import pareto

    ax = pareto(focus(compared.to_dict(), "order"))
    labels = [c.get_label() for c in ax.collections]
    assert "impatient (p99 among failures)" in labels
    assert "flow order" in ax.get_title()


def test_timeline_draws_a_line_per_flow_unless_focused(compared):
    from conductor.plots import timeline

    figure = timeline(compared.to_dict(), strategy="buy")
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert {"browse p99", "order p99", "browse p50", "order p50"} <= set(labels)
    focused = timeline(focus(compared.to_dict(), "order"), strategy="buy")
    assert [line.get_label() for line in focused.axes[0].get_lines()] == ["p50", "p99"]


# Run control: resume, signals, progress --------------------------------------------------


def test_compare_out_resumes_to_identical_results(tmp_path):
    scenario = conductor.load_scenario(two_flows(**{"run.replications": 2}))
    fresh = conductor.compare(scenario, workers=1).to_dict()
    first = conductor.compare(scenario, workers=1, out=tmp_path).to_dict()
    units = sorted((tmp_path / ".units").iterdir())
    assert len(units) == 10
    for unit in units[::2]:
        unit.unlink()
    units[1].write_text("{not json")  # a damaged unit is recomputed
    resumed = conductor.compare(scenario, workers=1, out=tmp_path).to_dict()
    assert fresh == first == resumed


def test_sigterm_keeps_finished_units(tmp_path):
    document = two_flows(**{"run.horizon": 3000, "run.replications": 6})
    path = write_yaml(tmp_path / "long.yaml", document)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conductor",
            "compare",
            str(path),
            "--out",
            str(out),
            "-q",
            "-w",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out / ".units").is_dir() and any((out / ".units").glob("*.json")):
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    assert "finished units are kept" in stderr
    assert "Traceback" not in stderr
    kept = list((out / ".units").glob("*.json"))
    assert 1 <= len(kept) < 30
    assert all(json.loads(unit.read_text())["figures"] for unit in kept)


def test_plain_progress_lines_off_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(progress, "PLAIN_EVERY", 0.0)
    with progress.progress_bar(4, "demo", None) as advance:
        for _ in range(4):
            advance()
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"conductor: demo: {n}/4 done, 0s elapsed, about 0s left" for n in (1, 2, 3)]
    with progress.progress_bar(4, "demo", False) as advance:
        advance()
    assert capsys.readouterr().err == ""


def test_init_comments_name_the_file_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", "shop"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "shop.yaml").read_text()
    assert "conductor check shop.yaml" in text and "conductor run shop.yaml" in text
    assert "starter.yaml" not in text
    assert re.search(r"^name: shop$", text, re.M)


# The bundled scenarios and docs -----------------------------------------------------------


def test_no_bundled_scenario_needs_a_per_component_workaround():
    for path in (ROOT / "scenarios").glob("*.yaml"):
        text = path.read_text()
        assert "per_component" not in text, path.name
        assert "backoff: {max" not in text, path.name


def test_docs_name_types_and_commands_once():
    reference = (ROOT / "docs" / "scenario-format.md").read_text()
    assert "mapping (ConstantSpec)" not in reference
    assert "| `mtbf` | mean duration (exponential) or distribution |" in reference
    assert "conductor conductor" not in (ROOT / "docs" / "cli.md").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#]+\.md)\)", page.read_text()):
            assert (page.parent / target).is_file(), f"{page.name} links to {target}"
    assert "conductor.compare(" in (ROOT / "README.md").read_text()


@pytest.mark.skipif(os.environ.get("CI_FAST") == "1", reason="slow")
def test_food_delivery_answers_the_question():
    scenario = conductor.load_scenario(
        ROOT / "scenarios" / "food-delivery.yaml", ["run.replications=2", "run.horizon=20min"]
    )
    result = conductor.compare(scenario, workers=2, flow="order").to_dict()
    assert result["flow"] == "order"
    assert "impatient" not in result["pareto"] and "buy" not in result["pareto"]
    hedged = result["strategies"]["hedged"]["components"]
    for component, figures in hedged.items():
        if component != "fraud":
            assert figures["attempts"]["mean"] == figures["calls"]["mean"], component
