"""The front of `conductor optimise`: simulated assignments on the first two objectives.

Each simulated assignment is a point (its means over replications); the front is joined
by a step line and each front point is labelled with its strategy name, the legend
listing what each name assigns. Faded points are dominated. A point whose objective is
infinite (a latency percentile that falls among failures) is pinned to the top edge as
a triangle. With one objective, the points are spread along the x axis in front order.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.axes import Axes

from conductor.plots.style import (
    OKABE_ITO,
    latency_axis,
    money_axis,
    new_axes,
    no_data,
    percent_axis,
)

MAX_NAMED = 12
MAX_LISTED = 8

LABELS = {
    "cost_total": "total cost over the window",
    "cost_per_request": "cost per request",
    "success_rate": "requests succeeded",
    "slo_attainment": "SLO attainment",
    "change_lead_time": "change lead time",
}


def optimise_front(result: dict[str, Any], ax: Axes | None = None) -> Axes:
    """Scatter of the simulated assignments on the first two objectives, front labelled."""
    ax = new_axes(ax, (9.0, 7.0))
    objectives = list(result.get("objectives") or ())
    front, dominated = result.get("front") or [], result.get("dominated") or []
    name = (result.get("scenario") or {}).get("name", "")
    ax.set_title(
        f"Sourcing assignments: the front of {len(front)} among {result.get('simulated', 0)} "
        f"simulated ({result.get('screened', 0)} screened)" + (f" — {name}" if name else "")
    )
    if not objectives or not (front or dominated):
        return no_data(ax, "simulated assignment")
    x_name = objectives[0]
    y_name = objectives[1] if len(objectives) > 1 else None

    def point(entry, position):
        values = entry["objectives"]
        x = values.get(x_name)
        y = values.get(y_name) if y_name else None
        if y_name is None:
            x, y = position, values.get(x_name)
        return x, y

    finite = [
        v for e in front + dominated for v in point(e, 0)[1:] if v is not None and math.isfinite(v)
    ]
    top = max(finite) * 1.08 if finite else 1.0
    drawn = []
    # Name at most a dozen front points, evenly along it, so the names stay legible.
    step = max(1, math.ceil(len(front) / MAX_NAMED))
    named = {e["strategy"] for e in front[::step]} | ({front[-1]["strategy"]} if front else set())
    for group, entries in (("front", front), ("dominated", dominated)):
        for position, entry in enumerate(entries):
            x, y = point(entry, position)
            if x is None:
                continue
            failed = y is None
            on_front = group == "front"
            ax.scatter(
                [x],
                [top if failed else y],
                marker="^" if failed else "o",
                s=70 if on_front else 35,
                color=OKABE_ITO["blue"] if on_front else "#999999",
                alpha=1.0 if on_front else 0.5,
                edgecolors="black" if on_front else "none",
                zorder=3,
                clip_on=not failed,
            )
            if on_front:
                drawn.append((x, y, entry))
            if on_front and entry["strategy"] in named:
                ax.annotate(
                    entry["strategy"],
                    (x, top if failed else y),
                    xytext=(6, 4),
                    textcoords="offset points",
                    fontsize="small",
                )
    line = sorted((x, y) for x, y, _ in drawn if y is not None)
    if len(line) > 1:
        ax.step(*zip(*line, strict=True), where="post", color="#444444", ls="--", lw=1.0)
    listed = [e for e in front if e["strategy"] in named][:MAX_LISTED]
    for entry in listed:
        label = ", ".join(f"{c}={p}" for c, p in entry["assignment"].items())
        if entry.get("capacity"):
            label += "; " + ", ".join(f"{k}×{v}" for k, v in entry["capacity"].items())
        ax.scatter([], [], color=OKABE_ITO["blue"], label=f"{entry['strategy']}: {label}")
    if len(listed) < len(front):
        ax.scatter([], [], color=OKABE_ITO["blue"], label="(every front point: front.yaml)")
    ax.scatter([], [], color="#999999", alpha=0.5, label="dominated")
    _axis(ax.xaxis, x_name if y_name else None, result)
    _axis(ax.yaxis, y_name or x_name, result)
    ax.set_xlabel(_label(x_name) if y_name else "front order")
    ax.set_ylabel(_label(y_name or x_name))
    ax.grid(True, alpha=0.3)
    # Below the axes: assignment labels are long, and beside the axes they squeeze them.
    ax.legend(
        title="the front",
        loc="upper left",
        bbox_to_anchor=(0.0, -0.12),
        fontsize="small",
        frameon=False,
    )
    return ax


def _label(objective: str) -> str:
    if objective.startswith("latency_"):
        return f"{objective.removeprefix('latency_')} latency, failures infinitely slow"
    higher = " (higher is better)" if objective in ("success_rate", "slo_attainment") else ""
    return LABELS.get(objective, objective) + higher


def _axis(axis, objective: str | None, result: dict[str, Any]) -> None:
    if objective is None:
        return
    if objective.startswith("latency_") or objective == "change_lead_time":
        latency_axis(axis)
    elif objective.startswith("cost"):
        money_axis(axis, "")
    elif objective in ("success_rate", "slo_attainment"):
        percent_axis(axis)
