"""Theory beside simulation: what queueing theory predicts for each flow under a strategy.

`analyse(plan, strategy)` estimates, instantly and without simulating, each option's load
(utilisation, mean wait, blocking) and each flow's mean latency, from the declared
figures and the formulas of `conductor.theory`. Every estimate says whether it is exact
and by which method:

- a station with unlimited servers (M/G/∞) never waits; exponential service with an
  unlimited queue is M/M/c (Erlang C); general service at one server is M/G/1
  (Pollaczek–Khinchine); a finite queue is M/M/c/K; `queue: 0` is Erlang B, insensitive
  to the service law. These are exact when the station's calls form a Poisson stream:
  Poisson arrivals reaching it through stations whose departures stay Poisson
  (M/M/c by Burke's theorem, M/G/∞), with no join before it and no retries, hedges,
  timeouts or rate limit. General service at c > 1 servers is Allen–Cunneen (approximate);
- a chain of steps adds its stations' mean latencies (exact in a Jackson network); the
  fork-join of two identical M/M/1 stations is exact, K of them Nelson–Tantawi; any other
  DAG takes each step's latency as independent of the others' (`conductor.latency_grid`:
  convolution and products of cdfs on a grid), which is exact when no step queues and no
  two paths into a join share a step, and approximate otherwise;
- skips and extra calls enter by their probabilities; failures (errors, blocking, outages
  by their long-run unavailability) and retries by `theory.retried`; hedges as
  E[min(X₁, d + X₂)]; the network round trip adds its mean;
- a closed flow alone on single exponential (or unlimited) stations is exact MVA; closed
  flows mixed with others iterate throughput = users / (think + latency) to a fixed point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import conductor.latency_grid as latency_grid
import conductor.theory as theory
from conductor.plan import FlowPlan, OptionPlan, Plan, availability
from conductor.samplers import Exponential
from conductor.strategies.base import Strategy


@dataclass
class Station:
    """One option's analytic load: its calls, utilisation, wait and losses."""

    option: OptionPlan
    rate: float = 0.0  # attempts per second
    utilization: float = 0.0
    wait: float = 0.0
    blocking: float = 0.0
    waiting: float = 0.0  # probability that an admitted attempt waits at all
    failure: float = 0.0  # per attempt: error, blocking, rejection or outage
    exact: bool = True
    method: str = ""


@dataclass
class FlowEstimate:
    """A flow's analytic mean latency (successful requests) and success rate."""

    latency_mean_s: float
    success_rate: float
    exact: bool
    method: str


