"""Shared look of every figure: palette, tick formatters, axes and reading result dicts.

Colours come from the Okabe–Ito palette, which stays distinguishable under the common
forms of colour blindness. A strategy keeps the same colour in every figure: colours are
assigned by the strategy's position in the compare result (`strategy_colors`). Latency
ticks read in µs, ms or s; cost ticks in the scenario's currency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from conductor.errors import ConductorError
from conductor.metrics.headline import get

OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermilion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
"""The Okabe–Ito colours by name."""

STRATEGY_ORDER = ("blue", "orange", "green", "vermilion", "purple", "sky", "black", "yellow")
"""Order in which strategies take colours (the pale yellow last)."""

COST_COLORS = {
    "variable": OKABE_ITO["blue"],
    "fixed": OKABE_ITO["sky"],
    "switching": OKABE_ITO["yellow"],
    "penalty": OKABE_ITO["vermilion"],
}
"""One colour per cost part, the same in the cost breakdown and the timeline."""

KIND_COLORS = {"internal": OKABE_ITO["blue"], "external": OKABE_ITO["orange"]}
"""Internal and external options, in the composition graph."""

DPI = 150
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def strategy_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour per strategy, by its position among `names` (cycling past eight)."""
    return {
        name: OKABE_ITO[STRATEGY_ORDER[i % len(STRATEGY_ORDER)]] for i, name in enumerate(names)
    }


def provider_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour per provider, by position, starting away from the cost parts' colours."""
    order = ("green", "purple", "sky", "orange", "blue", "yellow", "black", "vermilion")
    return {name: OKABE_ITO[order[i % len(order)]] for i, name in enumerate(names)}


# Reading result dicts ------------------------------------------------------------------


def as_dict(result: Any) -> dict[str, Any]:
    """A result dict from a dict or from an object with `to_dict()`."""
    if hasattr(result, "to_dict"):
        result = result.to_dict()
    if not isinstance(result, Mapping):
        raise ConductorError(f"expected a result dict, got {type(result).__name__}")
    return dict(result)


def kind_of(result: Mapping[str, Any]) -> str:
    """'sweep', 'compare' or 'run', from the keys of a result dict."""
    if "points" in result:
        return "sweep"
    if "strategies" in result:
        return "compare"
    if "summary" in result:
        return "run"
    raise ConductorError("not a conductor result: expected `points`, `strategies` or `summary`")


def runs_of(result: Any) -> dict[str, dict[str, Any]]:
    """Strategy name -> run object, from a compare result or a single run object."""
    result = as_dict(result)
    if kind_of(result) == "compare":
        return dict(result["strategies"])
    if kind_of(result) == "run":
        return {result.get("strategy", "run"): result}
    raise ConductorError("expected a run or compare result, got a sweep")


def pick_run(result: Any, strategy: str | None = None) -> tuple[str, dict[str, Any]]:
    """One strategy's run object: the named one, or the baseline of a compare result."""
    result = as_dict(result)
    runs = runs_of(result)
    if strategy is None:
        strategy = result.get("baseline") or next(iter(runs))
    if strategy not in runs:
        raise ConductorError(f"unknown strategy '{strategy}' (expected one of: {', '.join(runs)})")
    return strategy, runs[strategy]


def mean(stat: Mapping[str, Any] | None) -> float:
    """A Stat's mean, NaN when the Stat is null."""
    if not stat or stat.get("mean") is None:
        return math.nan
    return float(stat["mean"])


def interval(stat: Mapping[str, Any] | None) -> tuple[float, float]:
    """A Stat's 95 % interval, (NaN, NaN) when unknown."""
    if not stat or not stat.get("ci95"):
        return math.nan, math.nan
    low, high = stat["ci95"]
    return float(low), float(high)


def floats(values: Sequence[Any] | None) -> np.ndarray:
    """A list that may hold nulls as a float array (nulls as NaN)."""
    if values is None:
        return np.zeros(0)
    return np.array([math.nan if v is None else v for v in values], dtype=float)


def titled(runs: Mapping[str, Any], what: str) -> str:
    """A figure title naming the scenario of the runs when known."""
    first = next(iter(runs.values()), {})
    name = get(first, "scenario", "name")
    flow = first.get("flow") if isinstance(first, Mapping) else None
    where = " · ".join(str(part) for part in (name, flow and f"flow {flow}") if part)
    return f"{what} — {where}" if where else what


