"""Units in scenario files: durations, rates, money and probabilities.

Authors write times the way they talk about them (``250ms``, ``5min``, ``2w``) and rates as a
count per period (``120/min``, ``4/week``). Everything is converted once, while a scenario is
validated, to plain floats in base units: seconds and events per second. The annotated types at
the bottom (``Duration``, ``Rate``, ...) do that conversion inside pydantic models and describe
the accepted spellings in the generated JSON Schema. A bare ``m`` is refused on purpose: it
reads as minutes to some and months (or metres) to others.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
WEEK = 7 * DAY

MAX_DURATION = 1e10
"""Longest duration accepted (about 317 years): sums and products of times stay finite."""

MAX_RATE = 1e9
"""Highest rate accepted, per second."""

MAX_MONEY = 1e15
"""Largest amount of money accepted in one price: totals over any run stay finite."""

_DURATION_UNITS: dict[str, float] = {
    "us": 1e-6,
    "µs": 1e-6,  # micro sign, as typed on most keyboards
    "μs": 1e-6,  # Greek mu, as produced by some editors and copy-paste
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "min": MINUTE,
    "mins": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "hrs": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "w": WEEK,
    "week": WEEK,
    "weeks": WEEK,
}

_RATE_UNITS: dict[str, float] = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "min": MINUTE,
    "minute": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "hour": HOUR,
    "d": DAY,
    "day": DAY,
    "w": WEEK,
    "week": WEEK,
}

# Largest first: format_duration picks the first unit the value reaches.
_FORMAT_UNITS = (("d", DAY), ("h", HOUR), ("min", MINUTE), ("s", 1.0), ("ms", 1e-3), ("us", 1e-6))

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


def _alternatives(units: dict[str, float]) -> str:
    # Longest first so that the schema pattern reads naturally; fullmatch would backtrack anyway.
    return "|".join(sorted(units, key=lambda unit: (-len(unit), unit)))


DURATION_PATTERN = rf"^\s*{_NUMBER}\s*(?:{_alternatives(_DURATION_UNITS)})?\s*$"
"""JSON Schema pattern of a duration string (a bare number means seconds)."""

RATE_PATTERN = rf"^\s*{_NUMBER}\s*(?:/\s*(?:{_alternatives(_RATE_UNITS)})\s*)?$"
"""JSON Schema pattern of a rate string (a bare number means per second)."""

# The parsers also accept a sign so that "-5s" is reported as negative, not as gibberish.
_DURATION_RE = re.compile(
    rf"\s*(?P<number>[+-]?{_NUMBER})\s*(?P<unit>{_alternatives(_DURATION_UNITS)})?\s*"
)
_RATE_RE = re.compile(
    rf"\s*(?P<number>[+-]?{_NUMBER})\s*(?:/\s*(?P<unit>{_alternatives(_RATE_UNITS)})\s*)?"
)
_NUMBER_RE = re.compile(rf"\s*[+-]?{_NUMBER}\s*")
_NUMBER_AND_UNIT_RE = re.compile(rf"\s*(?P<number>[+-]?{_NUMBER})\s*(?P<unit>\S*)\s*")

_EXPECTED_DURATION = "expected a duration such as 250ms, 2s, 5min or a number of seconds"
_EXPECTED_RATE = "expected a rate such as 120/min, 20/s, 4/week or a number per second"


def _real(value: object) -> float | None:
    """The value as a float if it is a real number, else None; booleans are not numbers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def parse_duration(value: object) -> float:
    """Seconds in a duration: a number of seconds or a string such as ``250ms`` or ``2w``."""
    if isinstance(value, str):
        match = _DURATION_RE.fullmatch(value)
        if match is None:
            if re.fullmatch(rf"\s*[+-]?{_NUMBER}\s*m\s*", value):
                raise ValueError(f"ambiguous duration unit 'm' in {value!r}: write min for minutes")
            raise ValueError(f"{_EXPECTED_DURATION}, got {value!r}")
        seconds = float(match["number"]) * _DURATION_UNITS[match["unit"] or "s"]
    else:
        number = _real(value)
        if number is None:
            raise ValueError(f"{_EXPECTED_DURATION}, got {value!r}")
        seconds = number
    if not math.isfinite(seconds):
        raise ValueError(f"expected a finite duration, got {value!r}")
    if seconds < 0:
        raise ValueError(f"expected a non-negative duration, got {value!r}")
    if seconds > MAX_DURATION:
        raise ValueError(f"expected a duration of at most {MAX_DURATION:g}s, got {value!r}")
    return seconds + 0.0  # turns -0.0 into 0.0


