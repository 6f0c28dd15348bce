"""Readable terminal tables of results and checks (rich)."""

from __future__ import annotations

import math
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from conductor.nominal import component_rates, estimate
from conductor.plan import Plan
from conductor.scenario.units import format_duration


def seconds(value: float | None) -> str:
    """A duration for a table cell."""
    if value is None or not math.isfinite(value):
        return "–" if value is None or math.isnan(value) else "∞"
    return format_duration(value)


def money(value: float | None, currency: str = "") -> str:
    """An amount of money for a table cell."""
    if value is None or not math.isfinite(value):
        return "–"
    digits = 4 if abs(value) < 1 else 2
    text = f"{value:,.{digits}f}"
    return f"{text} {currency}".strip()


def percent(value: float | None, digits: int = 2) -> str:
    """A fraction as a percentage for a table cell."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100.0 * value:.{digits}f} %"


def number(value: float | None) -> str:
    """A count or rate for a table cell."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def cell(stat: dict | None, show=number, interval: bool = True) -> str:
    """A Stat as 'mean (lo – hi)'."""
    if stat is None:
        return "–"
    text = show(stat["mean"])
    if interval and stat.get("ci95"):
        low, high = stat["ci95"]
        half = (high - low) / 2.0
        if show(low) != text or show(high) != text:
            text += f" [dim]± {show(half)}[/dim]"
    return text


def run_tables(result: dict[str, Any]) -> list[Table]:
    """Summary, cost, component and provider tables of one run object."""
    currency = result.get("currency", "")
    summary = result["summary"]
    title = (
        f"{result['scenario']['name']} · strategy {result['strategy']} · "
        f"{result['replications']} replications · window "
        f"{seconds(result['horizon_s'] - result['warmup_s'])} (95 % CI)"
    )
    head = Table(title=title, title_justify="left")
    head.add_column("figure")
    head.add_column("all flows", justify="right")
    flows = result["flows"]
    if len(flows) > 1:
        for name in flows:
            head.add_column(name, justify="right")
    rows = [
        ("requests", ("requests",), number),
        ("throughput /s", ("throughput_rps",), number),
        ("success", ("success_rate",), percent),
        ("SLO attainment", ("slo_attainment",), percent),
        ("latency mean", ("latency_s", "mean"), seconds),
        ("latency p50", ("latency_s", "p50"), seconds),
        ("latency p95", ("latency_s", "p95"), seconds),
        ("latency p99", ("latency_s", "p99"), seconds),
        ("latency p99.9", ("latency_s", "p999"), seconds),
        ("cost total", ("cost", "total"), lambda v: money(v, currency)),
        ("  variable (per call)", ("cost", "variable"), lambda v: money(v, currency)),
        ("  fixed (per hour)", ("cost", "fixed"), lambda v: money(v, currency)),
        ("  switching", ("cost", "switching"), lambda v: money(v, currency)),
        ("  SLO penalties", ("cost", "penalty"), lambda v: money(v, currency)),
        ("cost per request", ("cost", "per_request"), lambda v: money(v, currency)),
        ("cost per hour", ("cost", "per_hour"), lambda v: money(v, currency)),
        ("switches", ("switches",), number),
        ("change lead time", ("change_lead_time_s",), seconds),
    ]
    for label, path, show in rows:
        cells = [cell(_get(summary, path), show)]
        if len(flows) > 1:
            cells += [cell(_get(flow, path), show) for flow in flows.values()]
        if all(c == "–" for c in cells):
            continue
        head.add_row(label, *cells)

    options = Table(title="Components and options", title_justify="left")
    for column in ("component", "provider", "attempts", "share", "utilisation", "queue wait"):
        options.add_column(
            column, justify="left" if column in ("component", "provider") else "right"
        )
    for component, figures in result["components"].items():
        for provider, option in figures["by_option"].items():
            if option["attempts"] and option["attempts"]["mean"] == 0:
                continue
            options.add_row(
                component,
                provider,
                cell(option["attempts"], interval=False),
                cell(option["share"], percent, interval=False),
                cell(option["utilization"], percent),
                cell(option["wait_s"], seconds),
            )

    providers = Table(title="Providers", title_justify="left")
    for column in ("provider", "availability", "cost"):
        providers.add_column(column, justify="left" if column == "provider" else "right")
    for name, figures in result["providers"].items():
        providers.add_row(
            name,
            cell(figures["availability"], lambda v: percent(v, 3)),
            cell(figures["cost"], lambda v: money(v, currency)),
        )
    return [head, options, providers]


