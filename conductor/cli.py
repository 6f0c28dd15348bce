"""The command line: parses arguments and calls the Python API, nothing more."""

from __future__ import annotations

import contextlib
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

from conductor.errors import ConductorError, ScenarioError
from conductor.figures import KINDS
from conductor.report.names import printable
from conductor.version import __version__


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
            max_requests=common.max_requests,
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
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--objective",
    "objectives",
    multiple=True,
    metavar="K",
    help="An objective (repeatable; default cost_total and latency_p99): cost_total, "
    "cost_per_request, latency_mean, latency_p50 … latency_p999 (failures count as "
    "infinitely slow), success_rate, slo_attainment, change_lead_time.",
)
@click.option(
    "--budget",
    type=int,
    default=50,
    show_default=True,
    help="At most this many candidate assignments are simulated.",
)
@click.option(
    "--components",
    metavar="C,...",
    help="Search these components only (default: every one with a choice).",
)
@click.option(
    "--vary",
    multiple=True,
    metavar="PATH=SPEC",
    help="Capacity levels to search too: components.C.options.P.capacity=2,4,8.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON result instead of a table.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Write results.json, pareto.png and front.yaml (the front as strategies).",
)
@_common
def optimise(scenario, objectives, budget, components, vary, as_json, out, common):
    """Search which provider should serve each component: the Pareto front of assignments."""
    from conductor.experiments.optimise import optimise as search

    loaded = common.load(scenario)
    _writable(out)
    result = search(
        loaded,
        objectives=objectives or ("cost_total", "latency_p99"),
        budget=budget,
        components=[c.strip() for c in components.split(",") if c.strip()] if components else None,
        vary=vary,
        workers=common.workers,
        scheduler=common.scheduler,
        progress=common.progress(as_json),
        max_requests=common.max_requests,
    )
    if out:
        paths = result.write(out)
        if not common.quiet:
            click.echo("wrote " + ", ".join(str(p) for p in paths), err=True)
    if as_json:
        click.echo(result.to_json())
        return
    from conductor.report.terminal import print_optimise

    print_optimise(result.to_dict())


@main.command()
@click.argument("scenario", type=click.Path())
@click.option("--strategy", "-s", help="Strategy of the analytic estimate (default: the first).")
@click.option("--json", "as_json", is_flag=True, help="Print the analytic estimate as JSON.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a key.")
def check(scenario, strategy, as_json, overrides):
    """Validate a scenario; show its composition, nominal load, theory's estimate, warnings."""
    from rich.console import Console

    from conductor.experiments.estimate import estimate_work
    from conductor.experiments.executors import default_workers
    from conductor.experiments.run import strategy_name, theory_of
    from conductor.plan import compile_plan
    from conductor.report.names import for_markup, for_terminal, plan_for_terminal
    from conductor.report.terminal import check_table, estimate_table, print_tables
    from conductor.strategies.registry import build_strategy

    loaded = _load(scenario, overrides)
    plan = compile_plan(loaded)
    strategies = {
        name: (spec.policy, build_strategy(name, spec, plan).describe())
        for name, spec in loaded.strategies.items()
    }
    estimate = theory_of(loaded, strategy_name(loaded, strategy), plan)
    tables, warnings = check_table(plan_for_terminal(plan), for_terminal(strategies))
    warnings = list(dict.fromkeys([*warnings, *estimate["warnings"]]))
    work = estimate_work(plan, plan.horizon, plan.replications, len(strategies))
    if as_json:
        click.echo(json.dumps({**estimate, "warnings": warnings}, indent=2))
        return
    console = Console()
    print_tables([*tables, estimate_table(estimate)], console)
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
    path.write_text(starter_text(path.stem, str(path)))
    click.echo(f"wrote {path}; try: conductor check {path} && conductor run {path}")


@main.command()
def schema():
    """Print the JSON Schema of the scenario file."""
    from conductor.scenario.schema import scenario_schema
    from conductor.strategies.registry import schema_with_policies

    click.echo(json.dumps(schema_with_policies(scenario_schema()), indent=2))


@main.command()
@click.argument("results", type=click.Path())
@click.option("--kind", "-k", type=click.Choice(KINDS), help="One figure (default: all).")
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
    from conductor.experiments.run import policy_of, strategy_name
    from conductor.plan import compile_plan
    from conductor.plots import composition_graph, save
    from conductor.plots.style import figure_of

    loaded = _load(scenario, overrides)
    plan = compile_plan(loaded)
    name = strategy_name(loaded, strategy)
    serving = policy_of(loaded, name, plan)["serving"]
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
