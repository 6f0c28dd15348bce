"""Where units of work run: in this process, over a local pool, or on a Dask cluster.

A unit is a pure function of its arguments (scenario, strategy, replication), and every
random stream is seeded from those, so results are the same whatever runs them and in
whatever order. `completed` yields results as they finish, keeping only a bounded number
of units in flight, so memory stays flat however many units there are. On Ctrl-C the
pool's workers are stopped at once; what finished before has already been yielded.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from conductor.errors import ConductorError

T = TypeVar("T")
R = TypeVar("R")

IN_FLIGHT_PER_WORKER = 4


def default_workers() -> int:
    """All cores."""
    return os.cpu_count() or 1


def execute(
    function: Callable[[T], R],
    units: Iterable[T],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[int, R], Any] | None = None,
) -> list[R]:
    """Run `function` over units and return the results in unit order."""
    units = list(units)
    results: list[Any] = [None] * len(units)
    stream = completed(function, units, workers=workers, scheduler=scheduler)
    # Closed at once if the loop stops (Ctrl-C, SIGTERM), so the workers are stopped then,
    # not when the traceback holding the generator is freed at exit.
    with contextlib.closing(stream):
        for index, result in stream:
            results[index] = result
            if on_done is not None:
                on_done(index, result)
    return results


def completed(
    function: Callable[[T], R],
    units: list[T],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[tuple[int, R]]:
    """Yield (unit index, result) as units finish: in this process when workers is 1,
    over a local process pool, or on the Dask cluster at `scheduler`."""
    if scheduler:
        yield from _dask(function, units, scheduler)
        return
    workers = default_workers() if workers is None else workers
    workers = max(1, min(workers, len(units)))
    if workers == 1:
        for index, unit in enumerate(units):
            yield index, function(unit)
        return
    yield from _pool(function, units, workers)


def _worker_start() -> None:
    """Set up a pool worker: Ctrl-C is the parent's to handle, and the worker dies with
    its parent however the parent ends (even by kill -9), never left as an orphan."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # Elsewhere (and in case the parent died before prctl took effect), a watchdog.
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


PR_SET_PDEATHSIG = 1


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(0.5)


def _pool(function, units, workers) -> Iterator[tuple[int, Any]]:
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_start)
    pending: dict[Future, int] = {}
    position = 0
    try:
        while position < len(units) or pending:
            while position < len(units) and len(pending) < workers * IN_FLIGHT_PER_WORKER:
                pending[pool.submit(function, units[position])] = position
                position += 1
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=pending.get):
                yield pending.pop(future), future.result()
    except BaseException:
        # SIGKILL, not SIGTERM: a worker holding much memory answers a kill at once, and
        # holds nothing that needs keeping (finished units were yielded already).
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(OSError):
                process.kill()
        # Waiting is quick once the workers are dead, and leaves no half-closed pipes
        # for the interpreter's exit hooks to trip over.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


def _dask(function, units, address) -> Iterator[tuple[int, Any]]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ConductorError("--scheduler needs Dask: pip install 'conductor-sim[dask]'") from None
    try:
        client = Client(address, timeout=10)
    except (OSError, ValueError, TypeError) as error:
        # distributed raises ValueError for an address it cannot parse, OSError (and its
        # TimeoutError) for one it cannot reach: both are the user's to fix.
        raise ConductorError(
            f"--scheduler {address!r}: cannot reach the Dask scheduler: {error}"
        ) from None
    with client:
        futures = client.map(function, units, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                yield index[future.key], future.result()
        except BaseException:
            client.cancel(futures)
            raise
