"""The hand-written SimPy tandem: the reference the tandem benchmark measures against.

Kept alone in its file (numpy and SimPy only) so that a whole-process run of it pays the
start-up of exactly what it uses: `python benchmarks/floor_tandem.py K c lam mu H seed`
prints the number of customers served and their mean end-to-end time.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import simpy


def events_scheduled(env: simpy.Environment) -> int | None:
    """Events scheduled so far in a SimPy environment (its event-id counter), if readable."""
    counter = getattr(env, "_eid", None)
    return next(counter) if counter is not None else None


def floor_run(
    stations: int, servers: int, lam: float, mu: float, horizon: float, seed: int
) -> tuple[list[float], int | None]:
    """The hand-written SimPy model; returns end-to-end times and events scheduled."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(stations + 1)]
    expected = lam * horizon
    gaps = streams[0].exponential(1.0 / lam, int(expected + 10.0 * math.sqrt(expected) + 100))
    times = np.cumsum(gaps)
    while times[-1] < horizon:  # practically never: ten standard deviations of margin
        times = np.concatenate(
            [times, times[-1] + np.cumsum(streams[0].exponential(1 / lam, 1000))]
        )
    count = int(np.searchsorted(times, horizon))
    gaps = np.diff(times[:count], prepend=0.0).tolist()
    service = [rng.exponential(1.0 / mu, count).tolist() for rng in streams[1:]]

    env = simpy.Environment()
    queues = [simpy.Resource(env, capacity=servers) for _ in range(stations)]
    plan = list(zip(queues, service, strict=True))
    latencies: list[float] = []
    record = latencies.append
    timeout = env.timeout

    def customer(i: int):
        arrival = env.now
        for station, times_of in plan:
            with station.request() as req:
                yield req
                yield timeout(times_of[i])
        record(env.now - arrival)

    def source():
        process = env.process
        for i, gap in enumerate(gaps):
            yield timeout(gap)
            process(customer(i))

    env.process(source())
    env.run()
    return latencies, events_scheduled(env)


if __name__ == "__main__":
    k, c, lam, mu, horizon, seed = sys.argv[1:7]
    times, _ = floor_run(int(k), int(c), float(lam), float(mu), float(horizon), int(seed))
    print(len(times), sum(times) / len(times))
