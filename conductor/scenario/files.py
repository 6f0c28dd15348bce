"""Numbers read from small data files named in a scenario (traces, measured latencies).

A data file is untrusted like the scenario: it is read only if it is a regular file under
`MAX_DATA_BYTES`, as UTF-8 text, and an error names the file and the line, never what
the line holds. The sha256 of every file read is recorded in `digests` when given, so
that results and cached units are keyed on the data as well as on the scenario.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from conductor.errors import ScenarioError
from conductor.scenario.units import MAX_DURATION
from conductor.scenario.untrusted import MAX_DATA_BYTES, read_text

MAX_VALUES = 10_000_000
"""Most numbers one data file may hold."""


def resolve(name: str, base_dir: str | os.PathLike[str] | None) -> Path:
    """Path of a file named in a scenario, relative to the scenario's folder."""
    path = Path(name).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path


def read_numbers(
    name: str,
    base_dir: str | os.PathLike[str] | None,
    what: str = "file",
    digests: dict[str, str] | None = None,
) -> tuple[float, ...]:
    """Every number in a CSV or text file of seconds, each finite and >= 0.

    Commas, semicolons and blanks separate numbers; a non-numeric first line is a header;
    lines starting with # are comments.
    """

    def failure(reason: str) -> ValueError:
        return ValueError(f"cannot read {what} {name!r}: {reason}")

    path = resolve(name, base_dir)
    try:
        text, digest = read_text(path, MAX_DATA_BYTES, file=str(path))
    except ScenarioError as error:
        where = "" if str(path) == name else f" ({path})"
        raise failure(f"{error.message}{where}") from None
    if digests is not None:
        digests[str(path.resolve())] = digest
    values: list[float] = []
    header_allowed = True
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.replace(",", " ").replace(";", " ").split()
        if not fields or fields[0].startswith("#"):
            continue
        try:
            row = [float(field) for field in fields]
        except ValueError:
            if header_allowed:
                header_allowed = False
                continue
            raise failure(f"line {number} is not a list of numbers") from None
        header_allowed = False
        if not all(math.isfinite(v) and 0 <= v <= MAX_DURATION for v in row):
            raise failure(
                f"line {number}: values must be finite, >= 0 and at most {MAX_DURATION:g}"
            )
        values.extend(row)
        if len(values) > MAX_VALUES:
            raise failure(f"more than {MAX_VALUES} numbers (by line {number})")
    if not values:
        raise failure("it holds no numbers")
    return tuple(values)
