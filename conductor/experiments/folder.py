"""An output folder (`--out DIR`): checked before any work, written by one run at a time.

A simulation that finds only at the end that its folder cannot be written has wasted
its time, so the folder is created and a probe file written and removed before anything
runs. Several conductors writing one folder would interleave their sweep.csv rows, so a
writer holds an exclusive lock on `DIR/.lock` (an advisory `flock`, released by the
kernel however the process ends, even by `kill -9`) while it writes; a second writer is
refused at once rather than made to wait. Every file in the folder is written through a
unique temporary name and a rename (`atomic_write`), so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from conductor.errors import ConductorError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no lock, atomic writes still hold
    fcntl = None  # type: ignore[assignment]


def check_writable(folder: str | Path) -> Path:
    """Create the folder if needed and prove a file can be written in it (ConductorError)."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not path.is_dir():
            raise NotADirectoryError(f"{path} is not a folder")
        probe = path / f".probe-{os.getpid()}-{os.urandom(4).hex()}"
        probe.write_bytes(b"")
        probe.unlink()
    except FileExistsError:
        raise ConductorError(
            f"--out {folder}: a file of that name exists; expected a folder"
        ) from None
    except NotADirectoryError:
        raise ConductorError(f"--out {folder}: is not a folder") from None
    except OSError as error:
        raise ConductorError(
            f"--out {folder}: cannot write there: {error.strerror or error}"
        ) from None
    return path


@contextlib.contextmanager
def locked(folder: str | Path) -> Iterator[Path]:
    """Hold the folder's write lock (ConductorError when another process holds it)."""
    path = check_writable(folder)
    lock = path / ".lock"
    handle = open(lock, "a+")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise ConductorError(
                    f"--out {folder}: being written by another conductor ({holder}); "
                    "wait for it to finish or choose another folder"
                ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield path
    finally:
        handle.close()
