"""One replication of one strategy: wire the processes, run to the horizon, drain, record."""

from __future__ import annotations

import numpy as np
import simpy

from conductor.engine.arrivals import arrivals
from conductor.engine.events import ChangeRequests, event_process
from conductor.engine.options import option_servers
from conductor.engine.portfolio import Portfolio
from conductor.engine.protocol import Policy
from conductor.engine.providers import outages, provider_states
from conductor.engine.requests import Executor
from conductor.engine.streams import Streams
from conductor.metrics.records import Records, in_arrival_order
from conductor.plan import Plan


def simulate(
    plan: Plan,
    strategy: Policy,
    replication: int = 0,
    *,
    seed: int | None = None,
    horizon: float | None = None,
    warmup: float | None = None,
    attempt_latencies: bool = False,
) -> Records:
    """Run one replication of a strategy over a plan and return its records (with each
    option's successful attempt latencies when `attempt_latencies`)."""
    seed = plan.seed if seed is None else seed
    horizon = plan.horizon if horizon is None else horizon
    warmup = plan.warmup if warmup is None else warmup
    window = (warmup, horizon)
    env = simpy.Environment()
    streams = Streams(seed, replication)
    providers = provider_states(plan, window)
    servers = option_servers(env, plan, providers, streams, window, attempt_latencies)
    portfolio = Portfolio(env, plan, providers, streams, window, strategy.name)
    executor = Executor(env, plan, strategy, servers, streams, warmup)

    portfolio.start()
    strategy.start(portfolio)
    portfolio.started()
    for state in providers:
        if state.plan.up_time is not None:
            env.process(outages(env, state, streams))
    for flow in plan.flows:
        for process in arrivals(env, flow, executor.request, streams, horizon):
            env.process(process)
    for number, event in enumerate(plan.events):
        env.process(
            event_process(
                env,
                event,
                number,
                plan,
                providers,
                portfolio,
                executor.request,
                executor.admit,
                streams,
                horizon,
            )
        )
    changes = None
    if plan.change_rate > 0:
        changes = ChangeRequests(env, plan, strategy, streams, window)
        env.process(changes.process())
    if strategy.review_interval:
        env.process(_reviews(env, strategy, portfolio, strategy.review_interval))

    env.run(until=horizon)
    if executor.inflight:
        executor.drained = env.event()
        env.run(until=executor.drained)
    end = env.now
    portfolio.accrue(horizon)
    for state in providers:
        state.close(end)

    # Requests finish out of order; records are kept in order of arrival.
    flows, arrival, latency, ok = in_arrival_order(
        np.frombuffer(executor.record_flow, dtype=np.uint16),
        np.frombuffer(executor.record_arrival, dtype=np.float64),
        np.frombuffer(executor.record_latency, dtype=np.float64),
        np.frombuffer(executor.record_ok, dtype=np.uint8).view(bool),
    )
    return Records(
        strategy=strategy.name,
        replication=replication,
        low=warmup,
        high=horizon,
        flow=flows,
        arrival=arrival,
        latency=latency,
        ok=ok,
        calls=np.array(executor.calls, dtype=np.int64),
        failed_calls=np.array(executor.failed_calls, dtype=np.int64),
        flow_attempts=np.array([t.attempts for t in executor.tallies], dtype=np.int64),
        flow_variable_cost=np.array([t.spend for t in executor.tallies]),
        rejections=np.array([s.rejections for s in servers], dtype=np.int64),
        errors=np.array([s.errors for s in servers], dtype=np.int64),
        outage_failures=np.array([s.outage_failures for s in servers], dtype=np.int64),
        timeouts=np.array(executor.timeouts, dtype=np.int64),
        busy=np.array([s.busy for s in servers]),
        wait=np.array([s.wait for s in servers]),
        waits=np.array([s.waits for s in servers], dtype=np.int64),
        fixed_cost=portfolio.fixed_by_option.copy(),
        switching_cost=portfolio.switching_by_option.copy(),
        availability=np.array([s.availability() for s in providers]),
        relationship_cost=portfolio.fixed_by_provider.copy(),
        switches=portfolio.switches,
        change_lead_times=np.frombuffer(changes.recorded, dtype=np.float64).copy()
        if changes is not None
        else np.zeros(0),
        engagements=list(portfolio.history),
        attempt_times=[np.frombuffer(s.stamps, dtype=np.float64) for s in servers],
        attempt_latencies=[
            np.frombuffer(s.latencies, dtype=np.float64).copy()
            for s in servers
            if s.latencies is not None
        ],
    )


def _reviews(env: simpy.Environment, strategy: Policy, portfolio: Portfolio, every: float):
    while True:
        yield env.timeout(every)
        strategy.review(portfolio)
