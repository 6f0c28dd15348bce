"""Readable terminal tables of results and checks (rich)."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from conductor.metrics.headline import FIGURES, get, node_path
from conductor.nominal import component_rates, estimate
from conductor.plan import Plan
from conductor.report.names import for_terminal
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


def percent(value: float | None, digits: int = 2, space: str = " ") -> str:
    """A fraction as a percentage for a table cell (`space=""` keeps it one word)."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100.0 * value:.{digits}f}{space}%"


def pct(value: float | None, digits: int = 2) -> str:
    """A percentage that a narrow column never splits: '99.60%'."""
    return percent(value, digits, space="")


def number(value: float | None) -> str:
    """A count or rate for a table cell."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


FAILED = "failed"
"""A figure that fell among failed requests (a percentile counting failures)."""


def cell(stat: dict | None, show=number, interval: bool = True) -> str:
    """A Stat as 'mean ±half-width' (the half-width dim), 'failed' or '–'."""
    if stat is None:
        return "–"
    if stat.get("mean") is None:
        return FAILED
    text = show(stat["mean"])
    if interval and stat.get("ci95"):
        low, high = stat["ci95"]
        half = (high - low) / 2.0
        if show(low) != text or show(high) != text:
            text += f" [dim]±{show(half)}[/dim]"
    return text


# Fitting a table to the terminal ---------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column: its header, alignment, and how readily it is left out when the
    terminal is too narrow (0: never; higher: sooner)."""

    label: str
    left: bool = False
    drop: int = 0


def fitted(
    title: str, columns: list[Column], rows: list[list[str]], width: int | None
) -> tuple[Table, list[str]]:
    """A table that fits `width` characters without cutting a figure: headers and cells
    wrap only at spaces, and columns are left out (highest `drop` first) until the
    narrowest it can be fits. Returns the table and the labels left out."""
    least = [
        max([_longest(c.label, str.split), *(_longest(row[i], str.split) for row in rows)])
        for i, c in enumerate(columns)
    ]
    most = [
        max(
            [_longest(c.label, str.splitlines), *(_longest(row[i], str.splitlines) for row in rows)]
        )
        for i, c in enumerate(columns)
    ]
    keep = list(range(len(columns)))
    sizes: dict[int, int] = {}
    if width is not None and sum(most[i] + 3 for i in keep) + 1 > width:
        while sum(least[i] + 3 for i in keep) + 1 > width:
            droppable = [i for i in keep if columns[i].drop > 0]
            if not droppable:
                break
            keep.remove(max(droppable, key=lambda i: (columns[i].drop, i)))
        # Every column gets its longest word, and the room left goes to the columns that
        # would wrap, in proportion to what wrapping costs them.
        spare = width - 1 - sum(least[i] + 3 for i in keep)
        wants = {i: most[i] - least[i] for i in keep}
        total = sum(wants.values())
        for i in keep:
            extra = spare * wants[i] // total if total and spare > 0 else 0
            sizes[i] = least[i] + min(extra, wants[i])
    table = Table(title=title, title_justify="left")
    for i in keep:
        column = columns[i]
        table.add_column(
            column.label, justify="left" if column.left else "right", width=sizes.get(i)
        )
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    return table, [columns[i].label for i in range(len(columns)) if i not in keep]


def _longest(text: str, split) -> int:
    plain = Text.from_markup(text).plain
    return max((cell_len(part) for part in split(plain)), default=0)


def console_width(console: Console) -> int | None:
    """The width tables must fit: the terminal's, none off a terminal (a pipe, a file)."""
    return console.width if console.is_terminal else None


def _print_fitted(console: Console, table: Table, dropped: list[str], note: str = "") -> None:
    if not console.is_terminal:
        unbounded = console.options.update_width(10_000)
        console.width = max(console.width, Measurement.get(console, unbounded, table).maximum)
    console.print(table)
    if dropped:
        console.print(
            f"[dim](left out to fit the terminal: {escape(', '.join(dropped))}; "
            "a wider terminal or --json shows them)[/dim]"
        )
    if note:
        console.print(note)


# One run ---------------------------------------------------------------------------------

