"""Sweeps: how each strategy's figures move as one or two scenario parameters vary.

**Curves** (one varied parameter). x is the parameter's value (a log scale when the
values span more than 1.5 decades), one line per strategy in its usual colour, with the
95 % confidence interval over replications as a shaded band. The default figure has four
panels: mean, p95 and p99 latency, and total cost. Where lines cross, the better
strategy changes: that value of the parameter is a decision threshold. With two varied
parameters, the first is on x and the line style tells the second one's value.

**Heat map** (two varied parameters). One cell per grid point. For one strategy the
colour is the figure's value (viridis, readable in grey and by colour-blind readers); by
default each cell instead takes the colour of the strategy that is best there (lowest
cost or latency, highest success), its value written inside: a map of where each
strategy wins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from conductor.errors import ConductorError
from conductor.metrics import headline
from conductor.metrics.headline import get
from conductor.plots.style import (
    DPI,
    as_dict,
    format_latency,
    interval,
    latency_axis,
    legend_outside,
    mean,
    money_axis,
    money_text,
    percent_axis,
    strategy_colors,
    wide_span,
)
from conductor.scenario.units import number_and_unit

METRICS: dict[str, tuple[tuple[str, ...], str, str]] = {
    name: (headline.path(name), figure.label, figure.kind)
    for name, figure in headline.FIGURES.items()
}
"""Figures a sweep can plot: name -> (key path in a run object, label, kind)."""

PANELS = ("latency_mean", "latency_p95", "latency_p99", "cost_total")
STYLES = ("-", "--", ":", "-.")


def metric_spec(name: str) -> tuple[tuple[str, ...], str, str]:
    """A metric by name (the sweep.csv column names, such as latency_p99_s, work too)."""
    key = name.removesuffix("_s")
    if key not in METRICS:
        raise ConductorError(f"unknown metric '{name}' (expected one of: {', '.join(METRICS)})")
    return METRICS[key]


def paths_of(sweep: Mapping[str, Any]) -> list[str]:
    """The varied key paths, in order."""
    points = sweep.get("points") or []
    if not points:
        raise ConductorError("the sweep result has no points")
    return list(points[0].get("set") or {})


def strategies_of(sweep: Mapping[str, Any]) -> list[str]:
    """Strategy names in their order of first appearance."""
    names: dict[str, None] = {}
    for point in sweep.get("points") or ():
        names.update(dict.fromkeys(point.get("strategies") or {}))
    return list(names)


def axis_values(values: Sequence[Any]) -> tuple[list[float] | None, str]:
    """Numbers and their shared unit suffix ('50ms' -> 50, 'ms'), or (None, '') if not numeric."""
    numbers, units = [], set()
    for value in values:
        if isinstance(value, bool):
            return None, ""
        if isinstance(value, int | float):
            numbers.append(float(value))
            units.add("")
            continue
        parsed = number_and_unit(str(value))
        if parsed is None:
            return None, ""
        numbers.append(parsed[0])
        units.add(parsed[1])
    return (numbers, units.pop()) if len(units) == 1 else (None, "")


UNITS = {
    "rate": "per s",
    "rate_limit": "per s",
    "per_call": "{currency}",
    "per_hour": "{currency} per hour",
    "cost": "{currency}",
    "penalty": "{currency}",
    "failure_penalty": "{currency}",
    "capacity": "concurrent calls",
    "queue": "waiting places",
    "users": "users",
}
"""Units of a plain number at the end of a key path (SPEC §2: a bare duration is seconds)."""

DURATIONS = {"timeout", "delay", "latency", "horizon", "warmup", "review", "payback", "for"}
DURATIONS |= {"mtbf", "mttr", "lead_time", "min_term", "median", "p99", "p95", "base", "max"}


def path_label(path: str, unit: str = "", currency: str = "") -> str:
    """An axis label for a varied key path, with its unit when it can be told."""
    if unit:
        return f"{path} ({unit})"
    key = path.rsplit(".", 1)[-1]
    if key in UNITS:
        return f"{path} ({UNITS[key].format(currency=currency)})"
    if key in DURATIONS:
        return f"{path} (s)"
    if key in ("failure", "probability"):
        return f"{path} (probability)"
    return path


def _format(ax: Axes, kind: str, currency: str, axis=None) -> None:
    """Tick format and unit for a metric's kind."""
    axis = axis or ax.yaxis
    if kind == "latency":
        latency_axis(axis)
    elif kind == "money":
        money_axis(axis, currency)
    elif kind == "fraction":
        percent_axis(axis)
    elif kind == "days":
        axis.set_major_locator(_DayLocator())
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 86400:.3g} d"))