def same_as(runs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Strategy -> the first earlier strategy with identical summary figures (same choices)."""
    seen: list[str] = []
    twins = {}
    for name, run in runs.items():
        summary = run.get("summary")
        twin = next((n for n in seen if summary and runs[n].get("summary") == summary), None)
        if twin is None:
            seen.append(name)
        else:
            twins[name] = twin
    return twins


def currency_of(result: Any) -> str:
    """The currency label of a result (USD when absent)."""
    for run in runs_of(result).values():
        if run.get("currency"):
            return str(run["currency"])
    return "USD"


# Formatters ------------------------------------------------------------------------------


def format_latency(seconds: float, unit: str | None = None) -> str:
    """A duration such as '250 ms', '1.5 s' or '80 µs' (in `unit` when given)."""
    if not math.isfinite(seconds):
        return "–"
    if unit is None:
        size = abs(seconds)
        unit = "s" if size >= 1 or size == 0 else "ms" if size >= 1e-3 else "µs"
    scale = {"s": 1.0, "ms": 1e3, "µs": 1e6}[unit]
    value = seconds * scale
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}"


class LatencyFormatter(ticker.Formatter):
    """Ticks in seconds shown as ms or s: one unit for a linear axis, per tick on a log axis."""

    def __init__(self, log: bool = False):
        self.log = log
        self.unit: str | None = None

    def set_locs(self, locs) -> None:
        """Pick the unit from the largest tick."""
        top = max((abs(v) for v in locs), default=1.0)
        self.unit = None if self.log else ("s" if top >= 1 else "ms" if top >= 1e-3 else "µs")

    def __call__(self, x: float, pos: int | None = None) -> str:
        """The tick label."""
        if x == 0:
            return "0"
        return format_latency(x, self.unit)


class MoneyFormatter(ticker.Formatter):
    """Money ticks with as many decimals as the tick spacing needs, and a currency sign."""

    def __init__(self, currency: str = ""):
        self.symbol = SYMBOLS.get(currency, "")
        self.ticks: list[float] = []

    def set_locs(self, locs) -> None:
        """Remember the ticks, whose spacing sets the decimals."""
        self.ticks = sorted(locs)

    def __call__(self, x: float, pos: int | None = None) -> str:
        """The tick label."""
        locs = self.ticks if len(self.ticks) > 1 else [0.0, abs(x) or 1.0]
        step = min((b - a for a, b in pairwise(locs) if b > a), default=1.0)
        decimals = min(4, max(0, -math.floor(math.log10(step)) if step > 0 else 0))
        if decimals and abs(x) >= 1:
            decimals = min(decimals, 2)
        sign = "−" if x < 0 else ""
        return f"{sign}{self.symbol}{abs(x):,.{decimals}f}"


def money_text(value: float, currency: str = "") -> str:
    """An amount such as '1,234 USD' or '0.0031 USD'."""
    if not math.isfinite(value):
        return "–"
    digits = 0 if abs(value) >= 1000 else 2 if abs(value) >= 1 else 4
    return f"{value:,.{digits}f} {currency}".strip()


def latency_axis(axis, log: bool = False) -> None:
    """Format a latency axis (x or y) in ms or s, log-scaled when asked."""
    if log:
        axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_minor_locator(ticker.LogLocator(base=10, subs=np.arange(1, 10)))
        axis.set_minor_formatter(ticker.NullFormatter())
    axis.set_major_formatter(LatencyFormatter(log=log))


def money_axis(axis, currency: str) -> None:
    """Format a cost axis (x or y) in the currency."""
    axis.set_major_formatter(MoneyFormatter(currency))


def percent_axis(axis, digits: int | None = None) -> None:
    """Format a fraction axis as percentages."""
    axis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=digits))


def wide_span(values: Iterable[float], decades: float = 1.5) -> bool:
    """Whether positive values span more than `decades` orders of magnitude."""
    data = [v for v in values if math.isfinite(v) and v > 0]
    return bool(data) and max(data) / min(data) > 10**decades


# Axes ----------------------------------------------------------------------------------


def new_axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.2)) -> Axes:
    """The given Axes, or the single Axes of a new Figure (no pyplot, no window)."""
    if ax is not None:
        return ax
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    return figure.add_subplot()


def legend_outside(ax: Axes, title: str | None = None, **kwargs: Any) -> None:
    """A framed legend to the right of the Axes, never over the data."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ax.legend(
        handles,
        labels,
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        frameon=True,
        fontsize="small",
        title_fontsize="small",
        **kwargs,
    )


def no_data(ax: Axes, what: str) -> Axes:
    """Say in the Axes that there is nothing to draw."""
    ax.text(0.5, 0.5, f"no {what} in this result", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def figure_of(artist: Axes | Figure) -> Figure:
    """The top-level Figure of an Axes or a Figure."""
    figure = artist if isinstance(artist, Figure) else artist.figure
    while getattr(figure, "figure", None) is not None and figure.figure is not figure:
        figure = figure.figure
    return figure
