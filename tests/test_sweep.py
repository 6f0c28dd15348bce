"""Sweeps: value specs, the sweep.csv columns of SPEC §7, resuming, Ctrl-C, executors."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import conductor
from conductor.errors import ScenarioError
from conductor.experiments import sweep as sweep_module
from conductor.experiments.sweep import parse_values

SCENARIO = {
    "name": "grid",
    "run": {"horizon": 300, "warmup": 30, "replications": 2, "seed": 5},
    "providers": {"inhouse": {"kind": "internal"}, "vendor": {"kind": "external"}},
    "components": {
        "api": {
            "options": {
                "inhouse": {"service_time": {"dist": "exponential", "mean": 0.05}, "capacity": 2},
                "vendor": {"service_time": 0.03, "cost": {"per_call": 0.001}},
            }
        }
    },
    "flows": {"web": {"arrivals": {"process": "poisson", "rate": 10}, "steps": {"api": {}}}},
    "strategies": {
        "build": {"policy": "static", "use": {"*": "internal"}},
        "buy": {"policy": "static", "use": {"*": "external"}},
    },
}
RATE = "flows.web.arrivals.rate"


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        ("10:100:10", [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]),
        ("1,2,5", [1, 2, 5]),
        ("0.5:1.5:0.5", [0.5, 1, 1.5]),
        ("1..1000*4", [1, 10, 100, 1000]),
        ("50ms:150ms:50ms", ["50ms", "100ms", "150ms"]),
        ("10/s,20/s", ["10/s", "20/s"]),
    ],
)
def test_value_specs(spec, values):
    """Linear ranges include both ends, lists stay as written, log ranges are geometric."""
    assert parse_values(spec) == values


@pytest.mark.parametrize("spec", ["1:2", "5:1:1", "1:10:0", "0..10*3", "1..10*x", "a:b:c"])
def test_bad_value_specs(spec):
    with pytest.raises(ScenarioError):
        parse_values(spec)


SPEC_COLUMNS = [
    # SPEC §7, in its order ...
    "requests",
    "throughput_rps",
    "success_rate",
    "latency_mean_s",
    "latency_p50_s",
    "latency_p90_s",
    "latency_p95_s",
    "latency_p99_s",
    "latency_p999_s",
    "slo_attainment",
    "cost_total",
    "cost_per_request",
    "cost_per_hour",
    "switches",
    # ... then SPEC §9's latency counting failures.
    "latency_all_mean_s",
    "latency_all_p50_s",
    "latency_all_p90_s",
    "latency_all_p95_s",
    "latency_all_p99_s",
    "latency_all_p999_s",
]


def test_sweep_rows_have_the_spec_columns(tmp_path):
    result = conductor.sweep(SCENARIO, [f"{RATE}=5,10"], out=tmp_path, workers=1)
    with open(tmp_path / "sweep.csv") as handle:
        rows = list(csv.DictReader(handle))
    expected = [RATE, "strategy"]
    for name in SPEC_COLUMNS:
        expected += [name, f"{name}_lo", f"{name}_hi"]
    assert list(rows[0]) == expected
    assert [(r[RATE], r["strategy"]) for r in rows] == [
        ("5", "build"),
        ("5", "buy"),
        ("10", "build"),
        ("10", "buy"),
    ]
    saved = json.loads((tmp_path / "results.json").read_text())
    assert [p["set"] for p in saved["points"]] == [{RATE: 5}, {RATE: 10}]
    assert set(saved["points"][0]["strategies"]) == {"build", "buy"}
    frame = result.to_frame()
    assert len(frame) == 4
    # More load, more requests: the point really changed the scenario.
    assert rows[2]["requests"] > rows[0]["requests"]


def test_two_parameters_make_a_grid():
    result = conductor.sweep(
        SCENARIO,
        {RATE: [5, 10], "components.api.options.inhouse.capacity": [1, 3]},
        ["build"],
        workers=1,
    )
    assert [tuple(p.values()) for p in result.points] == [(5, 1), (5, 3), (10, 1), (10, 3)]


def test_results_equal_a_plain_run_of_the_point():
    result = conductor.sweep(SCENARIO, [f"{RATE}=7"], ["buy"], workers=1)
    alone = conductor.run(
        conductor.load_scenario(SCENARIO, [f"{RATE}=7"]), "buy", workers=1
    ).to_dict()
    assert result.results[0]["buy"].to_dict()["summary"] == alone["summary"]


def test_rerunning_resumes_without_recomputing(tmp_path, monkeypatch):
    first = conductor.sweep(SCENARIO, [f"{RATE}=5,10"], out=tmp_path, workers=1)
    calls = []
    original = sweep_module.run_unit
    monkeypatch.setattr(sweep_module, "run_unit", lambda unit: calls.append(unit) or original(unit))
    again = conductor.sweep(SCENARIO, [f"{RATE}=5,10,15"], out=tmp_path, workers=1)
    # Only the new point's 2 strategies x 2 replications ran.
    assert len(calls) == 4
    assert {c.scenario.run.seed for c in calls} == {5}
    assert again.rows()[:4] == first.rows()


def test_worker_count_does_not_change_numbers(tmp_path):
    one = conductor.sweep(SCENARIO, [f"{RATE}=5,10"], workers=1)
    two = conductor.sweep(SCENARIO, [f"{RATE}=5,10"], workers=2)
    assert one.to_dict() == two.to_dict()


def test_dask_cluster_gives_the_same_numbers():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = conductor.sweep(SCENARIO, [f"{RATE}=5,10"], scheduler=cluster.scheduler_address)
    local = conductor.sweep(SCENARIO, [f"{RATE}=5,10"], workers=1)
    assert remote.to_dict() == local.to_dict()


def test_ctrl_c_keeps_finished_points_and_resumes(tmp_path):
    scenario = tmp_path / "grid.yaml"
    scenario.write_text(json.dumps(SCENARIO))
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "conductor",
        "sweep",
        str(scenario),
        "--vary",
        f"{RATE}=1:40:1",
        "--out",
        str(out),
        "--workers",
        "2",
        "--quiet",
        "--horizon",
        "600",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        table = out / "sweep.csv"
        if table.exists() and len(table.read_text().splitlines()) >= 5:
            break
    process.send_signal(signal.SIGINT)
    started = time.time()
    _, stderr = process.communicate(timeout=30)
    assert time.time() - started < 10, "Ctrl-C should stop the sweep promptly"
    assert process.returncode not in (0, None)
    assert "Traceback" not in stderr
    with open(out / "sweep.csv") as handle:
        kept = list(csv.DictReader(handle))
    assert kept, "finished points must survive Ctrl-C"
    assert len(kept) < 80
    cached = len(os.listdir(out / ".units"))
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    with open(out / "sweep.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 80
    assert len(os.listdir(out / ".units")) == 160
    assert cached >= len(kept) * 2


def test_cli_sweep_writes_csv_json_and_figures(tmp_path):
    from click.testing import CliRunner

    from conductor.cli import main

    scenario = tmp_path / "grid.yaml"
    scenario.write_text(json.dumps(SCENARIO))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["sweep", str(scenario), "--vary", f"{RATE}=5,10", "--out", str(out), "-w", "1"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "sweep.csv").exists() and (out / "results.json").exists()
    assert list(out.glob("*.png"))
    printed = CliRunner().invoke(
        main, ["sweep", str(scenario), "--vary", f"{RATE}=5", "--json", "-w", "1"]
    )
    assert json.loads(printed.stdout)["points"][0]["set"] == {RATE: 5}
    bad = CliRunner().invoke(main, ["sweep", str(scenario), "--vary", "run.horizon=x:y:z"])
    assert bad.exit_code == 2


def test_a_bad_point_names_the_point():
    with pytest.raises(ScenarioError, match=r"at flows.web.arrivals.rate=-1"):
        conductor.sweep(SCENARIO, [f"{RATE}=5,-1"], workers=1)
