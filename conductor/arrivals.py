"""Arrival processes at run time: one class per `process`, and the table that names them.

The plan builds each flow's process once from its spec, laws included
(`PROCESSES[spec.process].from_spec(spec)`); the engine only asks it for its SimPy
processes, and the scenario's checks ask it whether surges apply (`open`). Adding an arrival
process is its spec in `conductor.scenario.model` and a class here with its entry in
`PROCESSES`.

Each flow draws from its own stream (`arrivals/<flow>`), so every strategy in a replication
sees the same arrival times. `closed` flows are a fixed population of users who each wait
for their response, then think, then call again.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from conductor.samplers import Distribution, Exponential

if TYPE_CHECKING:
    import simpy

    from conductor.engine.streams import Streams

Start = Callable[[Any], Any]
"""Starts one request of a flow (the engine's executor); `start(flow, True)` returns an event
that fires when the request ends, for a closed user to wait on."""


class ArrivalProcess(abc.ABC):
    """When a flow's requests arrive: its kind, its laws and the SimPy processes that run it."""

    process: ClassVar[str]
    """The kind, as a scenario names it."""

    open: ClassVar[bool] = True
    """Arrivals that do not wait for responses, so that a surge can scale them."""

    @classmethod
    @abc.abstractmethod
    def from_spec(cls, spec: Any) -> ArrivalProcess:
        """The process of a validated scenario spec, its laws built."""

    rate: float
    """Long-run mean arrival rate (per second), from the parameters."""

    @abc.abstractmethod
    def processes(
        self, env: simpy.Environment, flow: Any, start: Start, streams: Streams, horizon: float
    ) -> list[Generator]:
        """The generators that start the flow's requests until the horizon."""


@dataclass(frozen=True)
class Poisson(ArrivalProcess):
    """Exponential gaps at a rate."""

    process: ClassVar[str] = "poisson"
    rate: float
    gap: Distribution | None  # none at rate 0

    @classmethod
    def from_spec(cls, spec: Any) -> Poisson:
        """The process of a `poisson` spec."""
        return cls(spec.rate, Exponential(1.0 / spec.rate) if spec.rate else None)

    def processes(
        self, env: simpy.Environment, flow: Any, start: Start, streams: Streams, horizon: float
    ) -> list[Generator]:
        """One renewal process, or none at rate 0."""
        if self.gap is None:
            return []
        return [_renewal(env, flow, start, streams, f"arrivals/{flow.name}", self.gap, horizon)]


@dataclass(frozen=True)
class ConstantArrivals(ArrivalProcess):
    """Evenly spaced arrivals from time 0."""

    process: ClassVar[str] = "constant"
    rate: float

    @classmethod
    def from_spec(cls, spec: Any) -> ConstantArrivals:
        """The process of a `constant` spec."""
        return cls(spec.rate)

    def processes(
        self, env: simpy.Environment, flow: Any, start: Start, streams: Streams, horizon: float
    ) -> list[Generator]:
        """One clock, or none at rate 0."""
        return [_constant(env, flow, start, self.rate, horizon)] if self.rate else []


@dataclass(frozen=True)
class Bursty(ArrivalProcess):
    """Two-state Markov-modulated Poisson process."""

    process: ClassVar[str] = "bursty"
    rates: tuple[float, float]
    mean_durations: tuple[float, float]

    @classmethod
    def from_spec(cls, spec: Any) -> Bursty:
        """The process of a `bursty` spec."""
        return cls(tuple(spec.rates), tuple(spec.mean_durations))

    @property
    def rate(self) -> float:
        """Each state's rate weighted by its mean duration."""
        total = sum(self.mean_durations)
        return sum(r * d for r, d in zip(self.rates, self.mean_durations, strict=True)) / total

    def processes(
        self, env: simpy.Environment, flow: Any, start: Start, streams: Streams, horizon: float
    ) -> list[Generator]:
        """One process switching between the two states."""
        return [_bursty(env, flow, start, streams, f"arrivals/{flow.name}", self, horizon)]


@dataclass(frozen=True)
class Diurnal(ArrivalProcess):
    """Poisson arrivals with a sinusoidal rate, drawn by thinning at the peak rate."""

    process: ClassVar[str] = "diurnal"
    mean: float
    amplitude: float
    period: float
    peak_at: float
    gap: Distribution | None  # gaps between candidates at the peak rate; none at mean 0

    @classmethod
    def from_spec(cls, spec: Any) -> Diurnal:
        """The process of a `diurnal` spec."""
        peak = spec.mean * (1.0 + spec.amplitude)
        gap = Exponential(1.0 / peak) if spec.mean else None
        return cls(spec.mean, spec.amplitude, spec.period, spec.peak_at, gap)

    @property
    def rate(self) -> float:
        """The mean rate over a period."""
        return self.mean

    def processes(
        self, env: simpy.Environment, flow: Any, start: Start, streams: Streams, horizon: float
    ) -> list[Generator]:
        """One thinned process, or none at mean 0."""
        if self.gap is None:
            return []
        return [_diurnal(env, flow, start, streams, f"arrivals/{flow.name}", self, horizon)]


@dataclass(frozen=True)
class Closed(ArrivalProcess):
    """A fixed population of users, each calling, waiting for the answer, then thinking."""

    process: ClassVar[str] = "closed"
    open: ClassVar[bool] = False
    users: int
    think: Distribution

    @classmethod
    def from_spec(cls, spec: Any) -> Closed:
        """The process of a `closed` spec."""
        return cls(spec.users, spec.think.build())

    @property
    def rate(self) -> float:
        """Upper bound: users never wait for a response."""
        return self.users / max(self.think.mean, 1e-12)

    def processes(
        self, env: simpy.Environment, flow: Any, start: Start, streams: Streams, horizon: float
    ) -> list[Generator]:
        """One process per user, each thinking on a stream of its own."""
        name = f"arrivals/{flow.name}"
        return [
            _user(env, flow, start, streams.draws(f"{name}/user{u}", self.think), horizon)
            for u in range(self.users)
        ]


@dataclass(frozen=True)
class Trace(ArrivalProcess):
    """Arrival times replayed as given."""

    process: ClassVar[str] = "trace"
    open: ClassVar[bool] = False
    times: tuple[float, ...]  # sorted

    @classmethod
    def from_spec(cls, spec: Any) -> Trace:
        """The process of a `trace` spec (its times already read and sorted)."""
        return cls(tuple(spec.times))

    @property
    def rate(self) -> float:
        """Arrivals per second between the first and the last."""
        times = self.times
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return (len(times) - 1) / span if span > 0 else 0.0

    def processes(
        self, env: simpy.Environment, flow: Any, start: Start, streams: Streams, horizon: float
    ) -> list[Generator]:
        """One replay."""
        return [_trace(env, flow, start, self.times, horizon)]


PROCESSES: dict[str, type[ArrivalProcess]] = {
    cls.process: cls for cls in (Poisson, ConstantArrivals, Bursty, Diurnal, Closed, Trace)
}
"""Every arrival process by the name a scenario gives it."""


def _renewal(env, flow, start, streams, name, law, horizon):
    gap = streams.draws(name, law)
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


def _bursty(env, flow, start, streams, name, arrivals, horizon):
    # Within a state arrivals are Poisson; memorylessness lets a gap that overruns the
    # state's end be redrawn at the new state's rate from the switching instant.
    gaps = streams.generator(name)
    states = streams.generator(f"{name}/states")
    state = 0
    ends = env.now + states.exponential(arrivals.mean_durations[0])
    while True:
        rate = arrivals.rates[state]
        at = env.now + (gaps.exponential(1.0 / rate) if rate > 0 else math.inf)
        if at >= ends:
            if ends >= horizon:
                return
            yield env.timeout(ends - env.now)
            state = 1 - state
            ends = env.now + states.exponential(arrivals.mean_durations[state])
            continue
        if at >= horizon:
            return
        yield env.timeout(at - env.now)
        start(flow)


def _diurnal(env, flow, start, streams, name, arrivals, horizon):
    # Thinning (Lewis-Shedler): candidates at the peak rate, kept with rate(t)/peak.
    peak = arrivals.mean * (1.0 + arrivals.amplitude)
    gap = streams.draws(name, arrivals.gap)
    keep = streams.uniforms(f"{name}/thinning")
    omega = 2.0 * math.pi / arrivals.period
    while True:
        delay = gap()
        if env.now + delay >= horizon:
            return
        yield env.timeout(delay)
        rate = arrivals.mean * (
            1.0 + arrivals.amplitude * math.cos(omega * (env.now - arrivals.peak_at))
        )
        if keep() * peak < rate:
            start(flow)


def _user(env, flow, start, think, horizon):
    while True:
        delay = think()
        if env.now + delay >= horizon:
            return
        yield env.timeout(delay)
        yield start(flow, True)


def _trace(env, flow, start, times, horizon):
    for at in times:
        if at >= horizon:
            return
        if at > env.now:
            yield env.timeout(at - env.now)
        start(flow)
