"""Reading files that may be hostile: what kind of file, how large, which encoding.

A scenario and the data files it names are untrusted. A file is opened only if it is a
regular file under a size limit (a device reads forever, a FIFO blocks forever), and read
as UTF-8 text. Each refusal is a `ScenarioError` naming the file and what was expected,
never the file's contents. YAML's own limits are in `conductor.scenario.document`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat

from conductor.errors import ScenarioError

MAX_SCENARIO_BYTES = 16 * 1024 * 1024
"""Largest scenario file read (16 MiB)."""

MAX_DATA_BYTES = 64 * 1024 * 1024
"""Largest data file (trace, samples) read (64 MiB)."""


def read_bytes(path: str | os.PathLike[str], limit: int, *, file: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (ScenarioError otherwise)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ScenarioError("file not found", file=file) from None
    except OSError as error:
        if error.errno == errno.EISDIR:
            raise ScenarioError("is a folder, not a file", file=file) from None
        raise ScenarioError(f"cannot read file: {error.strerror or error}", file=file) from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError("is a folder, not a file", file=file)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(
                "is not a regular file (a device, FIFO or socket); expected a text file",
                file=file,
            )
        if info.st_size > limit:
            raise ScenarioError(
                f"is {_size(info.st_size)}, over the limit of {_size(limit)}", file=file
            )
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # grew while being read
        raise ScenarioError(f"is over the limit of {_size(limit)}", file=file)
    return data


def _size(count: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


def decode_text(data: bytes, *, file: str) -> str:
    """UTF-8 text of a file's bytes (a UTF-8 byte-order mark allowed), else ScenarioError."""
    for bom, name in (
        (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\x00\x00\xfe\xff", "UTF-32"),
        (b"\xff\xfe", "UTF-16"),
        (b"\xfe\xff", "UTF-16"),
    ):
        if data.startswith(bom):
            raise ScenarioError(f"is {name} text; expected UTF-8", file=file)
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ScenarioError(f"is not a text file (a NUL byte on line {line})", file=file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ScenarioError(
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line})", file=file
        ) from None


def read_text(path: str | os.PathLike[str], limit: int, *, file: str) -> tuple[str, str]:
    """The UTF-8 text of a regular file under `limit` bytes, and the sha256 of its bytes."""
    data = read_bytes(path, limit, file=file)
    return decode_text(data, file=file), hashlib.sha256(data).hexdigest()
