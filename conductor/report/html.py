"""One self-contained HTML page of a result: summary, reading, tables and every figure.

The page needs nothing but itself: images are inline (base64 PNG, or SVG), the style
sheet is inline and uses the system's fonts, and there are no scripts and no links, so
it can be mailed, archived or opened offline. Every piece of text taken from a result
or a scenario is escaped.

The *reading* is a few plain sentences computed from the numbers: the cheapest and the
fastest strategy, what each strategy changes against the baseline (with its paired 95 %
interval, saying so when the interval includes 0 and the difference is therefore not
significant), which strategies fail requests, and which are beaten outright.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from conductor.figures import FIGURES
from conductor.metrics.focus import focus
from conductor.metrics.headline import get
from conductor.plots import composition_graph, draw, figure_names
from conductor.plots.style import DPI, as_dict, figure_of, kind_of, pick_run, runs_of, same_as
from conductor.report.terminal import change, money, percent, seconds

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: #1d1d1d; max-width: 1180px; margin: 2rem auto; padding: 0 1rem;
  line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; font-size: 1.25rem;
  border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { color: #555; } dd { margin: 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: .9rem; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid #e4e4e4; text-align: right;
  vertical-align: top; white-space: nowrap; }
th { background: #f4f4f4; } td.name, th.name { text-align: left; }
.ci { color: #777; font-size: .8em; } .ns { color: #888; font-style: italic; }
.note { color: #555; font-size: .9rem; } figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: .9rem; max-width: 60rem; }
.reading li { margin: .3rem 0; } .scroll { overflow-x: auto; }
tr.flow td { color: #444; font-size: .85rem; border-bottom-color: #f0f0f0; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; } h3 .ci { font-weight: normal; }
"""


def scenario_file(result: Any) -> str | None:
    """The scenario file a run, compare or sweep result was made from, if still there."""
    result = as_dict(result)
    runs = {} if kind_of(result) == "sweep" else runs_of(result)
    first = next(iter(runs.values()), None) or _first_sweep_run(result)
    file = (first or {}).get("scenario", {}).get("file")
    return file if file and Path(file).is_file() else None


def build_report(
    result: Any, scenario: Any = None, *, image_format: str = "png", flow: str | None = None
) -> str:
    """The HTML page of a run, compare or sweep result (a Scenario or file adds the graph),
    of one flow when `flow` (or the result's own focus) names one."""
    result = as_dict(result)
    result = focus(result, flow or result.get("flow"))
    kind = kind_of(result)
    if isinstance(scenario, str | Path):
        from conductor.experiments.run import load_scenario

        scenario = load_scenario(scenario)
    runs = {} if kind == "sweep" else runs_of(result)
    first = next(iter(runs.values()), None) or _first_sweep_run(result)
    name = (first or {}).get("scenario", {}).get("name") or getattr(scenario, "name", "")
    parts = [f"<h1>conductor report: {escape(name)}</h1>", _summary(result, kind, scenario)]
    if kind == "compare":
        parts += [
            _section("Reading", _list(reading(result))),
            _section("Ranking", _ranking(result)),
        ]
        parts.append(_section("Strategies", _strategies(runs)))
        parts.append(_section("Sourcing", _sourcing(runs)))
    elif kind == "run":
        parts += [
            _section("Reading", _list(run_reading(first))),
            _section("Summary", _figures(first)),
        ]
        parts.append(_section("Strategy", _strategies(runs)))
        parts.append(_section("Sourcing", _sourcing(runs)))
    else:
        parts.append(_section("Reading", _list(sweep_reading(result))))
    parts.append(_section("Composition", _graph(result, kind, scenario, image_format)))
    images = []
    for figure in figure_names(result, kind):
        for strategy in (
            _timelines(result) if figure == "timeline" and kind == "compare" else [None]
        ):
            caption = FIGURES[figure].caption + (f" Strategy: {strategy}." if strategy else "")
            image = _image(
                draw(figure, result, strategy=strategy, scenario=scenario), image_format, figure
            )
            images.append(f"<figure>{image}<figcaption>{escape(caption)}</figcaption></figure>")
    parts.append(_section("Figures", "".join(images)))
    body = "\n".join(parts)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>conductor report: {escape(name)}</title><style>{CSS}</style></head>"
        f"<body>\n{body}\n<p class='note'>Made by conductor "
        f"{escape(str((first or {}).get('conductor', '')))}. Figures are means over "
        "replications with Student-t 95 % intervals; differences are paired by replication "
        "(common random numbers).</p></body></html>\n"
    )


