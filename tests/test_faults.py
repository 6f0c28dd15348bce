"""Faults: interrupted, killed, concurrent and corrupted runs lose nothing and reuse nothing stale.

- SIGINT, SIGTERM and kill -9 during a sweep: what finished is kept, no pool worker
  outlives the parent, and the resumed sweep's CSV is byte-identical to one never
  interrupted. During a compare: no worker left, no half-written file.
- Concurrent writers to one `--out`: one writes, the others are refused; nothing in the
  folder is half-written.
- Cached units that are corrupted (numbers altered, `{}`, `[1,2]`, `null`, truncated,
  binary, another unit's file) are recomputed, never used; units of a scenario whose
  data file changed are never reused.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import conductor
from conductor.errors import ConductorError
from conductor.experiments.folder import locked
from conductor.experiments.sweep import sweep
from conductor.metrics.results import atomic_write
from tests.conftest import build_scenario, trace_arrivals, write_yaml

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or os.name != "posix",
    reason="needs POSIX signals and /proc",
)

VARY = "flows.web.arrivals.rate=10:40:10"
SLOW = build_scenario(
    {
        "run.horizon": 2500,
        "run.replications": 3,
        "flows.web.arrivals": {"process": "poisson", "rate": 20},
        "components.a.options.inhouse.service_time": {"dist": "exponential", "mean": 0.02},
    }
)


def _command(*args: object) -> list[str]:
    return [sys.executable, "-m", "conductor", *(str(a) for a in args)]


def _sweep_args(scenario: Path, out: Path, workers: int) -> list[str]:
    return _command("sweep", scenario, "--vary", VARY, "-w", workers, "-q", "--out", out)


@pytest.fixture(scope="module")
def slow_scenario(tmp_path_factory) -> Path:
    """A sweep of 4 points × 3 replications taking some seconds."""
    return write_yaml(tmp_path_factory.mktemp("faults") / "slow.yaml", SLOW)


@pytest.fixture(scope="module")
def reference(slow_scenario: Path) -> bytes:
    """sweep.csv of the same sweep never interrupted."""
    out = slow_scenario.parent / "reference"
    subprocess.run(_sweep_args(slow_scenario, out, 2), check=True, capture_output=True)
    return (out / "sweep.csv").read_bytes()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for_units(out: Path, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        units = out / ".units"
        if units.is_dir() and len(list(units.glob("*.json"))) >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("no unit finished in time")


def _assert_gone(pids: list[int], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    assert not [p for p in pids if _alive(p)], "pool workers outlived their parent"


@pytest.mark.parametrize(
    ("signum", "code", "workers"),
    [(signal.SIGTERM, 143, 2), (signal.SIGINT, 130, 2), (signal.SIGINT, 130, 1)],
    ids=["SIGTERM, 2 workers", "SIGINT, 2 workers", "SIGINT, in process"],
)
def test_signal_during_sweep_keeps_what_finished(
    tmp_path, slow_scenario, reference, signum, code, workers
):
    """The sweep exits at once with what finished written, no worker left; the resumed
    sweep's CSV is byte-identical to the uninterrupted one."""
    out = tmp_path / "out"
    process = subprocess.Popen(
        _sweep_args(slow_scenario, out, workers), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _wait_for_units(out, 2, process)
    workers_seen = _children(process.pid)
    started = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started < 2.0, "interrupt not answered within 2 s"
    assert process.returncode == code, stderr
    assert b"Traceback" not in stderr
    _assert_gone(workers_seen)
    kept = json.loads((out / "results.json").read_text())
    assert kept["complete"] is False
    assert len(list((out / ".units").glob("*.json"))) >= 2
    subprocess.run(_sweep_args(slow_scenario, out, workers), check=True, capture_output=True)
    assert (out / "sweep.csv").read_bytes() == reference


def test_kill_9_during_sweep_leaves_no_orphans_and_resumes(tmp_path, slow_scenario, reference):
    """kill -9 of the parent takes its pool workers with it; the rerun resumes from the
    units that finished and gives the same CSV."""
    out = tmp_path / "out"
    process = subprocess.Popen(
        _sweep_args(slow_scenario, out, 2), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _wait_for_units(out, 2, process)
    workers_seen = _children(process.pid)
    assert workers_seen, "expected pool workers"
    process.kill()
    process.communicate(timeout=30)
    _assert_gone(workers_seen)
    finished = len(list((out / ".units").glob("*.json")))
    assert finished >= 2
    subprocess.run(_sweep_args(slow_scenario, out, 2), check=True, capture_output=True)
    assert (out / "sweep.csv").read_bytes() == reference


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_compare(tmp_path, slow_scenario, signum, code):
    """compare stops at once, with no worker left and no half-written file in --out."""
    scenario = write_yaml(
        tmp_path / "two.yaml",
        {
            **SLOW,
            "strategies": {
                "build": {"policy": "static", "use": {"*": "internal"}},
                "again": {"policy": "static", "use": {"*": "internal"}},
            },
        },
    )
    out = tmp_path / "out"
    process = subprocess.Popen(
        _command("compare", scenario, "-r", 6, "-w", 2, "-q", "--out", out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not _children(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    workers_seen = _children(process.pid)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    assert b"Traceback" not in stderr
    _assert_gone(workers_seen)
    for path in out.glob("*") if out.exists() else ():
        assert not path.name.endswith(".tmp"), path
        if path.suffix == ".json":
            json.loads(path.read_text())


def test_concurrent_sweeps_into_one_folder(tmp_path, slow_scenario):
    """Three sweeps (two grids) started together into one --out: each finishes or is
    refused with one line; the folder holds one whole, consistent result."""
    out = tmp_path / "out"
    grids = [VARY, VARY, "flows.web.arrivals.rate=15,25"]
    processes = [
        subprocess.Popen(
            _command("sweep", slow_scenario, "--vary", g, "-w", 1, "-q", "--out", out),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for g in grids
    ]
    outcomes = [(p.wait(timeout=300), p.communicate()[1].decode()) for p in processes]
    assert all(code in (0, 2) for code, _ in outcomes), outcomes
    assert any(code == 0 for code, _ in outcomes), outcomes
    for code, stderr in outcomes:
        assert "Traceback" not in stderr
        if code == 2:
            assert "being written by another conductor" in stderr, stderr
            assert len(stderr.splitlines()) == 1
    result = json.loads((out / "results.json").read_text())
    assert result["complete"] is True
    rows = (out / "sweep.csv").read_text().splitlines()
    assert len(rows) == 1 + len(result["points"])  # one strategy: a row per point
    assert not list(out.glob(".*.tmp"))


def test_a_held_lock_refuses_a_second_writer(tmp_path):
    """While one writer holds the folder, a sweep into it is refused at once."""
    scenario = conductor.load_scenario(build_scenario({"run.replications": 1}))
    with locked(tmp_path / "out"), pytest.raises(ConductorError, match="being written by"):
        sweep(scenario, {"run.seed": [1, 2]}, out=tmp_path / "out", workers=1)
    sweep(scenario, {"run.seed": [1, 2]}, out=tmp_path / "out", workers=1)


def test_concurrent_atomic_writes_never_collide(tmp_path):
    """Writers racing on one file each leave a whole file and no temporary behind."""
    target = tmp_path / "results.json"
    texts = [json.dumps({"writer": i, "pad": "x" * 50_000}) for i in range(8)]
    errors: list[BaseException] = []

    def write(text: str) -> None:
        try:
            for _ in range(30):
                atomic_write(target, text)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert target.read_text() in texts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


# Cached units ------------------------------------------------------------------------------


def _small_sweep(out: Path, document=None) -> bytes:
    sweep(
        conductor.load_scenario(document or build_scenario({"run.replications": 2})),
        {"run.seed": [1, 2]},
        out=out,
        workers=1,
    )
    return (out / "sweep.csv").read_bytes()


def _altered(text: str) -> str:
    record = json.loads(text)
    key = next(k for k in record["figures"] if k.endswith("requests"))
    record["figures"][key] = record["figures"][key] * 10 + 1
    return json.dumps(record)


CORRUPTIONS = {
    "numbers altered": _altered,
    "empty object": lambda text: "{}",
    "a list": lambda text: "[1, 2]",
    "null": lambda text: "null",
    "truncated": lambda text: text[: len(text) // 2],
    "binary": lambda text: "\x00\xff garbage",
    "an old-format figures mapping": lambda text: json.dumps(json.loads(text)["figures"]),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=list(CORRUPTIONS))
def test_corrupted_units_are_recomputed(tmp_path, corrupt):
    """Every unit file corrupted: the rerun recomputes them and gives the same CSV."""
    out = tmp_path / "out"
    original = _small_sweep(out)
    units = sorted((out / ".units").glob("*.json"))
    assert len(units) == 4
    for unit in units:
        unit.write_text(corrupt(unit.read_text()), encoding="utf-8", errors="surrogateescape")
    (out / "sweep.csv").unlink()
    assert _small_sweep(out) == original
    warnings = json.loads((out / "results.json").read_text())["warnings"]
    assert warnings == [f"4 cached units in {out / '.units'} were damaged, so recomputed"]
    for unit in units:  # rewritten whole
        assert set(json.loads(unit.read_text())) == {
            "key",
            "figures",
            "infinite",
            "timeline",
            "settled",
            "sha256",
        }


def test_another_units_file_is_not_taken_for_this_one(tmp_path):
    """A unit file copied over another (a valid file with the wrong key) is recomputed."""
    out = tmp_path / "out"
    original = _small_sweep(out)
    first, *others = sorted((out / ".units").glob("*.json"))
    for other in others:
        shutil.copy(first, other)
    assert _small_sweep(out) == original


@pytest.mark.parametrize("kind", ["trace", "empirical"])
def test_units_of_a_changed_data_file_are_not_reused(tmp_path, kind):
    """A resumed sweep after the data file changed recomputes: 10 times the arrivals,
    10 times the requests (the stale cache gave the old count)."""
    data = tmp_path / "data.csv"
    if kind == "trace":
        changes = {"flows.web.arrivals": trace_arrivals(str(data)), "run.horizon": 100}
        data.write_text("".join(f"{t}\n" for t in range(0, 100, 10)))
    else:
        changes = {
            "components.a.options.inhouse.service_time": {"dist": "empirical", "file": str(data)},
            "run.horizon": 100,
        }
        data.write_text("0.5\n")
    document = build_scenario({**changes, "run.replications": 2})
    first = _small_sweep(tmp_path / "out", document)
    before = conductor.load_scenario(document)
    if kind == "trace":
        data.write_text("".join(f"{t}\n" for t in range(0, 100)))
    else:
        data.write_text("5\n")
    after = conductor.load_scenario(document)
    assert before.sha256 != after.sha256
    assert list(after.files) == [str(data.resolve())]
    second = _small_sweep(tmp_path / "out", document)
    assert second != first
    rows = [line.split(",") for line in second.decode().splitlines()]
    column = rows[0].index("requests" if kind == "trace" else "latency_mean_s")
    expected = "100.0" if kind == "trace" else "5.0"
    assert all(row[column] == expected for row in rows[1:]), rows


def test_unit_files_on_disk_hold_no_bare_infinity(tmp_path):
    """Unit files are strict JSON, infinite figures listed by name."""
    document = build_scenario({"run.replications": 2, "components.a.options.inhouse.failure": 1.0})
    _small_sweep(tmp_path / "out", document)
    for unit in (tmp_path / "out" / ".units").glob("*.json"):
        text = unit.read_text()
        assert "Infinity" not in text and "NaN" not in text
        json.loads(text)


@pytest.mark.parametrize("command", ["run", "compare"])
def test_run_and_compare_hold_the_folder_too(tmp_path, command):
    """run --out and compare --out are refused, before simulating, while another writer
    holds the folder, and write it once it is free."""
    from tests.conftest import invoke

    path = write_yaml(tmp_path / "s.yaml", build_scenario())
    out = tmp_path / "out"
    with locked(out):
        busy = invoke(command, path, "-q", "-w", "1", "--out", out)
    assert busy.exit_code == 2 and "being written by another conductor" in busy.stderr
    assert not (out / "results.json").exists()
    assert invoke(command, path, "-q", "-w", "1", "--out", out).exit_code == 0
    json.loads((out / "results.json").read_text())
