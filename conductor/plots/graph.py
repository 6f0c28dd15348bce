"""The composition: each flow's DAG of steps, and who serves each step.

Steps run left to right in layers (a step's layer is its longest chain of predecessors,
networkx's topological generations), so everything in one column can run in parallel
and an arrow means "waits for". Each flow is one band. A box reads `step`, then
`component@provider` for the option that serves it; its colour says whether that option
is internal (blue) or external (orange), and the fill intensity its utilisation: pale is
idle, saturated is at or over capacity (a box at 100 % is a queue that never drains).
Dashed boxes are optional steps; a percentage after a step is its probability of running.

Utilisation comes from queueing theory at nominal load (conductor.nominal) unless a run
object is given, in which case the measured utilisation of each component's main option
(the one with the largest share of attempts) is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from conductor.errors import ConductorError
from conductor.metrics.composition import composition_of
from conductor.metrics.headline import get
from conductor.plan import Plan, compile_plan
from conductor.plots.style import DPI, KIND_COLORS, mean


def served_by_run(run: Mapping[str, Any]) -> dict[str, str]:
    """Component -> the provider with the largest share of its attempts in a run object."""
    serving = {}
    for component, figures in (run.get("components") or {}).items():
        shares = {p: mean(o.get("share")) for p, o in (figures.get("by_option") or {}).items()}
        shares = {p: s for p, s in shares.items() if s == s}
        if shares:
            serving[component] = max(shares, key=shares.__getitem__)
    return serving


def composition_graph(
    plan: Plan | Mapping[str, Any] | Any,
    ax: Axes | None = None,
    utilisation: Mapping[str, Any] | None = None,
    *,
    serving: Mapping[str, str] | None = None,
    strategy: str | None = None,
) -> Axes:
    """Each flow's DAG, layers left to right, boxes coloured internal/external by utilisation.

    `plan` is a Plan, a Scenario, or a run object (whose `composition` is drawn, with its
    measured utilisation unless told otherwise). `utilisation` is a run object (measured,
    by each component's main option) or a mapping of option name ('component@provider')
    to utilisation; by default, nominal estimates of a plan. `serving` maps component ->
    provider (default: from the run object, else the first declared option); `strategy`
    only names it in the title.
    """
    if isinstance(plan, Mapping):
        composition, name = _composition_of_run(plan)
        if utilisation is None:
            utilisation = plan
        plan = None
    else:
        if not isinstance(plan, Plan):
            plan = compile_plan(plan)
        composition, name = composition_of(plan), plan.name
    run = utilisation if utilisation is not None and "components" in utilisation else None
    serving = dict(serving or (served_by_run(run) if run is not None else {}))
    levels = _utilisations(plan, serving, run, utilisation)
    options = composition["components"]
    flows = composition["flows"]
    layouts = [_layout(steps) for steps in flows.values()]
    columns = max((max(x for x, _ in pos.values()) + 1 for pos in layouts if pos), default=1)
    heights = [max((-y for _, y in pos.values()), default=0) + 1 for pos in layouts]
    if ax is None:
        size = (2.6 * columns + 3.2, 1.1 * sum(heights) + 0.6 * len(heights) + 0.6)
        ax = Figure(figsize=size, dpi=DPI, layout="constrained").add_subplot()
    offset = 0.0
    for (flow, steps), pos, height in zip(flows.items(), layouts, heights, strict=True):
        boxes = {}
        for step in steps:
            x, y = pos[step["step"]]
            component = step["component"]
            provider = serving.get(component) or next(iter(options[component]))
            option = options[component][provider]
            color = KIND_COLORS["internal" if option["internal"] else "external"]
            level = levels.get(f"{component}@{provider}")
            # Unlimited capacity never saturates: a fixed light fill.
            busy = min(max(level or 0.0, 0.0), 1.0) if option["capacity"] else 0.3
            fill = _blend(color, 0.12 + 0.78 * busy)
            boxes[step["step"]] = ax.text(
                x,
                y - offset,
                _label(step, component, provider, level, option["capacity"]),
                ha="center",
                va="center",
                fontsize="small",
                color="white" if _dark(fill) else "black",
                bbox={
                    "boxstyle": "round,pad=0.5",
                    "fc": fill,
                    "ec": color,
                    "lw": 1.6,
                    "ls": "--" if step["optional"] else "-",
                },
                zorder=3,
            )
        for step in steps:
            for before in step["after"]:
                ax.annotate(
                    "",
                    xy=_shift(pos[step["step"]], offset),
                    xytext=_shift(pos[before], offset),
                    arrowprops={
                        "arrowstyle": "-|>",
                        "color": "#555555",
                        "lw": 1.1,
                        "patchA": boxes[before].get_bbox_patch(),
                        "patchB": boxes[step["step"]].get_bbox_patch(),
                        "shrinkA": 3,
                        "shrinkB": 3,
                        "connectionstyle": f"arc3,rad={_bend(pos, before, step['step'])}",
                    },
                    zorder=2,
                )
        ax.text(-0.55, 0.6 - offset, f"flow {flow}", fontweight="bold", ha="left")
        offset += height + 0.6
    ax.set_xlim(-0.6, columns - 0.4)
    ax.set_ylim(-(offset - 1.6) - 0.45, 0.9)  # half a row under the lowest box
    ax.set_axis_off()
    source = (
        "measured utilisation"
        if run is not None
        else "utilisation at nominal load"
        if utilisation is None
        else "utilisation"
    )
    served = f"as served by strategy {strategy}" if strategy else "(served by the options shown)"
    if not strategy and not serving:
        served = "(each component's first declared option)"
    ax.set_title(f"Composition of {name} {served}; fill: {source}")
    ax.legend(
        handles=[
            Patch(
                fc=_blend(KIND_COLORS["internal"], 0.5),
                ec=KIND_COLORS["internal"],
                label="internal option",
            ),
            Patch(
                fc=_blend(KIND_COLORS["external"], 0.5),
                ec=KIND_COLORS["external"],
                label="external option",
            ),
            Patch(fc=_blend("#777777", 0.12), ec="#777777", label="pale: idle"),
            Patch(fc=_blend("#777777", 0.9), ec="#777777", label="deep: at capacity"),
            Patch(fc="white", ec="#777777", ls="--", label="optional step"),
        ],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize="small",
        frameon=True,
    )
    return ax


def _layout(steps: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Step name -> (layer, row) with rows centred in each layer (plan order in a layer)."""
    order = {step["step"]: i for i, step in enumerate(steps)}
    graph = nx.DiGraph()
    graph.add_nodes_from(order)
    graph.add_edges_from((before, step["step"]) for step in steps for before in step["after"])
    layers = [sorted(layer, key=order.__getitem__) for layer in nx.topological_generations(graph)]
    widest = max((len(layer) for layer in layers), default=1)
    return {
        node: (float(x), -(row + (widest - len(layer)) / 2.0))
        for x, layer in enumerate(layers)
        for row, node in enumerate(layer)
    }


def _bend(pos: dict[str, tuple[float, float]], start: str, end: str) -> float:
    """Curvature of an arrow: straight unless it would cross a box of a layer it skips."""
    (x0, y0), (x1, y1) = pos[start], pos[end]
    between = [(x, y) for x, y in pos.values() if x0 < x < x1]

    def blocked(offset: float) -> bool:
        """Whether the arrow, lifted by `offset` rows mid-way, crosses a box."""
        return any(
            abs(y0 + (y1 - y0) * (x - x0) / (x1 - x0) + offset * _arch(x, x0, x1) - y) < 0.4
            for x, y in between
        )

    if not blocked(0.0):
        return 0.0
    # arc3's bulge is about rad × length / 2; a column is ~2.4 times as wide as a row is tall.
    for lift in (0.6, -0.6, 1.1, -1.1):
        if not blocked(lift):
            return round(-lift / (1.2 * (x1 - x0)), 3)
    return 0.3


def _arch(x: float, x0: float, x1: float) -> float:
    """A parabola from 0 at x0 through 1 halfway to 0 at x1: the shape of a bent arrow."""
    t = (x - x0) / (x1 - x0)
    return 4.0 * t * (1.0 - t)


def _shift(position: tuple[float, float], offset: float) -> tuple[float, float]:
    """A layout position moved down by a flow band's offset."""
    return position[0], position[1] - offset


def _utilisations(plan: Plan | None, serving, run, given) -> dict[str, float]:
    """Option name -> utilisation: measured from a run, given, or nominal (of a plan)."""
    if run is not None:
        return {
            f"{c}@{p}": mean(get(run, "components", c, "by_option", p, "utilization"))
            for c, p in serving.items()
        }
    if given is not None:
        return {str(k): float(v) for k, v in given.items()}
    if plan is None:
        return {}
    from conductor.nominal import estimates

    return {e.option.name: e.utilization for e in estimates(plan).values()}


def _composition_of_run(run: Mapping[str, Any]) -> tuple[dict, str]:
    """A run object's composition and scenario name; an error if it predates the flows."""
    composition = run.get("composition") or {}
    if "flows" not in composition:
        raise ConductorError(
            "this result does not carry its flows' steps (written by an older conductor): "
            "draw the composition from its scenario"
        )
    return composition, (run.get("scenario") or {}).get("name", "")


def _label(step: Mapping[str, Any], component: str, provider: str, level, capacity) -> str:
    """'step (60 %)\\ncomponent@provider\\n34 % busy'."""
    head = step["step"]
    if step["probability"] < 1:
        head += f" ({100 * step['probability']:.3g} %)"
    if step["calls"] > 1:
        head += f" ×{step['calls']}"
    lines = [head, f"{component}@{provider}"]
    if level is not None and level == level:
        lines.append(f"{100 * level:.0f} % busy" if capacity else f"≈{level:.2g} calls at once")
    return "\n".join(lines)


def _blend(color: str, amount: float) -> tuple[float, float, float]:
    """`amount` of a colour over white."""
    return tuple(1.0 - amount * (1.0 - c) for c in to_rgb(color))


def _dark(rgb: tuple[float, float, float]) -> bool:
    """Whether white text reads better than black on this fill."""
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] < 0.45
