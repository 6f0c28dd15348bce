"""Fan-out benchmark: a request calling K components in parallel, conductor vs SimPy.

One flow whose K steps have no predecessors: each request calls K components at once and
finishes when the last answers (an AND-join). Each component is one exponential server at
utilisation rho, fed by Poisson arrivals at lambda. The reference is the minimal
hand-written SimPy model of it: numpy pre-drawn variates, a `simpy.Resource` per
component, a process per branch and an `AllOf` join. Runs are interleaved, ``--repeat``
times each, and the best CPU time is kept. The headline is conductor's CPU time over the
reference's (target: at most 0.8).

Run ``python benchmarks/fanout.py --help`` for the options; ``--quick`` is a smoke run.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).parent))
from tandem import batch_means, engine_inputs, timed

import conductor
import conductor.engine.simulation


def fanout_scenario(branches: int, lam: float, mu: float, horizon: float, seed: int = 1) -> dict:
    """K components called in parallel by one flow, as a conductor scenario mapping."""
    option = {"service_time": {"dist": "exponential", "mean": 1.0 / mu}, "capacity": 1}
    return {
        "name": f"fanout-{branches}",
        "run": {"horizon": horizon, "warmup": 0, "replications": 1, "seed": seed},
        "providers": {"inhouse": {"kind": "internal"}},
        "components": {f"c{k}": {"options": {"inhouse": dict(option)}} for k in range(branches)},
        "flows": {
            "fanout": {
                "arrivals": {"process": "poisson", "rate": lam},
                "steps": {f"c{k}": {} for k in range(branches)},
            }
        },
    }


def floor_run(branches: int, lam: float, mu: float, horizon: float, seed: int) -> list[float]:
    """The hand-written SimPy fork-join; returns end-to-end times."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(branches + 1)]
    expected = lam * horizon
    times = np.cumsum(
        streams[0].exponential(1.0 / lam, int(expected + 10 * math.sqrt(expected) + 100))
    )
    count = int(np.searchsorted(times, horizon))
    gaps = np.diff(times[:count], prepend=0.0).tolist()
    service = [rng.exponential(1.0 / mu, count).tolist() for rng in streams[1:]]
    env = simpy.Environment()
    servers = [simpy.Resource(env, capacity=1) for _ in range(branches)]
    plan = list(zip(servers, service, strict=True))
    latencies: list[float] = []
    timeout = env.timeout
    process = env.process

    def branch(server, duration):
        with server.request() as request:
            yield request
            yield timeout(duration)

    def customer(i: int):
        arrival = env.now
        yield env.all_of([process(branch(server, times_of[i])) for server, times_of in plan])
        latencies.append(env.now - arrival)

    def source():
        for i, gap in enumerate(gaps):
            yield timeout(gap)
            process(customer(i))

    process(source())
    env.run()
    return latencies


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--branches", type=int, default=10)
    parser.add_argument("--rho", type=float, default=0.5)
    parser.add_argument("--rate", type=float, default=50.0, help="arrivals per second")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.quick:
        args.requests, args.repeat = 3000, 2
    lam, mu = args.rate, args.rate / args.rho
    horizon = args.requests / lam
    scenario = conductor.load_scenario(fanout_scenario(args.branches, lam, mu, horizon, args.seed))
    plan, strategy = engine_inputs(scenario)
    cpu = {"floor": math.inf, "conductor engine": math.inf}
    means = {}
    for _ in range(args.repeat):
        _, seconds, latencies = timed(lambda: floor_run(args.branches, lam, mu, horizon, args.seed))
        cpu["floor"] = min(cpu["floor"], seconds)
        means["floor"] = batch_means(latencies)
        _, seconds, records = timed(lambda: conductor.engine.simulation.simulate(plan, strategy, 0))
        cpu["conductor engine"] = min(cpu["conductor engine"], seconds)
        means["conductor engine"] = batch_means(records.latency)
    print(f"{args.branches}-way fan-out, rho {args.rho}, {args.requests} requests")
    print(f"{'engine':<18} {'cpu s':>8} {'x floor':>8} {'mean ms':>9} {'+- se ms':>9}")
    for name, seconds in cpu.items():
        mean, se = means[name]
        print(
            f"{name:<18} {seconds:8.3f} {seconds / cpu['floor']:8.2f} "
            f"{mean * 1e3:9.3f} {se * 1e3:9.3f}"
        )
    ratio = cpu["conductor engine"] / cpu["floor"]
    print(f"conductor / floor (CPU): {ratio:.2f}x   (target <= 0.8x)")
    result = {"cpu_s": cpu, "ratio": ratio, "args": {k: str(v) for k, v in vars(args).items()}}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
