"""Shared fixtures: small scenario mappings (built by tests/builders.py), trace files,
one-replication runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

import conductor

# Re-exported: many test modules import these from here.
from tests.builders import DELETE as DELETE
from tests.builders import build_scenario as build_scenario
from tests.builders import minimal

base_scenario = minimal  # the name older tests import

STARTER = Path(__file__).resolve().parents[1] / "scenarios" / "starter.yaml"
"""The starter scenario shipped with the project."""


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
