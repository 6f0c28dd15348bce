"""Scaling benchmark: conductor's run time as the flow's DAG grows and as the load grows.

What is measured
----------------
Wall time of ``conductor.run(scenario, replications=1, workers=1)`` (loading, validation
and plan compilation excluded; the load time is shown in its own column), in two sweeps:

* **DAG size**: flows of n = 10, 50, 100, 200 steps, each step calling its own
  single-server component with exponential service at light load (rho = 0.3 per
  component), Poisson arrivals at a fixed rate. Two shapes:

  - ``chain``: s0 -> s1 -> ... -> s{n-1}, which the engine runs in one process per
    request (its fast path);
  - ``fanout``: s0 -> {s1 .. s{n-1}} in parallel, which takes the general DAG path (one
    process per branch and AND-join counters).

  Work grows with n, so each point simulates about ``--visits`` step visits (requests =
  visits / n); the table reports seconds per 1000 requests and microseconds per step
  visit. A flat us/visit column means cost linear in the DAG's size.
* **Load**: the 5-station, 2-server tandem of ``tandem.py`` at rho = 0.3, 0.5, 0.7, 0.9
  with ``--requests`` requests. Longer queues should not cost more per request; a rise
  shows a cost that depends on queue length.

Each point is the best of ``--repeat`` runs. The mean end-to-end time is shown next to
queueing theory where it is exact (the chain and the tandem), as a sanity check.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from tandem import peak_rss_mb, tandem_scenario, tandem_theory

import conductor

RATE = 100.0  # arrivals per second


def dag_scenario(shape: str, steps: int, rho: float, horizon: float) -> dict[str, Any]:
    """A flow of `steps` steps, each on its own M/M/1 component at utilisation rho."""
    mean = rho / RATE
    option = {"service_time": {"dist": "exponential", "mean": mean}, "capacity": 1}
    names = [f"s{k}" for k in range(steps)]
    if shape == "chain":
        flow_steps = {name: {"after": [names[k - 1]]} if k else {} for k, name in enumerate(names)}
    elif shape == "fanout":
        flow_steps = {name: {"after": [names[0]]} if k else {} for k, name in enumerate(names)}
    else:
        raise ValueError(shape)
    return {
        "name": f"{shape}-{steps}",
        "run": {"horizon": horizon, "warmup": 0, "replications": 1, "seed": 1},
        "providers": {"inhouse": {"kind": "internal"}},
        "components": {name: {"options": {"inhouse": dict(option)}} for name in names},
        "flows": {"f": {"arrivals": {"process": "poisson", "rate": RATE}, "steps": flow_steps}},
    }


def measure(mapping: dict[str, Any], repeat: int) -> dict[str, Any]:
    """Load once, then run `repeat` times through the API; best wall time and the figures."""
    start = time.perf_counter()
    scenario = conductor.load_scenario(mapping)
    load_s = time.perf_counter() - start
    horizon = mapping["run"]["horizon"]
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = conductor.run(scenario, replications=1, horizon=horizon, warmup=0, workers=1)
        walls.append(time.perf_counter() - start)
    figures = result.runs[0]
    return {
        "load_s": load_s,
        "wall_s": min(walls),
        "walls_s": walls,
        "requests": int(figures[("summary", "requests")]),
        "mean_latency_s": figures[("summary", "latency_s", "mean")],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,50,100,200", help="DAG sizes (10,50,100,200)")
    parser.add_argument("--visits", type=int, default=200000, help="step visits per point")
    parser.add_argument("--rhos", default="0.3,0.5,0.7,0.9", help="tandem loads (0.3,...,0.9)")
    parser.add_argument("--requests", type=int, default=30000, help="requests per load point")
    parser.add_argument("--repeat", type=int, default=2, help="runs per point, best kept (2)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10x less work, 1 run")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.visits, args.requests, args.repeat = args.visits // 10, args.requests // 10, 1
    args.sizes = [int(n) for n in args.sizes.split(",")]
    args.rhos = [float(r) for r in args.rhos.split(",")]
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    dag_rho = 0.3
    print(
        f"DAG size: one M/M/1 component per step at rho={dag_rho}, lambda={RATE:g}/s, "
        f"~{args.visits} step visits per point, best of {args.repeat}"
    )
    header = (
        f"{'shape':<8}{'steps':>6}{'requests':>10}{'load ms':>9}{'wall s':>8}"
        f"{'s/1000 req':>12}{'us/visit':>10}{'mean ms':>10}{'theory ms':>11}"
    )
    print(header)
    dag_rows = []
    for shape in ("chain", "fanout"):
        for steps in args.sizes:
            requests = max(100, args.visits // steps)
            row = measure(dag_scenario(shape, steps, dag_rho, requests / RATE), args.repeat)
            mu = RATE / dag_rho
            theory = steps / (mu - RATE) if shape == "chain" else None
            row.update(shape=shape, steps=steps, theory_mean_latency_s=theory)
            row["s_per_1000_requests"] = row["wall_s"] / row["requests"] * 1000
            row["us_per_visit"] = row["wall_s"] / (row["requests"] * steps) * 1e6
            dag_rows.append(row)
            shown = f"{theory * 1000:.2f}" if theory is not None else "-"
            print(
                f"{shape:<8}{steps:>6}{row['requests']:>10}{row['load_s'] * 1000:>9.1f}"
                f"{row['wall_s']:>8.2f}{row['s_per_1000_requests']:>12.4f}"
                f"{row['us_per_visit']:>10.2f}{row['mean_latency_s'] * 1000:>10.2f}{shown:>11}",
                flush=True,
            )

    stations, servers = 5, 2
    print()
    print(
        f"load: {stations}-station tandem, {servers} servers each, lambda={RATE:g}/s, "
        f"{args.requests} requests per point, best of {args.repeat}"
    )
    print(
        f"{'rho':>5}{'requests':>10}{'wall s':>8}{'s/1000 req':>12}{'us/visit':>10}"
        f"{'mean ms':>10}{'theory ms':>11}"
    )
    load_rows = []
    for rho in args.rhos:
        mu = RATE / (servers * rho)
        horizon = args.requests / RATE
        row = measure(tandem_scenario(stations, servers, RATE, mu, horizon), args.repeat)
        theory = tandem_theory(stations, servers, RATE, mu)
        row.update(rho=rho, theory_mean_latency_s=theory)
        row["s_per_1000_requests"] = row["wall_s"] / row["requests"] * 1000
        row["us_per_visit"] = row["wall_s"] / (row["requests"] * stations) * 1e6
        load_rows.append(row)
        print(
            f"{rho:>5.2f}{row['requests']:>10}{row['wall_s']:>8.2f}"
            f"{row['s_per_1000_requests']:>12.4f}{row['us_per_visit']:>10.2f}"
            f"{row['mean_latency_s'] * 1000:>10.2f}{theory * 1000:>11.2f}",
            flush=True,
        )

    rss = peak_rss_mb()
    print()
    print(f"peak RSS: {rss:.1f} MB")
    report = {
        "benchmark": "scale",
        "lambda": RATE,
        "dag_rho": dag_rho,
        "dag": dag_rows,
        "load": load_rows,
        "peak_rss_mb": rss,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return report


if __name__ == "__main__":
    main()