SUMMARY_ROWS = (
    ("requests", ("requests",), "number"),
    ("throughput /s", ("throughput_rps",), "number"),
    ("success", ("success_rate",), "percent"),
    ("SLO attainment", ("slo_attainment",), "percent"),
    ("latency mean", ("latency_s", "mean"), "seconds"),
    ("latency p50", ("latency_s", "p50"), "seconds"),
    ("latency p95", ("latency_s", "p95"), "seconds"),
    ("latency p99", ("latency_s", "p99"), "seconds"),
    ("latency p99.9", ("latency_s", "p999"), "seconds"),
    ("p99 counting failures", ("latency_all_s", "p99"), "seconds"),
    ("cost total", ("cost", "total"), "money"),
    ("  variable (per call)", ("cost", "variable"), "money"),
    ("  fixed (per hour)", ("cost", "fixed"), "money"),
    ("  switching", ("cost", "switching"), "money"),
    ("  SLO penalties", ("cost", "penalty"), "money"),
    ("cost per request", ("cost", "per_request"), "money"),
    ("cost per hour", ("cost", "per_hour"), "money"),
    ("switches", ("switches",), "number"),
    ("change lead time", ("change_lead_time_s",), "seconds"),
)
"""The rows of a run's headline table: label, key path in a summary node, format."""


def _shows(currency: str) -> dict[str, Any]:
    return {
        "number": number,
        "percent": pct,
        "seconds": seconds,
        "money": lambda v: money(v, currency),
    }


def run_tables(result: dict[str, Any], width: int | None = None) -> list[tuple[Table, list[str]]]:
    """Summary (all flows and each flow, or the focused flow), options, providers and
    the strategy's description of one run object, each fitted to `width`."""
    currency = escape(result.get("currency", ""))
    shows = _shows(currency)
    focus = result.get("flow")
    flows = result.get("flows") or {}
    title = (
        f"{escape(result['scenario']['name'])} · strategy {escape(result['strategy'])} · "
        + (f"flow {escape(focus)} · " if focus else "")
        + f"{_count(result['replications'], 'replication')} · window "
        f"{seconds(result['horizon_s'] - result['warmup_s'])} (95 % CI)"
    )
    if focus:
        nodes = {focus: flows.get(focus) or {}}
    else:
        nodes = {"all flows": result["summary"]}
        if len(flows) > 1:
            nodes.update(flows)
    columns = [Column("figure", left=True)] + [Column(escape(n)) for n in nodes]
    rows = []
    for label, key, kind in SUMMARY_ROWS:
        cells = [cell(get(node, *key), shows[kind]) for node in nodes.values()]
        if all(c == "–" for c in cells):
            continue
        rows.append([label, *cells])
    tables = [fitted(title, columns, rows, width)]

    capacity = _capacities(result)
    option_rows = []
    for component, figures in result["components"].items():
        for provider, option in figures["by_option"].items():
            if option["attempts"] and option["attempts"]["mean"] == 0:
                continue
            load = cell(option["utilization"], pct)
            if capacity.get((component, provider), 1) is None and option["utilization"]:
                load = cell(option["utilization"], lambda v: f"{v:.2g}") + " busy"
            option_rows.append(
                [
                    escape(component),
                    escape(provider),
                    cell(option["attempts"], interval=False),
                    cell(option["share"], lambda v: pct(v, 1), interval=False),
                    load,
                    cell(option["wait_s"], seconds),
                ]
            )
    option_columns = [
        Column("component", left=True),
        Column("provider", left=True),
        Column("attempts"),
        Column("share"),
        Column("utilisation"),
        Column("queue wait", drop=1),
    ]
    tables.append(fitted("Components and options", option_columns, option_rows, width))

    provider_rows = [
        [
            escape(name),
            cell(figures["availability"], lambda v: pct(v, 3)),
            cell(figures["cost"], lambda v: money(v, currency)),
        ]
        for name, figures in result["providers"].items()
    ]
    provider_columns = [Column("provider", left=True), Column("availability"), Column("cost")]
    tables.append(fitted("Providers", provider_columns, provider_rows, width))
    described = (result.get("policy") or {}).get("components") or {}
    if described:
        policy = escape((result.get("policy") or {}).get("name", ""))
        rows = [[escape(c), escape(text)] for c, text in described.items()]
        columns = [Column("component", left=True), Column("how it is served", left=True)]
        title = f"How {escape(result['strategy'])} ({policy}) serves each component"
        tables.append(fitted(title, columns, rows, width))
    return tables


