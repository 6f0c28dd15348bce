"""Tandem benchmark: conductor against a hand-written SimPy floor and against Ciw.

What is measured
----------------
One open queueing network, simulated three ways in the same process:

* **floor**: the leanest plain-SimPy model of the network (numpy pre-drawn variates, one
  generator per stream, one process per customer, ``simpy.Resource`` per station). No
  SimPy-based simulator can do the same work in fewer Python operations, so its time is
  the floor against which conductor's overhead is judged.
* **conductor.run**: the same network as a conductor scenario, run through the public API
  (``conductor.run``; loading and validation are timed separately and excluded).
  **conductor engine** times ``conductor.engine.simulation.simulate`` alone: the run
  minus plan compilation, strategy construction and the summary statistics.
* **ciw**: the same network in Ciw, a pure-Python queueing-network simulator that does not
  use SimPy; it tells whether conductor is in the range of dedicated queueing tools.

The network is K stations in tandem, each with c servers and exponential service at
rate mu = lambda / (c rho), fed by Poisson arrivals at rate lambda until the horizon
H = requests / lambda. Each engine runs ``--repeat`` times (interleaved, same seeds) and
the best (minimum) wall time is kept: the minimum is the run least disturbed by the rest
of the machine. The mean end-to-end time of every engine is printed next to the
Jackson-network value (Erlang C per station) with a batch-means standard error, so the
table only compares engines that simulate the same thing.

Columns: ``wall s`` (best of the repeats), ``req/s`` (completed requests per wall
second), ``x floor`` (wall time over the floor's) and ``events x floor`` (SimPy events
scheduled per completed request, over the floor's: above 1, conductor schedules more
events per request; at 1, any gap in wall time is the cost of each event and of the
Python code around it; Ciw has no SimPy events). ``cpu s`` and ``cpu x floor`` are the
same for this process's CPU time (best of the repeats), a second opinion when the
machine is shared. The headline ratios are ``conductor / floor`` (conductor.run over
floor: the price of conductor's generality, lower is better) and ``ciw / conductor``
(above 1: conductor is faster than Ciw).

Run ``python benchmarks/tandem.py --help`` for the options; ``--quick`` is a smoke run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ciw
import numpy as np
import simpy
from floor_tandem import events_scheduled, floor_run

import conductor
import conductor.engine.simulation
import conductor.plan
import conductor.strategies.registry

RATE = 100.0  # arrivals per second; only the time scale, not the work, depends on it


# Theory -------------------------------------------------------------------------------


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu."""
    rho = offered / servers
    if rho >= 1:
        return 1.0
    term = 1.0
    total = 0.0
    for k in range(servers):
        if k:
            term *= offered / k
        total += term
    last = term * offered / servers / (1.0 - rho)
    return last / (total + last)


def tandem_theory(stations: int, servers: int, lam: float, mu: float) -> float:
    """Mean end-to-end time of a Jackson tandem: sum over stations of Wq + 1/mu."""
    per_station = erlang_c(servers, lam / mu) / (servers * mu - lam) + 1.0 / mu
    return stations * per_station


def batch_means(values: Any, batches: int = 20) -> tuple[float, float]:
    """Mean and its batch-means standard error (values in completion order)."""
    data = np.asarray(values, dtype=float)
    if data.size < 2 * batches:
        return float(data.mean()) if data.size else math.nan, math.nan
    size = data.size // batches
    means = data[: size * batches].reshape(batches, size).mean(axis=1)
    return float(data.mean()), float(means.std(ddof=1) / math.sqrt(batches))


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is in KB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


# Scenario -----------------------------------------------------------------------------


def tandem_scenario(
    stations: int, servers: int, lam: float, mu: float, horizon: float, seed: int = 1
) -> dict[str, Any]:
    """The tandem as a conductor scenario mapping: K components chained with `after`."""
    option = {"service_time": {"dist": "exponential", "mean": 1.0 / mu}, "capacity": servers}
    return {
        "name": f"tandem-{stations}x{servers}",
        "run": {"horizon": horizon, "warmup": 0, "replications": 1, "seed": seed},
        "providers": {"inhouse": {"kind": "internal"}},
        "components": {f"s{k}": {"options": {"inhouse": dict(option)}} for k in range(stations)},
        "flows": {
            "tandem": {
                "arrivals": {"process": "poisson", "rate": lam},
                "steps": {f"s{k}": {"after": [f"s{k - 1}"]} if k else {} for k in range(stations)},
            }
        },
    }


