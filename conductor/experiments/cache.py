"""Finished units of work on disk, so an interrupted sweep or compare resumes where it stopped.

A unit (scenario, strategy, replication, run settings) is a pure function of its inputs,
so its figures can be kept in `DIR/.units/` under a key made of those inputs and reused
by a later run with the same key. The scenario's part of the key is its sha256, which
covers the document after overrides and the bytes of every data file it read (a changed
trace is a different scenario). A unit file holds its key, its figures, its timeline
(compare draws it; a sweep keeps none), when its latency settled, and a checksum of all
of them; a file that does not parse, has another shape, another key or a wrong checksum
(truncated, edited, or left by another version) is ignored and the unit recomputed.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from conductor.experiments.run import Outcome, Unit
from conductor.metrics.results import atomic_write
from conductor.version import __version__

SEPARATOR = "\x1f"
"""Joins the parts of a figure's key path in a unit file."""


def unit_key(unit: Unit) -> str:
    """The cache key of a unit: scenario hash (data files included), strategy,
    replication, settings, version."""
    settings = unit.settings
    text = json.dumps(
        [
            unit.scenario.sha256,
            unit.strategy,
            unit.replication,
            settings.seed,
            settings.horizon,
            settings.warmup,
            __version__,
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _checksum(key: str, figures: dict) -> str:
    text = json.dumps([key, figures], sort_keys=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


class UnitCache:
    """Finished units on disk, one small JSON file each, written atomically."""

    def __init__(self, folder: Path | None):
        self.folder = folder / ".units" if folder is not None else None
        self.rejected = 0  # unit files found but not right, recomputed
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def get(self, unit: Unit) -> Outcome | None:
        """The cached outcome of a unit, or None when there is none, it is not right, or
        the unit needs a timeline and the cached one was kept without."""
        if self.folder is None:
            return None
        key = unit_key(unit)
        path = self.folder / f"{key}.json"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        found = _valid(text, key)
        if found is None:
            self.rejected += 1
            return None
        figures, timeline, settled = found
        if unit.keep_timeline and not timeline:
            return None
        return Outcome(figures, timeline, None, settled)

    def put(self, unit: Unit, outcome: Outcome) -> None:
        """Keep the figures (and the timeline, when the unit made one) of a finished unit."""
        if self.folder is None:
            return
        key = unit_key(unit)
        figures = outcome.figures
        flat = {
            SEPARATOR.join(k): (None if not math.isfinite(v) else float(v))
            for k, v in figures.items()
        }
        # Infinite figures (a percentile among failures) are kept apart from missing ones.
        infinite = sorted(SEPARATOR.join(k) for k, v in figures.items() if math.isinf(v))
        # A timeline holds NaN (buckets without requests): null in the file, strict JSON.
        body = {
            "figures": flat,
            "infinite": infinite,
            "timeline": _strict(outcome.timeline or {}),
            "settled": outcome.settled,
        }
        record = {"key": key, **body, "sha256": _checksum(key, body)}
        atomic_write(self.folder / f"{key}.json", json.dumps(record, allow_nan=False))


def _valid(text: str, key: str) -> tuple[dict, dict, float | None] | None:
    """The figures, timeline and settling time of a unit file's text when its shape, key
    and checksum are right."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    fields = {"key", "figures", "infinite", "timeline", "settled", "sha256"}
    if not isinstance(record, dict) or set(record) != fields:
        return None
    flat, infinite = record["figures"], record["infinite"]
    if record["key"] != key or not isinstance(flat, dict) or not flat:
        return None
    if not isinstance(infinite, list) or not all(isinstance(k, str) for k in infinite):
        return None
    if not all(
        v is None or (isinstance(v, float | int) and not isinstance(v, bool)) for v in flat.values()
    ):
        return None
    timeline, settled = record["timeline"], record["settled"]
    if not isinstance(timeline, dict) or not (settled is None or isinstance(settled, float | int)):
        return None
    body = {"figures": flat, "infinite": infinite, "timeline": timeline, "settled": settled}
    try:
        if record["sha256"] != _checksum(key, body):
            return None
    except (TypeError, ValueError):
        return None
    series = _lenient(timeline)
    inf = set(infinite)
    figures = {
        tuple(k.split(SEPARATOR)): (math.inf if k in inf else (math.nan if v is None else float(v)))
        for k, v in flat.items()
    }
    return figures, series, None if settled is None else float(settled)


def _strict(node):
    """A timeline with every NaN as None, for strict JSON."""
    if isinstance(node, dict):
        return {k: _strict(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_strict(v) for v in node]
    if isinstance(node, float) and math.isnan(node):
        return None
    return node


def _lenient(node):
    """A timeline read back: None in a list of numbers is NaN again."""
    if isinstance(node, dict):
        return {k: _lenient(v) for k, v in node.items()}
    if isinstance(node, list):
        return [math.nan if v is None else _lenient(v) for v in node]
    return node
