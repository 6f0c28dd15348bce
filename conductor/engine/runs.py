"""Runs without processes: generators stepped by the callbacks of the events they wait on.

A SimPy process costs two events of its own (its start and its end) and a condition to
race it against a timer. A request, a DAG branch or a timed attempt needs none of that:
a `Run` starts at once and resumes from its events' callbacks, and `at` calls back at an
exact instant. A run may also yield an attempt to lead (anything whose `_value` is
`LEAD`, with a `lead(run)` method): the attempt then steps itself on its events'
callbacks and resumes the run when it answers or its deadline passes, so that each of
its events wakes one generator, not the whole stack of the call above it. Both rely on
SimPy internals (the environment's queue, clock and active process).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from heapq import heappush

import simpy
from simpy.core import NORMAL

LEAD = object()
"""The `_value` of an attempt a run leads (an event's is its value)."""


class Run:
    """A generator run as a SimPy process without a process's start and end events: it
    starts at once and is resumed by the callbacks of the events it waits on, or by an
    attempt it leads (with None)."""

    __slots__ = ("_generator", "done", "env")

    def __init__(
        self, env: simpy.Environment, generator: Generator, done: simpy.Event | None = None
    ):
        self.env = env
        self._generator = generator
        self.done = done
        self._resume(None)

    def _resume(self, event: simpy.Event | None) -> None:
        env = self.env
        # Runs start inside other processes' steps: give the clock's owner back after.
        previous = env._active_proc
        env._active_proc = self
        value = None if event is None else event._value
        generator = self._generator
        try:
            while True:
                target = generator.send(value)
                if target.callbacks is not None:
                    target.callbacks.append(self._resume)
                    return
                value = target._value
                if value is LEAD:
                    if target.lead(self):
                        return
                    value = None
        except StopIteration:
            self._generator = None
            if self.done is not None:
                self.done.succeed()
        finally:
            env._active_proc = previous


def at(env: simpy.Environment, when: float, callback: Callable[[simpy.Event], None]) -> None:
    """Call `callback` at the instant `when`, exactly: a timer set later than the moment
    it measures from (a lazy timeout) must fire where one set then would have."""
    heappush(env._queue, (when, NORMAL, next(env._eid), _Alarm([callback])))


class _Alarm:
    """A timer event reduced to what SimPy's loop reads of an event it pops."""

    __slots__ = ("callbacks",)
    _ok = True
    _value = None

    def __init__(self, callbacks: list):
        self.callbacks = callbacks


def wake(event: simpy.Event) -> None:
    """Trigger an event unless something has already."""
    if not event.triggered:
        event.succeed()