def engine_inputs(scenario) -> tuple[Any, Any]:
    """The compiled plan and the first strategy, as `conductor.run` builds them."""
    plan = conductor.plan.compile_plan(scenario)
    name = next(iter(scenario.strategies))
    strategy = conductor.strategies.registry.build_strategy(name, scenario.strategies[name], plan)
    return plan, strategy


class _CountingEnvironment(simpy.Environment):
    """A SimPy Environment that remembers the last instance (to read its event counter)."""

    last: simpy.Environment | None = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        type(self).last = self


def simulate_counting(plan, strategy) -> tuple[Any, int | None]:
    """`simulate(plan, strategy, 0)` with its Environment's event count (no per-event cost:
    the subclass only overrides __init__)."""
    original = simpy.Environment
    simpy.Environment = _CountingEnvironment
    try:
        records = conductor.engine.simulation.simulate(plan, strategy, 0)
    finally:
        simpy.Environment = original
    env = _CountingEnvironment.last
    _CountingEnvironment.last = None
    return records, events_scheduled(env) if env is not None else None


# The three engines ---------------------------------------------------------------------


def ciw_run(
    stations: int, servers: int, lam: float, mu: float, horizon: float, seed: int
) -> list[float]:
    """The network in Ciw (direct routing); end-to-end times of customers that left."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)] + [None] * (stations - 1),
        service_distributions=[ciw.dists.Exponential(rate=mu) for _ in range(stations)],
        number_of_servers=[servers] * stations,
        routing=ciw.routing.NetworkRouting(
            routers=[ciw.routing.Direct(to=k + 2) for k in range(stations - 1)]
            + [ciw.routing.Leave()]
        ),
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(horizon)
    done = simulation.nodes[-1].all_individuals
    return [ind.data_records[-1].exit_date - ind.data_records[0].arrival_date for ind in done]


def timed(function: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds and CPU seconds of this process for one call, and its value."""
    cpu = time.process_time()
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, time.process_time() - cpu, value


