"""The command line: parses arguments and calls the Python API, nothing more."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import sys
import threading
from dataclasses import dataclass, fields
from pathlib import Path

import click

from conductor import __version__
from conductor.errors import ConductorError, ScenarioError


class Commands(click.Group):
    """A group that turns known errors into one line and exit status 2 (1 for our bugs)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ScenarioError as error:
            click.echo(f"conductor: {error}", err=True)
            ctx.exit(2)
        except ConductorError as error:
            click.echo(f"conductor: {error}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("conductor: interrupted", err=True)
            ctx.exit(130)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:  # a bug of ours: one line unless asked for more
            if os.environ.get("CONDUCTOR_DEBUG"):
                raise
            click.echo(
                f"conductor: internal error: {type(error).__name__}: {error} "
                "(set CONDUCTOR_DEBUG=1 for the traceback)",
                err=True,
            )
            ctx.exit(1)


@dataclass(frozen=True)
class Common:
    """The options every simulating command takes."""

    replications: int | None
    horizon: str | None
    warmup: str | None
    seed: int | None
    overrides: tuple[str, ...]
    workers: int | None
    scheduler: str | None
    quiet: bool

    def settings(self, *, replications: bool = True) -> list[str]:
        """The run settings given on the command line, as scenario overrides."""
        given = {"horizon": self.horizon, "warmup": self.warmup, "seed": self.seed}
        if replications:
            given["replications"] = self.replications
        return [f"run.{key}={value}" for key, value in given.items() if value is not None]

    def load(self, path: str):
        """The scenario at `path` with --set and the run settings applied."""
        from conductor.experiments.run import load_scenario

        return load_scenario(path, [*self.overrides, *self.settings()])

    def progress(self, as_json: bool = False) -> bool | None:
        """Show progress on stderr (a bar on a terminal, plain lines elsewhere) unless
        --quiet; --json output on stdout is unaffected."""
        return False if self.quiet else None


def _common(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        names = [f.name for f in fields(Common)]
        common = Common(**{name: kwargs.pop(name) for name in names})
        return function(*args, common=common, **kwargs)

    options = [
        click.option("--replications", "-r", type=click.IntRange(min=1), help="Replications."),
        click.option("--horizon", help="Arrivals stop here (a duration such as 2h)."),
        click.option("--warmup", help="Start of the measured window (a duration)."),
        click.option("--seed", type=click.IntRange(min=0), help="Root seed."),
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="PATH=VALUE",
            help="Override a scenario key (repeatable), e.g. --set flows.web.arrivals.rate=50/s.",
        ),
        click.option(
            "--workers",
            "-w",
            type=click.IntRange(min=1),
            help="Local worker processes (default: all cores).",
        ),
        click.option("--scheduler", metavar="ADDRESS", help="Run on a Dask distributed cluster."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def _flow(function):
    return click.option(
        "--flow",
        metavar="NAME",
        help="Make this flow's figures the headline: tables, ranking, differences, Pareto.",
    )(function)


def _precision(function):
    function = click.option(
        "--max-replications",
        type=click.IntRange(min=2),
        help="With --precision: at most this many replications (default 200).",
    )(function)
    return click.option(
        "--precision",
        metavar="P",
        help="Add replications until the 95 % half-widths of mean and p99 latency and cost "
        "per request are within P (2% or 0.02) of the estimate.",
    )(function)


def _slug(name: str) -> str:
    """A flow name fit for a file name (a name is scenario text, not a path)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".") or "_"


def _warn(result: dict) -> None:
    """The warnings of a result (or of its runs) on stderr."""
    runs = result.get("strategies", {"": result}).values()
    for warning in dict.fromkeys(w for run in runs for w in run.get("warnings") or ()):
        click.echo(f"conductor: warning: {warning}", err=True)


def _figure_formats(function):
    return click.option(
        "--format",
        "formats",
        multiple=True,
        type=click.Choice(["png", "svg"]),
        help="Figure formats with --out: png always, svg also writes SVG (repeatable).",
    )(function)


def _load(path: str, overrides):
    from conductor.experiments.run import load_scenario

    return load_scenario(path, overrides)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conductor")
def main() -> None:
    """Simulate and compare how an IT organisation sources its service components."""
    # SIGTERM (a CI job cancelled, a container stopped) ends a run as Ctrl-C does, so
    # what finished is kept and the pool's workers are stopped.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--strategy", "-s", help="Strategy to run (default: the scenario's first).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON result instead of tables.")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Write results.json and runs.csv here."
)
@_flow
@_precision
@_common
def run(scenario, strategy, as_json, out, flow, precision, max_replications, common):
    """Simulate one strategy over replications."""
    from conductor.experiments.run import run as run_strategy

    result = run_strategy(
        common.load(scenario),
        strategy,
        workers=common.workers,
        scheduler=common.scheduler,
        progress=common.progress(as_json),
        flow=flow,
        precision=precision,
        max_replications=max_replications,
    )
    if out:
        result.write(out)
    if as_json:
        click.echo(result.to_json())
        _warn(result.to_dict())
        return
    from conductor.report.terminal import print_run

    print_run(result.to_dict())
    if out and not common.quiet:
        click.echo(f"wrote {Path(out) / 'results.json'} and runs.csv", err=True)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--strategy",
    "-s",
    "strategies",
    multiple=True,
    help="Strategy to compare (repeatable; default: all of the scenario's).",
)
@click.option("--baseline", "-b", help="Strategy the others are compared with (default: first).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON result instead of a table.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Write results.json, runs.csv and figures here.",
)
@_figure_formats
@_flow
@_precision
@_common
def compare(
    scenario, strategies, baseline, as_json, out, formats, flow, precision, max_replications, common
):
    """Compare strategies with common random numbers: ranking, differences, Pareto front."""
    from conductor.experiments.compare import compare as compare_strategies

    loaded = common.load(scenario)
    try:
        result = compare_strategies(
            loaded,
            strategies or None,
            baseline=baseline,
            workers=common.workers,
            scheduler=common.scheduler,
            progress=common.progress(as_json),
            flow=flow,
            precision=precision,
            max_replications=max_replications,
            out=out,
        )
    except KeyboardInterrupt:
        if out:
            click.echo(
                f"conductor: interrupted; finished units are kept in {Path(out) / '.units'}: "
                "the same command resumes from them",
                err=True,
            )
        raise
    if out:
        result.write(out)
        from conductor.plots import write_figures

        write_figures(result.to_dict(), out, formats=("png", *formats), scenario=loaded)
    if as_json:
        click.echo(result.to_json())
        _warn(result.to_dict())
    else:
        from conductor.report.terminal import print_compare

        print_compare(result.to_dict())
    if out and not common.quiet:
        click.echo(f"wrote {Path(out) / 'results.json'}, runs.csv and figures", err=True)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--vary",
    "vary",
    multiple=True,
    required=True,
    metavar="PATH=SPEC",
    help="A parameter and its values: 10:100:10, 1,2,5 or 1..1000*7 (one or two).",
)
@click.option("--strategy", "-s", "strategies", multiple=True, help="Strategies (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON result instead of a table.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Write sweep.csv, results.json and figures here; rerunning resumes.",
)
@_figure_formats
@_flow
@_precision
@_common
def sweep(
    scenario, vary, strategies, as_json, out, formats, flow, precision, max_replications, common
):
    """Run strategies over a grid of one or two scenario parameters."""
    from conductor.experiments.sweep import sweep as run_sweep

    try:
        result = run_sweep(
            scenario,
            vary,
            strategies or None,
            overrides=[*common.overrides, *common.settings(replications=False)],
            out=out,
            replications=common.replications,
            workers=common.workers,
            scheduler=common.scheduler,
            progress=common.progress(as_json),
            flow=flow,
            precision=precision,
            max_replications=max_replications,
        )
    except KeyboardInterrupt:
        if out:
            click.echo(f"conductor: interrupted; finished points are in {out}", err=True)
        raise
    if out:
        from conductor.plots import write_figures

        write_figures(result.to_dict(), out, formats=("png", *formats), kind="sweep")
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    from conductor.report.terminal import print_sweep

    print_sweep(result.to_dict())
    if out and not common.quiet:
        click.echo(f"wrote {Path(out) / 'sweep.csv'}, results.json and figures", err=True)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a key.")
def check(scenario, overrides):
    """Validate a scenario and show its composition, nominal load and warnings."""
    from rich.console import Console

    from conductor.plan import compile_plan
    from conductor.report.terminal import check_table, print_tables
    from conductor.strategies.registry import build_strategy

    loaded = _load(scenario, overrides)
    plan = compile_plan(loaded)
    strategies = {
        name: (spec.policy, build_strategy(name, spec, plan).describe())
        for name, spec in loaded.strategies.items()
    }
    tables, warnings = check_table(plan, strategies)
    console = Console()
    print_tables(tables, console)
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(
        f"[green]ok[/green]: {scenario} is a valid scenario"
        + (f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})" if warnings else "")
    )


@main.command()
@click.argument("name", required=False, default="starter")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(name, force):
    """Write a commented starter scenario to NAME.yaml."""
    from conductor.scenario.starter import starter_text

    path = Path(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    if path.exists() and not force:
        raise ConductorError(f"{path} exists; use --force to overwrite it")
    path.write_text(starter_text(path.stem, str(path)))
    click.echo(f"wrote {path}; try: conductor check {path} && conductor run {path}")


@main.command()
def schema():
    """Print the JSON Schema of the scenario file."""
    from conductor.scenario.schema import scenario_schema

    click.echo(json.dumps(scenario_schema(), indent=2))


FIGURE_KINDS = ["cdf", "percentiles", "cost", "pareto", "timeline", "sweep", "heatmap"]


@main.command()
@click.argument("results", type=click.Path())
@click.option("--kind", "-k", type=click.Choice(FIGURE_KINDS), help="One figure (default: all).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="File for --kind (format from its extension; default: RESULTS/KIND.png).",
)
@click.option(
    "--strategy", "-s", help="Strategy of the timeline or heat map (default: the baseline)."
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    help="The scenario file, to name the providers in the timeline's events.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["png", "svg"]),
    help="Without --kind: png always, svg also writes SVG (repeatable).",
)
@_flow
def plot(results, kind, output, strategy, scenario, formats, flow):
    """Redraw figures from a results folder (or its results.json)."""
    from conductor.plots import draw, load_results, save, write_figures

    result, folder = load_results(results)
    loaded = _load(scenario, ()) if scenario else None
    if kind is None:
        if output:
            raise ConductorError("-o names one figure: give --kind too (without it, all are drawn)")
        paths = write_figures(
            result,
            folder / f"flow-{_slug(flow)}" if flow else folder,
            formats=("png", *formats),
            strategy=strategy,
            scenario=loaded,
            flow=flow,
        )
    else:
        stem = f"{kind}-{_slug(flow)}" if flow else kind
        target = Path(output) if output else folder / f"{stem}.png"
        paths = [save(draw(kind, result, strategy=strategy, scenario=loaded, flow=flow), target)]
    for path in paths:
        click.echo(str(path))


@main.command()
@click.argument("results", type=click.Path())
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="The HTML file (default: RESULTS/report.html).",
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    help="The scenario file, to draw the composition (results.json holds only its name).",
)
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a key.")
@click.option(
    "--format",
    "image_format",
    type=click.Choice(["png", "svg"]),
    default="png",
    show_default=True,
    help="How images are inlined.",
)
@_flow
def report(results, output, scenario, overrides, image_format, flow):
    """Write one self-contained HTML page: summary, reading, tables and figures."""
    from conductor.metrics.results import atomic_write
    from conductor.plots import load_results
    from conductor.report.html import build_report, scenario_file

    result, folder = load_results(results)
    scenario = scenario or scenario_file(result)
    loaded = _load(scenario, overrides) if scenario else None
    target = Path(output) if output else folder / f"report{f'-{_slug(flow)}' if flow else ''}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, build_report(result, loaded, image_format=image_format, flow=flow))
    click.echo(str(target))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    help="Image file (format from its extension: png, svg, pdf).",
)
@click.option(
    "--strategy", "-s", help="Whose starting choices colour the steps (default: the first)."
)
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a key.")
def graph(scenario, output, strategy, overrides):
    """Draw the composition: each flow's steps, internal and external options coloured apart."""
    from conductor.experiments.run import strategy_name
    from conductor.plan import compile_plan
    from conductor.plots import composition_graph, save, served_by_strategy
    from conductor.plots.style import figure_of

    loaded = _load(scenario, overrides)
    plan = compile_plan(loaded)
    name = strategy_name(loaded, strategy)
    serving = served_by_strategy(loaded, plan, name)
    save(figure_of(composition_graph(plan, serving=serving, strategy=name)), output)
    click.echo(str(output))


@main.group("import")
def import_group() -> None:
    """Turn measurements into a model: traces into a scenario, configs into strategies."""


def _import_traces(format: str):
    @click.argument("traces", type=click.Path(dir_okay=False))
    @click.option(
        "--output", "-o", required=True, type=click.Path(dir_okay=False), help="Scenario file."
    )
    @click.option("--name", help="Scenario name (default: from the trace file's name).")
    @click.option(
        "--sampled",
        type=click.FloatRange(min=0, max=1, min_open=True),
        default=1.0,
        show_default=True,
        help="Share of requests the traces hold (head sampling): rates are scaled by 1/S.",
    )
    @click.option(
        "--arrivals",
        type=click.Choice(["poisson", "trace"]),
        default="poisson",
        show_default=True,
        help="Poisson at the measured rates, or the measured arrival times replayed "
        "(CSV files written beside the scenario).",
    )
    def command(traces, output, name, sampled, arrivals):
        from conductor.metrics.results import atomic_write
        from conductor.traces.writer import import_traces

        imported = import_traces(traces, format, name=name, sampled=sampled, arrivals=arrivals)
        for warning in imported.warnings:
            click.echo(f"conductor: warning: {warning}", err=True)
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        for file, text in imported.files.items():
            atomic_write(target.parent / file, text)
        atomic_write(target, imported.text)
        measured = imported.measured
        click.echo(
            f"wrote {target}: {len(measured.flows)} flows, {len(measured.components)} "
            f"components from {measured.spans} spans ({measured.seconds:.2f}s); "
            f"try: conductor validate {target} --against {traces}"
        )

    return command


import_group.command("otel", help="Import OTLP/JSON traces (resourceSpans) as a scenario.")(
    _import_traces("otel")
)
import_group.command("jaeger", help="Import Jaeger JSON traces (data[].spans) as a scenario.")(
    _import_traces("jaeger")
)


@import_group.command("config")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False), help="Strategies file."
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    help="Check the strategies against this scenario and write it, strategies added, to -o.",
)
def import_config(files, output, scenario):
    """Turn Istio, gRPC, resilience4j and Envoy settings into strategies."""
    from conductor.metrics.results import atomic_write
    from conductor.traces.configs import import_configs

    imported = import_configs(files, scenario=scenario)
    for line in imported.reported:
        click.echo(f"conductor: note: {line}", err=True)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, imported.text)
    names = ", ".join(imported.strategies)
    click.echo(f"wrote {target}: strategies {names}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--against", required=True, type=click.Path(dir_okay=False), help="The measured traces."
)
@click.option("--strategy", "-s", help="Strategy to simulate (default: as-measured, else first).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON result instead of tables.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Write validation.json and the CDF overlay figure here.",
)
@_figure_formats
@_common
def validate(scenario, against, strategy, as_json, out, formats, common):
    """Simulated against measured latency: p50, p90, p99 per flow and component, MAPE."""
    from conductor.traces.validate import validate as run_validation

    result = run_validation(
        common.load(scenario),
        against,
        strategy=strategy,
        workers=common.workers,
        progress=common.progress(as_json),
    )
    if out:
        from conductor.plots import save
        from conductor.plots.validation import validation_cdf

        result.write(out)
        figure = validation_cdf(result)
        for extension in ("png", *formats):
            save(figure, Path(out) / f"validation-cdf.{extension}")
    if as_json:
        click.echo(result.to_json())
    else:
        from conductor.report.validation import print_validation

        print_validation(result.to_dict())
    if out and not common.quiet:
        click.echo(f"wrote {Path(out) / 'validation.json'} and validation-cdf.png", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