@dataclass
class Analysis:
    """The analytic estimate of a scenario under one strategy (SPEC §11)."""

    strategy: str
    flows: dict[str, FlowEstimate]
    stations: dict[str, Station]
    rates: dict[str, float]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `conductor check --json`."""
        # The blend over flows weighs each by its successful requests, as the simulation does.
        weights = {
            f: self.rates[f] * e.success_rate if math.isfinite(e.latency_mean_s) else 0.0
            for f, e in self.flows.items()
        }
        total = sum(weights.values())
        blend = (
            sum(weights[f] * e.latency_mean_s for f, e in self.flows.items() if weights[f]) / total
            if total
            else math.nan
        )
        return {
            "strategy": self.strategy,
            "flows": {
                name: {
                    "latency_mean_s": _finite(e.latency_mean_s),
                    "success_rate": e.success_rate,
                    "exact": e.exact,
                    "method": e.method,
                }
                for name, e in self.flows.items()
            },
            "options": {
                key: {
                    "utilization": _finite(s.utilization),
                    "wait_s": _finite(s.wait),
                    "blocking": s.blocking,
                    "calls_per_s": s.rate,
                    "exact": s.exact,
                    "method": s.method,
                }
                for key, s in self.stations.items()
                if s.rate > 0
            },
            "warnings": list(self.warnings),
            "estimate": {
                "latency_mean_s": _finite(blend),
                "exact": all(e.exact for e in self.flows.values()),
            },
        }


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _key(plan: Plan, option: OptionPlan) -> str:
    return f"{plan.components[option.component].name}.{plan.providers[option.provider].name}"


def _exponential(option: OptionPlan) -> bool:
    return isinstance(option.service, Exponential)


def _keeps_poisson(option: OptionPlan) -> bool:
    """True when a Poisson stream of calls leaves the station still Poisson."""
    return option.capacity is None or (
        _exponential(option) and option.queue is None and option.rate_limit is None
    )


def _queue(station: Station, servers: int | None, poisson: bool) -> None:
    """Fill in a station's wait and blocking from its attempt rate."""
    option = station.option
    service = option.service
    rate = station.rate
    if option.rate_limit is not None and rate > option.rate_limit:
        station.blocking = 1.0 - option.rate_limit / rate  # the fluid share over the bucket
        rate = option.rate_limit
        station.exact = False
    load = rate * service.mean
    if servers is None:
        station.utilization, station.method = load, "M/G/∞ (no queue)"
        return
    scv = service.scv if math.isfinite(service.scv) else 1.0
    station.utilization = load / servers
    if option.queue == 0:
        station.blocking = 1 - (1 - station.blocking) * (1 - theory.erlang_b(servers, load))
        station.utilization = load * (1 - theory.erlang_b(servers, load)) / servers
        station.method = "Erlang B (insensitive)"
    elif option.queue is not None:
        lost, wait = theory.mmck(servers, option.queue, rate, service.mean)
        station.blocking = 1 - (1 - station.blocking) * (1 - lost)
        station.utilization = load * (1 - lost) / servers
        station.wait = wait
        station.method = "M/M/c/K"
        station.exact &= _exponential(option)
    elif _exponential(option):
        station.wait = theory.mmc_wait(servers, rate, service.mean)
        station.waiting = theory.erlang_c(servers, load)
        station.method = "M/M/c (Erlang C)" if servers > 1 else "M/M/1"
    elif servers == 1:
        station.wait = theory.pollaczek_khinchine_wait(rate, service.mean, scv)
        station.method = "M/G/1 (Pollaczek–Khinchine)"
    else:
        station.wait = theory.allen_cunneen_wait(servers, rate, service.mean, scv)
        station.method = "M/G/c (Allen–Cunneen, approximate)"
        station.exact = False
    station.exact &= poisson


