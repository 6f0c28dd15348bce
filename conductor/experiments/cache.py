"""Finished units of work on disk, so an interrupted sweep or compare resumes where it stopped.

A unit (scenario, strategy, replication, run settings) is a pure function of its inputs,
so its figures can be kept in `DIR/.units/` under a key made of those inputs and reused
by a later run with the same key.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from conductor import __version__
from conductor.experiments.run import Outcome, Unit
from conductor.metrics.results import atomic_write


def unit_key(unit: Unit) -> str:
    """The cache key of a unit: scenario hash, strategy, replication, settings, version."""
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


class UnitCache:
    """Finished units on disk, one small JSON file each, written atomically."""

    def __init__(self, folder: Path | None):
        self.folder = folder / ".units" if folder is not None else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def get(self, unit: Unit) -> Outcome | None:
        """The cached outcome of a unit, or None (also when the unit needs a timeline and
        the cached one was kept without)."""
        if self.folder is None:
            return None
        path = self.folder / f"{unit_key(unit)}.json"
        try:
            stored = json.loads(path.read_text())
            figures = {tuple(k.split("\x1f")): _number(v) for k, v in stored["figures"].items()}
            timeline = stored.get("timeline") or {}
            settled = stored.get("settled")
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        if unit.keep_timeline and not timeline:
            return None
        return Outcome(figures, timeline, None, None if settled is None else float(settled))

    def put(self, unit: Unit, outcome: Outcome) -> None:
        """Keep the figures (and the timeline, when the unit made one) of a finished unit."""
        if self.folder is None:
            return
        figures = {
            "\x1f".join(k): (None if math.isnan(v) else v) for k, v in outcome.figures.items()
        }
        stored = {"figures": figures, "timeline": outcome.timeline, "settled": outcome.settled}
        atomic_write(self.folder / f"{unit_key(unit)}.json", json.dumps(stored))


def _number(value: object) -> float:
    return math.nan if value is None else float(value)