class _DayLocator(MaxNLocator):
    """Round numbers of days on an axis in seconds."""

    def tick_values(self, vmin: float, vmax: float):
        return super().tick_values(vmin / 86400, vmax / 86400) * 86400


def _unit_label(kind: str, currency: str) -> str:
    """The unit suffix of an axis label for a metric kind."""
    return {"money": f" ({currency})", "rate": " (requests/s)"}.get(kind, "")


def sweep_curves(
    sweep: Any,
    metric_name: str | None = None,
    ax: Axes | Figure | SubFigure | None = None,
    *,
    metric: str | None = None,
) -> Axes | Figure | SubFigure:
    """Curves of a metric against the varied value per strategy, with CI bands.

    Without a metric, a 2×2 figure of latency mean, p95, p99 and total cost (into `ax`
    when it is a Figure or SubFigure).
    """
    sweep = as_dict(sweep)
    chosen = metric or metric_name
    if chosen is None and not isinstance(ax, Axes):
        figure = ax or Figure(figsize=(11.0, 7.5), dpi=DPI, layout="constrained")
        panels = figure.subplots(2, 2).ravel()
        for name, panel in zip(PANELS, panels, strict=True):
            _curves(sweep, name, panel, legend=False)
        handles, labels = panels[0].get_legend_handles_labels()
        columns = len(strategies_of(sweep))
        figure.legend(
            handles,
            labels,
            loc="outside lower center",
            ncol=columns,
            fontsize="small",
            frameon=True,
        )
        paths = paths_of(sweep)
        bands = " (bands: 95 % CI)" if len(paths) == 1 else " (line style: second parameter)"
        figure.suptitle(f"Sweep over {' and '.join(paths)}{bands}")
        return figure
    ax = (
        ax
        if isinstance(ax, Axes)
        else Figure(figsize=(7.5, 4.5), dpi=DPI, layout="constrained").add_subplot()
    )
    _curves(sweep, chosen or "latency_p99", ax, legend=True)
    return ax


def _curves(sweep: dict[str, Any], name: str, ax: Axes, legend: bool) -> None:
    """Draw one metric's curves into an Axes."""
    path, label, kind = metric_spec(name)
    paths = paths_of(sweep)
    points = sweep["points"]
    names = strategies_of(sweep)
    colors = strategy_colors(names)
    currency = _currency(sweep)
    first = [p["set"][paths[0]] for p in points]
    numbers, unit = axis_values(first)
    categories = list(dict.fromkeys(first))
    x_of = (
        dict(zip(first, numbers, strict=True))
        if numbers
        else {v: i for i, v in enumerate(categories)}
    )
    second = list(dict.fromkeys(p["set"][paths[1]] for p in points)) if len(paths) > 1 else [None]
    shown = _pick(second, len(STYLES))
    for strategy in names:
        for style, fixed in zip(STYLES, shown, strict=False):
            rows = [p for p in points if len(paths) < 2 or p["set"][paths[1]] == fixed]
            rows = sorted(rows, key=lambda p: x_of[p["set"][paths[0]]])
            stats = [get(p, "strategies", strategy, *path) for p in rows]
            x = np.array([x_of[p["set"][paths[0]]] for p in rows], dtype=float)
            y = np.array([mean(s) for s in stats])
            bounds = np.array([interval(s) for s in stats]).reshape(-1, 2)
            tag = (
                strategy if fixed is None else f"{strategy}, {paths[1].rsplit('.', 1)[-1]}={fixed}"
            )
            ax.plot(x, y, style, color=colors[strategy], marker="o", markersize=3, label=tag)
            if fixed is None and np.isfinite(bounds).any():
                ax.fill_between(
                    x, bounds[:, 0], bounds[:, 1], color=colors[strategy], alpha=0.15, lw=0
                )
    if numbers and wide_span(numbers) and min(numbers) > 0:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    if not numbers:
        ax.set_xticks(range(len(categories)), [str(c) for c in categories])
    ax.set_xlabel(path_label(paths[0], unit, currency))
    _format(ax, kind, currency)
    ax.set_ylabel(label + _unit_label(kind, currency))
    ax.set_title(label)
    ax.grid(True, alpha=0.3)
    if legend:
        legend_outside(ax, "strategy")


