"""The command line: parses arguments and calls the Python API, nothing more."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
import threading
from dataclasses import dataclass, fields
from pathlib import Path

import click

from conductor import __version__
from conductor.errors import ConductorError, ScenarioError
from conductor.report.names import printable


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that what finished is kept the same way."""


@contextlib.contextmanager
def _terminate_as_interrupt():
    # Only the main thread may set handlers (a test runner may call us from another).
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Commands(click.Group):
    """A group that turns known errors into one line and exit status 2 (1 for our bugs)."""

    def invoke(self, ctx: click.Context):
        with _terminate_as_interrupt():
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ScenarioError as error:
            for line in error.lines():
                click.echo(f"conductor: {printable(line)}", err=True)
            ctx.exit(2)
        except ConductorError as error:
            click.echo(f"conductor: {printable(str(error))}", err=True)
            ctx.exit(2)
        except Terminated:
            click.echo("conductor: terminated", err=True)
            ctx.exit(143)
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
    max_requests: float

    def settings(self, *, replications: bool = True) -> list[str]:
        """The run settings given on the command line, as scenario overrides."""
        given = {"horizon": self.horizon, "warmup": self.warmup, "seed": self.seed}
        if replications:
            given["replications"] = self.replications
        return [f"run.{key}={value}" for key, value in given.items() if value is not None]

    def flags(self) -> dict[str, str]:
        """Key path -> the option that set it, as typed, for errors to name."""
        given = {
            "horizon": self.horizon,
            "warmup": self.warmup,
            "seed": self.seed,
            "replications": self.replications,
        }
        return {f"run.{k}": f"--{k} {v}" for k, v in given.items() if v is not None}

    def load(self, path: str):
        """The scenario at `path` with --set and the run settings applied."""
        from conductor.experiments.run import load_scenario

        return load_scenario(path, [*self.overrides, *self.settings()], flags=self.flags())

    def progress(self, as_json: bool = False) -> bool | None:
        """Show a progress bar on a terminal, unless --quiet or --json."""
        return False if self.quiet or as_json else None


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
        click.option(
            "--max-requests",
            type=click.FloatRange(min=0),
            default=200e6,
            metavar="N",
            show_default="200 million",
            help="Refuse a run estimated at more requests (all replications and strategies).",
        ),
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


def _writable(out: str | None) -> None:
    """Prove --out can be written before simulating, not after, and hold its write lock
    until the command ends, so that concurrent writers never interleave their files."""
    if out:
        from conductor.experiments.folder import locked

        click.get_current_context().with_resource(locked(out))


def _load(path: str, overrides):
    from conductor.experiments.run import load_scenario

    return load_scenario(path, overrides)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conductor")
def main() -> None:
    """Simulate and compare how an IT organisation sources its service components."""


@main.command()
@click.argument("scenario", type=click.Path())
@click.option("--strategy", "-s", help="Strategy to run (default: the scenario's first).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON result instead of tables.")
@click.option(
    "--out", type=click.Path(), metavar="DIR", help="Write results.json and runs.csv here."
)
@_flow
@_precision
@_common
def run(scenario, strategy, as_json, out, flow, precision, max_replications, common):
    """Simulate one strategy over replications."""
    from conductor.experiments.run import run as run_strategy

    loaded = common.load(scenario)
    _writable(out)
    result = run_strategy(
        loaded,
        strategy,
        workers=common.workers,
        scheduler=common.scheduler,
        progress=common.progress(as_json),
        flow=flow,
        precision=precision,
        max_replications=max_replications,
        max_requests=common.max_requests,
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
@click.argument("scenario", type=click.Path())
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
    type=click.Path(),
    metavar="DIR",
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
    _writable(out)
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
        max_requests=common.max_requests,
    )
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
@click.argument("scenario", type=click.Path())
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
    type=click.Path(),
    metavar="DIR",
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
            max_requests=common.max_requests,
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
        _warn(result.to_dict())
        return
    from conductor.report.terminal import print_sweep

    print_sweep(result.to_dict())
    _warn(result.to_dict())
    if out and not common.quiet:
        click.echo(f"wrote {Path(out) / 'sweep.csv'}, results.json and figures", err=True)


@main.command()
@click.argument("scenario", type=click.Path())
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a key.")
def check(scenario, overrides):
    """Validate a scenario and show its composition, nominal load and warnings."""
    from rich.console import Console

    from conductor.experiments.estimate import estimate_work
    from conductor.experiments.executors import default_workers
    from conductor.plan import compile_plan
    from conductor.report.names import for_markup, for_terminal, plan_for_terminal
    from conductor.report.terminal import check_table, print_tables
    from conductor.strategies.registry import build_strategy

    loaded = _load(scenario, overrides)
    plan = compile_plan(loaded)
    strategies = {
        name: (spec.policy, build_strategy(name, spec, plan).describe())
        for name, spec in loaded.strategies.items()
    }
    tables, warnings = check_table(plan_for_terminal(plan), for_terminal(strategies))
    work = estimate_work(plan, plan.horizon, plan.replications, len(strategies))
    console = Console()
    print_tables(tables, console)
    console.print(f"work: {work.describe(default_workers())}", markup=False, highlight=False)
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(
        f"[green]ok[/green]: {for_markup(scenario)} is a valid scenario"
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
    path.write_text(starter_text(path.stem))
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
def plot(results, kind, output, strategy, scenario, formats):
    """Redraw figures from a results folder (or its results.json)."""
    from conductor.plots import draw, load_results, save, write_figures

    result, folder = load_results(results)
    loaded = _load(scenario, ()) if scenario else None
    if kind is None:
        if output:
            raise ConductorError("-o names one figure: give --kind too (without it, all are drawn)")
        paths = write_figures(
            result, folder, formats=("png", *formats), strategy=strategy, scenario=loaded
        )
    else:
        target = Path(output) if output else folder / f"{kind}.png"
        paths = [save(draw(kind, result, strategy=strategy, scenario=loaded), target)]
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
def report(results, output, scenario, overrides, image_format):
    """Write one self-contained HTML page: summary, reading, tables and figures."""
    from conductor.metrics.results import atomic_write
    from conductor.plots import load_results
    from conductor.report.html import build_report, scenario_file

    result, folder = load_results(results)
    scenario = scenario or scenario_file(result)
    loaded = _load(scenario, overrides) if scenario else None
    target = Path(output) if output else folder / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, build_report(result, loaded, image_format=image_format))
    click.echo(str(target))


@main.command()
@click.argument("scenario", type=click.Path())
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