# Main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=5, help="K stations in tandem (5)")
    parser.add_argument("--servers", type=int, default=2, help="c servers per station (2)")
    parser.add_argument("--rho", type=float, default=0.7, help="utilisation per station (0.7)")
    parser.add_argument("--requests", type=int, default=60000, help="expected arrivals (60000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine, best kept (3)")
    parser.add_argument("--seed", type=int, default=1, help="root seed of every engine (1)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10000 requests, 1 run")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON")
    parser.add_argument(
        "--processes",
        action="store_true",
        help="whole processes, start-up included: the floor script against `conductor run`",
    )
    parser.add_argument(
        "--conductor-only",
        action="store_true",
        help="run conductor.run alone, no comparison (for profiling with cProfile)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.repeat = min(args.requests, 10000), 1
    if not 0 < args.rho < 1:
        parser.error("--rho must be in (0, 1)")
    if args.stations < 1 or args.servers < 1 or args.requests < 1 or args.repeat < 1:
        parser.error("--stations, --servers, --requests and --repeat must be positive")
    return args


def conductor_only(scenario, horizon: float, repeat: int, theory: float, load_s: float) -> dict:
    """`--conductor-only`: time conductor.run alone (a clean subject for a profiler)."""
    walls = []
    for _ in range(repeat):
        seconds, _, result = timed(
            lambda: conductor.run(scenario, replications=1, horizon=horizon, warmup=0, workers=1)
        )
        walls.append(seconds)
    figures = result.runs[0]
    requests = int(figures[("summary", "requests")])
    mean = figures[("summary", "latency_s", "mean")]
    print(
        f"conductor.run: {min(walls):.3f} s, {requests / min(walls):.0f} req/s "
        f"(load {load_s * 1000:.1f} ms); mean {mean * 1000:.3f} ms, "
        f"theory {theory * 1000:.3f} ms; peak RSS {peak_rss_mb():.1f} MB"
    )
    return {"wall_s": min(walls), "walls_s": walls, "requests": requests, "mean_latency_s": mean}


def child_cpu(command: list[str]) -> float:
    """CPU seconds (user + system) of one child process run to its end.

    The child may write bytecode caches even where PYTHONDONTWRITEBYTECODE is set: an
    installed package has them (pip compiles it), and a child compiling conductor's
    sources at every start would be timed for work no user's command does. The first run
    writes them; keep the best of several runs."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=environment)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_processes(mapping, k, c, lam, mu, horizon, args) -> dict[str, Any]:
    """`--processes`: each engine as a fresh process, start-up and output included,
    interleaved; best CPU time of the repeats."""
    here = Path(__file__).parent
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "tandem.json"  # JSON is YAML: the CLI reads it as is
        scenario.write_text(json.dumps(mapping))
        commands = {
            "floor": [
                *(sys.executable, str(here / "floor_tandem.py")),
                *(str(v) for v in (k, c, lam, mu, horizon, args.seed)),
            ],
            "conductor run": [
                *(sys.executable, "-m", "conductor", "run", str(scenario)),
                *("--replications", "1", "--workers", "1", "--quiet", "--json"),
            ],
        }
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for r in range(args.repeat):
            for name, command in commands.items():
                cpus[name].append(child_cpu(command))
            print(
                f"  run {r + 1}/{args.repeat}: "
                + ", ".join(f"{name} {cpus[name][-1]:.2f}s" for name in commands),
                flush=True,
            )
    best = {name: min(values) for name, values in cpus.items()}
    ratio = best["conductor run"] / best["floor"]
    print(f"{'process':<16}{'cpu s':>9}{'x floor':>9}")
    for name, seconds in best.items():
        print(f"{name:<16}{seconds:>9.3f}{seconds / best['floor']:>9.2f}")
    print(f"whole process, start-up included: conductor / floor {ratio:.2f}x (target <= 0.6x)")
    return {"cpu_s": best, "cpus_s": cpus, "ratio": ratio, "requests": args.requests}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    k, c, rho = args.stations, args.servers, args.rho
    lam = RATE
    mu = lam / (c * rho)
    horizon = args.requests / lam
    theory = tandem_theory(k, c, lam, mu)
    print(
        f"tandem: {k} stations x {c} servers, rho={rho}, lambda={lam:g}/s, mu={mu:.4g}/s, "
        f"horizon={horizon:g}s (~{args.requests} requests), best of {args.repeat}"
    )
    print(
        f"python {platform.python_version()}, simpy {simpy.__version__}, ciw {ciw.__version__}, "
        f"numpy {np.__version__}, conductor {conductor.__version__}"
    )

    mapping = tandem_scenario(k, c, lam, mu, horizon, args.seed)
    load_s, _, scenario = timed(lambda: conductor.load_scenario(mapping))
    if args.processes:
        report = whole_processes(mapping, k, c, lam, mu, horizon, args)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2))
        return report
    if args.conductor_only:
        report = conductor_only(scenario, horizon, args.repeat, theory, load_s)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2))
        return report
    plan, strategy = engine_inputs(scenario)

    names = ("floor", "conductor.run", "conductor engine", "ciw")
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    latencies: dict[str, Any] = {}
    events: dict[str, int | None] = {"ciw": None}
    api_mean = math.nan
    for r in range(args.repeat):
        seconds, cpu, (lat, events["floor"]) = timed(
            lambda: floor_run(k, c, lam, mu, horizon, args.seed)
        )
        walls["floor"].append(seconds)
        cpus["floor"].append(cpu)
        latencies["floor"] = lat

        seconds, cpu, result = timed(
            lambda: conductor.run(scenario, replications=1, horizon=horizon, warmup=0, workers=1)
        )
        walls["conductor.run"].append(seconds)
        cpus["conductor.run"].append(cpu)
        api_mean = result.runs[0][("summary", "latency_s", "mean")]
        latencies["conductor.run"] = None  # same replication as the engine's: checked below

        if r == 0:
            seconds, cpu, (records, count) = timed(lambda: simulate_counting(plan, strategy))
            events["conductor engine"] = events["conductor.run"] = count
        else:
            seconds, cpu, records = timed(
                lambda: conductor.engine.simulation.simulate(plan, strategy, 0)
            )
        walls["conductor engine"].append(seconds)
        cpus["conductor engine"].append(cpu)
        latencies["conductor engine"] = records.latency

        seconds, cpu, lat = timed(lambda: ciw_run(k, c, lam, mu, horizon, args.seed))
        walls["ciw"].append(seconds)
        cpus["ciw"].append(cpu)
        latencies["ciw"] = lat
        print(
            f"  run {r + 1}/{args.repeat}: "
            + ", ".join(f"{name} {walls[name][-1]:.2f}s" for name in names),
            flush=True,
        )

    rows: dict[str, dict[str, Any]] = {}
    engine_mean, engine_se = batch_means(latencies["conductor engine"])
    floor_wall = min(walls["floor"])
    floor_cpu = min(cpus["floor"])
    for name in names:
        if name == "conductor.run":
            mean, se, done = api_mean, engine_se, len(latencies["conductor engine"])
        else:
            mean, se = batch_means(latencies[name])
            done = len(latencies[name])
        wall = min(walls[name])
        count = events.get(name)
        rows[name] = {
            "wall_s": wall,
            "walls_s": walls[name],
            "cpu_s": min(cpus[name]),
            "cpus_s": cpus[name],
            "requests": done,
            "requests_per_s": done / wall,
            "x_floor": wall / floor_wall,
            "cpu_x_floor": min(cpus[name]) / floor_cpu,
            "events": count,
            "events_per_request": count / done if count else None,
            "mean_latency_s": mean,
            "mean_latency_se_s": se,
            "deviation": mean / theory - 1.0,
            # Agreement: within 4 batch-means standard errors, plus 1 % for start-up bias.
            "agrees": abs(mean - theory) <= 4.0 * se + 0.01 * theory,
        }

    floor_per_request = rows["floor"]["events_per_request"]
    for row in rows.values():
        per_request = row["events_per_request"]
        row["events_x_floor"] = per_request / floor_per_request if per_request else None

    print()
    print(
        f"{'engine':<18}{'wall s':>9}{'req/s':>10}{'x floor':>9}{'events x floor':>16}"
        f"{'cpu s':>9}{'cpu x floor':>13}"
    )
    for name, row in rows.items():
        ev = f"{row['events_x_floor']:.2f}" if row["events_x_floor"] is not None else "n/a"
        print(
            f"{name:<18}{row['wall_s']:>9.3f}{row['requests_per_s']:>10.0f}"
            f"{row['x_floor']:>9.2f}{ev:>16}{row['cpu_s']:>9.3f}{row['cpu_x_floor']:>13.2f}"
        )
    print(f"(conductor load_scenario, excluded above: {load_s * 1000:.1f} ms)")
    counted = [n for n in ("floor", "conductor engine") if rows[n]["events"]]
    if counted:
        per_request = (f"{n} {rows[n]['events_per_request']:.2f}" for n in counted)
        print(f"SimPy events scheduled per request: {', '.join(per_request)}")

    print()
    print(f"mean end-to-end time (theory, Jackson/Erlang C: {theory * 1000:.3f} ms)")
    print(f"{'engine':<18}{'mean ms':>10}{'+- se ms':>10}{'vs theory':>11}  agrees")
    for name, row in rows.items():
        print(
            f"{name:<18}{row['mean_latency_s'] * 1000:>10.3f}"
            f"{row['mean_latency_se_s'] * 1000:>10.3f}{row['deviation']:>+11.2%}"
            f"  {'yes' if row['agrees'] else 'NO'}"
        )
    same = math.isclose(api_mean, engine_mean, rel_tol=1e-12)
    print(f"conductor.run and engine replay the same replication: {'yes' if same else 'NO'}")

    ratios = {
        "conductor_over_floor": rows["conductor.run"]["wall_s"] / floor_wall,
        "engine_over_floor": rows["conductor engine"]["wall_s"] / floor_wall,
        "ciw_over_conductor": rows["ciw"]["wall_s"] / rows["conductor.run"]["wall_s"],
        "cpu_conductor_over_floor": rows["conductor.run"]["cpu_s"] / floor_cpu,
        "cpu_ciw_over_conductor": rows["ciw"]["cpu_s"] / rows["conductor.run"]["cpu_s"],
    }
    rss = peak_rss_mb()
    print()
    print(f"conductor / floor: {ratios['conductor_over_floor']:.2f}x", end="")
    print(f"   (engine alone: {ratios['engine_over_floor']:.2f}x)")
    print(f"ciw / conductor:   {ratios['ciw_over_conductor']:.2f}x")
    print(
        f"same on CPU time:  conductor / floor {ratios['cpu_conductor_over_floor']:.2f}x, "
        f"ciw / conductor {ratios['cpu_ciw_over_conductor']:.2f}x"
    )
    print(f"peak RSS: {rss:.1f} MB")

    report = {
        "benchmark": "tandem",
        "config": {
            "stations": k,
            "servers": c,
            "rho": rho,
            "lambda": lam,
            "mu": mu,
            "horizon_s": horizon,
            "requests": args.requests,
            "repeat": args.repeat,
            "seed": args.seed,
        },
        "versions": {
            "python": platform.python_version(),
            "simpy": simpy.__version__,
            "ciw": ciw.__version__,
            "numpy": np.__version__,
            "conductor": conductor.__version__,
        },
        "theory_mean_latency_s": theory,
        "load_scenario_s": load_s,
        "engines": rows,
        "ratios": ratios,
        "same_replication": same,
        "peak_rss_mb": rss,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return report


if __name__ == "__main__":
    main()
