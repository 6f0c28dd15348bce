"""Sweep benchmark: does a sweep's cost grow linearly with its number of points?

What is measured
----------------
A tiny scenario (one flow, one step on one M/M/1 component, two strategies, a short
horizon, one replication) swept over ``--small`` and ``--large`` values of its arrival
rate through the Python API (``conductor.sweep(..., out=DIR, workers=1)``), so the
sweep's own bookkeeping is timed along with the simulations: the unit cache, the rows
and the per-point writes of ``sweep.csv``, then ``results.json``. Each point costs about
the same simulation work (the rates are close), so a sweep whose bookkeeping is linear
costs ``large / small`` times the small one (8x for 400 / 50) or a little less (fixed
costs are shared); quadratic bookkeeping shows up as a ratio well above that.

The two sizes run interleaved (small, large, small, large, ...) ``--repeat`` times,
each into a fresh folder (a reused folder would resume from its cache), and the best
(minimum) CPU time of this process (``time.process_time``) of each size is kept.
Printed: CPU and wall seconds of each size, the CPU per point, and the ratio
large / small next to the linear ratio and the target (10x for 400 / 50).

Run ``python benchmarks/sweep.py --help`` for the options; ``--quick`` is a smoke run.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import conductor

RATE = "flows.web.arrivals.rate"
TARGET = 10.0  # the target for 400 / 50 points (linear would be 8)


def scenario_mapping(horizon: float) -> dict[str, Any]:
    """One flow, one step on a single-server component, a build and a buy strategy."""
    return {
        "name": "tiny",
        "run": {"horizon": horizon, "warmup": 0, "replications": 1, "seed": 1},
        "providers": {"inhouse": {"kind": "internal"}, "vendor": {"kind": "external"}},
        "components": {
            "api": {
                "options": {
                    "inhouse": {
                        "service_time": {"dist": "exponential", "mean": 0.005},
                        "capacity": 1,
                    },
                    "vendor": {"service_time": 0.003, "cost": {"per_call": 0.001}},
                }
            }
        },
        "flows": {"web": {"arrivals": {"process": "poisson", "rate": 10}, "steps": {"api": {}}}},
        "strategies": {
            "build": {"policy": "static", "use": {"*": "internal"}},
            "buy": {"policy": "static", "use": {"*": "external"}},
        },
    }


def rates(points: int) -> list[float]:
    """`points` arrival rates between 10/s and 11/s: about the same work at each point."""
    return [round(10.0 + i / points, 6) for i in range(points)]


def timed_sweep(scenario: Any, points: int) -> tuple[float, float]:
    """CPU and wall seconds of one sweep of `points` points into a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="conductor-sweep-bench-") as folder:
        cpu = time.process_time()
        start = time.perf_counter()
        result = conductor.sweep(scenario, {RATE: rates(points)}, out=folder, workers=1)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
    assert result.complete and len(result.points) == points
    return cpu, wall


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=50, help="points of the reference (50)")
    parser.add_argument("--large", type=int, default=400, help="points of the large sweep (400)")
    parser.add_argument("--horizon", type=float, default=2.0, help="seconds per point (2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size, best kept (3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 vs 80 points, 1 run")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.small, args.large, args.repeat = 10, 80, 1
    if not 0 < args.small < args.large or args.repeat < 1 or args.horizon <= 0:
        parser.error("need 0 < --small < --large, --repeat >= 1 and --horizon > 0")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    scenario = conductor.load_scenario(scenario_mapping(args.horizon))
    print(
        f"sweep: {args.small} vs {args.large} points of a one-step scenario, 2 strategies, "
        f"1 replication, horizon {args.horizon:g}s, best of {args.repeat}"
    )
    print(f"python {platform.python_version()}, conductor {conductor.__version__}")
    timed_sweep(scenario, 2)  # warm-up: imports and first-call caches are not timed
    runs: dict[int, list[tuple[float, float]]] = {args.small: [], args.large: []}
    for _ in range(args.repeat):
        for points in (args.small, args.large):
            runs[points].append(timed_sweep(scenario, points))
    rows = {}
    print()
    print(f"{'points':>8} {'cpu s':>9} {'wall s':>9} {'cpu ms/point':>13}")
    for points, measured in runs.items():
        cpu = min(c for c, _ in measured)
        wall = min(w for _, w in measured)
        rows[points] = {"cpu_s": cpu, "wall_s": wall, "cpus_s": [c for c, _ in measured]}
        print(f"{points:>8} {cpu:>9.3f} {wall:>9.3f} {1000 * cpu / points:>13.2f}")
    ratio = rows[args.large]["cpu_s"] / rows[args.small]["cpu_s"]
    linear = args.large / args.small
    wall_ratio = rows[args.large]["wall_s"] / rows[args.small]["wall_s"]
    print()
    print(
        f"cpu {args.large} / {args.small} points: {ratio:.2f}x "
        f"(linear {linear:.2f}x; wall {wall_ratio:.2f}x)"
    )
    if (args.small, args.large) == (50, 400):
        print(f"target: <= {TARGET:g}x: {'met' if ratio <= TARGET else 'NOT met'}")
    report = {
        "benchmark": "sweep",
        "config": {
            "small": args.small,
            "large": args.large,
            "horizon_s": args.horizon,
            "repeat": args.repeat,
        },
        "versions": {"python": platform.python_version(), "conductor": conductor.__version__},
        "sizes": {str(points): row for points, row in rows.items()},
        "ratios": {"cpu_large_over_small": ratio, "wall_large_over_small": wall_ratio},
        "linear_ratio": linear,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return report


if __name__ == "__main__":
    main()
