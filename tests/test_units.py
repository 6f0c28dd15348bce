"""Durations, rates and the pydantic unit types."""

from __future__ import annotations

import json
import math
import re

import pytest
from pydantic import BaseModel, ValidationError

from conductor.scenario.units import (
    Duration,
    Money,
    PositiveDuration,
    Probability,
    Rate,
    format_duration,
    parse_duration,
    parse_rate,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250us", 250e-6),
        ("250µs", 250e-6),
        ("250μs", 250e-6),
        ("80ms", 0.08),
        ("2s", 2.0),
        ("2sec", 2.0),
        ("5 minutes", 300.0),
        ("1 minute", 60.0),
        ("30 seconds", 30.0),
        ("1 second", 1.0),
        ("2 hours", 7200.0),
        ("3 mins", 180.0),
        ("5min", 300.0),
        ("3h", 10800.0),
        ("3hr", 10800.0),
        ("3hour", 10800.0),
        ("3hours", 10800.0),
        ("30d", 30 * 86400.0),
        ("1day", 86400.0),
        ("2days", 2 * 86400.0),
        ("2w", 2 * 604800.0),
        ("1week", 604800.0),
        ("2weeks", 2 * 604800.0),
        ("2.5s", 2.5),
        (".5s", 0.5),
        ("2.s", 2.0),
        ("1e3ms", 1.0),
        ("1.5E-3s", 0.0015),
        ("+4s", 4.0),
        (" 80 ms ", 0.08),
        ("42", 42.0),
        ("1e6", 1e6),
        ("0", 0.0),
        ("-0s", 0.0),
    ],
)
def test_duration_strings(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize("number", [0, 7, 2.5, 1e-9, 3 * 86400])
def test_duration_numbers_are_seconds(number: float) -> None:
    assert parse_duration(number) == number
    assert isinstance(parse_duration(number), float)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "non-negative"),
        (-0.5, "non-negative"),
        ("-5s", "non-negative"),
        ("5m", "ambiguous duration unit 'm'"),
        ("5 m", "ambiguous duration unit 'm'"),
        ("abc", "expected a duration such as 250ms, 2s, 5min or a number of seconds, got 'abc'"),
        ("", "expected a duration"),
        ("5 fortnights", "expected a duration"),
        ("2e10s", "at most"),
        ("5MS", "expected a duration"),
        ("5s5", "expected a duration"),
        ("inf", "expected a duration"),
        ("1e999s", "finite"),
        (math.inf, "finite"),
        (math.nan, "finite"),
        (True, "got True"),
        (False, "got False"),
        (None, "got None"),
        ([1], "expected a duration"),
    ],
)
def test_duration_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_duration(value)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("value", "per_second"),
    [
        ("120/min", 2.0),
        ("20/s", 20.0),
        ("20/sec", 20.0),
        ("3/h", 3 / 3600),
        ("3/hr", 3 / 3600),
        ("3/hour", 3 / 3600),
        ("5/d", 5 / 86400),
        ("5/day", 5 / 86400),
        ("4/w", 4 / 604800),
        ("4/week", 4 / 604800),
        (" 1.5e2 / min ", 2.5),
        ("7", 7.0),
        (0, 0.0),
        (12.5, 12.5),
    ],
)
def test_rates(value: object, per_second: float) -> None:
    assert parse_rate(value) == pytest.approx(per_second, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "non-negative rate"),
        ("-3/min", "non-negative rate"),
        ("3/m", "expected a rate such as 120/min"),
        ("3/month", "expected a rate"),
        ("3 per min", "expected a rate"),
        ("/min", "expected a rate"),
        (True, "expected a rate"),
        (math.nan, "finite"),
        (math.inf, "finite"),
    ],
)
def test_rate_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_rate(value)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (250e-6, "250us"),
        (0.08, "80ms"),
        (2.5, "2.5s"),
        (300, "5min"),
        (90, "1.5min"),
        (3 * 3600, "3h"),
        (30 * 86400, "30d"),
        (0.1234, "123ms"),
        (59.99, "1min"),
        (0.9996, "1s"),
        (5e-10, "0.0005us"),
        (1234 * 86400, "1230d"),
        (-2, "-2s"),
        (math.inf, "inf"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("text", ["250us", "80ms", "2.5s", "5min", "3h", "30d"])
def test_format_duration_round_trips(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


class Units(BaseModel):
    duration: Duration = 0.0
    positive: PositiveDuration = 1.0
    rate: Rate = 0.0
    money: Money = 0.0
    probability: Probability = 0.0


def test_annotated_types_convert() -> None:
    units = Units(duration="2min", positive="5ms", rate="120/min", money="1e6", probability=0.25)
    assert units.model_dump() == {
        "duration": 120.0,
        "positive": 0.005,
        "rate": 2.0,
        "money": 1e6,
        "probability": 0.25,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration", "5m", "ambiguous duration unit 'm'"),
        ("duration", -1, "expected a non-negative duration, got -1"),
        ("positive", 0, "expected a positive duration"),
        ("positive", "0ms", "expected a positive duration"),
        ("rate", "3/m", "expected a rate"),
        ("money", -5, "expected a non-negative amount of money"),
        ("money", True, "expected an amount of money"),
        ("money", "lots", "expected an amount of money"),
        ("probability", 1.5, "expected a probability from 0 to 1"),
        ("probability", -0.1, "expected a probability from 0 to 1"),
        ("probability", math.nan, "expected a probability"),
    ],
)
def test_annotated_type_errors_are_readable(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        Units(**{field: value})
    (only,) = error.value.errors(include_url=False)
    assert only["loc"] == (field,)
    assert only["msg"].removeprefix("Value error, ").startswith(message)


def test_json_schema() -> None:
    schema = Units.model_json_schema()
    json.dumps(schema)
    properties = schema["properties"]
    number, string = properties["duration"]["anyOf"]
    assert number == {"type": "number", "minimum": 0}
    assert string["type"] == "string"
    assert properties["positive"]["anyOf"][0] == {"type": "number", "exclusiveMinimum": 0}
    assert properties["rate"]["anyOf"][1]["type"] == "string"
    assert properties["money"]["minimum"] == 0
    assert (properties["probability"]["minimum"], properties["probability"]["maximum"]) == (0, 1)
    # Once validated these are plain numbers.
    serialised = Units.model_json_schema(mode="serialization")["properties"]
    assert serialised["duration"]["type"] == "number"


def test_schema_patterns_agree_with_parsers() -> None:
    properties = Units.model_json_schema()["properties"]
    duration = re.compile(properties["duration"]["anyOf"][1]["pattern"])
    rate = re.compile(properties["rate"]["anyOf"][1]["pattern"])
    for good in ["250us", "2.5 s", "5min", "2w", "1e3ms", "42"]:
        assert duration.search(good), good
    for good in ["5 minutes", "30 seconds", "2 hours", "1 minute"]:
        assert duration.search(good), good
    for bad in ["5m", "abc", "-5s", "5 fortnights"]:
        assert not duration.search(bad), bad
    for good in ["120/min", "4 / week", "7"]:
        assert rate.search(good), good
    for bad in ["3/m", "-1/s", "3 per min"]:
        assert not rate.search(bad), bad