def change(value: float | None) -> str:
    """A signed relative change for a table cell, such as '−23 %' or '+1.5 %'."""
    if value is None or not math.isfinite(value):
        return "–"
    text = percent(abs(value), 0 if abs(value) >= 0.1 else 1)
    if text.strip("0. %") == "":
        return text
    return ("+" if value > 0 else "−") + text


def change_cell(stat: dict | None) -> str:
    """A paired difference Stat as 'mean (lo to hi)'."""
    if stat is None:
        return "–"
    text = change(stat["mean"])
    if stat.get("ci95"):
        low, high = stat["ci95"]
        text += f" [dim]({change(low)} to {change(high)})[/dim]"
    return text


OPTIONAL_COLUMNS = ("SLO attainment", "change lead time")
"""Compare-table columns left out when no strategy has a value for them."""


def compare_table(result: dict[str, Any]) -> tuple[Table, str]:
    """The ranked table of a compare object, and the line naming its Pareto front."""
    runs = result["strategies"]
    ranking = [name for name in result.get("ranking") or runs if name in runs]
    pareto = result.get("pareto") or []
    first = runs[ranking[0]]
    title = (
        f"{escape(first['scenario']['name'])} · {_count(len(runs), 'strateg', 'y', 'ies')} · "
        f"{_count(first['replications'], 'replication')} · window "
        f"{seconds(first['horizon_s'] - first['warmup_s'])} "
        "(95 % CI; differences paired by replication)"
    )
    rows = [
        {"rank": str(position), **_compare_row(result, name, name in pareto)}
        for position, name in enumerate(ranking, start=1)
    ]
    labels = [
        label
        for label in rows[0]
        if label not in OPTIONAL_COLUMNS or any(row[label] != "–" for row in rows)
    ]
    table = Table(title=title, title_justify="left")
    for label in labels:
        left = label == "strategy"
        table.add_column(label, justify="left" if left else "right", no_wrap=left)
    for row in rows:
        table.add_row(*(row[label] for label in labels))
    line = f"Pareto front (cost vs p99): {escape(', '.join(pareto)) or '–'}"
    return table, line


def _compare_row(result: dict[str, Any], name: str, on_front: bool) -> dict[str, str]:
    """The cells of one strategy's row of the compare table, by column label."""
    run = result["strategies"][name]
    baseline = escape(result["baseline"])
    summary = run["summary"]
    currency = escape(run.get("currency", ""))
    return {
        "strategy": escape(name),
        f"total cost {currency}".strip(): cell(_get(summary, ("cost", "total")), money),
        f"cost/request {currency}".strip(): cell(_get(summary, ("cost", "per_request")), money),
        "p95": cell(_get(summary, ("latency_s", "p95")), seconds),
        "p99": cell(_get(summary, ("latency_s", "p99")), seconds),
        "success": cell(_get(summary, ("success_rate",)), percent),
        "SLO attainment": cell(_get(summary, ("slo_attainment",)), percent),
        "change lead time": cell(_get(summary, ("change_lead_time_s",)), seconds),
        f"cost vs {baseline}": _versus(result, name, "cost_total"),
        f"p99 vs {baseline}": _versus(result, name, "latency_p99"),
        "Pareto": "★" if on_front else "",
    }


def print_compare(result: dict[str, Any], console: Console | None = None) -> None:
    """Print the compare table and its Pareto line (at full width off a terminal)."""
    console = console or Console()
    table, line = compare_table(result)
    if not console.is_terminal:
        unbounded = console.options.update_width(10_000)
        console.width = max(console.width, Measurement.get(console, unbounded, table).maximum)
    console.print(table)
    console.print(line)


def _count(n: int, stem: str, one: str = "", many: str = "s") -> str:
    """A count with its noun, singular or plural."""
    return f"{n} {stem}{one if n == 1 else many}"


def _versus(result: dict[str, Any], name: str, figure: str) -> str:
    """The paired difference of one figure against the baseline, or a dash."""
    if name == result["baseline"]:
        return "[dim]baseline[/dim]"
    return change_cell(result["differences"].get(name, {}).get(figure))


