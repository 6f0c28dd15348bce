"""Numbers read from small data files named in a scenario (traces, measured latencies)."""

from __future__ import annotations

import math
import os
from pathlib import Path


def resolve(name: str, base_dir: str | os.PathLike[str] | None) -> Path:
    """Path of a file named in a scenario, relative to the scenario's folder."""
    path = Path(name).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path


def read_numbers(
    name: str, base_dir: str | os.PathLike[str] | None, what: str = "file"
) -> tuple[float, ...]:
    """Every number in a CSV or text file of seconds, each finite and >= 0.

    Commas, semicolons and blanks separate numbers; a non-numeric first line is a header;
    lines starting with # are comments.
    """

    def failure(reason: str) -> ValueError:
        return ValueError(f"cannot read {what} {name!r}: {reason}")

    path = resolve(name, base_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        where = "" if str(path) == name else f" ({path})"
        raise failure(f"{error.strerror or error}{where}") from None
    except UnicodeDecodeError:
        raise failure("not a text file") from None
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
            raise failure(f"line {number} is not a list of numbers: {line.strip()!r}") from None
        header_allowed = False
        bad = [v for v in row if not (math.isfinite(v) and v >= 0)]
        if bad:
            raise failure(f"line {number}: values must be finite and >= 0, got {bad[0]!r}")
        values.extend(row)
    if not values:
        raise failure("it holds no numbers")
    return tuple(values)