class _Model:
    """The fixed point of station loads and flow rates for one strategy."""

    def __init__(self, plan: Plan, strategy: Strategy):
        self.plan = plan
        self.strategy = strategy
        self.stations = [Station(o) for o in plan.options]
        self.rates = [f.rate for f in plan.flows]
        self.poisson = self._poisson_inputs()
        self.laws: dict[tuple, np.ndarray] = {}

    def _poisson_inputs(self) -> list[bool]:
        """Per option: whether every call reaching it forms part of a Poisson stream."""
        plan, strategy = self.plan, self.strategy
        fed = [True] * len(plan.options)
        for component in plan.components:
            policy = strategy.policies[component.index]
            if not policy.simple:
                for o in component.options:
                    fed[o] = False
        for flow in plan.flows:
            open_poisson = flow.arrivals.process == "poisson"
            clean = [True] * len(flow.steps)  # the calls reaching the step are Poisson
            for step in flow.steps:
                ok = open_poisson and len(step.after) <= 1
                for before in step.after:
                    prior = flow.steps[before]
                    ok &= clean[before] and prior.calls == 1
                    ok &= all(
                        _keeps_poisson(self.plan.options[o])
                        for o in self.strategy.shares(prior.component)
                    )
                clean[step.index] = ok
                for o in strategy.shares(step.component):
                    option = plan.options[o]
                    repeats = step.calls == 1 or _keeps_poisson(option)
                    fed[o] &= ok and repeats
        return fed

    def call(self, component: int) -> tuple[float, float, bool]:
        """A call of a component: its mean latency if it succeeds, success probability,
        and whether both are exact."""
        plan, strategy = self.plan, self.strategy
        policy = strategy.policies[component]
        latency = success = 0.0
        exact = True
        for o, share in strategy.shares(component).items():
            station = self.stations[o]
            option = plan.options[o]
            network = plan.providers[option.provider].network
            attempt = (network.mean if network else 0.0) + station.wait + option.service.mean
            retries = 0 if policy.static else policy.retries
            ok, _ = theory.retried(station.failure, retries)
            extra = theory.failed_before_success(station.failure, retries)
            mean = attempt * (1.0 + extra)
            if not policy.static and policy.hedge_delay is not None:
                mean = _hedged_mean(self, o, policy.hedge_delay, policy.max_attempts)
            latency += share * mean
            success += share * ok
            exact &= station.exact and station.failure == 0
        return latency, success, exact

    def solve(self) -> None:
        for _ in range(60):
            self._load()
            closed = [i for i, f in enumerate(self.plan.flows) if f.arrivals.process == "closed"]
            if not closed:
                return
            for i in closed:
                flow = self.plan.flows[i]
                latency = flow_latency(self, flow)[0]
                think = flow.arrivals.think.mean
                self.rates[i] = 0.5 * self.rates[i] + 0.5 * flow.arrivals.users / (think + latency)
        self._load()

    def _load(self) -> None:
        plan, strategy = self.plan, self.strategy
        for s in self.stations:
            s.rate = 0.0
        for _ in range(20):  # attempts depend on failures, failures on load
            rates = [0.0] * len(self.stations)
            for flow, flow_rate in zip(plan.flows, self.rates, strict=True):
                for step in flow.steps:
                    calls = flow_rate * step.probability * step.calls
                    policy = strategy.policies[step.component]
                    for o, share in strategy.shares(step.component).items():
                        retries = 0 if policy.static else policy.retries
                        _, attempts = theory.retried(self.stations[o].failure, retries)
                        if not policy.static and policy.hedge_delay is not None:
                            attempts = 1.0 + _beyond(self, o, policy.hedge_delay) * (
                                policy.max_attempts - 1
                            )
                        rates[o] += calls * share * attempts
            for s, rate in zip(self.stations, rates, strict=True):
                option = s.option
                s.rate, s.wait, s.blocking, s.waiting, s.exact = rate, 0.0, 0.0, 0.0, True
                _queue(s, option.capacity, self.poisson[option.index])
                up = availability(plan, option.provider)
                s.failure = 1.0 - (1.0 - option.failure) * (1.0 - s.blocking) * up
                s.exact &= up == 1.0


def _attempt_law(model: _Model, o: int, grid: np.ndarray) -> np.ndarray:
    """Probability mass of one attempt's latency (round trip + wait + service) on a grid."""
    option = model.plan.options[o]
    station = model.stations[o]
    waiting = station.waiting or min(1.0, max(station.utilization, 1e-9))
    key = (o, station.wait, waiting, float(grid[-1]))
    if key not in model.laws:  # the load's fixed point asks again and again
        network = model.plan.providers[option.provider].network
        model.laws[key] = latency_grid.attempt_mass(
            option.service, network, station.wait, waiting, grid
        )
    return model.laws[key]


def _span(model: _Model, o: int) -> float:
    """A time beyond almost every attempt at an option (its parts' 99.99th percentiles)."""
    option = model.plan.options[o]
    network = model.plan.providers[option.provider].network
    wait = model.stations[o].wait
    span = option.service.quantile(0.9999) + (12 * wait if math.isfinite(wait) else 0.0)
    return span + (network.quantile(0.9999) if network else 0.0)


def _option_grid(model: _Model, o: int, attempts: int = 1) -> np.ndarray:
    return latency_grid.time_grid(_span(model, o) * (attempts + 1))


def _beyond(model: _Model, o: int, delay: float) -> float:
    grid = _option_grid(model, o)
    return float(_attempt_law(model, o, grid)[grid > delay].sum())


def _hedged_survival(model: _Model, o: int, delay: float, attempts: int, grid) -> np.ndarray:
    """P(min(X₁, d + X₂, 2d + X₃, ...) > t) for independent attempts X of one option."""
    return latency_grid.hedged_survival(_attempt_law(model, o, grid), delay, attempts, grid)