def _capacities(result: dict[str, Any]) -> dict[tuple[str, str], int | None]:
    """(component, provider) -> capacity (None: unlimited), from the run's composition."""
    components = (result.get("composition") or {}).get("components") or {}
    return {
        (component, provider): option.get("capacity")
        for component, options in components.items()
        for provider, option in options.items()
    }


def print_run(result: dict[str, Any], console: Console | None = None) -> None:
    """Print a run object's tables and its warnings."""
    result = for_terminal(result)
    console = console or Console()
    for table, dropped in run_tables(result, console_width(console)):
        _print_fitted(console, table, dropped)
    print_warnings(result.get("warnings") or (), console)
    precision = result.get("precision")
    if precision:
        console.print(precision_line(precision))
    print_theory({result["strategy"]: result}, console)


def precision_line(precision: dict[str, Any]) -> str:
    """'precision 2%: reached with 14 replications' (or not reached)."""
    target = pct(precision["target"], 1).replace(".0%", "%")
    verb = "reached" if precision["reached"] else "[yellow]not reached[/yellow]"
    return f"precision {target}: {verb} with {_count(precision['replications'], 'replication')}"


def print_warnings(warnings, console: Console) -> None:
    """Each warning on its own line, to stderr when the console prints to stdout."""
    errors = Console(stderr=True, soft_wrap=True) if not console.stderr else console
    for warning in dict.fromkeys(warnings):
        errors.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)


# A comparison ------------------------------------------------------------------------------


def change(value: float | None) -> str:
    """A signed relative change for a table cell, such as '−23%' or '+1.5%'."""
    if value is None or not math.isfinite(value):
        return "–"
    text = percent(abs(value), 0 if abs(value) >= 0.1 else 1, space=" ")
    if text.strip("0. %") == "":
        return text
    return ("+" if value > 0 else "−") + text


def change_cell(stat: dict | None) -> str:
    """A paired difference Stat as 'mean (lo to hi)', percentages kept whole."""
    if stat is None:
        return "–"
    text = _tight(change(stat["mean"]))
    if stat.get("ci95"):
        low, high = stat["ci95"]
        text += f" [dim]({_tight(change(low))}…{_tight(change(high))})[/dim]"
    return text


def _tight(text: str) -> str:
    return text.replace(" %", "%")


OPTIONAL_COLUMNS = ("SLO", "lead time")
"""Compare-table columns left out when no strategy has a value for them."""


def compare_table(
    result: dict[str, Any], width: int | None = None
) -> tuple[Table, list[str], list[str]]:
    """The ranked table of a compare object (with a row per flow under each strategy when
    there are several and none is the focus), what was left out to fit `width`, and the
    lines that read its Pareto front."""
    runs = result["strategies"]
    ranking = [name for name in result.get("ranking") or runs if name in runs]
    first = runs[ranking[0]]
    focus = result.get("flow")
    flows = list((first.get("flows") or {}) if not focus and result.get("by_flow") else ())
    title = (
        f"{escape(first['scenario']['name'])} · {_count(len(runs), 'strateg', 'y', 'ies')} · "
        + (f"flow {escape(focus)} · " if focus else "")
        + f"{_count(first['replications'], 'replication')} · window "
        f"{seconds(first['horizon_s'] - first['warmup_s'])} "
        "(95 % CI; differences paired by replication)"
    )
    verdicts = {None: result, **(result.get("by_flow") or {})}
    everyone = {f: _everyone(verdicts[f], runs) for f in (None, *flows)}
    rows = []
    for position, name in enumerate(ranking, start=1):
        node = focus if focus else None
        rows.append(
            [str(position), *_compare_row(result, verdicts[None], name, node, everyone[None])]
        )
        for flow in flows:
            cells = _compare_row(result, verdicts[flow], name, flow, everyone[flow])
            rows.append(["", f"[dim]└[/dim] {escape(flow)}", *cells[1:]])
    baseline = escape(result["baseline"])
    currency = escape(first.get("currency", ""))
    columns = [
        Column("#"),
        Column("strategy", left=True),
        Column(f"total cost {currency}".strip()),
        Column(f"per request {currency}".strip(), drop=3),
        Column("p95", drop=4),
        Column("p99"),
        Column("p99 all", drop=1),
        Column("success"),
        Column("SLO", drop=3),
        Column("lead time", drop=3),
        Column(f"cost vs {baseline}", drop=2),
        Column(f"p99 vs {baseline}", drop=2),
        Column("Pareto"),
    ]
    keep = [
        i
        for i, column in enumerate(columns)
        if column.label not in OPTIONAL_COLUMNS or any(row[i] != "–" for row in rows)
    ]
    table, dropped = fitted(
        title, [columns[i] for i in keep], [[r[i] for i in keep] for r in rows], width
    )
    lines = [_front_line(verdicts[None], runs, focus, everyone[None])]
    lines += [_front_line(verdicts[f], runs, f, everyone[f]) for f in flows]
    lines.append(
        "[dim]p99 all: the p99 of every request, a failed one counting as infinitely slow "
        "('failed': the p99 falls among failures). The Pareto front is on total cost "
        "against it.[/dim]"
    )
    return table, dropped, lines


