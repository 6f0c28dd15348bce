"""Drawing the figures that apply to a result, by name, and writing them to files.

A results folder holds `results.json` (a run, compare or sweep object); its kind is read
from its keys. The figures of a run are the CDF, the percentiles, the cost breakdown and
the timeline; a compare adds the Pareto front; a sweep has its curves, and a heat map
when two parameters were varied. Every file is saved at 150 dpi with a tight bounding box.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from conductor.errors import ConductorError
from conductor.figures import FIGURES, KINDS
from conductor.metrics.focus import focus
from conductor.plots.style import DPI, as_dict, figure_of, kind_of
from conductor.plots.sweep import paths_of


def figure_names(result: dict[str, Any], kind: str | None = None) -> list[str]:
    """The figures that apply to a result of a kind ('run', 'compare' or 'sweep')."""
    kind = kind or kind_of(result)
    varied = len(paths_of(result)) if kind == "sweep" else 0
    return [
        name
        for name, figure in FIGURES.items()
        if kind in figure.results and varied >= figure.varied
    ]


def draw(
    name: str,
    result: Any,
    *,
    strategy: str | None = None,
    scenario: Any = None,
    flow: str | None = None,
) -> Figure:
    """The Figure of one named figure of a result, of one flow when `flow` (or the result's
    own focus) names one."""
    result = focus(as_dict(result), flow or as_dict(result).get("flow"))
    kind = kind_of(result)
    figure = FIGURES.get(name)
    if figure is None:
        raise ConductorError(f"unknown figure '{name}' (expected one of: {', '.join(KINDS)})")
    if kind not in figure.results:
        wanted = " or ".join(figure.results)
        raise ConductorError(f"the {name} figure needs a {wanted} result, this is a {kind} result")
    module, _, function = figure.drawer.partition(":")
    drawer = getattr(importlib.import_module(module), function)
    given = {"strategy": strategy, "scenario": scenario}
    return figure_of(drawer(result, **{k: given[k] for k in figure.keywords}))


def save(figure: Figure, path: str | Path) -> Path:
    """Save a figure (format from the extension) at 150 dpi with a tight bounding box."""
    path = Path(path)
    suffix = path.suffix.lstrip(".").lower()
    supported = figure.canvas.get_supported_filetypes()
    if suffix not in supported:
        raise ConductorError(
            f"{path}: cannot tell the image format from the extension "
            f"(expected one of: {', '.join(sorted(supported))})"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def write_figures(
    result: Any,
    folder: str | Path,
    formats: Iterable[str] = ("png",),
    kind: str | None = None,
    *,
    scenario: Any = None,
    strategy: str | None = None,
    flow: str | None = None,
) -> list[Path]:
    """Write every figure that applies to a result into a folder; returns the paths."""
    result = as_dict(result)
    formats = list(dict.fromkeys(formats or ("png",)))
    paths = []
    for name in figure_names(result, kind):
        figure = draw(name, result, strategy=strategy, scenario=scenario, flow=flow)
        paths.extend(save(figure, Path(folder) / f"{name}.{fmt}") for fmt in formats)
    return paths


def load_results(location: str | Path) -> tuple[dict[str, Any], Path]:
    """A result dict from a results folder or a results.json file, and its folder."""
    path = Path(location)
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        where = (
            f"{path}: no results.json in this folder" if path.is_dir() else f"{path}: no such file"
        )
        raise ConductorError(where + " (expected the --out folder of run, compare or sweep)")
    try:
        result = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConductorError(f"{file}: not a readable results file ({error})") from None
    if not isinstance(result, dict):
        raise ConductorError(f"{file}: expected a JSON object")
    try:
        kind = kind_of(result)
    except ConductorError as error:
        raise ConductorError(f"{file}: {error}") from None
    _check_shape(result, kind, file)
    return result, file.parent


def _check_shape(result: dict[str, Any], kind: str, file: Path) -> None:
    """Refuse a results file the views cannot read: no runs, or runs that are not objects."""
    if kind == "sweep":
        points = result.get("points")
        if not isinstance(points, list) or not points:
            raise ConductorError(
                f"{file}: the sweep has no finished point yet (interrupted before its first); "
                "rerun the sweep with the same --out to resume it"
            )
        runs = [p.get("strategies") if isinstance(p, dict) else None for p in points]
    elif kind == "compare":
        runs = [result.get("strategies")]
    else:
        return
    if not all(
        isinstance(r, dict) and r and all(isinstance(v, dict) for v in r.values()) for r in runs
    ):
        raise ConductorError(f"{file}: expected each strategy's run object; the file is damaged")
