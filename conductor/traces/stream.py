"""Reading a large JSON trace document without parsing it whole.

A trace file is one JSON object (or one per line) whose bulk is a single array:
`resourceSpans` in OTLP/JSON, `data` in Jaeger JSON. `JsonDocument` reads the object's
members one by one with the standard decoder and hands out that array's elements one at
a time, so only one resource (or one trace) is ever held parsed; the caller turns it
into span records before asking for the next. Errors name the line and column, and a
file that stops early is called truncated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from conductor.errors import TraceError

BIG = ("resourceSpans", "data")  # the arrays that hold a trace file's bulk
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def skip_space(text: str, position: int) -> int:
    """The position of the first character at or after `position` that is not blank."""
    return _SPACE.match(text, position).end()


class Lazy:
    """The elements of a document's big array, decoded one at a time as they are asked for."""

    __slots__ = ("elements",)

    def __init__(self, elements: Iterator[Any]):
        self.elements = elements

    def __iter__(self) -> Iterator[Any]:
        return self.elements


class JsonDocument:
    """One top-level JSON object read member by member, and its array of resource spans
    (or traces) element by element, so that a large file is never parsed whole."""

    def __init__(self, text: str, position: int, file: str, where: str):
        self.text = text
        self.position = position
        self.file = file
        self.where = where
        self.members: dict[str, Any] = {}
        self.count = 0
        self.closed = False
        self.drained = True

    def _fail(self, error: json.JSONDecodeError | None = None, expected: str = "") -> TraceError:
        if error is None:
            at = min(self.position, len(self.text))
            error = json.JSONDecodeError(f"Expecting {expected}", self.text, at)
        return json_error(error, self.text, self.file)

    def _decode(self) -> Any:
        try:
            value, self.position = _DECODER.raw_decode(self.text, self.position)
        except json.JSONDecodeError as error:
            raise self._fail(error) from None
        return value

    def _expect(self, character: str) -> None:
        self.position = skip_space(self.text, self.position)
        if self.text[self.position : self.position + 1] != character:
            raise self._fail(expected=f"'{character}'")
        self.position = skip_space(self.text, self.position + 1)

    def _member(self) -> str | None:
        """Read up to the next member's value; None at the object's end."""
        self.position = skip_space(self.text, self.position)
        if self.text[self.position : self.position + 1] == "}":
            self.position += 1
            self.closed = True
            return None
        if self.count:
            self._expect(",")
        key = self._decode()
        if not isinstance(key, str):
            raise self._fail(expected="a property name")
        self._expect(":")
        self.count += 1
        return key

    def open(self) -> dict[str, Any]:
        """The members up to the big array, that array as a lazy iterable."""
        if self.text[self.position] != "{":
            value = self._decode()  # not an object: let the format check say so
            self.closed = True
            return value
        self.position += 1
        while (key := self._member()) is not None:
            if key in BIG and self.text[self.position : self.position + 1] == "[":
                self.position += 1
                self.drained = False
                self.members[key] = Lazy(self._elements(key))
                return self.members
            self.members[key] = self._decode()
        return self.members

    def _elements(self, key: str) -> Iterator[Any]:
        first = True
        while True:
            self.position = skip_space(self.text, self.position)
            if self.text[self.position : self.position + 1] == "]":
                self.position += 1
                break
            if not first:
                self._expect(",")
            first = False
            yield self._decode()
        self.drained = True

    def finish(self) -> int:
        """Read the members after the big array; return where the document ends."""
        if not self.drained:
            for _ in self.members[next(k for k in BIG if k in self.members)]:
                pass
        while not self.closed and (key := self._member()) is not None:
            if key in BIG:
                other = next(k for k in BIG if k in self.members)
                raise TraceError(
                    f"mixes OTLP/JSON (resourceSpans) and Jaeger JSON (data): one format per "
                    f"file ({key} after {other})",
                    file=self.file,
                    path=self.where or None,
                )
            self.members[key] = self._decode()
        return self.position


def json_error(error: json.JSONDecodeError, text: str, file: str) -> TraceError:
    if error.pos >= len(text.rstrip()) - 1:
        return TraceError(
            f"the JSON ends early at line {error.lineno} (a truncated file?)", file=file
        )
    return TraceError(
        f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}", file=file
    )
