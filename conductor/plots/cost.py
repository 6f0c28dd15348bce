"""What each strategy costs, and the trade-off between cost and tail latency.

**Cost breakdown.** One stacked bar per strategy (cheapest first) of the mean total cost
over the measured window: variable (per-call fees), fixed (per-hour prices of engaged
options and supplier management), switching (one-time switch-in costs) and penalty (the
business cost of SLO misses and failed requests). The number above a bar is its total. A
tall red segment means the strategy saves on IT spend but pays for it in lost business.

**Pareto front.** Each strategy is a point at (mean total cost, mean p99 latency), with
its 95 % intervals as thin whiskers; both are better lower-left. The p99 counts every
measured request, a failed one as infinitely slow, so a strategy that fails more than
1 % of requests has no finite p99: it is drawn as a triangle on the top edge, never on
the front. The strategies on the front are joined by a step line: none of them is beaten
on both figures by another. Faded points are dominated: some strategy is at least as
cheap and as fast. The choice along the front is a business trade-off; when every
strategy is on it, the legend says so. Strategies with identical results share a label.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from conductor.metrics.headline import get
from conductor.plots.style import (
    COST_COLORS,
    DPI,
    as_dict,
    currency_of,
    figure_of,
    interval,
    latency_axis,
    legend_outside,
    mean,
    money_axis,
    money_text,
    new_axes,
    no_data,
    percent_axis,
    runs_of,
    same_as,
    strategy_colors,
    titled,
    wide_span,
)

PARTS = ("variable", "fixed", "switching", "penalty")
LABELS = {
    "variable": "variable (per call)",
    "fixed": "fixed (per hour)",
    "switching": "switching",
    "penalty": "SLO penalties",
}


def ranked_names(result: dict[str, Any]) -> list[str]:
    """Strategy names in the compare result's ranking (cheapest first), else declared order."""
    runs = runs_of(result)
    ranking = [name for name in result.get("ranking") or () if name in runs]
    return ranking + [name for name in runs if name not in ranking]


def cost_breakdown(
    result: Any, ax: Axes | None = None, *, relative: bool = False, legend: bool = True
) -> Axes:
    """Stacked bars per strategy of variable, fixed, switching and penalty cost (means).

    With `relative`, each bar is scaled to its strategy's total (the parts as shares).
    """
    result = as_dict(result)
    runs = runs_of(result)
    names = ranked_names(result)
    ax = new_axes(ax, (max(6.0, 1.0 + 0.9 * len(names)), 4.2))
    currency = currency_of(result)
    parts = {
        part: np.nan_to_num([mean(get(runs[n], "summary", "cost", part)) for n in names])
        for part in PARTS
    }
    totals = sum(parts.values(), np.zeros(len(names)))
    scale = np.divide(1.0, totals, out=np.zeros(len(names)), where=totals > 0) if relative else 1
    bottoms = np.zeros(len(names))
    x = np.arange(len(names))
    for part, values in parts.items():
        label = LABELS[part] + ("" if values.any() else " (none)")
        ax.bar(x, values * scale, 0.65, bottom=bottoms, color=COST_COLORS[part], label=label)
        bottoms += values * scale
    what = "Share of each strategy's cost, by part" if relative else "Cost by part (means)"
    ax.set_title(titled(runs, what))
    if not len(names):
        return no_data(ax, "strategies")
    if not relative:
        for position, name in enumerate(names):
            total = mean(get(runs[name], "summary", "cost", "total"))
            ax.annotate(
                money_text(total if math.isfinite(total) else totals[position]),
                (position, bottoms[position]),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize="small",
            )
    tilt = len(names) > 4 or max(map(len, names)) > 12
    ax.set_xticks(x, names, rotation=30 if tilt else 0, ha="right" if tilt else "center")
    ax.set_xlabel("strategy (cheapest first)")
    pad = max(0.0, (3 - len(names)) / 2)  # a lone bar stays bar-sized
    ax.set_xlim(-0.5 - pad, len(names) - 0.5 + pad)
    if relative:
        percent_axis(ax.yaxis)
        ax.set_ylabel("share of the strategy's total cost (%)")
        ax.set_ylim(0, 1)
    else:
        money_axis(ax.yaxis, currency)
        ax.set_ylabel(f"total cost over the window ({currency})")
        ax.set_ylim(0, max(bottoms.max(initial=0.0), 1e-9) * 1.12)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    if legend:
        legend_outside(ax, "cost part")
    return ax


def cost_figure(result: Any) -> Figure:
    """The cost breakdown in money and, beside it, as shares of each strategy's total."""
    count = len(runs_of(result))
    figure = Figure(figsize=(max(10.0, 2.0 + 1.5 * count), 4.4), dpi=DPI, layout="constrained")
    money, shares = figure.subplots(1, 2)
    cost_breakdown(result, money, legend=False)
    cost_breakdown(result, shares, relative=True)
    return figure


