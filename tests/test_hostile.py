"""Hostile input: every bad file or flag refused in one line, in bounded time and memory.

Each case writes a scenario (and the data files it names) built to break the loader:
alias bombs, deep nesting, duplicate keys, device files, FIFOs, files that are not UTF-8,
non-finite or overflowing numbers, empty sections, work too large to simulate. The
command runs in a forked child under a resource limit (address space: what the test
process uses plus 1 GiB; CPU: 30 s) and a wall-clock deadline, and must exit 2 with
exactly one line on stderr, `conductor: FILE: [PATH: ]message`, no traceback, nothing
on stdout. A case that runs out of memory or time fails instead of taking the machine.
"""

from __future__ import annotations

import os
import pickle
import resource
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import base_scenario, invoke

MEMORY_HEADROOM = 1 << 30  # bytes the child may map beyond what the test process has
CPU_SECONDS = 30
WALL_SECONDS = 60.0
SECRET = "hunter2-do-not-echo"


def _address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass
class Outcome:
    """What a command did in its child process."""

    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    died: str = ""


def run_limited(args: list[Any], cwd: Path) -> Outcome:
    """Run the command line in a forked child under memory and CPU limits."""
    read, write = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: limit itself, run, send back what happened
        try:
            os.close(read)
            os.chdir(cwd)
            limit = _address_space() + MEMORY_HEADROOM
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
            result = invoke(*args)
            payload = pickle.dumps((result.exit_code, result.stdout, result.stderr))
        except BaseException as error:
            payload = pickle.dumps((None, "", f"child failed: {type(error).__name__}: {error}"))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write)
    chunks: list[bytes] = []
    with os.fdopen(read, "rb") as pipe:
        os.set_blocking(pipe.fileno(), False)
        while True:
            try:
                chunk = pipe.read()
            except BlockingIOError:
                chunk = None
            if chunk:
                chunks.append(chunk)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                rest = pipe.read()
                if rest:
                    chunks.append(rest)
                break
            if time.monotonic() - start > WALL_SECONDS:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                return Outcome(None, "", "", time.monotonic() - start, "wall-clock deadline")
            time.sleep(0.01)
    seconds = time.monotonic() - start
    if not chunks:
        return Outcome(None, "", "", seconds, f"killed (status {status})")
    exit_code, stdout, stderr = pickle.loads(b"".join(chunks))
    return Outcome(exit_code, stdout, stderr, seconds)


