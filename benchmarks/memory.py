"""Memory benchmark: peak RSS of conductor for a million requests through one step.

What is measured
----------------
One M/M/1 station at rho = 0.5 (Poisson arrivals at 100/s, exponential service with mean
5 ms), run through ``conductor.run(scenario, replications=1, workers=1)`` for
``--requests`` requests (default one million). The engine keeps a few compact numbers
per request (flow index, arrival time, latency, outcome: 19 bytes, and 8 per billed
attempt) and the statistics add at most one working copy of the latencies, so memory
should grow by tens of bytes per request (about 38 at ten million), not by
the size of a Python object per request. A leak of per-request objects (processes,
events, records) shows up as hundreds of bytes per request.

Printed: peak RSS in MB (``ru_maxrss``), the RSS already reached after imports and
loading (the baseline), their difference per request, and the wall time of the run.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import conductor

RATE = 100.0
RHO = 0.5


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is in KB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def scenario_mapping(horizon: float) -> dict:
    """One flow, one step, one single-server component at utilisation RHO."""
    return {
        "name": "mm1",
        "run": {"horizon": horizon, "warmup": 0, "replications": 1, "seed": 1},
        "providers": {"inhouse": {"kind": "internal"}},
        "components": {
            "s0": {
                "options": {
                    "inhouse": {
                        "service_time": {"dist": "exponential", "mean": RHO / RATE},
                        "capacity": 1,
                    }
                }
            }
        },
        "flows": {"f": {"arrivals": {"process": "poisson", "rate": RATE}, "steps": {"s0": {}}}},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000, help="expected arrivals (1e6)")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON")
    args = parser.parse_args(argv)

    horizon = args.requests / RATE
    scenario = conductor.load_scenario(scenario_mapping(horizon))
    baseline = peak_rss_mb()
    start = time.perf_counter()
    result = conductor.run(scenario, replications=1, horizon=horizon, warmup=0, workers=1)
    wall = time.perf_counter() - start
    peak = peak_rss_mb()

    figures = result.runs[0]
    requests = int(figures[("summary", "requests")])
    mean = figures[("summary", "latency_s", "mean")]
    theory = (RHO / RATE) / (1.0 - RHO)
    per_request = (peak - baseline) * 1024 * 1024 / requests if requests else float("nan")
    print(f"M/M/1 at rho={RHO}, lambda={RATE:g}/s, horizon={horizon:g}s")
    print(f"requests:           {requests}")
    print(f"wall time:          {wall:.2f} s ({requests / wall:.0f} requests/s)")
    print(f"mean latency:       {mean * 1000:.3f} ms (theory {theory * 1000:.3f} ms)")
    print(f"RSS after loading:  {baseline:.1f} MB")
    print(f"peak RSS:           {peak:.1f} MB")
    print(f"growth per request: {per_request:.0f} bytes")
    report = {
        "benchmark": "memory",
        "requests": requests,
        "wall_s": wall,
        "mean_latency_s": mean,
        "theory_mean_latency_s": theory,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak,
        "bytes_per_request": per_request,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return report


if __name__ == "__main__":
    main()
