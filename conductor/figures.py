"""Every figure conductor draws, registered once: its name, drawer, caption and results.

The table is free of matplotlib (a drawer is named as 'module:function' and imported
only when drawn), so the command line can list the kinds without paying for plotting.
`conductor.plots.output` draws from it, the HTML report captions from it, and `plot
--kind` offers its names. Adding a figure is one drawer function and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FigureKind:
    """A figure: where its drawer lives, which results it applies to, its caption."""

    name: str
    drawer: str
    results: tuple[str, ...]
    caption: str
    keywords: tuple[str, ...] = ()  # of strategy and scenario, those the drawer takes
    varied: int = 0  # a sweep figure that needs this many varied parameters


FIGURES = {
    kind.name: kind
    for kind in (
        FigureKind(
            "cdf",
            "conductor.plots.distribution:latency_cdf",
            ("run", "compare"),
            "Share of successful requests served within a latency, per strategy. Further "
            "left is faster; the logit scale spreads the tail so p99 and p99.9 are readable.",
        ),
        FigureKind(
            "percentiles",
            "conductor.plots.distribution:percentile_bars",
            ("run", "compare"),
            "p50, p95, p99 and p99.9 per strategy; whiskers are 95 % confidence intervals "
            "over replications.",
        ),
        FigureKind(
            "cost",
            "conductor.plots.cost:cost_figure",
            ("run", "compare"),
            "Mean total cost over the measured window by part (left) and as shares of each "
            "strategy's total (right). Red is the business cost of SLO misses and failed "
            "requests.",
        ),
        FigureKind(
            "pareto",
            "conductor.plots.cost:pareto",
            ("compare",),
            "Total cost against p99 latency counting a failed request as infinitely slow. "
            "The dashed step joins the strategies no other beats on both; faded points are "
            "dominated; triangles on the top edge fail too often to have a p99.",
        ),
        FigureKind(
            "timeline",
            "conductor.plots.timeline:timeline",
            ("run", "compare"),
            "One strategy over time (the baseline and the strategies on the Pareto front are "
            "shown): latency, success, cost per bucket and which provider served each "
            "component; shaded spans and lines mark the scenario's events.",
            keywords=("strategy", "scenario"),
        ),
        FigureKind(
            "sweep",
            "conductor.plots.sweep:sweep_curves",
            ("sweep",),
            "Each figure against the varied parameter, one line per strategy; bands are "
            "95 % confidence intervals.",
        ),
        FigureKind(
            "heatmap",
            "conductor.plots.sweep:sweep_heatmap",
            ("sweep",),
            "For each grid point, the strategy with the lowest total cost, its cost written "
            "in the cell.",
            keywords=("strategy",),
            varied=2,
        ),
    )
}
"""Figure name -> its kind, in the order figures are drawn and shown."""

KINDS = tuple(FIGURES)
"""Every figure name, as `plot --kind` takes it."""
