"""The validation figure: measured and simulated latency CDFs of each flow, overlaid.

One panel per flow (end-to-end latency of successful requests), the measured curve in
black and the simulated one in blue, on a log latency axis and a logit probability axis
so that the tail, where models usually go wrong, gets as much room as the median. The
panel's title gives the relative errors at p50 and p99.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from conductor.plots.distribution import LOGIT_RANGE
from conductor.plots.style import DPI, OKABE_ITO, latency_axis

MAX_PANELS = 6


def _ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = np.sort(values[values > 0])
    return values, (np.arange(values.size) + 0.5) / max(values.size, 1)


def validation_cdf(validation: Any) -> Figure:
    """A figure of measured against simulated latency CDFs, one panel per flow."""
    names = list(validation.samples)[:MAX_PANELS]
    columns = min(len(names), 2) or 1
    rows = max(math.ceil(len(names) / columns), 1)
    figure = Figure(figsize=(5.2 * columns, 3.6 * rows), dpi=DPI, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    if not names:
        axes[0].set_visible(True)
        axes[0].text(0.5, 0.5, "no flow in both the scenario and the traces", ha="center")
        return figure
    for ax, name in zip(axes, names, strict=False):
        measured, simulated = validation.samples[name]
        for values, label, color in (
            (measured, "measured", OKABE_ITO["black"]),
            (simulated, "simulated", OKABE_ITO["blue"]),
        ):
            x, p = _ecdf(np.asarray(values, dtype=np.float64))
            if x.size:
                ax.plot(x, p, color=color, lw=1.5, label=label)
        errors = validation.flows[name]["relative_error"]
        parts = [
            f"{key} {errors[key]:+.1%}" for key in ("p50", "p99") if errors.get(key) is not None
        ]
        ax.set_title(f"{name}\n{', '.join(parts)}", fontsize="medium")
        ax.set_xscale("log")
        latency_axis(ax.xaxis, log=True)
        ax.set_yscale("logit")
        ax.set_ylim(*LOGIT_RANGE)
        ticks = [0.1, 0.5, 0.9, 0.99, 0.999]
        ax.yaxis.set_major_locator(ticker.FixedLocator(ticks))
        ax.yaxis.set_major_formatter(ticker.FixedFormatter([f"{100 * t:g} %" for t in ticks]))
        ax.yaxis.set_minor_locator(ticker.NullLocator())
        ax.set_xlabel("end-to-end latency (log scale)")
        ax.set_ylabel("requests within x")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small", loc="lower right")
    figure.suptitle(f"{validation.scenario}: simulated ({validation.strategy}) against measured")
    return figure
