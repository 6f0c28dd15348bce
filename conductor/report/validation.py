"""The terminal view of a validation: measured, simulated and error side by side."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from conductor.report.terminal import seconds

LEVELS = ("p50", "p90", "p99")


def _error(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1%}"


def validation_table(result: dict[str, Any], section: str) -> Table:
    """One row per flow (or component): measured, simulated and error at p50 · p90 · p99."""
    what = "flow" if section == "flows" else "component"
    table = Table(title=f"{what.capitalize()} latency, p50 · p90 · p99: simulated against measured")
    table.add_column(what, overflow="fold")
    table.add_column("n", justify="right")
    table.add_column("measured", justify="right")
    table.add_column("simulated", justify="right")
    table.add_column("error", justify="right")
    if section == "flows":
        table.add_column("rate error", justify="right")
    for name, row in result[section].items():
        cells = [escape(name), str(row["measured"]["n"])]
        for side in ("measured", "simulated"):
            cells.append(" · ".join(seconds(row[side][level]) for level in LEVELS))
        cells.append(" · ".join(_error(row["relative_error"][level]) for level in LEVELS))
        if section == "flows":
            cells.append(_error(row["relative_error"].get("rate_per_s")))
        table.add_row(*cells)
    return table


def print_validation(result: dict[str, Any], console: Console | None = None) -> None:
    """The flow and component tables, the MAPE, what did not match, and the warnings."""
    console = console or Console()
    console.print(
        f"{escape(result['scenario'])} · strategy {escape(result['strategy'])} · "
        f"{result['replications']} replications · against {escape(result['traces'])}"
    )
    for section in ("flows", "components"):
        if result[section]:
            console.print(validation_table(result, section))
    mape = result["mape"]
    parts = [f"{key} {value:.1%}" for key, value in mape.items() if value is not None]
    console.print(f"MAPE (mean |relative error| of p50, p90, p99): {', '.join(parts) or '–'}")
    for section, names in result["unmatched"].items():
        if names:
            console.print(
                f"[yellow]not compared[/yellow] ({section} on one side only): "
                + ", ".join(escape(n) for n in names)
            )
    for warning in result["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
