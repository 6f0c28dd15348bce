"""The plan is the boundary: it holds runtime objects only, and the engine never sees a spec.

Every bundled scenario compiles to a plan with no pydantic model anywhere in it (its laws are
`conductor.samplers` objects, its arrivals `conductor.arrivals` processes); the arrival table
covers exactly the kinds a scenario may name; nothing under `conductor/engine/` imports
`conductor.scenario`; and the samplers import neither scipy nor the scenario package.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from conductor.arrivals import PROCESSES, ArrivalProcess
from conductor.plan import compile_plan
from conductor.samplers import Distribution
from conductor.scenario.load import load_scenario
from conductor.scenario.model import Arrivals

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def _walk(value, path: str):
    """Every (path, value) reachable through dataclasses, tuples, lists and dicts."""
    yield path, value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}[{key!r}]")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_plan_holds_no_spec(path: Path) -> None:
    plan = compile_plan(load_scenario(path))
    specs = [where for where, value in _walk(plan, "plan") if isinstance(value, BaseModel)]
    assert specs == []
    for flow in plan.flows:
        assert isinstance(flow.arrivals, ArrivalProcess)
        assert flow.rate == flow.arrivals.rate
    for option in plan.options:
        assert isinstance(option.service, Distribution)


def test_the_arrival_table_covers_every_kind_a_scenario_names() -> None:
    union = typing.get_args(typing.get_args(Arrivals)[0])
    kinds = {typing.get_args(spec.model_fields["process"].annotation)[0] for spec in union}
    assert kinds == set(PROCESSES)
    assert all(kind == process.process for kind, process in PROCESSES.items())


def test_the_engine_imports_no_scenario_module() -> None:
    engine = ROOT / "conductor" / "engine"
    offending = [
        f"{file.name}:{number}"
        for file in sorted(engine.glob("*.py"))
        for number, line in enumerate(file.read_text().splitlines(), 1)
        if "conductor.scenario" in line
    ]
    assert offending == []


def test_the_samplers_import_neither_scipy_nor_the_scenario() -> None:
    code = (
        "import sys, conductor.samplers, conductor.arrivals; "
        "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'conductor.scenario'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
