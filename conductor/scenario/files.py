"""Numbers read from small data files named in a scenario (traces, measured latencies)."""

from __future__ import annotations

import re
from pathlib import Path

_SPLIT = re.compile(r"[,;\s]+")


def resolve(name: str, base_dir: str | Path | None) -> Path:
    """Path of a file named in a scenario, relative to the scenario's folder."""
    path = Path(name).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path


def read_numbers(name: str, base_dir: str | Path | None) -> list[float]:
    """Every number in a CSV or text file; a non-numeric first line is taken as a header."""
    path = resolve(name, base_dir)
    try:
        text = path.read_text()
    except OSError as error:
        raise ValueError(f"cannot read '{name}': {error.strerror or error}") from None
    numbers: list[float] = []
    for number, line in enumerate(text.splitlines()):
        for field in _SPLIT.split(line.strip()):
            if not field:
                continue
            try:
                numbers.append(float(field))
            except ValueError:
                if number == 0:
                    break
                raise ValueError(f"'{name}' line {number + 1}: '{field}' is not a number") from None
    return numbers
