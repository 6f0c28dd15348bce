"""Figures of conductor results (matplotlib, drawn off-screen).

Every figure is a plain function of a result dict (the JSON of a run, compare or sweep,
so it works on a loaded results.json) with an optional `ax`; it returns the Axes, or the
Figure for multi-panel ones. Figures are built on `matplotlib.figure.Figure` directly, so
they never open a window nor touch pyplot's global state; the Agg backend is selected
here for any code that does use pyplot, unless pyplot was already set up by the caller;
in a Jupyter kernel the inline backend is kept, so returned figures display. Only this
package and the HTML report import matplotlib.

    from conductor.plots import latency_cdf, write_figures
    write_figures(compare_result.to_dict(), "out/")
"""

import sys
import warnings

import matplotlib

if "ipykernel" in sys.modules:
    # In Jupyter, pyplot sets up the inline backend, which teaches IPython to show figures.
    import matplotlib.pyplot
elif "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")

from conductor.plots.cost import cost_breakdown, pareto
from conductor.plots.distribution import latency_cdf, percentile_bars
from conductor.plots.graph import composition_graph, served_by_run
from conductor.plots.output import (
    KINDS,
    draw,
    figure_names,
    load_results,
    save,
    write_figures,
)
from conductor.plots.style import strategy_colors
from conductor.plots.sweep import sweep_curves, sweep_heatmap
from conductor.plots.timeline import timeline

__all__ = [
    "KINDS",
    "composition_graph",
    "cost_breakdown",
    "draw",
    "figure_names",
    "latency_cdf",
    "load_results",
    "pareto",
    "percentile_bars",
    "save",
    "served_by_run",
    "strategy_colors",
    "sweep_curves",
    "sweep_heatmap",
    "timeline",
    "write_figures",
]

# Names in labels are the user's text: `$...$` in one must print as typed, not be parsed
# as mathtext (which fails on `$\foo{$`). No label of ours uses mathtext.
matplotlib.rcParams["text.parse_math"] = False
# A control character in a name has no glyph; the label still draws, so no warning.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
