"""Runs without processes: generators stepped by the callbacks of the events they wait on.

A SimPy process costs two events of its own (its start and its end) and a condition to
race it against a timer. A request, a DAG branch or a timed attempt needs none of that:
a `Run` starts at once and resumes from its events' callbacks, and `at` calls back at an
exact instant. Both rely on SimPy internals that its own `Interrupt` relies on (a
process's `_target` and `_resume`, the environment's queue and clock).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from heapq import heappush

import simpy
from simpy.core import NORMAL


class Run:
    """A generator run as a SimPy process without a process's start and end events: it
    starts at once and is resumed by the callbacks of the events it waits on. It keeps
    SimPy's `_target` and `_resume`, so a waiting run can be detached as a process can."""

    __slots__ = ("_generator", "_target", "done", "env")

    def __init__(
        self, env: simpy.Environment, generator: Generator, done: simpy.Event | None = None
    ):
        self.env = env
        self._generator = generator
        self._target: simpy.Event | None = None
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
                    self._target = target
                    return
                value = target._value
        except StopIteration:
            self._generator = self._target = None
            if self.done is not None:
                self.done.succeed()
        finally:
            env._active_proc = previous


def at(env: simpy.Environment, when: float, callback: Callable[[simpy.Event], None]) -> None:
    """Call `callback` at the instant `when`, exactly: a timer set later than the moment
    it measures from (a lazy timeout) must fire where one set then would have."""
    timer = simpy.Event(env)
    timer._ok, timer._value = True, None
    heappush(env._queue, (when, NORMAL, next(env._eid), timer))
    timer.callbacks.append(callback)


def wake(event: simpy.Event) -> None:
    """Trigger an event unless something has already."""
    if not event.triggered:
        event.succeed()
