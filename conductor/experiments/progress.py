"""Progress of long work: a bar with ETA on a terminal, plain lines anywhere else.

Off a terminal (piped through `tee`, in CI, in a Jupyter kernel) a bar would be noise or
need widgets, so a line goes to stderr at most every ten seconds instead.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PLAIN_EVERY = 10.0
"""Seconds between two plain progress lines."""


@contextmanager
def progress_bar(
    total: int, label: str, enabled: bool | None = None
) -> Iterator[Callable[[], None]]:
    """Yield a function that advances the progress of `total` units of work (None:
    shown, as a bar on a terminal and as plain lines elsewhere; False: silent)."""
    if enabled is False or total <= 1:
        yield lambda: None
        return
    if not sys.stderr.isatty() or "ipykernel" in sys.modules:
        yield from _plain(total, label)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label.replace("[", "\\["), total=total)
        yield lambda: bar.advance(task)


def _plain(total: int, label: str) -> Iterator[Callable[[], None]]:
    """Plain lines to stderr: one at most every PLAIN_EVERY seconds, with an ETA."""
    start = time.monotonic()
    state = {"done": 0, "said": start}

    def advance() -> None:
        state["done"] += 1
        now = time.monotonic()
        if now - state["said"] < PLAIN_EVERY or state["done"] == total:
            return
        state["said"] = now
        done, elapsed = state["done"], now - start
        eta = elapsed / done * (total - done)
        print(
            f"conductor: {label}: {done}/{total} done, {_clock(elapsed)} elapsed, "
            f"about {_clock(eta)} left",
            file=sys.stderr,
            flush=True,
        )

    yield advance


def _clock(seconds: float) -> str:
    """'42s', '3m05s' or '1h02m'."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
