"""Shared fixtures: small scenario mappings, trace files, one-replication runs."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

import conductor

STARTER = Path(__file__).resolve().parents[1] / "scenarios" / "starter.yaml"
"""The starter scenario shipped with the project."""


def base_scenario() -> dict[str, Any]:
    """One flow, one step, one in-house option with a constant 2 s service time."""
    return {
        "name": "tiny",
        "run": {"horizon": 10, "warmup": 0, "replications": 1, "seed": 1},
        "providers": {"inhouse": {"kind": "internal"}, "vendor": {"kind": "external"}},
        "components": {"a": {"options": {"inhouse": {"service_time": 2}}}},
        "flows": {"web": {"arrivals": {"process": "constant", "rate": 1}, "steps": {"a": {}}}},
        "strategies": {"build": {"policy": "static", "use": {"*": "internal"}}},
    }


def build_scenario(changes: dict[str, Any] | None = None, /, **top: Any) -> dict[str, Any]:
    """The base scenario with top-level keys replaced and dotted paths set.

    `build_scenario({"run.horizon": 5}, components={...})` replaces `components` and then
    sets `run.horizon`; a value of `DELETE` removes the key.
    """
    document = base_scenario()
    document.update(copy.deepcopy(top))
    for path, value in (changes or {}).items():
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node.setdefault(key, {})
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)
    return document


DELETE = object()


@pytest.fixture
def scenario() -> Callable[..., dict[str, Any]]:
    """A builder of small scenario mappings: `scenario({"dotted.path": v}, top_key=v)`."""
    return build_scenario


@pytest.fixture
def trace(tmp_path: Path) -> Callable[[Iterable[float]], str]:
    """Write arrival times to a CSV file in tmp_path; returns its absolute path."""
    count = 0

    def write(times: Iterable[float]) -> str:
        nonlocal count
        count += 1
        path = tmp_path / f"trace{count}.csv"
        path.write_text("time\n" + "".join(f"{t!r}\n" for t in times))
        return str(path)

    return write


def trace_arrivals(path: str) -> dict[str, Any]:
    """The `arrivals` mapping replaying a trace file."""
    return {"process": "trace", "file": path}


def run_once(
    document: dict[str, Any],
    strategy: str | None = None,
    *,
    horizon: float | None = None,
    warmup: float | None = None,
    seed: int | None = None,
) -> conductor.RunResult:
    """One replication of a scenario mapping, records kept."""
    loaded = conductor.load_scenario(document)
    return conductor.run(
        loaded,
        strategy,
        replications=1,
        seed=seed,
        horizon=horizon,
        warmup=warmup,
        workers=1,
        keep_records=True,
    )


@pytest.fixture
def run1() -> Callable[..., conductor.RunResult]:
    """Run one replication of a scenario mapping with records kept."""
    return run_once


def write_yaml(path: Path, document: Any) -> Path:
    """Dump a mapping as YAML to a file."""
    import yaml

    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def invoke(*args: Any, env: dict[str, str] | None = None):
    """Run the `conductor` command line in-process; stdout and stderr kept apart.

    click 8.2+ always separates them (`result.stdout`, `result.stderr`, and `result.output`
    interleaving both); older versions need `mix_stderr=False`.
    """
    from click.testing import CliRunner

    from conductor.cli import main

    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=True)


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Invoke the command line: `cli("run", path, "--json")`."""
    return invoke