# Reading ---------------------------------------------------------------------------------


def reading(result: Mapping[str, Any]) -> list[str]:
    """Plain sentences about a compare result, each backed by its numbers."""
    runs, baseline = result["strategies"], result["baseline"]
    currency = next(iter(runs.values())).get("currency", "")
    twins = same_as(runs)
    sentences = []
    per_hour = {n: _mean(r, "cost", "per_hour") for n, r in runs.items()}
    p99 = {n: _mean(r, "latency_all_s", "p99") for n, r in runs.items()}
    cheap = _best(per_hour)
    fast = _best(p99)
    if cheap and fast:
        sentences.append(
            f"The cheapest is {cheap} at {money(per_hour[cheap], currency)} per hour "
            f"(IT spend plus SLO penalties); the fastest at p99 counting failures is {fast} "
            f"({seconds(p99[fast])})."
            if cheap != fast
            else f"{cheap} is both the cheapest ({money(per_hour[cheap], currency)} per hour, "
            f"IT spend plus SLO penalties) and the fastest at p99 counting failures "
            f"({seconds(p99[fast])})."
        )
    for name in runs:
        if name == baseline:
            continue
        if twins.get(name):
            sentences.append(
                f"{name} gives exactly the same figures as {twins[name]}: it made the same choices."
            )
            continue
        sentence = _versus(name, baseline, result.get("differences", {}).get(name, {}))
        if _failed(_stat(runs[name], "latency_all_s", "p99")):
            sentence = sentence.replace(" p99 ", " the p99 of its successful requests ", 1)
        sentences.append(sentence)
    failing = {n: 1 - _mean(r, "success_rate") for n, r in runs.items()}
    bad = [n for n, f in failing.items() if f >= 0.01]
    for name in bad:
        sentences.append(f"{name} fails {percent(failing[name])} of requests.")
    if not bad and any(math.isfinite(f) for f in failing.values()):
        best = _best(failing)
        fails = f"it fails {percent(failing[best], 3)}" if failing[best] > 0 else "no failure"
        sentences.append(
            f"Every strategy serves at least 99 % of requests; the most reliable is {best} "
            f"({fails})."
        )
    sentences += front_sentences(result, result, runs)
    if not result.get("flow"):
        for flow, verdict in (result.get("by_flow") or {}).items():
            sentences += [
                f"Flow {flow}, {_flow_sentence(verdict, runs, flow)}",
                *front_sentences(verdict, focus(result, flow), runs, flow),
            ]
    if any((_stat(r, "latency_s", "p99") or {}).get("n", 2) < 2 for r in runs.values()):
        sentences.append("With one replication there are no intervals: differences are untested.")
    return sentences


def front_sentences(
    verdict: Mapping[str, Any],
    view: Mapping[str, Any],
    runs: Mapping[str, Any],
    flow: str | None = None,
) -> list[str]:
    """What the Pareto front of one headline says: who is on it, who is off it because
    its p99 falls among failures, who is beaten outright; said plainly when all are on it."""
    where = f"For flow {flow}, " if flow else ""
    shown = view["strategies"]
    front = [n for n in verdict.get("pareto") or () if n in runs]
    per_hour = {n: _mean(r, "cost", "per_hour") for n, r in shown.items()}
    p99 = {n: _mean(r, "latency_all_s", "p99") for n, r in shown.items()}
    failed = [n for n, r in shown.items() if _failed(_stat(r, "latency_all_s", "p99"))]
    sentences = []
    if len(runs) > 1 and len(front) == len(runs):
        return [
            f"{where}every strategy is on the Pareto front of cost against p99 counting "
            "failures: none is beaten on both, so the choice is a trade-off of cost against "
            "latency."
        ]
    if front:
        sentences.append(
            f"{where}on the Pareto front of cost against p99 counting failures: {_join(front)}."
        )
    if failed:
        verb = "is" if len(failed) == 1 else "are"
        sentences.append(
            f"{where}{_join(failed)} {verb} off the front: more than 1 % of requests fail, "
            "so the p99 counting failures falls among them."
        )
    beaten: dict[tuple[str, ...], list[str]] = {}
    for name in shown:
        if name in front or not math.isfinite(p99[name]):
            continue
        by = [f for f in front if per_hour[f] <= per_hour[name] and p99[f] <= p99[name]]
        beaten.setdefault(tuple(by), []).append(name)
    for by, names in beaten.items():
        if by:
            verb = "is" if len(names) == 1 else "are"
            sentences.append(
                f"{where}{_join(names)} {verb} beaten on both cost and p99 by {_join(list(by))}."
            )
    return [sentence[0].upper() + sentence[1:] for sentence in sentences]


