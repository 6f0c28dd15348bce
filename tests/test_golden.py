"""Every bundled scenario still gives the numbers it gave: the guard of a restructuring.

For each scenario in `scenarios/`, one replication of every strategy (compare, one
worker) is reduced to each strategy's `summary` and `flows`, and compared with the copy
kept in `tests/data/golden/`. A refactoring must leave them unchanged; a change that
means to move the numbers (a fix of the engine, a new bundled scenario) rewrites them
on purpose:

    GOLDEN_WRITE=1 python -m pytest -q tests/test_golden.py

and the diff of tests/data/golden/ shows, in review, exactly which figures moved. The
comparison allows a relative 1e-12: below any change a model makes, above the last-bit
differences a libm of another machine may give.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

import conductor

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
TOLERANCE = 1e-12


def figures(path: Path) -> dict:
    """Each strategy's summary and per-flow figures, one replication, as JSON data."""
    scenario = conductor.load_scenario(path, ["run.replications=1"])
    result = conductor.compare(scenario, workers=1).to_dict()
    return {
        name: {"summary": run["summary"], "flows": run["flows"]}
        for name, run in result["strategies"].items()
    }


def differences(expected, actual, where: str = "") -> list[str]:
    """Where two JSON values differ beyond the tolerance, as key paths."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = dict.fromkeys([*expected, *actual])
        return [
            d for k in keys for d in differences(expected.get(k), actual.get(k), f"{where}.{k}")
        ]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{where}[{i}]")
        ]
    if isinstance(expected, float | int) and isinstance(actual, float | int):
        if expected == actual or math.isclose(expected, actual, rel_tol=TOLERANCE, abs_tol=0.0):
            return []
    elif expected == actual:
        return []
    return [f"{where}: {expected!r} -> {actual!r}"]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_gives_the_same_numbers(path: Path):
    golden = GOLDEN / f"{path.stem}.json"
    actual = figures(path)
    if os.environ.get("GOLDEN_WRITE"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    assert golden.is_file(), f"no golden copy for {path.name}: run with GOLDEN_WRITE=1"
    moved = differences(json.loads(golden.read_text()), actual)
    assert not moved, f"{path.name}: {len(moved)} figures moved, first: " + "; ".join(moved[:5])
