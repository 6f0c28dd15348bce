"""Results of a strategy over replications, in the JSON shape of SPEC §7."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conductor.metrics import headline
from conductor.metrics.records import Records
from conductor.metrics.stats import stat
from conductor.metrics.summary import Figures
from conductor.metrics.timeline import mean_timeline
from conductor.version import __version__


def _beside(estimate: float | None, simulated: dict | None) -> dict[str, Any]:
    """The simulated mean next to an estimate, and whether the two disagree."""
    if simulated is None or simulated.get("mean") is None:
        return {"simulated_s": None, "disagrees": None}
    interval = simulated.get("ci95")
    disagrees = None
    if estimate is not None and interval is not None:
        disagrees = not interval[0] <= estimate <= interval[1]
    return {"simulated_s": simulated["mean"], "ci95": interval, "disagrees": disagrees}


@dataclass
class RunResult:
    """One strategy's figures over replications, with the Stat of each."""

    scenario_name: str
    scenario_sha256: str
    strategy: str
    seed: int
    horizon: float
    warmup: float
    currency: str
    runs: list[Figures]
    scenario_file: str | None = None
    timelines: list[dict] = field(default_factory=list, repr=False)
    records: list[Records] = field(default_factory=list, repr=False)
    events: list[dict] = field(default_factory=list, repr=False)
    flow: str | None = None
    warnings: list[str] = field(default_factory=list)
    precision: dict | None = None
    composition: dict = field(default_factory=dict, repr=False)
    policy: dict = field(default_factory=dict, repr=False)
    theory: dict | None = field(default=None, repr=False)  # the analytic estimate (SPEC §11)

    @property
    def replications(self) -> int:
        """How many replications the figures come from."""
        return len(self.runs)

    def stat(self, *path: str) -> dict | None:
        """The Stat of one figure over the replications, by its key path."""
        return stat(run.get(path, math.nan) for run in self.runs)

    def values(self, *path: str) -> list[float]:
        """One figure's value in each replication."""
        return [run.get(path, math.nan) for run in self.runs]

    @property
    def flows(self) -> list[str]:
        """The names of the scenario's flows, in declared order."""
        names = (path[1] for path in (self.runs[0] if self.runs else ()) if path[0] == "flows")
        return list(dict.fromkeys(names))

    def to_dict(self) -> dict[str, Any]:
        """The run object of SPEC §7."""
        nested: dict[str, Any] = {}
        for path in self.runs[0] if self.runs else ():
            node = nested
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = self.stat(*path)
        return {
            "conductor": __version__,
            "scenario": {
                "name": self.scenario_name,
                "sha256": self.scenario_sha256,
                "file": self.scenario_file,
            },
            "strategy": self.strategy,
            **({"flow": self.flow} if self.flow is not None else {}),
            "seed": self.seed,
            "replications": self.replications,
            "horizon_s": self.horizon,
            "warmup_s": self.warmup,
            "currency": self.currency,
            "summary": nested.get("summary", {}),
            "flows": nested.get("flows", {}),
            "components": nested.get("components", {}),
            "providers": nested.get("providers", {}),
            **_split_timeline(mean_timeline(self.timelines)),
            "events": self.events,
            "warnings": list(self.warnings),
            "composition": self.composition,
            "policy": self.policy,
            **({"precision": self.precision} if self.precision is not None else {}),
            **({"theory": self._theory_beside(nested)} if self.theory is not None else {}),
        }

    def _theory_beside(self, nested: dict[str, Any]) -> dict[str, Any]:
        """The analytic estimate with each flow's simulated mean latency beside it, and a
        flag where the estimate lies outside the simulated 95 % interval."""
        theory = dict(self.theory or {})
        theory.pop("strategy", None)  # the run object names its strategy already
        figures = {
            name: (nested.get("flows", {}).get(name) or {}).get("latency_s", {}).get("mean")
            for name in theory.get("flows", {})
        }
        flows = {}
        for name, estimate in theory.get("flows", {}).items():
            flows[name] = {**estimate, **_beside(estimate.get("latency_mean_s"), figures[name])}
        theory["flows"] = flows
        summary = (nested.get("summary") or {}).get("latency_s", {}).get("mean")
        overall = theory.get("estimate") or {}
        theory["estimate"] = {**overall, **_beside(overall.get("latency_mean_s"), summary)}
        return theory

    def headline(self, flow: str | None = None) -> dict[str, Any]:
        """The strategy and each headline figure's mean with its 95 % interval, flat: of
        all flows, or of one. A figure that failed (a percentile among failures) is inf."""
        row: dict[str, Any] = {"strategy": self.strategy}
        for name in headline.SWEEP_COLUMNS:
            stat = self.stat(*headline.path(name, flow))
            key = headline.column(name)
            if stat is None:
                row[key] = math.nan
            else:
                row[key] = math.inf if stat["mean"] is None else stat["mean"]
            interval = stat["ci95"] if stat and stat["ci95"] else (math.nan, math.nan)
            row[f"{key}_lo"], row[f"{key}_hi"] = interval
        return row

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per replication, for runs.csv."""
        return [
            {
                "strategy": self.strategy,
                "replication": r,
                **{".".join(k): v for k, v in run.items()},
            }
            for r, run in enumerate(self.runs)
        ]

    def to_frame(self):
        """The per-replication rows as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows())

    def to_json(self, indent: int | None = 2) -> str:
        """The run object as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def write(self, folder: str | Path) -> Path:
        """Write results.json and runs.csv into a folder; returns the folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / "results.json", self.to_json())
        atomic_write(folder / "runs.csv", rows_csv(self.rows()))
        return folder


def _split_timeline(timeline: dict | None) -> dict[str, Any]:
    if timeline is None:
        return {"latency_distribution": None, "timeline": None}
    timeline = dict(timeline)
    return {"latency_distribution": timeline.pop("distribution", None), "timeline": timeline}


def rows_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text of rows sharing their keys (the first row's order, then any new ones)."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_cell(row[c]) if c in row else "" for c in columns])
    return buffer.getvalue()


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
"""First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)."""


def _cell(value: Any) -> Any:
    # A name is the user's text: one that a spreadsheet would run as a formula is quoted.
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    # An infinite figure is a percentile that fell among failures: "inf" says so (and
    # reads back as a float), where an empty cell is a figure that does not exist.
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, text: str) -> None:
    """Write a file through a temporary name and a rename, so readers never see half of it.

    The temporary name is unique (tempfile), so concurrent writers never share one.
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        os.fchmod(descriptor, 0o666 & ~_UMASK)  # as open() would, not mkstemp's 0600
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
