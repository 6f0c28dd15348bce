"""Finished units of work on disk, so an interrupted sweep or compare resumes where it stopped.

A unit (scenario, strategy, replication, run settings) is a pure function of its inputs,
so its figures can be kept in `DIR/.units/` under a key made of those inputs and reused
by a later run with the same key. The scenario's part of the key is its sha256, which
covers the document after overrides and the bytes of every data file it read (a changed
trace is a different scenario). A unit file holds its key, its figures and a checksum of
them; a file that does not parse, has another shape, another key or a wrong checksum
(truncated, edited, or left by another version) is ignored and the unit recomputed.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from conductor import __version__
from conductor.experiments.run import Outcome, Unit
from conductor.metrics.results import atomic_write

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

    def get(self, unit: Unit):
        """The cached outcome of a unit, or None when there is none or it is not right."""
        if self.folder is None:
            return None
        key = unit_key(unit)
        path = self.folder / f"{key}.json"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        figures = _valid(text, key)
        if figures is None:
            self.rejected += 1
            return None
        return Outcome(figures, {})

    def put(self, unit: Unit, figures) -> None:
        """Keep the figures of a finished unit."""
        if self.folder is None:
            return
        key = unit_key(unit)
        flat = {
            SEPARATOR.join(k): (None if not math.isfinite(v) else float(v))
            for k, v in figures.items()
        }
        # Infinite figures (a percentile among failures) are kept apart from missing ones.
        infinite = sorted(SEPARATOR.join(k) for k, v in figures.items() if math.isinf(v))
        body = {"figures": flat, "infinite": infinite}
        record = {"key": key, **body, "sha256": _checksum(key, body)}
        atomic_write(self.folder / f"{key}.json", json.dumps(record, allow_nan=False))


def _valid(text: str, key: str) -> dict | None:
    """The figures of a unit file's text when its shape, key and checksum are right."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict) or set(record) != {"key", "figures", "infinite", "sha256"}:
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
    body = {"figures": flat, "infinite": infinite}
    try:
        if record["sha256"] != _checksum(key, body):
            return None
    except (TypeError, ValueError):
        return None
    inf = set(infinite)
    return {
        tuple(k.split(SEPARATOR)): (math.inf if k in inf else (math.nan if v is None else float(v)))
        for k, v in flat.items()
    }
