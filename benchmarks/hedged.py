"""Hedged-vs-static benchmark: what a hedged call with a per-attempt timeout costs.

One flow calling one component with two options (two vendors, exponential service, a
lognormal round trip). `static` sends every call to the first vendor; `hedged` hedges to
the second after the primary's declared p95, with a per-attempt timeout, so about 5 % of
calls make a second attempt. Both run through the engine (`simulate`) on the same
arrivals, interleaved, ``--repeat`` times each, best CPU time kept. The headline is
hedged's CPU time per request over static's (target: at most 1.2).

Run ``python benchmarks/hedged.py --help`` for the options; ``--quick`` is a smoke run.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from tandem import timed

import conductor
import conductor.engine.simulation
import conductor.plan
import conductor.strategies.registry


def pair_scenario(lam: float, horizon: float, seed: int = 1) -> dict[str, Any]:
    """One component, two vendors; a static and a hedged strategy."""
    network = {"dist": "lognormal", "median": "20ms", "p99": "80ms"}
    option = {"service_time": {"dist": "exponential", "mean": "10ms"}, "capacity": 4}
    return {
        "name": "hedged-vs-static",
        "run": {"horizon": horizon, "warmup": 0, "replications": 1, "seed": seed},
        "providers": {
            "a": {"kind": "external", "network": network},
            "b": {"kind": "external", "network": network},
        },
        "components": {"api": {"options": {"a": dict(option), "b": dict(option)}}},
        "flows": {"calls": {"arrivals": {"process": "poisson", "rate": lam}, "steps": {"api": {}}}},
        "strategies": {
            "static": {"policy": "static", "use": {"api": "a"}},
            "hedged": {
                "policy": "hedged",
                "order": ["a", "b"],
                "delay": "p95",
                "max_attempts": 2,
                "timeout": "500ms",
            },
        },
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="arrivals per second")
    parser.add_argument("--requests", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.quick:
        args.requests, args.repeat = 10000, 2
    horizon = args.requests / args.rate
    scenario = conductor.load_scenario(pair_scenario(args.rate, horizon, args.seed))
    plan = conductor.plan.compile_plan(scenario)
    build = conductor.strategies.registry.build_strategy
    cpu = {name: math.inf for name in scenario.strategies}
    counts = {}
    for _ in range(args.repeat):
        for name in scenario.strategies:
            strategy = build(name, scenario.strategies[name], plan)
            _, seconds, records = timed(
                lambda s=strategy: conductor.engine.simulation.simulate(plan, s, 0)
            )
            cpu[name] = min(cpu[name], seconds)
            counts[name] = (len(records.latency), int(records.flow_attempts.sum()))
    print(f"hedged (p95, timeout 500ms) vs static, {args.requests} requests")
    print(f"{'strategy':<10} {'cpu s':>8} {'us/request':>11} {'attempts/call':>14}")
    per = {}
    for name, seconds in cpu.items():
        requests, attempts = counts[name]
        per[name] = seconds / requests
        print(f"{name:<10} {seconds:8.3f} {per[name] * 1e6:11.2f} {attempts / requests:14.3f}")
    ratio = per["hedged"] / per["static"]
    print(f"hedged / static per request (CPU): {ratio:.2f}x   (target <= 1.2x)")
    result = {"cpu_s": cpu, "ratio": ratio, "args": {k: str(v) for k, v in vars(args).items()}}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