def _everyone(verdict: dict[str, Any], runs: dict[str, Any]) -> bool:
    """Whether every strategy (of several) is on the front: then a star tells nothing."""
    front = [n for n in verdict.get("pareto") or () if n in runs]
    return len(runs) > 1 and len(front) == len(runs)


def _front_line(verdict: dict[str, Any], runs: dict[str, Any], flow, everyone: bool) -> str:
    """The sentence naming the Pareto front of one headline."""
    where = f"flow {escape(flow)}: " if flow else ""
    if everyone:
        return (
            f"{where}every strategy is on the Pareto front (cost against p99 counting "
            "failures): none is beaten on both, so the choice is a trade-off of cost "
            "against latency."
        )
    front = [n for n in verdict.get("pareto") or () if n in runs]
    line = f"{where}Pareto front (cost vs p99 counting failures): {escape(', '.join(front)) or '–'}"
    failed = [n for n in runs if _failed(get(runs[n], *node_path(flow), "latency_all_s", "p99"))]
    if failed:
        line += f"; off it because their p99 falls among failures: {escape(', '.join(failed))}"
    return line


def _failed(stat: dict | None) -> bool:
    return stat is not None and stat.get("mean") is None


def _compare_row(
    result: dict[str, Any], verdict: dict[str, Any], name: str, flow, everyone: bool
) -> list[str]:
    """The cells of one strategy's row on one headline, after the rank."""
    run = result["strategies"][name]
    node = get(run, *node_path(flow)) or {}
    on_front = name in (verdict.get("pareto") or ()) and not everyone
    return [
        escape(name),
        cell(get(node, "cost", "total"), money),
        cell(get(node, "cost", "per_request"), money),
        cell(get(node, "latency_s", "p95"), seconds),
        cell(get(node, "latency_s", "p99"), seconds),
        cell(get(node, "latency_all_s", "p99"), seconds),
        cell(get(node, "success_rate"), pct),
        cell(get(node, "slo_attainment"), pct),
        cell(get(node, "change_lead_time_s"), seconds),
        _versus(result, verdict, name, "cost_total"),
        _versus(result, verdict, name, "latency_p99"),
        "★" if on_front else "",
    ]


def print_compare(result: dict[str, Any], console: Console | None = None) -> None:
    """Print the compare table, its Pareto lines and the warnings of its runs."""
    result = for_terminal(result)
    console = console or Console()
    table, dropped, lines = compare_table(result, console_width(console))
    _print_fitted(console, table, dropped)
    for line in lines:
        console.print(line)
    print_theory(result["strategies"], console)
    warnings = [w for run in result["strategies"].values() for w in run.get("warnings") or ()]
    print_warnings(warnings, console)
    if result.get("precision"):
        console.print(precision_line(result["precision"]))


def _count(n: int, stem: str, one: str = "", many: str = "s") -> str:
    """A count with its noun, singular or plural."""
    return f"{n} {stem}{one if n == 1 else many}"


def _versus(result: dict[str, Any], verdict: dict[str, Any], name: str, figure: str) -> str:
    """The paired difference of one figure against the baseline, or a dash."""
    if name == result["baseline"]:
        return "[dim]baseline[/dim]"
    return change_cell((verdict.get("differences") or {}).get(name, {}).get(figure))


