"""Generate the reference pages of docs/ from the code, so they cannot drift from it.

python docs/build.py          # rewrite docs/scenario-format.md, docs/cli.md and the
                              # parameter tables in docs/strategies.md
python docs/build.py --check  # exit 1 if any of them is out of date (the tests run this)

python docs/build.py --validation RECORD [--biased BIASED]
    # rewrite the table of docs/validation.md from a run of the statistical tests with
    # THEORY_RECORD=RECORD (and, for its last column, one of an engine whose delays were
    # all stretched by 3 %, recorded in BIASED)
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from pathlib import Path

import click
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from conductor.cli import main as cli
from conductor.scenario import model
from conductor.scenario.distributions import SPECS as DISTRIBUTIONS
from conductor.strategies.registry import policies, policy_class

DOCS = Path(__file__).parent
BEGIN, END = "<!-- parameters:begin -->", "<!-- parameters:end -->"

SECTIONS = [
    ("Scenario (top level)", model.Scenario, ""),
    ("run", model.Run, "run"),
    ("providers.P", model.Provider, "providers.P"),
    ("providers.P.outages", model.Outages, "providers.P.outages"),
    ("providers.P.cost", model.ProviderCost, "providers.P.cost"),
    ("components.C", model.Component, "components.C"),
    ("components.C.options.P (an option)", model.Option, "components.C.options.P"),
    ("…cost", model.OptionCost, "components.C.options.P.cost"),
    ("…switch_in", model.SwitchIn, "components.C.options.P.switch_in"),
    ("flows.F", model.Flow, "flows.F"),
    ("flows.F.slo", model.SLO, "flows.F.slo"),
    ("flows.F.steps.S (a step)", model.Step, "flows.F.steps.S"),
    ("arrivals: poisson", model.Poisson, "flows.F.arrivals"),
    ("arrivals: constant", model.ConstantArrivals, "flows.F.arrivals"),
    ("arrivals: bursty", model.Bursty, "flows.F.arrivals"),
    ("arrivals: diurnal", model.Diurnal, "flows.F.arrivals"),
    ("arrivals: closed", model.Closed, "flows.F.arrivals"),
    ("arrivals: trace", model.Trace, "flows.F.arrivals"),
    ("events[i]", model.Event, "events[i]"),
    ("changes", model.Changes, "changes"),
    ("strategies.NAME", model.StrategySpec, "strategies.NAME"),
    ("strategies.NAME.backoff", model.Backoff, "strategies.NAME.backoff"),
]


ALIASES = (
    "RenewalTime",
    "DistributionSpec",
    "PositiveDuration",
    "Duration",
    "Rate",
    "Money",
    "Probability",
)


def kind(annotation, metadata=()) -> str:
    """A short readable type of a field, from its annotation (pydantic keeps a field's
    top-level Annotated metadata apart, in `metadata`, so the alias is found from it)."""
    text = _alias(metadata) or typing_repr(annotation)
    for long, short in (
        ("DistributionSpec", "distribution"),
        ("RenewalTime", "mean duration (exponential) or distribution"),
        ("PositiveDuration", "duration > 0"),
        ("Duration", "duration"),
        ("Rate", "rate"),
        ("Money", "money"),
        ("Probability", "probability"),
    ):
        text = text.replace(long, short)
    return text


def typing_repr(annotation) -> str:
    metadata = getattr(annotation, "__metadata__", None)
    origin = typing.get_origin(annotation)
    name = getattr(annotation, "__name__", None)
    if metadata is not None:
        base = typing.get_args(annotation)[0]
        for known in ("Duration", "PositiveDuration", "Rate", "Money", "Probability"):
            if _is(annotation, known):
                return known
        if _is(annotation, "DistributionSpec"):
            return "DistributionSpec"
        if _is(annotation, "RenewalTime"):
            return "RenewalTime"
        return typing_repr(base)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        parts = [typing_repr(a) for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is list:
        return f"list of {typing_repr(typing.get_args(annotation)[0])}"
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"mapping {typing_repr(key)} → {typing_repr(value)}"
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"mapping ({annotation.__name__})"
    return {"str": "text", "int": "integer", "float": "number", "bool": "true/false"}.get(
        name, name or str(annotation)
    )


def _alias(metadata) -> str | None:
    """The name of the Annotated alias whose metadata a field carries, if any."""
    if not metadata:
        return None
    for name in ALIASES:
        alias = _find(name)
        # A FieldInfo in an alias's metadata is merged into the field, not kept in it.
        extra = [m for m in getattr(alias, "__metadata__", ()) if not isinstance(m, FieldInfo)]
        if extra and all(any(item is m for m in metadata) for item in extra):
            return name
    return None


def _find(name: str):
    for module in (model, sys.modules["conductor.scenario.units"]):
        if hasattr(module, name):
            return getattr(module, name)
    return getattr(sys.modules["conductor.scenario.distributions"], name, None)


def _is(annotation, name: str) -> bool:
    for module in (model, sys.modules["conductor.scenario.units"]):
        if getattr(module, name, None) is annotation:
            return True
    distributions = sys.modules["conductor.scenario.distributions"]
    return getattr(distributions, name, None) is annotation


def default(field) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "see below"
        return "empty" if not value else f"`{value!r}`"
    value = field.default
    if value is None:
        return "none"
    if isinstance(value, float) and value == float("inf"):
        return "unlimited"
    return f"`{value!r}`" if not isinstance(value, str) else f"`{value}`" if value else '""'


def table(cls: type[BaseModel]) -> list[str]:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in cls.model_fields.items():
        if name.startswith("_"):
            continue
        key = field.alias or name
        meaning = (field.description or "").replace("|", "\\|")
        kind_text = kind(field.annotation, field.metadata)
        lines.append(f"| `{key}` | {kind_text} | {default(field)} | {meaning} |")
    return lines


def scenario_format() -> str:
    lines = [
        "# Scenario format reference",
        "",
        "Generated from the pydantic models by `python docs/build.py`; do not edit by hand.",
        "The JSON Schema for editors is printed by `conductor schema`. Every key not listed",
        "here is an error. Units: a **duration** is a number of seconds or a string with a",
        "unit (`250us`, `80ms`, `2s`, `5min`, `3h`, `30d`, `2w`); a **rate** is a number per",
        'second or `"120/min"`, `"20/s"`, `"4/week"`; **money** is a number in the',
        "scenario's `currency`; a **probability** is a number in [0, 1]; a **distribution**",
        "is a mapping with `dist` (below) or a plain duration meaning a constant.",
        "",
    ]
    for title, cls, _ in SECTIONS:
        lines += [f"## {title}", "", (cls.__doc__ or "").strip(), "", *table(cls), ""]
    lines += [
        "## Distributions",
        "",
        "Each reports its mean and quantiles without sampling (`conductor check` uses them).",
        "",
    ]
    for cls in DISTRIBUTIONS:
        tag = typing.get_args(cls.model_fields["dist"].annotation)[0]
        lines += [f"### `dist: {tag}`", "", (cls.__doc__ or "").strip(), ""]
        fields = {k: v for k, v in cls.model_fields.items() if k != "dist"}
        lines += ["| key | type | meaning |", "|---|---|---|"]
        for name, field in fields.items():
            meaning = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{name}` | {kind(field.annotation, field.metadata)} | {meaning} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def cli_reference() -> str:
    lines = [
        "# Command-line reference",
        "",
        "Generated from the click commands by `python docs/build.py`; do not edit by hand.",
        "Exit status: 0 done, 2 bad input (one line naming the file, the key path and what",
        "was expected), 1 a failure of the program itself, 130 interrupted.",
        "",
    ]
    # A fixed width: click would otherwise wrap to the terminal running the build.
    context = click.Context(cli, info_name="conductor", terminal_width=100, max_content_width=100)
    lines += ["## conductor", "", "```text", cli.get_help(context), "```", ""]
    for name in cli.list_commands(context):
        command = cli.get_command(context, name)
        sub = click.Context(
            command,
            info_name=name,
            parent=context,
            terminal_width=100,
            max_content_width=100,
        )
        lines += [f"## conductor {name}", "", "```text", command.get_help(sub), "```", ""]
        for child in getattr(command, "list_commands", lambda _: [])(sub):
            inner = command.get_command(sub, child)
            deeper = click.Context(
                inner, info_name=child, parent=sub, terminal_width=100, max_content_width=100
            )
            help_text = inner.get_help(deeper)
            lines += [f"## conductor {name} {child}", "", "```text", help_text, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def parameter_tables() -> str:
    lines = [BEGIN, ""]
    for name in policies():
        cls = policy_class(name)
        lines += [f"### `policy: {name}`", "", *table(cls.Params), ""]
    lines.append(END)
    return "\n".join(lines)


def strategies_page(current: str) -> str:
    start, end = current.find(BEGIN), current.find(END)
    if start < 0 or end < 0:
        return current.rstrip() + "\n\n" + parameter_tables() + "\n"
    return current[:start] + parameter_tables() + current[end + len(END) :]


VALIDATION_BEGIN, VALIDATION_END = "<!-- validation:begin -->", "<!-- validation:end -->"


def _records(path: str | None) -> dict[str, dict]:
    """The last record of each check in a THEORY_RECORD file, by its description."""
    if path is None:
        return {}
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return {r["what"]: r for r in map(json.loads, filter(None, lines))}


def _caught(record: dict | None) -> str:
    """Whether a check recorded under the 3 % bias rejected the engine."""
    if record is None:
        return "not recorded"
    if record["kind"] == "ks":
        return "**fails**" if record["simulated"] >= record["high"] else "passes"
    outside = not record["low"] <= record["theory"] <= record["high"]
    return "**fails**" if outside else "passes"


def validation_table(record: str, biased: str | None) -> str:
    """The Markdown table of every statistical check of a recorded test run."""
    normal, stretched = _records(record), _records(biased)
    rows = [
        "| check | theory | simulated | error | half-width | bound | under a 3 % bias |",
        "|---|---|---|---|---|---|---|",
    ]
    for what, r in normal.items():
        if r["kind"] == "ks":
            rows.append(
                f"| {what} | 0 | D = {r['simulated']:.4f} | – | critical {r['high']:.4f} | – "
                f"| {_caught(stretched.get(what))} |"
            )
            continue
        theory = r["theory"]
        half = (r["high"] - r["low"]) / 2 / abs(theory)
        error = (r["simulated"] - theory) / theory
        bound = f"{r['bound']:.2%}" if r.get("bound") is not None else "–"
        rows.append(
            f"| {what} | {theory:.6g} | {r['simulated']:.6g} | {error:+.2%} | {half:.2%} "
            f"| {bound} | {_caught(stretched.get(what))} |"
        )
    return "\n".join([VALIDATION_BEGIN, "", *rows, "", VALIDATION_END])


def validation_page(current: str, record: str, biased: str | None) -> str:
    start, end = current.find(VALIDATION_BEGIN), current.find(VALIDATION_END)
    table = validation_table(record, biased)
    if start < 0 or end < 0:
        return current.rstrip() + "\n\n" + table + "\n"
    return current[:start] + table + current[end + len(VALIDATION_END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/ reference pages.")
    parser.add_argument("--check", action="store_true", help="fail if a page is stale")
    parser.add_argument("--validation", metavar="RECORD", help="THEORY_RECORD of a test run")
    parser.add_argument("--biased", metavar="RECORD", help="the same under a 3 % delay bias")
    args = parser.parse_args(argv)
    if args.validation:
        page = DOCS / "validation.md"
        page.write_text(validation_page(page.read_text(), args.validation, args.biased))
        print(f"wrote {page}")
        return 0
    strategies = DOCS / "strategies.md"
    pages = {
        DOCS / "scenario-format.md": scenario_format(),
        DOCS / "cli.md": cli_reference(),
        strategies: strategies_page(strategies.read_text() if strategies.exists() else ""),
    }
    stale = [path for path, text in pages.items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path} is out of date: run python docs/build.py", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(pages[path])
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
