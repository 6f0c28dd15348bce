"""Latency distributions: the CDF of each strategy and its percentiles side by side.

**CDF.** For each strategy, the fraction of successful requests served within a given
latency. The x axis is logarithmic, so a factor of ten is the same width anywhere; the y
axis is a logit scale, which spreads the tail: 0.9, 0.99 and 0.999 are equally spaced, so
the p99 and p99.9 that a business feels are as legible as the median. A curve further
left is faster; curves crossing means one strategy is faster in the body and the other
in the tail. Failed requests have no latency and are not in these curves.

**Percentiles.** p50, p95, p99 and p99.9 of each strategy as grouped bars, with the 95 %
confidence interval over replications as whiskers. Whiskers that overlap mean the
replications cannot tell the two apart (the paired differences of the compare table are
sharper than this picture).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes

from conductor.metrics.headline import get
from conductor.plots.style import (
    as_dict,
    floats,
    interval,
    latency_axis,
    legend_outside,
    mean,
    new_axes,
    no_data,
    runs_of,
    same_as,
    strategy_colors,
    titled,
)

PERCENTILES = (("p50", "p50"), ("p95", "p95"), ("p99", "p99"), ("p999", "p99.9"))
"""Keys of `summary.latency_s` shown as bars, with their labels."""

LOGIT_RANGE = (0.05, 0.9995)
"""Probabilities shown on the CDF's logit axis."""


def latency_cdf(result: Any, ax: Axes | None = None, *, tail: bool = True) -> Axes:
    """CDF of successful-request latency per strategy (log x; logit y unless `tail=False`)."""
    ax = new_axes(ax)
    result = as_dict(result)
    runs = runs_of(result)
    colors = strategy_colors(runs)
    twins = same_as(runs)
    drawn = 0
    for name, run in runs.items():
        distribution = run.get("latency_distribution") or {}
        p, latency = floats(distribution.get("p")), floats(distribution.get("latency_s"))
        keep = np.isfinite(p) & np.isfinite(latency) & (latency > 0)
        if tail:
            keep &= (p > 0) & (p < 1)
        if not keep.any():
            continue
        style, label = "-", name
        if name in twins:
            # Identical to an earlier strategy: dashed, so the curve below shows through.
            group = [n for n in runs if twins.get(n) == twins[name]]
            period = 3.0 * (len(group) + 1)
            style = (3.0 * (group.index(name) + 1), (3.0, period - 3.0))
            label = f"{name} (= {twins[name]})"
        ax.plot(latency[keep], p[keep], linestyle=style, color=colors[name], label=label, lw=1.6)
        drawn += 1
    ax.set_title(titled(runs, "Latency distribution of successful requests"))
    if not drawn:
        return no_data(ax, "latency distribution")
    ax.set_xscale("log")
    latency_axis(ax.xaxis, log=True)
    ax.set_xlabel("latency (log scale)")
    if tail:
        ax.set_yscale("logit")
        ax.set_ylim(*LOGIT_RANGE)
        ticks = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]
        ax.yaxis.set_major_locator(ticker.FixedLocator(ticks))
        ax.yaxis.set_major_formatter(ticker.FixedFormatter([f"{100 * t:g} %" for t in ticks]))
        ax.yaxis.set_minor_locator(ticker.NullLocator())
        ax.set_ylabel("requests served within x (logit scale)")
    else:
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0))
        ax.set_ylabel("requests served within x (%)")
    ax.grid(True, which="major", alpha=0.3)
    legend_outside(ax, "strategy")
    return ax


def percentile_bars(result: Any, ax: Axes | None = None) -> Axes:
    """Grouped bars of p50, p95, p99, p99.9 per strategy, with 95 % CI whiskers."""
    ax = new_axes(ax)
    result = as_dict(result)
    runs = runs_of(result)
    colors = strategy_colors(runs)
    count = len(runs)
    width = 0.8 / max(count, 1)
    positions = np.arange(len(PERCENTILES))
    drawn = False
    for i, (name, run) in enumerate(runs.items()):
        stats = [get(run, "summary", "latency_s", key) for key, _ in PERCENTILES]
        heights = np.array([mean(s) for s in stats])
        if not np.isfinite(heights).any():
            continue
        bounds = np.array([interval(s) for s in stats])
        errors = np.vstack([heights - bounds[:, 0], bounds[:, 1] - heights])
        errors = np.where(np.isfinite(errors), np.maximum(errors, 0), 0)
        x = positions - 0.4 + width * (i + 0.5)
        ax.bar(x, np.nan_to_num(heights), width * 0.92, color=colors[name], label=name)
        ax.errorbar(x, heights, yerr=errors, fmt="none", ecolor="#333333", capsize=2, lw=0.9)
        drawn = True
    ax.set_title(titled(runs, "Latency percentiles (whiskers: 95 % CI)"))
    if not drawn:
        return no_data(ax, "latency percentiles")
    ax.set_xticks(positions, [label for _, label in PERCENTILES])
    ax.set_xlabel("percentile of successful-request latency")
    latency_axis(ax.yaxis)
    ax.set_ylabel("latency")
    ax.set_ylim(bottom=0)
    ax.grid(True, axis="y", alpha=0.3)
    legend_outside(ax, "strategy")
    return ax