def _flow_sentence(verdict: Mapping[str, Any], runs: Mapping[str, Any], flow: str) -> str:
    """'cheapest first, with the p99 counting failures: a (1.2s), b (failed), …'."""
    ranking = [n for n in verdict.get("ranking") or () if n in runs]
    figures = [
        cell_text(get(runs[n], "flows", flow, "latency_all_s", "p99"), seconds) for n in ranking
    ]
    pairs = zip(ranking, figures, strict=True)
    listed = ", ".join(f"{n} ({f})" for n, f in pairs)
    return f"cheapest first, with the p99 counting failures: {listed}."


def cell_text(stat: Mapping[str, Any] | None, show) -> str:
    """A Stat's mean as text: 'failed' when it fell among failures, '–' when missing."""
    if _failed(stat):
        return "failed"
    return "–" if stat is None or stat.get("mean") is None else show(stat["mean"])


def _failed(stat: Mapping[str, Any] | None) -> bool:
    """Whether a Stat fell among failures (no mean over replications that measured it)."""
    return isinstance(stat, Mapping) and stat.get("mean") is None and bool(stat.get("n"))


def _versus(name: str, baseline: str, differences: Mapping[str, Any]) -> str:
    """'hedged cuts p99 by 54 % for 24 % more total cost than build', with caveats."""
    p99, cost = differences.get("latency_p99"), differences.get("cost_total")
    if p99 is None or cost is None:
        return f"{name} cannot be compared with {baseline} on p99 and cost."
    sentence = f"{name} {_latency_phrase(p99['mean'])} {_spend_phrase(cost['mean'], baseline)}"
    doubtful = [what for what, s in (("p99", p99), ("cost", cost)) if _includes_zero(s)]
    if doubtful:
        intervals = "; ".join(
            f"{what} {change(s['ci95'][0])} to {change(s['ci95'][1])}"
            for what, s in (("p99", p99), ("cost", cost))
            if what in doubtful
        )
        sentence += (
            f" (the {' and '.join(doubtful)} difference"
            + ("s are" if len(doubtful) > 1 else " is")
            + f" not significant: the 95 % interval includes 0, {intervals})"
        )
    return sentence + "."


def _latency_phrase(value: float) -> str:
    """'cuts p99 by 54 %', 'raises p99 by 3 %' or 'leaves p99 unchanged'."""
    if not math.isfinite(value) or abs(value) < 0.005:
        return "leaves p99 unchanged"
    return f"{'cuts' if value < 0 else 'raises'} p99 by {change(abs(value)).lstrip('+')}"


def _spend_phrase(value: float, baseline: str) -> str:
    """'for 24 % more spend than B', 'for 3.2 times the spend of B', 'while spending …'."""
    if not math.isfinite(value) or abs(value) < 0.005:
        return f"at the same spend as {baseline}"
    if value >= 1.0:  # beyond doubling, a factor reads better than a percentage
        return f"for {1.0 + value:.3g} times the spend of {baseline}"
    size = change(abs(value)).lstrip("+")
    if value > 0:
        return f"for {size} more spend than {baseline}"
    return f"while spending {size} less than {baseline}"


def _includes_zero(stat: Mapping[str, Any]) -> bool:
    """Whether a difference's 95 % interval includes 0 (not significant)."""
    interval = stat.get("ci95")
    return bool(interval) and interval[0] <= 0 <= interval[1]


def run_reading(run: Mapping[str, Any]) -> list[str]:
    """Plain sentences about one strategy's run object (and each of its flows)."""
    currency = run.get("currency", "")
    per_hour, penalty, total = (_mean(run, "cost", k) for k in ("per_hour", "penalty", "total"))
    sentences = [_serves(run.get("strategy"), run["summary"])]
    if math.isfinite(per_hour):
        share = penalty / total if total else math.nan
        sentences.append(
            f"It costs {money(per_hour, currency)} per hour, of which "
            f"{percent(share, 0)} is SLO penalties."
        )
    flows = run.get("flows") or {}
    if len(flows) > 1 and not run.get("flow"):
        sentences += [_serves(f"Flow {flow}", node) for flow, node in flows.items()]
    return sentences


