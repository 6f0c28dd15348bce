"""Figures: each is drawn, non-empty and of the right kind; files and `conductor plot`.

One small compare of the starter scenario (two minutes, two replications) is shared by
the module; sweeps are synthetic, built from its run objects.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

import conductor
from conductor.errors import ConductorError
from conductor.plots import (
    composition_graph,
    cost_breakdown,
    latency_cdf,
    pareto,
    percentile_bars,
    strategy_colors,
    sweep_curves,
    sweep_heatmap,
    timeline,
    write_figures,
)
from conductor.plots.style import OKABE_ITO, format_latency
from tests.conftest import STARTER, invoke

STRATEGIES = ["build", "buy", "buy-retry"]
MIN_BYTES = 5_000
EVENTS = [
    {"at": 40.0, "action": "outage", "target": 1, "value": 20.0, "for": None},
    {"at": 70.0, "action": "slowdown", "target": 2, "value": 3.0, "for": 15.0},
    {"at": 90.0, "action": "price", "target": 1, "value": 1.5, "for": None},
    {"at": 100.0, "action": "surge", "target": 0, "value": 2.0, "for": None},
]


@pytest.fixture(scope="module")
def compared() -> dict:
    """A small compare of the starter scenario, as its JSON dict."""
    result = conductor.compare(STARTER, replications=2, horizon=120, warmup=20, workers=1)
    return json.loads(result.to_json())


@pytest.fixture(scope="module")
def folder(compared, tmp_path_factory) -> Path:
    """A results folder holding the compare's results.json."""
    path = tmp_path_factory.mktemp("compare")
    (path / "results.json").write_text(json.dumps(compared))
    return path


def sweep_of(compared: dict, paths: dict[str, list]) -> dict:
    """A synthetic sweep over one or two paths, each point reusing the compare's runs."""
    names = list(paths)
    grid = [{names[0]: v} for v in paths[names[0]]]
    if len(names) == 2:
        grid = [{**g, names[1]: w} for g in grid for w in paths[names[1]]]
    return {"points": [{"set": g, "strategies": compared["strategies"]} for g in grid]}


def with_events(compared: dict) -> dict:
    """The compare with what-if events added to every run object."""
    result = copy.deepcopy(compared)
    for run in result["strategies"].values():
        run["events"] = EVENTS
    return result