def check_table(plan: Plan, strategies: dict[str, dict[str, str]]) -> tuple[list[Table], list[str]]:
    """The composition and each option's nominal-load figures, and the warnings."""
    warnings: list[str] = []
    flows = Table(title=f"{plan.name}: flows", title_justify="left")
    for column in ("flow", "rate /s", "step", "component", "after", "runs"):
        flows.add_column(column)
    for flow in plan.flows:
        for position, step in enumerate(flow.steps):
            runs = f"{percent(step.probability, 0)}" + (
                f" × {step.calls}" if step.calls > 1 else ""
            )
            flows.add_row(
                flow.name if position == 0 else "",
                number(flow.rate) if position == 0 else "",
                step.name + (" (optional)" if step.optional else ""),
                plan.components[step.component].name,
                ", ".join(flow.steps[i].name for i in step.after) or "arrival",
                runs,
            )
    rates = component_rates(plan)
    options = Table(
        title="Options at nominal load (each as if it served all of its component's calls)",
        title_justify="left",
    )
    for column in (
        "component",
        "provider",
        "kind",
        "calls /s",
        "capacity",
        "utilisation",
        "est. latency",
        "cost /h",
    ):
        options.add_column(column, justify="right" if column[0] in "cue" else "left")
    for component in plan.components:
        for index in component.options:
            option = plan.options[index]
            provider = plan.providers[option.provider]
            guess = estimate(plan, option, rates[component.index])
            utilization = percent(guess.utilization, 1)
            if option.capacity is None:
                utilization = f"{guess.utilization:.2f} busy"
            elif not guess.stable:
                utilization = f"[bold red]{utilization}[/bold red]"
                warnings.append(
                    f"{component.name}@{provider.name}: utilisation {percent(guess.utilization, 1)}"
                    " at nominal load, at or over 100 %: the queue is unstable"
                )
            if option.rate_limit is not None and rates[component.index] > option.rate_limit:
                warnings.append(
                    f"{component.name}@{provider.name}: {number(rates[component.index])} calls/s "
                    f"exceed the rate limit of {number(option.rate_limit)}/s; "
                    "the excess is rejected"
                )
            options.add_row(
                component.name,
                provider.name,
                "internal" if provider.internal else "external",
                number(rates[component.index]),
                str(option.capacity) if option.capacity else "∞",
                utilization,
                seconds(guess.latency),
                money(guess.cost_per_hour, plan.currency),
            )
    choices = Table(title="Strategies", title_justify="left")
    choices.add_column("strategy")
    choices.add_column("policy")
    choices.add_column("choices")
    for name, (policy, described) in strategies.items():
        choices.add_row(name, policy, ", ".join(f"{c}→{p}" for c, p in described.items()))
    return [flows, options, choices], warnings


def sweep_table(rows: list[dict[str, Any]], paths: list[str]) -> Table:
    """One line per sweep point and strategy: latency, success and cost with intervals."""
    table = Table(title="Sweep", title_justify="left")
    for column in [*paths, "strategy", "p95", "p99", "success", "cost total", "cost /h"]:
        table.add_column(column, justify="left" if column in (*paths, "strategy") else "right")

    def ranged(row, name, show):
        return cell(
            {"mean": row[name], "ci95": [row[f"{name}_lo"], row[f"{name}_hi"]]}
            if math.isfinite(row[f"{name}_lo"])
            else {"mean": row[name], "ci95": None},
            show,
        )

    for row in rows:
        table.add_row(
            *(str(row[p]) for p in paths),
            row["strategy"],
            ranged(row, "latency_p95_s", seconds),
            ranged(row, "latency_p99_s", seconds),
            ranged(row, "success_rate", percent),
            ranged(row, "cost_total", money),
            ranged(row, "cost_per_hour", money),
        )
    return table


def print_tables(tables: list[Table], console: Console | None = None) -> None:
    """Print tables one after another."""
    # Off a terminal (a pipe, a file, CI logs) rich would squeeze tables into 80 columns.
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    for table in tables:
        console.print(table)


def _get(node: dict, path: tuple[str, ...]) -> Any:
    for key in path:
        if node is None:
            return None
        node = node.get(key)
    return node