def parse_rate(value: object) -> float:
    """Events per second in a rate: a number per second or a string such as ``120/min``."""
    if isinstance(value, str):
        match = _RATE_RE.fullmatch(value)
        if match is None:
            raise ValueError(f"{_EXPECTED_RATE}, got {value!r}")
        rate = float(match["number"]) / _RATE_UNITS[match["unit"] or "s"]
    else:
        number = _real(value)
        if number is None:
            raise ValueError(f"{_EXPECTED_RATE}, got {value!r}")
        rate = number
    if not math.isfinite(rate):
        raise ValueError(f"expected a finite rate, got {value!r}")
    if rate < 0:
        raise ValueError(f"expected a non-negative rate, got {value!r}")
    if rate > MAX_RATE:
        raise ValueError(f"expected a rate of at most {MAX_RATE:g}/s, got {value!r}")
    return rate + 0.0


def _significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}")


def format_duration(seconds: float) -> str:
    """A duration for people: ``250us``, ``80ms``, ``2.5s``, ``5min``, ``3h``, ``30d``."""
    if math.isnan(seconds):
        return "nan"
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if math.isinf(seconds):
        return "inf"
    if seconds == 0:
        return "0s"
    unit, size = _FORMAT_UNITS[-1]  # below 1us, still in microseconds
    value = _significant(seconds / size)
    for name, scale in _FORMAT_UNITS:
        # Rounded before the comparison so that 59.99s shows as 1min rather than 60s.
        rounded = _significant(seconds / scale)
        if rounded >= 1:
            unit, value = name, rounded
            break
    text = str(int(value)) if value.is_integer() else f"{value:g}"
    return f"{text}{unit}"


def number_and_unit(text: str) -> tuple[float, str] | None:
    """A number and whatever unit is written after it (``50ms`` -> (50.0, "ms")), or None."""
    match = _NUMBER_AND_UNIT_RE.fullmatch(text)
    return None if match is None else (float(match["number"]), match["unit"])


def _number(value: object, what: str) -> float:
    # YAML 1.1 reads 1e6 (no dot) as a string, so numeric strings are accepted as numbers.
    number = _real(value)
    if number is None and isinstance(value, str) and _NUMBER_RE.fullmatch(value):
        number = float(value)
    if number is None or not math.isfinite(number):
        raise ValueError(f"expected {what}, got {value!r}")
    return number


def _positive_duration(value: object) -> float:
    seconds = parse_duration(value)
    if seconds == 0:
        raise ValueError(f"expected a positive duration such as 250ms, 2s or 5min, got {value!r}")
    return seconds


def _money(value: object) -> float:
    amount = _number(value, "an amount of money (a number >= 0)")
    if amount < 0:
        raise ValueError(f"expected a non-negative amount of money, got {value!r}")
    if amount > MAX_MONEY:
        raise ValueError(f"expected an amount of money of at most {MAX_MONEY:g}, got {value!r}")
    return amount + 0.0


def _probability(value: object) -> float:
    probability = _number(value, "a probability (a number from 0 to 1)")
    if not 0 <= probability <= 1:
        raise ValueError(f"expected a probability from 0 to 1, got {value!r}")
    return probability + 0.0


def _number_or_string(number: dict[str, Any], pattern: str, description: str) -> WithJsonSchema:
    schema = {
        "anyOf": [{"type": "number", **number}, {"type": "string", "pattern": pattern}],
        "description": description,
    }
    # Validation only: once validated, every one of these serialises as a plain number.
    return WithJsonSchema(schema, mode="validation")


_DURATION_FORMS = "seconds, or a string such as 250ms, 2s, 5min, 3h, 30d or 2w"

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    _number_or_string({"minimum": 0}, DURATION_PATTERN, f"A duration: {_DURATION_FORMS}."),
]
"""Seconds (>= 0), written as a number of seconds or a duration string."""

PositiveDuration = Annotated[
    float,
    BeforeValidator(_positive_duration),
    _number_or_string(
        {"exclusiveMinimum": 0}, DURATION_PATTERN, f"A positive duration: {_DURATION_FORMS}."
    ),
]
"""Seconds (> 0), written as a number of seconds or a duration string."""

Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    _number_or_string(
        {"minimum": 0},
        RATE_PATTERN,
        "A rate: events per second, or a string such as 120/min, 20/s, 3/h, 5/d or 4/week.",
    ),
]
"""Events per second (>= 0), written as a number per second or a string such as 120/min."""

Money = Annotated[
    float,
    BeforeValidator(_money),
    WithJsonSchema(
        {"type": "number", "minimum": 0, "description": "An amount of money."}, mode="validation"
    ),
]
"""An amount of money (>= 0), in the scenario's currency."""

Probability = Annotated[
    float,
    BeforeValidator(_probability),
    WithJsonSchema(
        {"type": "number", "minimum": 0, "maximum": 1, "description": "A probability."},
        mode="validation",
    ),
]
"""A probability in [0, 1]."""