def _serves(who: Any, node: Mapping[str, Any]) -> str:
    """'X serves 99.2 % of requests; their p50 is …, their p99 …; p99 counting failures …'."""

    def figure(*path: str) -> str:
        return cell_text(get(node, *path), seconds)

    success = get(node, "success_rate") or {}
    served = percent(success["mean"]) if success.get("mean") is not None else "–"
    return (
        f"{who} serves {served} of requests; their p50 is {figure('latency_s', 'p50')} and "
        f"their p99 {figure('latency_s', 'p99')}; the p99 counting failures is "
        f"{figure('latency_all_s', 'p99')}."
    )


def sweep_reading(sweep: Mapping[str, Any]) -> list[str]:
    """Which strategy is cheapest where, over a sweep's grid."""
    wins: dict[str, list[str]] = {}
    for point in sweep.get("points") or ():
        costs = {n: _mean(r, "cost", "total") for n, r in point["strategies"].items()}
        best = _best(costs)
        where = ", ".join(f"{k}={_value(v)}" for k, v in point["set"].items())
        if best:
            wins.setdefault(best, []).append(where)
    total = sum(len(v) for v in wins.values())
    if len(wins) == 1:
        return [f"{next(iter(wins))} has the lowest total cost at every point of the grid."]
    return [
        f"{name} has the lowest total cost at {len(where)} of {total} points"
        + (f" ({'; '.join(where)})." if len(where) <= 6 else ".")
        for name, where in sorted(wins.items(), key=lambda item: -len(item[1]))
    ]


# Tables ----------------------------------------------------------------------------------


def _ranking(result: Mapping[str, Any]) -> str:
    """The ranked table: means with intervals, paired differences, Pareto marks; a row per
    flow under each strategy when there are several flows and none is the focus."""
    runs, baseline = result["strategies"], result["baseline"]
    currency = next(iter(runs.values())).get("currency", "")
    ranking = [n for n in result.get("ranking") or runs if n in runs]
    flows = [] if result.get("flow") else list(result.get("by_flow") or ())
    verdicts = {None: result, **(result.get("by_flow") or {})}
    columns = [
        (f"total cost ({currency})", ("cost", "total"), _plain_money),
        (f"per hour ({currency})", ("cost", "per_hour"), _plain_money),
        (f"per request ({currency})", ("cost", "per_request"), _plain_money),
        ("p50", ("latency_s", "p50"), seconds),
        ("p95", ("latency_s", "p95"), seconds),
        ("p99", ("latency_s", "p99"), seconds),
        ("p99 all", ("latency_all_s", "p99"), seconds),
        ("success", ("success_rate",), percent),
        ("SLO attainment", ("slo_attainment",), percent),
    ]
    head = ["rank", "strategy", *(c[0] for c in columns)]
    head += [f"cost vs {baseline}", f"p99 vs {baseline}", "Pareto"]

    def row(rank: str, label: str, name: str, flow: str | None, css: str = "") -> str:
        verdict = verdicts[flow]
        node = get(runs[name], "flows", flow) if flow else runs[name]["summary"]
        front = verdict.get("pareto") or ()
        everyone = len(runs) > 1 and len(front) == len(runs)
        cells = [f"<td>{rank}</td>", f"<td class='name'>{label}</td>"]
        for _, path, show in columns:
            cells.append(f"<td>{_stat_cell(get(node, *path), show)}</td>")
        for figure in ("cost_total", "latency_p99"):
            if name == baseline:
                cells.append("<td class='ns'>baseline</td>")
            else:
                cells.append(_change_cell(verdict.get("differences", {}).get(name, {}).get(figure)))
        cells.append(f"<td>{'★' if name in front and not everyone else ''}</td>")
        return f"<tr{css}>" + "".join(cells) + "</tr>"

    rows = []
    for position, name in enumerate(ranking, start=1):
        rows.append(row(str(position), escape(name), name, None))
        rows += [row("", f"└ flow {escape(flow)}", name, flow, " class='flow'") for flow in flows]
    header = "".join(
        f"<th class='name'>{escape(h)}</th>" if h == "strategy" else f"<th>{escape(h)}</th>"
        for h in head
    )
    note = (
        "<p class='note'>Cheapest first. ± is the half-width of the 95 % interval over "
        "replications. Differences are relative, paired by replication, with their 95 % "
        "interval; grey italics: the interval includes 0 (not significant). p99 all: the p99 "
        "of every request, a failed one counting as infinitely slow ('failed': it falls among "
        "the failures). ★: on the Pareto front of total cost against p99 all (no star when "
        "every strategy is on it)."
        + (
            " Under each strategy, a row per flow: a blend of flows can hide one that misses "
            "its SLO."
            if flows
            else ""
        )
        + "</p>"
    )
    return f"<div class='scroll'><table><tr>{header}</tr>{''.join(rows)}</table></div>{note}"


