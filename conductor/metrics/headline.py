"""The headline figures: the names tables, differences, sweep columns and curves use.

A run object holds the same figures for the blend of all flows (`summary`) and for each
flow (`flows.F`), so a headline figure is named once by its key path inside such a node,
and *focusing* on a flow only changes the node it is read from. `sweep.csv` has one
column per headline figure (a `_s` suffix on durations), each with `_lo` and `_hi`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Headline:
    """One headline figure: its key path inside a summary node, a label and its kind."""

    path: tuple[str, ...]
    label: str
    kind: str  # count, rate, fraction, latency, money or days

    @property
    def seconds(self) -> bool:
        """True for a duration (its sweep.csv column ends in `_s`)."""
        return self.kind in ("latency", "days")


def _latencies(key: str, label: str) -> dict[str, Headline]:
    names = {"mean": "mean", "p50": "p50", "p90": "p90", "p95": "p95", "p99": "p99"}
    names["p999"] = "p99.9"
    prefix = "latency_all" if key == "latency_all_s" else "latency"
    return {
        f"{prefix}_{name}": Headline((key, name), f"{shown} {label}", "latency")
        for name, shown in names.items()
    }


FIGURES: dict[str, Headline] = {
    "requests": Headline(("requests",), "requests", "count"),
    "throughput_rps": Headline(("throughput_rps",), "throughput", "rate"),
    "success_rate": Headline(("success_rate",), "success rate", "fraction"),
    **_latencies("latency_s", "latency"),
    "slo_attainment": Headline(("slo_attainment",), "SLO attainment", "fraction"),
    "cost_total": Headline(("cost", "total"), "total cost", "money"),
    "cost_per_request": Headline(("cost", "per_request"), "cost per request", "money"),
    "cost_per_hour": Headline(("cost", "per_hour"), "cost per hour", "money"),
    "switches": Headline(("switches",), "switches", "count"),
    "change_lead_time": Headline(("change_lead_time_s",), "change lead time", "days"),
    **_latencies("latency_all_s", "latency counting failures"),
}
"""Every headline figure by name, in the order of sweep.csv's columns."""

SWEEP_COLUMNS = tuple(name for name in FIGURES if name != "change_lead_time")
"""The figures of sweep.csv: SPEC §7's list, then the `latency_all_*` of SPEC §9."""

COMPARED = (
    "cost_total",
    "cost_per_request",
    "latency_mean",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "latency_all_p99",
    "success_rate",
    "slo_attainment",
    "change_lead_time",
)
"""The figures whose paired differences against the baseline a compare reports."""


def column(name: str) -> str:
    """The sweep.csv column of a headline figure (`latency_p99` -> `latency_p99_s`)."""
    return f"{name}_s" if FIGURES[name].seconds else name


def path(name: str, flow: str | None = None) -> tuple[str, ...]:
    """Key path of a headline figure in a run object: in `summary`, or in one flow."""
    return (*node_path(flow), *FIGURES[name].path)


def node_path(flow: str | None = None) -> tuple[str, ...]:
    """Key path of the summary node in a run object, or of one flow's."""
    return ("summary",) if flow is None else ("flows", flow)


def get(node: Any, *path: str) -> Any:
    """The value at a key path, or None where any key is missing."""
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def node(run: Mapping[str, Any], flow: str | None = None) -> Mapping[str, Any]:
    """The summary node of a run object, or one flow's (empty when the flow is absent)."""
    if flow is None:
        return run.get("summary") or {}
    return (run.get("flows") or {}).get(flow) or {}
