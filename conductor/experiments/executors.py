"""Where units of work run: in this process, or over a local pool of processes.

A unit is a pure function of its arguments (scenario, strategy, replication), and every
random stream is seeded from those, so results are the same whatever runs them and in
whatever order; they are returned in the order of the units.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from conductor.errors import ConductorError

T = TypeVar("T")
R = TypeVar("R")


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
    """Run `function` over units (in processes when workers > 1, or on a Dask cluster at
    `scheduler`); results in unit order."""
    units = list(units)
    workers = default_workers() if workers is None else workers
    results: list[Any] = [None] * len(units)
    if scheduler:
        completed = _dask(function, units, scheduler)
    else:
        completed = _completed(function, units, min(workers, len(units)))
    for index, result in completed:
        results[index] = result
        if on_done is not None:
            on_done(index, result)
    return results


def _dask(function, units, address) -> Iterator[tuple[int, Any]]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ConductorError("--scheduler needs Dask: pip install 'conductor-sim[dask]'") from None
    try:
        client = Client(address, timeout=10)
    except OSError as error:
        raise ConductorError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    with client:
        futures = client.map(function, units, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                yield index[future.key], future.result()
        except BaseException:
            client.cancel(futures)
            raise


def _completed(function, units, workers) -> Iterator[tuple[int, Any]]:
    if workers <= 1:
        for index, unit in enumerate(units):
            yield index, function(unit)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(function, unit): index for index, unit in enumerate(units)}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