def pareto(result: Any, ax: Axes | None = None) -> Axes:
    """Total cost against p99 counting failures per strategy, the front as a step line,
    dominated points faded, strategies whose p99 falls among failures on the top edge."""
    ax = new_axes(ax, (7.5, 4.6))
    result = as_dict(result)
    runs = runs_of(result)
    colors = strategy_colors(runs)
    currency = currency_of(result)
    points, failed = {}, {}
    for name, run in runs.items():
        cost = get(run, "summary", "cost", "total")
        p99 = get(run, "summary", "latency_all_s", "p99")
        if not math.isfinite(mean(cost)):
            continue
        if isinstance(p99, dict) and p99.get("mean") is None and p99.get("n"):
            failed[name] = (mean(cost), interval(cost))
        elif math.isfinite(mean(p99)):
            points[name] = (mean(cost), mean(p99), interval(cost), interval(p99))
    ax.set_title(titled(runs, "Cost against p99 counting failures (lower-left is better)"))
    if not points and not failed:
        return no_data(ax, "strategy with both a cost and a p99")
    front = [n for n in result.get("pareto") or () if n in points]
    everyone = len(points) > 1 and len(front) == len(runs)
    for name, (cost, p99, cost_ci, p99_ci) in points.items():
        alpha = 1.0 if name in front else 0.45
        ax.errorbar(
            cost,
            p99,
            xerr=_errors(cost, cost_ci),
            yerr=_errors(p99, p99_ci),
            fmt="none",
            ecolor=colors[name],
            alpha=alpha * 0.6,
            lw=0.8,
        )
        ax.scatter(
            [cost],
            [p99],
            s=70 if name in front else 45,
            color=colors[name],
            alpha=alpha,
            edgecolors="black" if name in front else "none",
            linewidths=0.8,
            zorder=3,
            label=name,
        )
    if front:
        ordered = sorted(front, key=lambda n: points[n][0])
        ax.step(
            [points[n][0] for n in ordered],
            [points[n][1] for n in ordered],
            where="post",
            color="#444444",
            linestyle="--",
            linewidth=1.0,
            zorder=2,
            label="Pareto front" + (" (every strategy)" if everyone else ""),
        )
    costs = [p[0] for p in points.values()] + [c for c, _ in failed.values()]
    if wide_span(costs):
        ax.set_xscale("log")
        ax.set_xlabel(f"total cost over the window ({currency}, log scale)")
    else:
        ax.set_xlabel(f"total cost over the window ({currency})")
    money_axis(ax.xaxis, currency)
    latency_axis(ax.yaxis)
    ax.set_ylabel("p99 latency, a failed request\ncounting as infinitely slow")
    ax.margins(0.12)
    ax.grid(True, alpha=0.3)
    labelled = {n: p[:2] for n, p in points.items()}
    if failed:
        # No finite p99 to place them at: pinned to the top edge, above every finite point.
        if not points:
            ax.set_ylim(0, 1)
        low, high = ax.get_ylim()
        top = high + 0.08 * (high - low)
        for name, (cost, _) in failed.items():
            ax.scatter(
                [cost],
                [top],
                marker="^",
                s=60,
                color=colors[name],
                alpha=0.6,
                clip_on=False,
                zorder=3,
                label=f"{name} (p99 among failures)",
            )
            ax.annotate(
                name,
                (cost, top),
                xytext=(0, -9),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize="small",
                alpha=0.6,
            )
        ax.set_ylim(low, top)
    legend_outside(ax, "strategy (faded: dominated)")
    figure_of(ax).draw_without_rendering()
    _label_points(ax, labelled, front, same_as(runs))
    return ax


def _errors(value: float, bounds: tuple[float, float]) -> list[list[float]] | None:
    """Asymmetric error bar lengths from an interval, or None when unknown."""
    low, high = bounds
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return [[max(value - low, 0.0)], [max(high - value, 0.0)]]


def _label_points(
    ax: Axes, points: dict[str, tuple[float, float]], front: list[str], twins: dict[str, str]
) -> None:
    """Label every point; points within a few pixels share one label ('=' when identical)."""
    to_pixels = ax.transData.transform
    groups: list[tuple[list[str], np.ndarray]] = []
    for name, xy in points.items():
        pixel = to_pixels(xy)
        for names, where in groups:
            if np.hypot(*(where - pixel)) < 4:
                names.append(name)
                break
        else:
            groups.append(([name], pixel))
    placed: list[tuple[float, float, float, float]] = []
    scale = ax.figure.dpi / 72.0
    offsets = [(7, 5), (7, -13), (-7, 5), (-7, -13), (7, 17), (7, -25), (-7, 17), (-7, -25)]
    for names, (px, py) in sorted(groups, key=lambda g: (g[1][0], -g[1][1])):
        identical = all(twins.get(n) == names[0] for n in names[1:])
        text = (" = " if identical else ", ").join(names)
        width, height = len(text) * 8.3 * 0.6 * scale, 8.3 * 1.3 * scale
        for dx, dy in offsets:
            left = px + dx * scale - (width if dx < 0 else 0.0)
            box = (left, py + dy * scale, left + width, py + dy * scale + height)
            if not any(_overlap(box, other) for other in placed):
                break
        placed.append(box)
        ax.annotate(
            text,
            points[names[0]],
            xytext=(dx, dy),
            textcoords="offset points",
            ha="right" if dx < 0 else "left",
            va="bottom",
            fontsize="small",
            alpha=1.0 if any(n in front for n in names) else 0.6,
        )


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two pixel boxes (left, bottom, right, top) intersect."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