def check_table(plan: Plan, strategies: dict[str, dict[str, str]]) -> tuple[list[Table], list[str]]:
    """The composition and each option's nominal-load figures, and the warnings."""
    warnings: list[str] = []
    flows = Table(title=f"{escape(plan.name)}: flows", title_justify="left")
    for column in ("flow", "rate /s", "step", "component", "after", "runs"):
        flows.add_column(column)
    for flow in plan.flows:
        for position, step in enumerate(flow.steps):
            runs = f"{percent(step.probability, 0)}" + (
                f" × {step.calls}" if step.calls > 1 else ""
            )
            flows.add_row(
                escape(flow.name) if position == 0 else "",
                number(flow.rate) if position == 0 else "",
                escape(step.name) + (" (optional)" if step.optional else ""),
                escape(plan.components[step.component].name),
                escape(", ".join(flow.steps[i].name for i in step.after)) or "arrival",
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
                    f"{escape(component.name)}@{escape(provider.name)}: utilisation "
                    f"{percent(guess.utilization, 1)}"
                    " at nominal load, at or over 100 %: the queue is unstable"
                )
            if option.rate_limit is not None and rates[component.index] > option.rate_limit:
                warnings.append(
                    f"{escape(component.name)}@{escape(provider.name)}: "
                    f"{number(rates[component.index])} calls/s "
                    f"exceed the rate limit of {number(option.rate_limit)}/s; "
                    "the excess is rejected"
                )
            options.add_row(
                escape(component.name),
                escape(provider.name),
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
    choices.add_column("how each component is served")
    for name, (policy, described) in strategies.items():
        for position, (component, text) in enumerate(described.items()):
            first = position == 0
            choices.add_row(
                escape(name) if first else "",
                escape(policy) if first else "",
                f"{escape(component)}: {escape(text)}",
                end_section=position == len(described) - 1,
            )
    return [flows, options, choices], warnings


def sweep_table(result: dict[str, Any], width: int | None = None) -> tuple[Table, list[str]]:
    """One line per sweep point and strategy (and, with several flows and no focus, one
    per flow under it): latency, success and cost with intervals."""
    points = result.get("points") or []
    paths = list(result.get("paths") or (points[0]["set"] if points else ()))
    focus = result.get("flow")
    rows = []
    for point in points:
        for name, run in point["strategies"].items():
            flows = list(run.get("flows") or ()) if not focus else []
            values = [escape(str(point["set"].get(p))) for p in paths]
            rows.append([*values, escape(name), *_sweep_cells(run, focus)])
            if len(flows) > 1:
                for flow in flows:
                    blank = [""] * len(paths)
                    rows.append([*blank, f"[dim]└[/dim] {escape(flow)}", *_sweep_cells(run, flow)])
    columns = [Column(escape(p), left=True) for p in paths] + [
        Column("strategy", left=True),
        Column("p95", drop=2),
        Column("p99"),
        Column("p99 all", drop=1),
        Column("success"),
        Column("cost total"),
        Column("cost /h", drop=3),
    ]
    title = "Sweep" + (f" · flow {escape(focus)}" if focus else "")
    return fitted(title, columns, rows, width)


def _sweep_cells(run: dict[str, Any], flow: str | None) -> list[str]:
    node = get(run, *node_path(flow)) or {}
    return [
        cell(get(node, "latency_s", "p95"), seconds),
        cell(get(node, "latency_s", "p99"), seconds),
        cell(get(node, "latency_all_s", "p99"), seconds),
        cell(get(node, "success_rate"), pct),
        cell(get(node, "cost", "total"), money),
        cell(get(node, "cost", "per_hour"), money),
    ]


def print_sweep(result: dict[str, Any], console: Console | None = None) -> None:
    """Print the sweep table."""
    result = for_terminal(result)
    console = console or Console()
    table, dropped = sweep_table(result, console_width(console))
    _print_fitted(console, table, dropped)


def print_tables(tables: list[Table], console: Console | None = None) -> None:
    """Print tables one after another."""
    # Off a terminal (a pipe, a file, CI logs) rich would squeeze tables into 80 columns.
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    for table in tables:
        console.print(table)


def optimise_table(result: dict[str, Any], width: int | None = None) -> tuple[Table, list[str]]:
    """The front of an optimise result, then its dominated candidates: one row each with
    its assignment and its simulated objectives."""
    objectives = list(result.get("objectives") or ())
    entries = [*(result.get("front") or ()), *(result.get("dominated") or ())]
    searched = list(dict.fromkeys(c for e in entries for c in e["assignment"]))
    front = {e["strategy"] for e in result.get("front") or ()}
    rows = []
    for entry in entries:
        summary = entry["summary"]
        cells = ["★" if entry["strategy"] in front else "", escape(entry["strategy"])]
        cells += [escape(entry["assignment"].get(c, "")) for c in searched]
        for name in objectives:
            cells.append(_objective_cell(summary, name, entry["objectives"].get(name)))
        rows.append(cells)
    columns = [
        Column("front"),
        Column("strategy", left=True),
        *(Column(escape(c), left=True, drop=2) for c in searched),
        *(Column(escape(name)) for name in objectives),
    ]
    name = escape((result.get("scenario") or {}).get("name", ""))
    title = (
        f"{name} · {result.get('space', 0):,} assignments · {result.get('screened', 0):,} "
        f"screened · {result.get('simulated', 0)} simulated (95 % CI)"
    )
    return fitted(title, columns, rows, width)


def _objective_cell(summary: dict[str, Any], name: str, value: float | None) -> str:
    """An objective's Stat from the run summary, formatted for its kind."""
    from conductor.experiments.optimise import OBJECTIVES  # lazily: the report stays light

    objective = OBJECTIVES.get(name)
    if objective is None:
        return cell(None, seconds)
    kind = next((f.kind for f in FIGURES.values() if f.path == objective.path), "latency")
    show = {"money": money, "fraction": pct}.get(kind, seconds)
    return cell(get(summary, *objective.path), show)


def print_optimise(result: dict[str, Any], console: Console | None = None) -> None:
    """Print the optimise table and how the front was found."""
    console = console or Console()
    table, dropped = optimise_table(result, console_width(console))
    _print_fitted(console, table, dropped)
    front = result.get("front") or ()
    confirmed = front[0]["replications"] if front else 0
    console.print(
        f"★ the Pareto front of {escape(', '.join(result.get('objectives') or ()))}: "
        f"{len(front)} of {result.get('simulated', 0)} simulated assignments, confirmed with "
        f"{confirmed} replications each; latency objectives count a failed request as "
        "infinitely slow. `--out DIR` writes the front as a scenario for `compare`."
    )


# Theory beside simulation ------------------------------------------------------------------


def theory_table(runs: dict[str, dict[str, Any]], width: int | None = None):
    """Each strategy's and flow's simulated mean latency beside the analytic estimate,
    flagged where the estimate lies outside the simulated 95 % interval."""
    rows = []
    for name, run in runs.items():
        theory = run.get("theory") or {}
        for flow, analytic in (theory.get("flows") or {}).items():
            simulated = get(run, "flows", flow, "latency_s", "mean")
            flag = {True: "[bold red]disagrees[/bold red]", False: "agrees", None: "–"}
            rows.append(
                [
                    escape(name),
                    escape(flow),
                    cell(simulated, seconds),
                    seconds(analytic.get("latency_mean_s")),
                    "exact" if analytic.get("exact") else "approximate",
                    flag[analytic.get("disagrees")],
                    escape(analytic.get("method", "")),
                ]
            )
    columns = [
        Column("strategy", left=True),
        Column("flow", left=True),
        Column("simulated mean"),
        Column("theory"),
        Column("kind", left=True),
        Column("vs 95 % CI", left=True),
        Column("method", left=True, drop=1),
    ]
    return fitted("Theory beside simulation (mean latency)", columns, rows, width)


def print_theory(runs: dict[str, dict[str, Any]], console: Console) -> None:
    """Print the theory table of runs that carry an estimate."""
    if any(run.get("theory") for run in runs.values()):
        _print_fitted(console, *theory_table(runs, console_width(console)))


def estimate_table(estimate: dict[str, Any]) -> Table:
    """The analytic estimate of each flow under one strategy, as `check` prints it."""
    table = Table(
        title=f"Theory under {escape(estimate['strategy'])} (no simulation)", title_justify="left"
    )
    for column in ("flow", "latency mean", "success", "kind", "method"):
        numeric = column in ("latency mean", "success")
        table.add_column(column, justify="right" if numeric else "left")
    for flow, figures in estimate["flows"].items():
        table.add_row(
            escape(flow),
            seconds(figures["latency_mean_s"]),
            pct(figures["success_rate"]),
            "exact" if figures["exact"] else "approximate",
            escape(figures["method"]),
        )
    return table