def test_plotting_needs_no_window_and_the_engine_no_matplotlib() -> None:
    code = (
        "import sys, conductor, conductor.cli, conductor.experiments.compare;"
        "print('matplotlib' in sys.modules);"
        "import conductor.plots, matplotlib;"
        "print(matplotlib.get_backend().lower())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "agg"]


def test_strategy_colors_are_okabe_ito_and_stable() -> None:
    first = strategy_colors(["a", "b", "c"])
    more = strategy_colors(["a", "b", "c", "d"])
    assert {name: more[name] for name in first} == first
    assert list(first.values()) == list(strategy_colors(["x", "y", "z"]).values())
    assert len(set(first.values())) == 3
    assert set(first.values()) <= set(OKABE_ITO.values())


def test_latency_formats_in_ms_and_s() -> None:
    assert format_latency(0.25) == "250 ms"
    assert format_latency(1.5) == "1.5 s"
    assert format_latency(80e-6) == "80 µs"


def test_latency_cdf_is_log_scaled_with_a_line_per_strategy(compared) -> None:
    ax = latency_cdf(compared)
    assert isinstance(ax, Axes)
    assert ax.get_xscale() == "log"
    assert len(ax.lines) == len(STRATEGIES)
    assert ax.get_title() and ax.get_xlabel() and ax.get_legend() is not None
    ax.figure.draw_without_rendering()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert any(label.endswith("ms") for label in labels)


def test_latency_cdf_of_a_single_run(compared) -> None:
    ax = latency_cdf(compared["strategies"]["buy"])
    assert len(ax.lines) == 1


def test_percentile_bars_group_four_percentiles_with_whiskers(compared) -> None:
    ax = percentile_bars(compared)
    assert len(ax.patches) == 4 * len(STRATEGIES)
    assert len(ax.containers) >= len(STRATEGIES)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["p50", "p95", "p99", "p99.9"]


def test_cost_breakdown_stacks_four_parts_per_strategy(compared) -> None:
    ax = cost_breakdown(compared)
    assert len(ax.patches) == 4 * len(STRATEGIES)
    assert "USD" in ax.get_ylabel()
    assert {t.get_text() for t in ax.get_xticklabels()} == set(STRATEGIES)
    shares = cost_breakdown(compared, relative=True)
    assert shares.get_ylim() == (0.0, 1.0)


def test_pareto_scatters_and_labels_every_strategy(compared) -> None:
    ax = pareto(compared)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == len(STRATEGIES)
    labels = " ".join(t.get_text() for t in ax.texts)
    assert all(name in labels for name in STRATEGIES)
    assert any(line.get_label().startswith("Pareto front") for line in ax.lines)


def test_pareto_gives_identical_strategies_one_label(compared) -> None:
    result = copy.deepcopy(compared)
    result["strategies"]["clone"] = copy.deepcopy(result["strategies"]["build"])
    ax = pareto(result)
    texts = [t.get_text() for t in ax.texts]
    assert "build = clone" in texts
    assert len(texts) == len(STRATEGIES)


def test_timeline_has_panels_and_labelled_events(compared) -> None:
    figure = timeline(with_events(compared), strategy="buy")
    assert isinstance(figure, Figure)
    axes = figure.axes
    assert len(axes) == 4
    assert "buy" in figure._suptitle.get_text()
    labels = [t.get_text() for t in axes[0].texts]
    assert "payco outage" in labels
    assert "searchcloud slowdown ×3" in labels
    assert "checkout surge ×2" in labels
    assert "payco price ×1.5" in labels
    assert len(axes[0].patches) >= 3  # the spans of the outage, slowdown and surge
    assert len(axes[3].collections) >= 3  # one band per served component


def test_timeline_defaults_to_the_baseline_and_rejects_unknown_strategies(compared) -> None:
    assert compared["baseline"] in timeline(compared)._suptitle.get_text()
    with pytest.raises(ConductorError, match="unknown strategy"):
        timeline(compared, strategy="nope")


def test_timeline_names_event_targets_without_names(compared) -> None:
    result = with_events(compared)
    result["strategies"]["buy"]["events"] = [{"at": 40.0, "action": "exit", "target": 9}]
    figure = timeline(result, strategy="buy")
    assert "provider #9 exit" in [t.get_text() for t in figure.axes[0].texts]


def test_sweep_curves_for_one_path(compared) -> None:
    sweep = sweep_of(compared, {"flows.checkout.arrivals.rate": [1, 10, 100]})
    figure = sweep_curves(sweep)
    assert isinstance(figure, Figure) and len(figure.axes) == 4
    for ax in figure.axes:
        assert ax.get_xscale() == "log"
        assert len(ax.lines) == len(STRATEGIES)
        assert ax.collections  # confidence bands
    single = sweep_curves(sweep, metric="cost_total")
    assert isinstance(single, Axes) and "USD" in single.get_ylabel()


def test_sweep_curves_stay_linear_over_a_narrow_range(compared) -> None:
    sweep = sweep_of(compared, {"flows.checkout.arrivals.rate": ["10/s", "20/s", "30/s"]})
    ax = sweep_curves(sweep, metric="latency_p99")
    assert ax.get_xscale() == "linear"
    assert "(/s)" in ax.get_xlabel()


def test_sweep_curves_of_switches_and_change_lead_time(compared) -> None:
    sweep = sweep_of(compared, {"flows.checkout.arrivals.rate": [1, 10]})
    for point in sweep["points"]:
        for run in point["strategies"].values():
            run["summary"]["change_lead_time_s"] = {
                "mean": 3 * 86400.0,
                "ci95": [2 * 86400.0, 4 * 86400.0],
                "sd": 1.0,
                "n": 3,
            }
    ax = sweep_curves(sweep, metric="change_lead_time")
    assert len(ax.lines) == len(STRATEGIES)
    assert any(label.get_text().endswith(" d") for label in ax.get_yticklabels())
    assert len(sweep_curves(sweep, metric="switches").lines) == len(STRATEGIES)


def test_sweep_heatmap_for_two_paths(compared) -> None:
    sweep = sweep_of(compared, {"a.rate": [1, 2, 3], "b.failure": [0, 0.1]})
    best = sweep_heatmap(sweep)
    assert best.images and len(best.texts) == 6
    one = sweep_heatmap(sweep, metric="latency_p99", strategy="buy")
    assert one.images and "buy" in one.get_title()
    with pytest.raises(ConductorError, match="two varied paths"):
        sweep_heatmap(sweep_of(compared, {"a": [1, 2]}))


def test_composition_graph_colours_internal_and_external_apart() -> None:
    scenario = conductor.load_scenario(STARTER)
    ax = composition_graph(scenario, serving={"search": "searchcloud", "payment": "payco"})
    boxes = {
        t.get_text().split("\n")[1]: t.get_bbox_patch() for t in ax.texts if "@" in t.get_text()
    }
    assert set(boxes) == {"catalog@inhouse", "search@searchcloud", "payment@payco"}
    internal = boxes["catalog@inhouse"].get_edgecolor()
    external = boxes["payment@payco"].get_edgecolor()
    assert internal != external
    assert boxes["search@searchcloud"].get_edgecolor() == external
    assert ax.get_legend() is not None and ax.get_title()


def test_composition_graph_takes_utilisation_from_a_run(compared) -> None:
    scenario = conductor.load_scenario(STARTER)
    ax = composition_graph(scenario, utilisation=compared["strategies"]["buy"], strategy="buy")
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "payment@payco" in texts and "measured" in ax.get_title()


def test_composition_graph_draws_a_run_object_as_its_scenario(compared) -> None:
    run = compared["strategies"]["buy"]
    scenario = conductor.load_scenario(STARTER)
    from_scenario = composition_graph(scenario, utilisation=run, strategy="buy")
    from_result = composition_graph(run, strategy="buy")
    assert [t.get_text() for t in from_result.texts] == [t.get_text() for t in from_scenario.texts]
    assert [t.get_position() for t in from_result.texts] == [
        t.get_position() for t in from_scenario.texts
    ]
    assert from_result.get_title() == from_scenario.get_title()


def test_write_figures_for_a_compare(compared, tmp_path) -> None:
    paths = write_figures(compared, tmp_path)
    assert [p.name for p in paths] == [
        f"{stem}.png" for stem in ("cdf", "percentiles", "cost", "pareto", "timeline")
    ]
    for path in paths:
        assert path.stat().st_size > MIN_BYTES, path


def test_write_figures_for_a_run_and_sweeps(compared, tmp_path) -> None:
    run = write_figures(compared["strategies"]["build"], tmp_path / "run")
    assert {p.stem for p in run} == {"cdf", "percentiles", "cost", "timeline"}
    one = write_figures(sweep_of(compared, {"x": [1, 2]}), tmp_path / "one", kind="sweep")
    assert [p.name for p in one] == ["sweep.png"]
    two = write_figures(sweep_of(compared, {"x": [1, 2], "y": [3, 4]}), tmp_path / "two")
    assert [p.name for p in two] == ["sweep.png", "heatmap.png"]
    assert all(p.stat().st_size > MIN_BYTES for p in [*run, *one, *two])


@pytest.mark.parametrize("kind", ["cdf", "percentiles", "cost", "pareto", "timeline"])
def test_plot_command_draws_each_kind(folder, tmp_path, kind) -> None:
    target = tmp_path / f"{kind}.svg"
    result = invoke("plot", folder, "--kind", kind, "-o", target, "--strategy", "buy")
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > MIN_BYTES


def test_plot_command_redraws_a_folder_and_a_sweep(compared, folder, tmp_path) -> None:
    assert invoke("plot", folder / "results.json", "--kind", "pareto").exit_code == 0
    assert (folder / "pareto.png").stat().st_size > MIN_BYTES
    assert invoke("plot", folder).exit_code == 0
    assert {p.name for p in folder.glob("*.png")} >= {"cdf.png", "cost.png", "timeline.png"}
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    document = sweep_of(compared, {"x": [1, 2, 3], "y": [0, 1]})
    (sweep / "results.json").write_text(json.dumps(document))
    assert invoke("plot", sweep, "--kind", "sweep").exit_code == 0
    assert invoke("plot", sweep, "--kind", "heatmap", "-s", "buy").exit_code == 0
    assert (sweep / "sweep.png").exists() and (sweep / "heatmap.png").exists()


def test_plot_command_refuses_bad_input_in_one_line(folder, tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "junk.json").write_text("{not json")
    for args in (
        [tmp_path / "empty"],
        [tmp_path / "missing"],
        [tmp_path / "junk.json"],
        [folder, "--kind", "sweep"],
        [folder, "--kind", "cdf", "-o", tmp_path / "x.unknown"],
        [folder, "--kind", "timeline", "-s", "nope"],
    ):
        result = invoke("plot", *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1


def test_graph_command_writes_an_image(tmp_path) -> None:
    target = tmp_path / "graph.png"
    result = invoke("graph", STARTER, "-o", target, "-s", "buy")
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > MIN_BYTES
    assert invoke("graph", STARTER, "-o", target, "-s", "nope").exit_code == 2


def test_compare_out_writes_figures(tmp_path) -> None:
    out = tmp_path / "out"
    args = ["--horizon", "1min", "--warmup", "10s", "-r", "2", "-w", "1", "-q", "--out", out]
    result = invoke("compare", STARTER, *args, "--format", "svg")
    assert result.exit_code == 0, result.output
    for stem in ("cdf", "percentiles", "cost", "pareto", "timeline"):
        assert (out / f"{stem}.png").exists() and (out / f"{stem}.svg").exists()


def test_events_are_labelled_by_the_names_the_result_carries() -> None:
    from conductor.plots.timeline import event_label

    surge = {"at": 1.0, "action": "surge", "target": 0, "flow": "checkout", "value": 2.0}
    assert event_label(surge) == "checkout surge ×2"
    outage = {"at": 1.0, "action": "outage", "target": 3, "provider": "payco", "value": None}
    assert event_label(outage) == "payco outage"
    # A result written before events carried names: the run object's declared order.
    assert event_label({"action": "exit", "target": 1}, ["a", "b"], []) == "b exit"


def test_a_runs_events_name_their_target() -> None:
    from conductor.experiments.run import event_of
    from conductor.plan import EventPlan, compile_plan

    scenario = conductor.load_scenario(Path(__file__).parents[1] / "scenarios" / "lock-in.yaml")
    plan = compile_plan(scenario)
    for event in plan.events:
        named = event_of(plan, event)
        names = plan.flows if event.action == "surge" else plan.providers
        assert (
            named[("flow" if event.action == "surge" else "provider")] == names[event.target].name
        )
    surge = event_of(plan, EventPlan(at=1.0, action="surge", target=0, value=2.0, duration=5.0))
    assert surge["flow"] == plan.flows[0].name and "provider" not in surge