def _yaml(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def with_changes(changes: dict[str, Any]) -> str:
    """The base scenario with dotted paths set, as YAML text."""
    document = base_scenario()
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return _yaml(document)


BASE = _yaml(base_scenario())
TRACE = {"flows.web.arrivals": {"process": "trace", "file": "data.csv"}}
SAMPLES = {"components.a.options.inhouse.service_time": {"dist": "empirical", "file": "data.csv"}}
ST = "components.a.options.inhouse.service_time"


def bomb(levels: int = 9, width: int = 9) -> str:
    """Nested aliases that expand to width**levels strings (the billion laughs)."""
    lines = [f"      l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"      l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines)


def flow_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs on one line, as a --set value."""
    items = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    items += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "{" + ", ".join(items) + "}"


BOMB_IN_STRATEGY = BASE.replace(
    "strategies:\n  build:\n    policy: static\n",
    "strategies:\n  build:\n    policy: static\n    blob:\n" + bomb() + "\n",
)
MERGE_BOMB = (
    BASE
    + "x0: &x0 {a: 1, b: 2, c: 3}\n"
    + "".join(
        f"x{i}: &x{i} {{<<: *x{i - 1}, k{i}: [*x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}]}}\n"
        for i in range(1, 14)
    )
)


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


@dataclass
class Case:
    """A hostile input: the scenario text, the data files, the command, what to find."""

    scenario: str | bytes | None = BASE
    args: tuple[str, ...] = ("check",)
    data: str | bytes | Callable[[Path], None] | None = None
    path: str | None = None  # the key path the line must name (None: the file alone)
    words: tuple[str, ...] = ()
    special: Callable[[Path], None] | None = None  # makes scenario.yaml itself
    extra: tuple[str, ...] = ()
    no_file: bool = False  # a flag's mistake: the line names the flag, not the file
    flags: tuple[str, ...] = field(default_factory=tuple)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with open(path, "wb") as handle:
            handle.truncate(size)

    return make


def _symlink(target: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        os.symlink(target, path)

    return make


def _folder(path: Path) -> None:
    path.mkdir()


CASES: dict[str, Case] = {
    # YAML that expands, nests or repeats past the limits --------------------------------
    "alias bomb under a strategy parameter": Case(
        BOMB_IN_STRATEGY, path="strategies.build.blob", words=("aliases",)
    ),
    "alias bomb through merge keys": Case(MERGE_BOMB, words=("aliases",)),
    "alias bomb in a --set value": Case(
        args=("check", "--set", "strategies.build.blob=" + flow_bomb()),
        path="strategies.build.blob",
        words=("aliases",),
    ),
    "recursive alias": Case(BASE + "loop: &loop [1, *loop]\n", path="loop", words=("itself",)),
    "deep nesting of lists (100000)": Case(BASE + "x: " + nested(100_000) + "\n"),
    "deep nesting of lists (200)": Case(BASE + "x: " + nested(200) + "\n", words=("nesting",)),
    "deep nesting of mappings": Case(
        BASE + "x: " + "{a: " * 100 + "1" + "}" * 100 + "\n", words=("nesting",)
    ),
    "deep nesting through aliases": Case(
        BASE
        + "".join(
            f"n{i}: &n{i} [[[[[[[[{'*n' + str(i - 1) if i else '1'}]]]]]]]]\n" for i in range(12)
        ),
        words=("nesting",),
    ),
    "duplicate top-level key": Case(
        BASE + "flows: {other: {arrivals: {process: constant, rate: 1}, steps: {a: {}}}}\n",
        path="flows",
        words=("duplicate",),
    ),
    "duplicate key in the run section": Case(
        BASE.replace("replications: 1", "replications: 2\n  replications: 1"),
        path="run.replications",
        words=("duplicate",),
    ),
    "duplicate key in a flow-style mapping": Case(
        BASE + "extra: {a: 1, a: 2}\n", path="extra.a", words=("duplicate",)
    ),
    "a list as a key": Case(BASE + "? [a, b]\n: 1\n", words=("key",)),
    "multiple documents": Case(BASE + "---\n" + BASE, words=("YAML",)),
    "a python object tag": Case(
        BASE + "x: !!python/object/apply:os.system ['echo hi']\n", words=("YAML",)
    ),
    "an impossible timestamp": Case(BASE + "when: 2024-13-45\n", words=("YAML",)),
    "an integer of 5000 digits": Case(BASE + "x: " + "9" * 5000 + "\n", words=("YAML",)),
    "an integer past 2**63": Case(
        with_changes({"run.seed": 2**70}), path="run.seed", words=("large",)
    ),
    "a raw escape character in a plain scalar": Case(
        BASE.replace("name: tiny", "name: ti\x1bny"), words=("YAML",)
    ),
    # Files that are not text, not regular, or too large --------------------------------
    "binary scenario": Case(bytes(range(256)) * 4, words=("text",)),
    "Latin-1 scenario": Case(BASE.replace("tiny", "tiné").encode("latin-1"), words=("UTF-8",)),
    "UTF-16 scenario": Case(BASE.encode("utf-16"), words=("UTF-16",)),
    "UTF-16 scenario without a byte-order mark": Case(BASE.encode("utf-16-le"), words=("text",)),
    "UTF-32 scenario": Case(BASE.encode("utf-32"), words=("UTF-32",)),
    "scenario is /dev/zero": Case(None, special=_symlink("/dev/zero"), words=("regular",)),
    "scenario is a FIFO": Case(None, special=_fifo, words=("regular",)),
    "scenario is a folder": Case(None, special=_folder, words=("folder",)),
    "scenario over the size limit": Case(None, special=_sparse(17 << 20), words=("limit",)),
    "trace file is /dev/zero": Case(
        with_changes({"flows.web.arrivals": {"process": "trace", "file": "/dev/zero"}}),
        path="flows.web.arrivals",
        words=("regular",),
    ),
    "trace file is /dev/urandom": Case(
        with_changes({"flows.web.arrivals": {"process": "trace", "file": "/dev/urandom"}}),
        path="flows.web.arrivals",
        words=("regular",),
    ),
    "trace file is a FIFO": Case(
        with_changes(TRACE), data=_fifo, path="flows.web.arrivals", words=("regular",)
    ),
    "trace file is a folder": Case(
        with_changes(TRACE), data=_folder, path="flows.web.arrivals", words=("folder",)
    ),
    "trace file over the size limit": Case(
        with_changes(TRACE), data=_sparse(65 << 20), path="flows.web.arrivals", words=("limit",)
    ),
    "trace file is binary": Case(
        with_changes(TRACE), data=b"\x00\x01\x02" * 100, path="flows.web.arrivals", words=("text",)
    ),
    "trace file is Latin-1": Case(
        with_changes(TRACE), data="t\xe9\n1\n2\n".encode("latin-1"), path="flows.web.arrivals"
    ),
    "trace line that is not numbers (never echoed)": Case(
        with_changes(TRACE),
        data=f"time\n1\n{SECRET}\n",
        path="flows.web.arrivals",
        words=("line 3",),
    ),
    "trace value past the longest duration": Case(
        with_changes(TRACE), data="1\n1e300\n", path="flows.web.arrivals", words=("line 2",)
    ),
    "trace value inf": Case(with_changes(TRACE), data="1\ninf\n", path="flows.web.arrivals"),
    "trace value nan": Case(with_changes(TRACE), data="1\nnan\n", path="flows.web.arrivals"),
    "empirical samples file is /dev/zero": Case(
        with_changes({ST: {"dist": "empirical", "file": "/dev/zero"}}), path=ST, words=("regular",)
    ),
    "empirical samples file is a FIFO": Case(
        with_changes(SAMPLES), data=_fifo, path=ST, words=("regular",)
    ),
    "empirical samples file is UTF-16": Case(
        with_changes(SAMPLES), data="0.1\n0.2\n".encode("utf-16"), path=ST, words=("UTF-16",)
    ),
    # Numbers that are not finite or overflow -------------------------------------------
    "service time .inf": Case(with_changes({ST: float("inf")}), path=ST, words=("finite",)),
    "probability .nan": Case(
        with_changes({"flows.web.steps.a.probability": float("nan")}),
        path="flows.web.steps.a.probability",
        words=("finite",),
    ),
    "per-call price -.inf": Case(
        with_changes({"components.a.options.inhouse.cost": {"per_call": float("-inf")}}),
        path="components.a.options.inhouse.cost.per_call",
        words=("finite",),
    ),
    "horizon 1e400 (a string in YAML 1.1)": Case(
        with_changes({"run.horizon": "1e400"}), path="run.horizon", words=("finite",)
    ),
    "lognormal mu 1000": Case(
        with_changes({ST: {"dist": "lognormal", "mu": 1000, "sigma": 1}}),
        path=ST,
        words=("overflow",),
    ),
    "weibull shape 1e-300": Case(
        with_changes({ST: {"dist": "weibull", "scale": 1, "shape": 1e-300}}),
        path=ST,
        words=("overflow",),
    ),
    "pareto alpha 1e-3": Case(
        with_changes({ST: {"dist": "pareto", "scale": 1, "alpha": 1e-3}}),
        path=ST,
        words=("overflow",),
    ),
    "mixture weight .nan": Case(
        with_changes(
            {
                ST: {
                    "dist": "mixture",
                    "of": [{"weight": float("nan"), "dist": "constant", "value": 1}],
                }
            }
        ),
        path=f"{ST}.of[0].weight",
        words=("finite",),
    ),
    "empirical sample 1e300": Case(
        with_changes({ST: {"dist": "empirical", "samples": [1, 1e300]}}),
        path=f"{ST}.samples[1]",
    ),
    "bursty rate .inf": Case(
        with_changes(
            {
                "flows.web.arrivals": {
                    "process": "bursty",
                    "rates": [float("inf"), 1],
                    "mean_durations": [1, 1],
                }
            }
        ),
        path="flows.web.arrivals.rates[0]",
        words=("finite",),
    ),
    "rate past the highest": Case(
        with_changes({"flows.web.arrivals.rate": 1e12}),
        path="flows.web.arrivals.rate",
        words=("at most",),
    ),
    "slowdown .inf": Case(
        with_changes({"events": [{"at": 1, "provider": "inhouse", "slowdown": float("inf")}]}),
        path="events[0].slowdown",
        words=("finite",),
    ),
    "slowdown 1e300": Case(
        with_changes({"events": [{"at": 1, "provider": "inhouse", "slowdown": 1e300}]}),
        path="events[0].slowdown",
    ),
    "surge .inf": Case(
        with_changes({"events": [{"at": 1, "flow": "web", "surge": float("inf")}]}),
        path="events[0].surge",
        words=("finite",),
    ),
    "price factor 1e300": Case(
        with_changes({"events": [{"at": 1, "provider": "inhouse", "price": 1e300}]}),
        path="events[0].price",
    ),
    "event at .nan": Case(
        with_changes({"events": [{"at": float("nan"), "provider": "inhouse", "outage": 1}]}),
        path="events[0].at",
        words=("finite",),
    ),
    "backoff multiplier .inf": Case(
        with_changes(
            {
                "strategies.build.retries": 2,
                "strategies.build.backoff": {"base": 1, "multiplier": float("inf")},
            }
        ),
        path="strategies.build.backoff.multiplier",
        words=("finite",),
    ),
    "backoff base 1e300": Case(
        with_changes({"strategies.build.retries": 2, "strategies.build.backoff": {"base": 1e300}}),
        path="strategies.build.backoff.base",
    ),
    "a billion retries": Case(
        with_changes({"strategies.build.retries": 10**9}), path="strategies.build.retries"
    ),
    "money past the largest price": Case(
        with_changes({"components.a.options.inhouse.cost": {"per_call": 1e300}}),
        path="components.a.options.inhouse.cost.per_call",
        words=("at most",),
    ),
    # Empty sections and populations too large ------------------------------------------
    "strategies: {}": Case(with_changes({"strategies": {}}), path="strategies"),
    "components: {}": Case(with_changes({"components": {}}), path="components"),
    "steps: {}": Case(with_changes({"flows.web.steps": {}}), path="flows.web.steps"),
    "options: {}": Case(with_changes({"components.a.options": {}}), path="components.a.options"),
    "closed users 1e8": Case(
        with_changes({"flows.web.arrivals": {"process": "closed", "users": 10**8, "think": 1}}),
        path="flows.web.arrivals.users",
    ),
    "a billion calls per step": Case(
        with_changes({"flows.web.steps.a.calls": 10**9}), path="flows.web.steps.a.calls"
    ),
    # Flags -----------------------------------------------------------------------------
    "-r 1000000000": Case(
        args=("run", "-q", "-w", "1", "-r", "1000000000"),
        path="run.replications",
        words=("--replications",),
    ),
    "a rate of 1e6/s for a year": Case(
        with_changes({"flows.web.arrivals.rate": "1000000/s", "run.horizon": "365d"}),
        args=("run", "-q", "-w", "1"),
        words=("--max-requests",),
    ),
    "closed population past --max-requests": Case(
        with_changes(
            {
                "flows.web.arrivals": {"process": "closed", "users": 10**6, "think": "1ms"},
                "run.horizon": "1h",
            }
        ),
        args=("compare", "-q", "-w", "1"),
        words=("--max-requests",),
    ),
    "sweep past --max-requests": Case(
        args=(
            "sweep",
            "-q",
            "-w",
            "1",
            "--vary",
            "flows.web.arrivals.rate=1:1000:1",
            "--max-requests",
            "1000",
        ),
        words=("--max-requests",),
    ),
    "--horizon below the file's warm-up": Case(
        with_changes({"run.warmup": 60, "run.horizon": 120}),
        args=("run", "-q", "-w", "1", "--horizon", "30s"),
        path="run.horizon",
        words=("--horizon 30s", "warm-up"),
    ),
    "--set .inf": Case(args=("check", "--set", f"{ST}=.inf"), path=ST, words=("finite",)),
    "--set a duplicate key": Case(
        args=("check", "--set", f"{ST}={{dist: constant, value: 1, value: 2}}"),
        path=f"{ST}.value",
        words=("duplicate",),
    ),
    "--set a path 10000 keys deep": Case(
        args=("check", "--set", "strategies.build." + ".".join(["x"] * 10_000) + "=1"),
        path="strategies.build.x.x",
        words=("nesting",),
    ),
    "a misspelt key": Case(
        BASE.replace("service_time:", "servce_time:"),
        path="components.a.options.inhouse.servce_time",
        words=("did you mean 'service_time'",),
    ),
    "a misspelt strategy parameter": Case(
        with_changes({"strategies.build.timout": "1s"}),
        path="strategies.build.timout",
        words=("did you mean 'timeout'",),
    ),
    "--vary 1:1e400:1": Case(
        args=("sweep", "-q", "--vary", "flows.web.arrivals.rate=1:1e400:1"),
        no_file=True,
        words=("--vary", "finite"),
    ),
    "--vary with a million values": Case(
        args=("sweep", "-q", "--vary", "run.seed=1:1000000:1"), no_file=True, words=("--vary",)
    ),
    "--scheduler that is not an address": Case(
        args=("run", "-q", "--scheduler", "not an address"), no_file=True, words=("--scheduler",)
    ),
    "--precision that is not a number": Case(
        args=("run", "-q", "--precision", "lots"), no_file=True, words=("--precision",)
    ),
    "--out under a file": Case(
        with_changes({"run.horizon": "1000d"}),
        args=("run", "-q", "-w", "1", "--out", "scenario.yaml/out", "--max-requests", "1e12"),
        no_file=True,
        words=("--out",),
    ),
}


def _prepare(tmp_path: Path, case: Case) -> Path:
    scenario = tmp_path / "scenario.yaml"
    if case.special is not None:
        case.special(scenario)
    elif isinstance(case.scenario, bytes):
        scenario.write_bytes(case.scenario)
    elif case.scenario is not None:
        scenario.write_text(case.scenario, encoding="utf-8")
    data = tmp_path / "data.csv"
    if callable(case.data):
        case.data(data)
    elif isinstance(case.data, bytes):
        data.write_bytes(case.data)
    elif case.data is not None:
        data.write_text(case.data, encoding="utf-8")
    return scenario


def _command(case: Case) -> list[str]:
    command, *options = case.args
    return [command, "scenario.yaml", *options]


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_hostile_input_is_refused_in_one_line(tmp_path: Path, case: Case) -> None:
    """Exit 2, one line naming the file (and key path), no traceback, bounded resources."""
    _prepare(tmp_path, case)
    outcome = run_limited(_command(case), tmp_path)
    assert not outcome.died, outcome
    assert outcome.exit_code == 2, outcome
    assert "Traceback" not in outcome.stderr and "internal error" not in outcome.stderr
    assert outcome.stdout == "", outcome.stdout
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    prefix = "conductor: " if case.no_file else "conductor: scenario.yaml: "
    assert line.startswith(prefix), line
    if case.path is not None:  # the path, or a key path inside it
        located = f"conductor: scenario.yaml: {case.path}"
        assert line.startswith(located) and line[len(located)] in ":.[", line
    for word in case.words:
        assert word.lower() in line.lower(), (word, line)
    assert SECRET not in line
    assert "\x1b" not in line
    assert outcome.seconds < WALL_SECONDS


def test_there_are_at_least_sixty_cases() -> None:
    """The suite covers at least sixty distinct hostile inputs."""
    assert len(CASES) >= 60


def test_the_deadline_and_memory_limit_catch_a_runaway() -> None:
    """The harness itself: a command that allocates without end dies under the limit
    (so a case passing is evidence, not luck)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        limit = _address_space() + MEMORY_HEADROOM
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            hoard = [bytearray(1 << 26) for _ in range(64)]  # 4 GiB
        except MemoryError:
            os._exit(0)
        os._exit(1 if hoard else 2)
    os.close(write)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_escapes_in_a_key_are_shown_escaped(tmp_path: Path) -> None:
    """An unknown key holding a terminal escape is named with the escape made visible."""
    (tmp_path / "scenario.yaml").write_text(
        with_changes({"components.a.options.inhouse.\x1b[2Jcolour": 1})
    )
    outcome = run_limited(["check", "scenario.yaml"], tmp_path)
    assert outcome.exit_code == 2
    assert "\x1b" not in outcome.stderr
    assert "\\x1b[2Jcolour" in outcome.stderr


def test_a_fifo_is_never_opened_for_reading(tmp_path: Path) -> None:
    """A FIFO named as a trace is refused at once: nothing waits for a writer."""
    case = CASES["trace file is a FIFO"]
    _prepare(tmp_path, case)
    assert stat.S_ISFIFO(os.stat(tmp_path / "data.csv").st_mode)
    outcome = run_limited(_command(case), tmp_path)
    assert outcome.exit_code == 2 and outcome.seconds < 10


def test_many_mistakes_are_reported_at_once(tmp_path: Path) -> None:
    """Several mistakes in one file: one line each, the first naming file and key path;
    past ten, a count of the rest."""
    document = base_scenario()
    document["colour"] = 1
    document["run"]["replicatons"] = document["run"].pop("replications")
    document["components"]["a"]["options"]["inhouse"] = {"servce_time": 1}
    (tmp_path / "scenario.yaml").write_text(_yaml(document))
    outcome = run_limited(["check", "scenario.yaml"], tmp_path)
    assert outcome.exit_code == 2
    lines = outcome.stderr.splitlines()
    assert len(lines) == 3, lines
    assert all(line.startswith("conductor: scenario.yaml: ") for line in lines)
    assert any("did you mean 'replications'" in line for line in lines)
    assert any("did you mean 'service_time'" in line for line in lines)
    many = base_scenario()
    many.update({f"extra{i}": i for i in range(14)})
    (tmp_path / "scenario.yaml").write_text(_yaml(many))
    lines = run_limited(["check", "scenario.yaml"], tmp_path).stderr.splitlines()
    assert len(lines) == 11, lines
    assert lines[0].startswith("conductor: scenario.yaml: extra0: unknown key")
    assert lines[-1] == "conductor: scenario.yaml: 4 more errors"


def test_out_is_checked_before_simulating(tmp_path: Path) -> None:
    """An --out that cannot be written is found in well under the time the run takes."""
    case = CASES["--out under a file"]
    _prepare(tmp_path, case)
    outcome = run_limited(_command(case), tmp_path)
    assert outcome.exit_code == 2
    assert outcome.seconds < 10


def test_report_on_a_sweep_interrupted_before_its_first_point(tmp_path: Path) -> None:
    """report and plot on a folder whose sweep kept no point: one line, exit 2."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.json").write_text(
        '{"paths": ["run.seed"], "complete": false, "points": []}'
    )
    for command in (["report", "out"], ["plot", "out"]):
        outcome = run_limited(command, tmp_path)
        assert outcome.exit_code == 2, outcome
        assert len(outcome.stderr.splitlines()) == 1
        assert "no finished point" in outcome.stderr