def _strategies(runs: Mapping[str, Any]) -> str:
    """How each strategy serves each component, exactly as it ran."""
    described = {n: get(r, "policy", "components") or {} for n, r in runs.items()}
    if not any(described.values()):
        return "<p class='note'>This result does not describe its strategies.</p>"
    parts = []
    for name, components in described.items():
        policy = get(runs[name], "policy", "name") or ""
        items = "".join(
            f"<tr><td class='name'>{escape(c)}</td><td class='name'>{escape(text)}</td></tr>"
            for c, text in components.items()
        )
        parts.append(
            f"<h3>{escape(name)} <span class='ci'>({escape(policy)})</span></h3>"
            f"<table><tr><th class='name'>component</th><th class='name'>served by</th></tr>"
            f"{items}</table>"
        )
    return "".join(parts)


def _sourcing(runs: Mapping[str, Any]) -> str:
    """Per strategy and component, each provider's share of the attempts."""
    components = list(dict.fromkeys(c for r in runs.values() for c in r.get("components") or {}))
    if not components:
        return "<p class='note'>No component figures in this result.</p>"
    header = "<th class='name'>strategy</th>" + "".join(f"<th>{escape(c)}</th>" for c in components)
    rows = []
    for name, run in runs.items():
        cells = [f"<td class='name'>{escape(name)}</td>"]
        for component in components:
            by = get(run, "components", component, "by_option") or {}
            shares = [(p, (o.get("share") or {}).get("mean") or 0.0) for p, o in by.items()]
            text = " · ".join(f"{p} {percent(s, 0)}" for p, s in shares if s >= 0.005)
            cells.append(f"<td>{escape(text or '–')}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note = "<p class='note'>Share of each component's attempts served by each provider.</p>"
    return f"<div class='scroll'><table><tr>{header}</tr>{''.join(rows)}</table></div>{note}"


def _figures(run: Mapping[str, Any]) -> str:
    """The summary figures of one run object as a table."""
    currency = run.get("currency", "")
    rows = [
        ("requests", ("requests",), lambda v: f"{v:,.0f}"),
        ("success", ("success_rate",), percent),
        ("SLO attainment", ("slo_attainment",), percent),
        *((f"latency {k}", ("latency_s", k), seconds) for k in ("mean", "p50", "p95", "p99")),
        *(
            (f"cost {k.replace('_', ' ')} ({currency})", ("cost", k), _plain_money)
            for k in ("total", "variable", "fixed", "switching", "penalty", "per_hour")
        ),
    ]
    body = "".join(
        f"<tr><td class='name'>{escape(label)}</td>"
        f"<td>{_stat_cell(_stat(run, *path), show)}</td></tr>"
        for label, path, show in rows
        if _stat(run, *path) is not None
    )
    return f"<table><tr><th class='name'>figure</th><th>mean ± 95 % CI</th></tr>{body}</table>"


def _summary(result: Mapping[str, Any], kind: str, scenario: Any) -> str:
    """Scenario name, strategies, horizon, window, replications, as a definition list."""
    runs = runs_of(result) if kind != "sweep" else (result["points"][0]["strategies"])
    first = next(iter(runs.values()))
    items = [("scenario", first.get("scenario", {}).get("name", ""))]
    if scenario is not None and getattr(scenario, "description", ""):
        items.append(("description", scenario.description))
    policies = getattr(scenario, "strategies", {}) or {}
    names = [f"{n} ({policies[n].policy})" if n in policies else n for n in runs]
    items.append(("strategies", ", ".join(names)))
    if kind == "compare":
        items.append(("baseline", result["baseline"]))
    if result.get("flow"):
        items.append(("flow in focus", result["flow"]))
    if kind == "sweep":
        for path in result["points"][0]["set"]:
            values = list(dict.fromkeys(_value(p["set"][path]) for p in result["points"]))
            items.append((f"varied {path}", ", ".join(values)))
    horizon, warmup = first.get("horizon_s", math.nan), first.get("warmup_s", math.nan)
    items += [
        ("horizon", seconds(horizon)),
        ("measured window", f"{seconds(warmup)} to {seconds(horizon)}"),
        ("replications", str(first.get("replications", ""))),
        ("seed", str(first.get("seed", ""))),
        ("currency", first.get("currency", "")),
    ]
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in items)
    return f"<dl>{body}</dl>"


