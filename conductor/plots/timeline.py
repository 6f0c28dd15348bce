"""How one strategy behaves over time: latency, success, cost and sourcing per bucket.

The measured window is cut into equal buckets (averaged over replications, bucket by
bucket). From top to bottom:

- latency p50 (dashed) and p99 (solid) of the successful requests arriving in a bucket
  (with under a few hundred requests a bucket, its p99 is close to its maximum: noisy);
- the share of requests that succeeded (with several flows and none in focus, these two
  panels draw a line per flow: in an outage that fails one flow, the blend's latency
  drops, because only the other flow's requests still succeed);
- cost per bucket, stacked: variable (per call), fixed (per hour) and SLO penalties;
- which provider served each component: one band per component, split by each
  provider's share of that component's attempts (blank where there were no calls).

What-if events are drawn across every panel: outages, slowdowns and surges as shaded
spans, price changes and exits as vertical lines, each labelled at the top with the
provider (or flow) it hits. Read a column downwards to see what an event did: a spike of
p99 and penalties, a drop of success, and whether the strategy moved traffic away.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from conductor.plots.style import (
    COST_COLORS,
    DPI,
    OKABE_ITO,
    as_dict,
    currency_of,
    floats,
    latency_axis,
    legend_outside,
    money_axis,
    new_axes,
    no_data,
    percent_axis,
    pick_run,
    provider_colors,
    runs_of,
    strategy_colors,
    wide_span,
)

SPAN_COLORS = {
    "outage": OKABE_ITO["vermilion"],
    "slowdown": OKABE_ITO["orange"],
    "surge": OKABE_ITO["purple"],
}
LINE_STYLES = {"price": ("#555555", "--"), "exit": ("#000000", "-")}
UNITS = (("s", 1.0), ("min", 60.0), ("h", 3600.0), ("d", 86400.0))


def time_unit(span: float) -> tuple[str, float]:
    """A readable unit for a time axis spanning `span` seconds."""
    chosen = UNITS[0]
    for unit in UNITS:
        if span >= 3 * unit[1]:
            chosen = unit
    return chosen


def target_names(run: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Provider and flow names by index, from the run object (its declared order)."""
    return list(run.get("providers") or ()), list(run.get("flows") or ())


def event_label(
    event: Mapping[str, Any], providers: Sequence[str] = (), flows: Sequence[str] = ()
) -> str:
    """A short label such as 'payco outage' or 'checkout surge ×2'."""
    action = event.get("action", "event")
    noun, names = ("flow", flows) if action == "surge" else ("provider", providers)
    who = event.get(noun)
    if who is None:  # a result written before events carried their target's name
        target = int(event.get("target", -1))
        who = names[target] if 0 <= target < len(names) else f"{noun} #{target}"
    value = event.get("value")
    if action in ("slowdown", "surge", "price") and value is not None:
        return f"{who} {action} ×{value:g}"
    return f"{who} {action}"


def timeline(
    result: Any,
    ax: Figure | SubFigure | Axes | None = None,
    *,
    strategy: str | None = None,
    scenario: Any = None,
) -> Figure | SubFigure | Axes:
    """Multi-panel timeline of one strategy (a compare result's baseline by default).

    `ax` may be a Figure or SubFigure to draw the panels into; given an Axes, only the
    latency panel is drawn there; a result without a timeline gives one small Axes saying
    so. Events are labelled by the names the result carries; `scenario` is accepted for
    the figure table's sake and not needed.
    """
    result = as_dict(result)
    name, run = pick_run(result, strategy)
    series = run.get("timeline") or {}
    color = strategy_colors(runs_of(result))[name]
    start = floats(series.get("t"))
    width = float(series.get("width_s") or 0.0)
    title = f"Timeline of strategy {name} — {run.get('scenario', {}).get('name', '')}".rstrip(" —")
    if isinstance(ax, Axes) or start.size == 0:
        panel = ax if isinstance(ax, Axes) else new_axes(None, (7.0, 2.0))
        if start.size == 0:
            no_data(panel, "timeline")
        else:
            _latency(panel, start, width, _lines(run, series, color))
        panel.set_title(title)
        return panel
    shares = series.get("share") or {}
    figure = ax or Figure(figsize=(10.0, 8.5 + 0.25 * len(shares)), dpi=DPI, layout="constrained")
    axes = figure.subplots(
        4, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.4, 2.2, 0.9 + 0.55 * len(shares)]}
    )
    figure.suptitle(title)
    unit, scale = time_unit(start[-1] + width - start[0])
    lines = _lines(run, series, color)
    _latency(axes[0], start, width, lines)
    _success(axes[1], start, width, lines)
    _cost(axes[2], start, width, series, currency_of(run))
    _shares(axes[3], start, width, shares)
    low, high = start[0], start[-1] + width
    axes[-1].set_xlim(low, high)
    axes[-1].set_xlabel(f"time since the start ({unit})")
    nice = ticker.MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(
        low / scale, high / scale
    )
    axes[-1].xaxis.set_major_locator(ticker.FixedLocator(nice * scale))
    axes[-1].xaxis.set_major_formatter(lambda value, _: f"{value / scale:g}")
    providers, flows = target_names(run)
    _events(axes, run.get("events") or (), low, high, providers, flows)
    return figure


def _centres(start: np.ndarray, width: float) -> np.ndarray:
    """The middle of each bucket."""
    return start + width / 2.0


def _lines(run: Mapping[str, Any], series: Mapping[str, Any], color: str) -> list[tuple]:
    """(label, series, colour) of each line to draw: every flow's own when there are several
    and none is the focus (a blend hides a failing flow), else the run's."""
    flows = series.get("flows") or {}
    if run.get("flow") or len(flows) < 2:
        return [("", series, color)]
    colors = strategy_colors(flows)
    return [(f"{name} ", flows[name], colors[name]) for name in flows]