def _hedged_mean(model: _Model, o: int, delay: float, attempts: int) -> float:
    """E[min(X₁, d + X₂, ...)]: the area under the hedged survival function."""
    grid = _option_grid(model, o, attempts)
    return float(_hedged_survival(model, o, delay, attempts, grid).sum() * (grid[1] - grid[0]))


def _call_law(model: _Model, component: int, grid: np.ndarray) -> np.ndarray:
    """Probability mass of one call's latency on a grid (hedges included, retries not)."""
    policy = model.strategy.policies[component]
    law = np.zeros(grid.size)
    for o, share in model.strategy.shares(component).items():
        if not policy.static and policy.hedge_delay is not None:
            survival = _hedged_survival(model, o, policy.hedge_delay, policy.max_attempts, grid)
            law += share * latency_grid.from_survival(survival)
        else:
            law += share * _attempt_law(model, o, grid)
    return law


def flow_latency(model: _Model, flow: FlowPlan) -> tuple[float, float, bool, str]:
    """A flow's mean latency, success rate, exactness and method."""
    calls = [model.call(s.component) for s in flow.steps]
    success = 1.0
    for step, (_, ok, _) in zip(flow.steps, calls, strict=True):
        if not step.optional:
            success *= 1.0 - step.probability * (1.0 - ok**step.calls)
    exact = all(e for _, _, e in calls)
    if flow.chain or len(flow.steps) == 1:
        mean = sum(s.probability * s.calls * c[0] for s, c in zip(flow.steps, calls, strict=True))
        method = "sum of the stations along the chain" + (" (Jackson)" if exact else "")
        return mean, success, exact, method
    fork = _identical_fork(model, flow)
    if fork is not None:
        branches, rate, service = fork
        if branches == 2:
            return theory.fork_join_two(rate, service), success, exact, "fork-join of two M/M/1"
        mean = theory.nelson_tantawi(branches, rate, service)
        return mean, success, False, f"fork-join of {branches} M/M/1 (Nelson–Tantawi)"
    if _independent(model, flow):
        # Without queues the steps of a request are independent: the grid is exact.
        return _dag_mean(model, flow), success, True, "DAG of queue-free steps (numerical)"
    return _dag_mean(model, flow), success, False, "DAG with independent branches (approximate)"


def _identical_fork(model: _Model, flow: FlowPlan) -> tuple[int, float, float] | None:
    """K identical M/M/1 stations started together and joined: (K, λ, service mean)."""
    if any(s.after or s.calls != 1 or s.probability != 1 for s in flow.steps):
        return None
    stations = []
    for step in flow.steps:
        shares = model.strategy.shares(step.component)
        if len(shares) != 1:
            return None
        station = model.stations[next(iter(shares))]
        option = station.option
        if (
            option.capacity != 1
            or not _exponential(option)
            or model.plan.providers[option.provider].network is not None
            or not station.exact
            or station.failure > 0
        ):
            return None
        stations.append(station)
    first = stations[0]
    if any(
        s.option.service != first.option.service or abs(s.rate - first.rate) > 1e-12 * first.rate
        for s in stations
    ):
        return None
    return len(stations), first.rate, first.option.service.mean


def _dag_mean(model: _Model, flow: FlowPlan) -> float:
    """E[max over paths] with independent steps, on a grid over the longest path."""
    longest: list[float] = []
    for step in flow.steps:
        own = max(_span(model, o) for o in model.strategy.shares(step.component))
        longest.append(max((longest[b] for b in step.after), default=0.0) + own * step.calls)
    grid = latency_grid.time_grid(max(longest))
    laws = []
    for step in flow.steps:
        law = one = _call_law(model, step.component, grid)
        for _ in range(step.calls - 1):
            law = latency_grid.convolve(law, one)
        skipped = np.zeros(grid.size)
        skipped[0] = 1.0
        laws.append(step.probability * law + (1.0 - step.probability) * skipped)
    after = [s.after for s in flow.steps]
    last = [not s.successors for s in flow.steps]
    return latency_grid.dag_mean(after, last, laws, grid)