def _graph(result: Mapping[str, Any], kind: str, scenario: Any, image_format: str) -> str:
    """The composition graph, served as the baseline (or the run) measured it, or a note.

    A run object carries its composition, so the graph reads the result; the scenario
    is only needed for a sweep or a result written before runs carried their flows."""
    if kind != "sweep":
        name, run = pick_run(result)
        if "flows" in (run.get("composition") or {}):
            axes = composition_graph(run, strategy=name)
            return f"<figure>{_image(figure_of(axes), image_format, 'composition')}</figure>"
    if scenario is None:
        return (
            "<p class='note'>The composition graph needs the scenario file: results.json names "
            "the scenario but does not contain it. Pass --scenario FILE to include it.</p>"
        )
    note = ""
    if kind == "sweep":
        name, run = None, None
    else:
        name, run = pick_run(result)
        digest = run.get("scenario", {}).get("sha256")
        if digest and scenario.sha256 and digest != scenario.sha256:
            note = (
                "<p class='note'>This scenario file differs from the one simulated (another "
                "digest: edited since, or run with --set, --horizon or other overrides).</p>"
            )
    axes = composition_graph(scenario, utilisation=run, strategy=name)
    return note + f"<figure>{_image(figure_of(axes), image_format, 'composition')}</figure>"


# Helpers ---------------------------------------------------------------------------------


def _image(figure, image_format: str, alt: str) -> str:
    """An <img> holding the figure as a base64 data URI."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=image_format, dpi=DPI, bbox_inches="tight")
    mime = "image/svg+xml" if image_format == "svg" else "image/png"
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:{mime};base64,{data}" alt="{escape(alt)} figure">'


def _value(value: Any) -> str:
    """A varied parameter's value, numbers to four significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _plain_money(value: float | None) -> str:
    """An amount without its currency (the column names it)."""
    return money(value, "")


def _stat_cell(stat: Mapping[str, Any] | None, show) -> str:
    """A Stat as escaped HTML: the mean and a grey ± half-width."""
    if _failed(stat):
        return "failed"
    if stat is None or stat.get("mean") is None:
        return "–"
    text = escape(show(stat["mean"]))
    if stat.get("ci95"):
        low, high = stat["ci95"]
        half = show((high - low) / 2)
        if half not in ("–", show(0.0)):
            text += f" <span class='ci'>± {escape(half)}</span>"
    return text


def _change_cell(stat: Mapping[str, Any] | None) -> str:
    """A paired difference as a table cell, grey when not significant."""
    if stat is None:
        return "<td>–</td>"
    text = escape(change(stat["mean"]))
    if stat.get("ci95"):
        low, high = stat["ci95"]
        text += f" <span class='ci'>({escape(change(low))} to {escape(change(high))})</span>"
    return f"<td class='ns'>{text}</td>" if _includes_zero(stat) else f"<td>{text}</td>"


def _section(title: str, body: str) -> str:
    """A titled section."""
    return f"<section><h2>{escape(title)}</h2>{body}</section>"


def _list(sentences: list[str]) -> str:
    """Sentences as an escaped bullet list."""
    return "<ul class='reading'>" + "".join(f"<li>{escape(s)}</li>" for s in sentences) + "</ul>"


def _stat(run: Mapping[str, Any], *path: str) -> Mapping[str, Any] | None:
    """A Stat of a run object's summary by key path."""
    return get(run, "summary", *path)


def _mean(run: Mapping[str, Any], *path: str) -> float:
    """The mean of a summary Stat, NaN when missing."""
    stat = _stat(run, *path)
    return math.nan if not stat or stat.get("mean") is None else float(stat["mean"])


def _best(values: Mapping[str, float]) -> str | None:
    """The key with the lowest finite value, or None."""
    finite = {k: v for k, v in values.items() if math.isfinite(v)}
    return min(finite, key=finite.__getitem__) if finite else None


def _join(names: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _timelines(result: Mapping[str, Any]) -> list[str]:
    """Whose timelines a compare report shows: the baseline and the Pareto front, no twins."""
    twins = same_as(result["strategies"])
    names = [result["baseline"], *(result.get("pareto") or ())]
    return [n for n in dict.fromkeys(names) if n in result["strategies"] and n not in twins]


def _first_sweep_run(result: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first run object of a sweep, for its settings."""
    for point in result.get("points") or ():
        for run in (point.get("strategies") or {}).values():
            return run
    return None
