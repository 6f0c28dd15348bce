"""Arrival processes: when each flow's requests arrive, until the horizon.

Each flow draws from its own stream (`arrivals/<flow>`), so every strategy in a
replication sees the same arrival times. `closed` flows are a fixed population of users
who each wait for their response, then think, then call again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator

import simpy

from conductor.engine.streams import Streams
from conductor.plan import FlowPlan
from conductor.samplers import Exponential

Start = Callable[[FlowPlan], simpy.Process]


def arrivals(
    env: simpy.Environment, flow: FlowPlan, start: Start, streams: Streams, horizon: float
) -> list[Generator]:
    """The processes that generate a flow's requests (one, or one per closed user)."""
    spec = flow.arrivals
    name = f"arrivals/{flow.name}"
    kind = spec.process
    if kind == "poisson":
        return [_renewal(env, flow, start, streams, name, spec.rate, horizon)] if spec.rate else []
    if kind == "constant":
        return [_constant(env, flow, start, spec.rate, horizon)] if spec.rate else []
    if kind == "bursty":
        return [_bursty(env, flow, start, streams, name, spec, horizon)]
    if kind == "diurnal":
        return [_diurnal(env, flow, start, streams, name, spec, horizon)] if spec.mean else []
    if kind == "closed":
        think = spec.think.build()
        return [
            _user(env, flow, start, streams.draws(f"{name}/user{u}", think), horizon)
            for u in range(spec.users)
        ]
    if kind == "trace":
        return [_trace(env, flow, start, spec.times, horizon)]
    raise ValueError(f"unknown arrival process {kind}")


def _renewal(env, flow, start, streams, name, rate, horizon):
    gap = streams.draws(name, Exponential(1.0 / rate))
    timeout = env.timeout
    while True:
        delay = gap()
        if env.now + delay >= horizon:
            return
        yield timeout(delay)
        start(flow)


def _constant(env, flow, start, rate, horizon):
    spacing = 1.0 / rate
    count = 0
    while count * spacing < horizon:
        yield env.timeout(count * spacing - env.now)
        start(flow)
        count += 1


def _bursty(env, flow, start, streams, name, spec, horizon):
    # Within a state arrivals are Poisson; memorylessness lets a gap that overruns the
    # state's end be redrawn at the new state's rate from the switching instant.
    gaps = streams.generator(name)
    states = streams.generator(f"{name}/states")
    state = 0
    ends = env.now + states.exponential(spec.mean_durations[0])
    while True:
        rate = spec.rates[state]
        at = env.now + (gaps.exponential(1.0 / rate) if rate > 0 else math.inf)
        if at >= ends:
            if ends >= horizon:
                return
            yield env.timeout(ends - env.now)
            state = 1 - state
            ends = env.now + states.exponential(spec.mean_durations[state])
            continue
        if at >= horizon:
            return
        yield env.timeout(at - env.now)
        start(flow)


def _diurnal(env, flow, start, streams, name, spec, horizon):
    # Thinning (Lewis-Shedler): candidates at the peak rate, kept with rate(t)/peak.
    peak = spec.mean * (1.0 + spec.amplitude)
    gap = streams.draws(name, Exponential(1.0 / peak))
    keep = streams.uniforms(f"{name}/thinning")
    omega = 2.0 * math.pi / spec.period
    while True:
        delay = gap()
        if env.now + delay >= horizon:
            return
        yield env.timeout(delay)
        rate = spec.mean * (1.0 + spec.amplitude * math.cos(omega * (env.now - spec.peak_at)))
        if keep() * peak < rate:
            start(flow)


def _user(env, flow, start, think, horizon):
    while True:
        delay = think()
        if env.now + delay >= horizon:
            return
        yield env.timeout(delay)
        yield start(flow)


def _trace(env, flow, start, times, horizon):
    for at in times:
        if at >= horizon:
            return
        if at > env.now:
            yield env.timeout(at - env.now)
        start(flow)