def _independent(model: _Model, flow: FlowPlan) -> bool:
    """True when the grid's independence holds exactly: every step served without a
    queue, without failures, in one attempt, and no two paths into a join (or into the
    request's end) sharing a step."""
    ancestry: list[set[int]] = []
    for step in flow.steps:
        ancestry.append({step.index}.union(*(ancestry[b] for b in step.after)))
    joins = [list(s.after) for s in flow.steps if len(s.after) > 1]
    joins.append([s.index for s in flow.steps if not s.successors])
    for parents in joins:
        if sum(len(ancestry[p]) for p in parents) != len(
            set().union(*(ancestry[p] for p in parents))
        ):
            return False
    for step in flow.steps:
        policy = model.strategy.policies[step.component]
        if not policy.simple:
            return False
        for o in model.strategy.shares(step.component):
            station = model.stations[o]
            if station.option.capacity is not None or station.failure > 0:
                return False
    return True


def _mva_exact(model: _Model) -> FlowEstimate | None:
    """Exact MVA for a scenario whose only flow is closed, on simple stations."""
    plan, strategy = model.plan, model.strategy
    if len(plan.flows) != 1 or plan.flows[0].arrivals.process != "closed":
        return None
    flow = plan.flows[0]
    if not flow.chain and len(flow.steps) > 1:
        return None
    demands: dict[int, float] = {}
    for step in flow.steps:
        shares = strategy.shares(step.component)
        policy = strategy.policies[step.component]
        if len(shares) != 1 or not policy.simple:
            return None
        o = next(iter(shares))
        option = plan.options[o]
        network = plan.providers[option.provider].network
        if option.failure > 0 or network is not None or option.rate_limit is not None:
            return None
        if option.capacity is not None and (option.capacity != 1 or not _exponential(option)):
            return None
        if option.queue is not None or availability(plan, option.provider) < 1:
            return None
        demands[o] = demands.get(o, 0.0) + step.probability * step.calls * option.service.mean
    think = flow.arrivals.think.mean
    delays = [plan.options[o].capacity is None for o in demands]
    throughput, residence = theory.mva(list(demands.values()), flow.arrivals.users, think, delays)
    for o, r, d in zip(demands, residence, demands.values(), strict=True):
        station = model.stations[o]
        station.rate = throughput * d / plan.options[o].service.mean
        station.utilization = throughput * d / (plan.options[o].capacity or 1)
        station.wait = (r - d) / (station.rate / throughput) if station.rate else 0.0
        station.exact, station.method = True, "closed network (exact MVA)"
    return FlowEstimate(sum(residence), 1.0, True, "closed network (exact MVA)")


def analyse(plan: Plan, strategy: Strategy) -> Analysis:
    """The analytic estimate of every flow and option of a plan under a strategy."""
    model = _Model(plan, strategy)
    model.solve()
    flows: dict[str, FlowEstimate] = {}
    mva = _mva_exact(model)
    if mva is not None:
        flows[plan.flows[0].name] = mva
    else:
        for flow in plan.flows:
            mean, success, exact, method = flow_latency(model, flow)
            timed = any(
                strategy.policies[s.component].timeout is not None
                and not strategy.policies[s.component].static
                for s in flow.steps
            )
            if timed:
                exact, method = False, f"{method}; timeouts not modelled"
            if flow.arrivals.process == "closed":
                exact, method = False, method + "; closed flow by a throughput fixed point"
            elif flow.arrivals.process != "poisson":
                kind = flow.arrivals.process
                exact, method = False, f"{method}; {kind} arrivals taken as Poisson"
            flows[flow.name] = FlowEstimate(mean, success, exact, method)
    warnings = [
        f"{_key(plan, s.option)}: utilisation {s.utilization:.1%} at the estimated load: "
        "the queue is unstable"
        for s in model.stations
        if s.option.capacity is not None and s.rate > 0 and s.utilization >= 1
    ]
    return Analysis(
        strategy=strategy.name,
        flows=flows,
        stations={_key(plan, s.option): s for s in model.stations},
        rates={f.name: rate for f, rate in zip(plan.flows, model.rates, strict=True)},
        warnings=warnings,
    )