def _latency(ax: Axes, start, width, lines) -> None:
    """p50 and p99 per bucket, of each line."""
    x = _centres(start, width)
    drawn = []
    for label, series, color in lines:
        latency = series.get("latency_s") or {}
        p50, p99 = floats(latency.get("p50")), floats(latency.get("p99"))
        ax.plot(x, p50, color=color, linestyle="--", linewidth=1.2, label=f"{label}p50")
        ax.plot(x, p99, color=color, linewidth=1.8, label=f"{label}p99")
        drawn += [p50, p99]
    log = wide_span(np.concatenate(drawn), decades=1.3)
    if log:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    latency_axis(ax.yaxis, log=log)
    ax.set_ylabel("latency of\nsuccessful requests")
    ax.grid(True, alpha=0.3)
    legend_outside(ax, "per bucket" if len(lines) == 1 else "per flow and bucket")


def _success(ax: Axes, start, width, lines) -> None:
    """Share of requests that succeeded per bucket, of each line."""
    drawn = []
    for label, series, color in lines:
        success = floats(series.get("success_rate"))
        name = label.strip() or "success"
        ax.plot(_centres(start, width), success, color=color, linewidth=1.4, label=name)
        drawn.append(success)
    success = np.concatenate(drawn)
    finite = success[np.isfinite(success)]
    low = float(finite.min()) if finite.size else 0.0
    ax.set_ylim(max(0.0, low - max(0.002, (1 - low) * 0.15)), 1.0 + max(0.0005, (1 - low) * 0.05))
    percent_axis(ax.yaxis, None if low < 0.98 else 1)
    ax.set_ylabel("requests\nsucceeded")
    ax.grid(True, alpha=0.3)
    legend_outside(ax, "per bucket" if len(lines) == 1 else "per flow and bucket")


def _cost(ax: Axes, start, width, series, currency: str) -> None:
    """Variable, fixed and penalty cost per bucket, stacked."""
    costs = series.get("cost") or {}
    bottom = np.zeros(start.size)
    for part, label in (("variable", "variable"), ("fixed", "fixed"), ("penalty", "SLO penalties")):
        values = np.nan_to_num(floats(costs.get(part)) if costs.get(part) else np.zeros(start.size))
        ax.bar(
            start, values, width, bottom=bottom, align="edge", color=COST_COLORS[part], label=label
        )
        bottom += values
    money_axis(ax.yaxis, currency)
    ax.set_ylabel(f"cost per {_duration(width)}\nbucket ({currency})")
    ax.grid(True, axis="y", alpha=0.3)
    legend_outside(ax, "cost part")


def _shares(ax: Axes, start, width, shares: Mapping[str, Mapping[str, Sequence]]) -> None:
    """One band per component, split by each provider's share of its attempts."""
    providers = list(dict.fromkeys(p for by in shares.values() for p in by))
    colors = provider_colors(providers)
    edges = np.append(start, start[-1] + width)
    seen: set[str] = set()
    for row, by_provider in enumerate(shares.values()):
        base = len(shares) - 1 - row
        bottom = np.zeros(start.size)
        for provider, values in by_provider.items():
            share = np.nan_to_num(floats(values))
            if not share.any():
                continue
            top = bottom + share * 0.8
            ax.fill_between(
                edges,
                np.append(base + bottom, base + bottom[-1]),
                np.append(base + top, base + top[-1]),
                step="post",
                color=colors[provider],
                linewidth=0,
                label=None if provider in seen else provider,
            )
            seen.add(provider)
            bottom = top
    ax.set_yticks([len(shares) - 1 - i + 0.4 for i in range(len(shares))], list(shares))
    ax.set_ylim(-0.15, max(len(shares), 1) - 0.05)
    ax.set_ylabel("attempts by\nprovider (0–100 %\nper band)")
    legend_outside(ax, "provider")


def _events(axes, events, low: float, high: float, providers, flows) -> None:
    """Shade spans and draw lines for the events; label them above the top panel."""
    top = axes[0]
    levels: list[float] = []
    span = high - low
    per_char = span * 0.0075
    for event in sorted(events, key=lambda e: e.get("at", 0.0)):
        action, at = event.get("action"), float(event.get("at", math.nan))
        length = event.get("for")
        if action == "outage":
            length = event.get("value")
        end = at + float(length) if length is not None else high
        if action in SPAN_COLORS:
            if end <= low or at >= high:
                continue
            for panel in axes:
                panel.axvspan(
                    max(at, low),
                    min(end, high),
                    color=SPAN_COLORS[action],
                    alpha=0.15,
                    lw=0,
                    zorder=0,
                )
        elif action in LINE_STYLES:
            if not low <= at <= high:
                continue
            color, style = LINE_STYLES[action]
            for panel in axes:
                panel.axvline(at, color=color, linestyle=style, linewidth=1.0)
        else:
            continue
        x = max(at, low)
        label = event_label(event, providers, flows)
        level = next((i for i, end_x in enumerate(levels) if x > end_x), len(levels))
        if level == len(levels):
            levels.append(0.0)
        levels[level] = x + per_char * len(label)
        top.annotate(
            label,
            (x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -10 - 11 * level),
            textcoords="offset points",
            fontsize="x-small",
            color="#222222",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )


def _duration(seconds: float) -> str:
    """A bucket width such as '8 s' or '2 min'."""
    unit, scale = time_unit(seconds)
    return f"{seconds / scale:.3g} {unit}"