def sweep_heatmap(
    sweep: Any,
    metric: str = "cost_total",
    strategy: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heat map over two varied paths of one strategy's metric, or of the best strategy per cell."""
    sweep = as_dict(sweep)
    paths = paths_of(sweep)
    if len(paths) != 2:
        raise ConductorError(f"a heat map needs two varied paths, this sweep has {len(paths)}")
    path, label, kind = metric_spec(metric)
    points = sweep["points"]
    columns = _sorted_values([p["set"][paths[0]] for p in points])
    rows = _sorted_values([p["set"][paths[1]] for p in points])
    names = strategies_of(sweep)
    if strategy is not None and strategy not in names:
        raise ConductorError(f"unknown strategy '{strategy}' (expected one of: {', '.join(names)})")
    currency = _currency(sweep)
    grid = np.full((len(rows), len(columns)), np.nan)
    best = np.full((len(rows), len(columns)), -1)
    higher_better = kind in ("fraction", "rate")
    for point in points:
        r, c = rows.index(point["set"][paths[1]]), columns.index(point["set"][paths[0]])
        values = {n: mean(get(point, "strategies", n, *path)) for n in names}
        if strategy is not None:
            grid[r, c] = values[strategy]
            continue
        finite = {n: v for n, v in values.items() if math.isfinite(v)}
        if finite:
            winner = (max if higher_better else min)(finite, key=finite.__getitem__)
            best[r, c], grid[r, c] = names.index(winner), finite[winner]
    ax = (
        ax
        or Figure(
            figsize=(max(6.0, 1.0 + 0.9 * len(columns)), max(4.0, 1.5 + 0.5 * len(rows))),
            dpi=DPI,
            layout="constrained",
        ).add_subplot()
    )
    if strategy is not None:
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        bar = ax.figure.colorbar(image, ax=ax)
        bar.set_label(label + _unit_label(kind, currency))
        _format(ax, kind, currency, axis=bar.ax.yaxis)
        ax.set_title(f"{label.capitalize()} of {strategy}")
    else:
        colors = strategy_colors(names)
        rgb = np.ones((len(rows), len(columns), 3))
        for r, c in np.ndindex(best.shape):
            if best[r, c] >= 0:
                rgb[r, c] = _rgb(colors[names[best[r, c]]])
        ax.imshow(rgb, origin="lower", aspect="auto")
        winners = sorted({names[i] for i in best.ravel() if i >= 0}, key=names.index)
        ax.legend(
            handles=[Patch(color=colors[n], label=n) for n in winners],
            title="best strategy",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            title_fontsize="small",
        )
        ax.set_title(f"Best strategy by {label} (value in each cell)")
    if grid.size <= 144:
        for r, c in np.ndindex(grid.shape):
            if math.isfinite(grid[r, c]):
                ax.text(
                    c,
                    r,
                    _cell(grid[r, c], kind, currency),
                    ha="center",
                    va="center",
                    fontsize="x-small",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
                )
    ax.set_xticks(range(len(columns)), [str(v) for v in columns])
    ax.set_yticks(range(len(rows)), [str(v) for v in rows])
    ax.set_xlabel(path_label(paths[0], axis_values(columns)[1], currency))
    ax.set_ylabel(path_label(paths[1], axis_values(rows)[1], currency))
    return ax


def _pick(values: list[Any], count: int) -> list[Any]:
    """At most `count` of the values, evenly spread and including both ends."""
    if len(values) <= count:
        return values
    return [values[round(i * (len(values) - 1) / (count - 1))] for i in range(count)]


def _sorted_values(values: Sequence[Any]) -> list[Any]:
    """Distinct values, in numeric order when they are numbers (with a shared unit)."""
    distinct = list(dict.fromkeys(values))
    numbers, _ = axis_values(distinct)
    if numbers is None:
        return distinct
    return [v for _, v in sorted(zip(numbers, distinct, strict=True), key=lambda pair: pair[0])]


def _currency(sweep: Mapping[str, Any]) -> str:
    """The currency of the sweep's runs (USD when absent)."""
    for point in sweep.get("points") or ():
        for run in (point.get("strategies") or {}).values():
            if run.get("currency"):
                return str(run["currency"])
    return "USD"


def _rgb(color: str) -> tuple[float, float, float]:
    """A '#rrggbb' colour as floats."""
    return tuple(int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))


def _cell(value: float, kind: str, currency: str) -> str:
    """A value written inside a heat-map cell."""
    if kind == "latency":
        return format_latency(value)
    if kind == "money":
        return money_text(value)
    if kind == "fraction":
        return f"{100 * value:.3g} %"
    if kind == "days":
        return f"{value / 86400:.3g} d"
    return f"{value:.3g}"
