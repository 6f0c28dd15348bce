"""Parallel benchmark: replications over 1 and over 2 worker processes, and their speed-up.

What is measured
----------------
The same replications of one scenario (default: the 5-station tandem of `tandem.py`,
8 replications of 20 000 requests) run through `conductor.run` with `workers=1`, then
with `workers=2`. The units are independent and seeded by (seed, replication, stream),
so the two runs must give identical numbers (checked), and on a machine with two idle
cores the speed-up should approach 2 less the cost of starting the pool and shipping
results back. Run it on a quiet machine: other load on the cores shows up directly.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import conductor

sys.path.insert(0, str(Path(__file__).parent))
from tandem import tandem_scenario


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--requests", type=int, default=20000, help="per replication")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    rate, servers, rho = 100.0, 2, 0.7
    mapping = tandem_scenario(5, servers, rate, rate / (servers * rho), args.requests / rate)
    scenario = conductor.load_scenario(mapping, [f"run.replications={args.replications}"])
    timings, results = {}, {}
    for workers in (1, args.workers):
        started = time.perf_counter()
        results[workers] = conductor.run(scenario, workers=workers).to_dict()
        timings[workers] = time.perf_counter() - started
    same = results[1]["summary"] == results[args.workers]["summary"]
    speedup = timings[1] / timings[args.workers]
    print(f"{args.replications} replications of {args.requests} requests (5x{servers} tandem)")
    for workers, seconds in timings.items():
        print(f"  workers={workers}: {seconds:6.2f} s")
    print(f"speed-up 1 -> {args.workers} workers: {speedup:.2f}x   identical results: {same}")
    return {"timings": timings, "speedup": speedup, "identical": same}


if __name__ == "__main__":
    main()
