"""YAML documents read within limits, before anything expands.

A scenario is parsed twice with PyYAML's C parser when it has one. The first pass walks
the event stream, which never builds a node, and measures what the document would
become with every alias expanded (node count and nesting depth); it also refuses
recursive aliases, duplicate keys and keys that are not plain scalars. Only then is the
document built, and every number in it must be finite and of a sane size. Each refusal
is a `ScenarioError` naming the file, the key path where there is one, and what was
expected.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conductor.errors import ScenarioError
from conductor.scenario.untrusted import MAX_SCENARIO_BYTES, read_text

MAX_NODES = 500_000
"""Most YAML nodes (scalars, mappings, sequences) a document may hold with aliases expanded."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences, aliases expanded."""

MAX_INTEGER = 2**63 - 1
"""Largest integer accepted anywhere in a scenario."""

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class _Frame:
    """An open mapping or sequence during the event scan."""

    mapping: bool
    path: str
    anchor: str | None
    size: int = 1
    height: int = 1
    keys: set[str] = field(default_factory=set)
    key: str | None = None
    expecting_key: bool = True
    index: int = 0

    def child_path(self) -> str:
        if self.mapping:
            return f"{self.path}.{self.key}" if self.path else str(self.key)
        return f"{self.path}[{self.index}]"


def load_yaml(text: str, *, file: str | None, path: str | None = None) -> Any:
    """The data of one YAML (or JSON) document, refused past the limits (ScenarioError).

    `path` prefixes the key paths of errors (a `--set` value's own path).
    """
    try:
        _scan(yaml.parse(text, Loader=_LOADER), file=file, prefix=path or "")
        document = yaml.load(text, Loader=_LOADER)
    except ScenarioError:
        raise
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ScenarioError(f"malformed YAML{where}: {problem}", file=file, path=path) from None
    except (ValueError, TypeError, OverflowError) as error:
        # The constructors of timestamps and numbers raise these on impossible values.
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ScenarioError(
            f"malformed YAML: a value cannot be read ({reason})", file=file, path=path
        ) from None
    check_values(document, file=file, path=path or "")
    return document


def _scan(events: Iterator[yaml.Event], *, file: str | None, prefix: str) -> None:
    """Measure the document an event stream describes, aliases expanded, without building it."""
    stack: list[_Frame] = []
    anchors: dict[str, tuple[int, int]] = {}
    total = 0

    def refuse(message: str, where: str | None) -> ScenarioError:
        return ScenarioError(message, file=file, path=where or None)

    def here() -> str:
        if not stack:
            return prefix
        top = stack[-1]
        if top.mapping and top.expecting_key:
            return top.path
        return top.child_path()

    def add(size: int, height: int, anchor: str | None, key: str | None, new: int) -> None:
        # `new`: the nodes not counted yet (a collection's children were counted as added).
        nonlocal total
        if anchor is not None:
            anchors[anchor] = (size, height)
        if not stack:
            return
        parent = stack[-1]
        total += new
        if total > MAX_NODES:
            raise refuse(
                f"the document would hold over {MAX_NODES} values with its aliases expanded",
                here(),
            )
        if height + len(stack) > MAX_DEPTH:
            raise refuse(f"nesting deeper than {MAX_DEPTH} levels (aliases expanded)", here())
        parent.size += size
        parent.height = max(parent.height, height + 1)
        if parent.mapping:
            if parent.expecting_key:
                if key is None:
                    raise refuse("a key must be a plain name, not a mapping or a list", here())
                if key in parent.keys and key != "<<":
                    where = f"{parent.path}.{key}" if parent.path else key
                    raise refuse(f"duplicate key '{key}' (each key may appear once)", where)
                parent.keys.add(key)
                parent.key = key
                parent.expecting_key = False
            else:
                parent.expecting_key = True
        else:
            parent.index += 1

    for event in events:
        if isinstance(event, yaml.ScalarEvent):
            add(1, 0, event.anchor, event.value, 1)
        elif isinstance(event, yaml.AliasEvent):
            if any(frame.anchor == event.anchor for frame in stack):
                raise refuse(f"alias *{event.anchor} refers to itself", here())
            size, height = anchors.get(event.anchor, (1, 0))
            add(size, height, None, None, size)
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise refuse(f"nesting deeper than {MAX_DEPTH} levels", here())
            where = here() if stack else prefix
            stack.append(_Frame(isinstance(event, yaml.MappingStartEvent), where, event.anchor))
        elif isinstance(event, yaml.CollectionEndEvent):
            frame = stack.pop()
            add(frame.size, frame.height, frame.anchor, None, 1)
            if not stack:
                total = 0


def check_values(value: Any, *, file: str | None, path: str = "") -> None:
    """Refuse non-finite floats and integers past MAX_INTEGER anywhere in a document, and
    documents past MAX_DEPTH or MAX_NODES (a `--set` path, a mapping given to the API)."""
    pending: list[tuple[Any, str, int]] = [(value, path, 0)]
    seen = 0
    while pending:
        node, where, depth = pending.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ScenarioError(f"the document holds over {MAX_NODES} values", file=file)
        if isinstance(node, (dict, list, tuple)) and depth >= MAX_DEPTH:
            raise ScenarioError(
                f"nesting deeper than {MAX_DEPTH} levels", file=file, path=where or None
            )
        if isinstance(node, dict):
            for key, child in node.items():
                pending.append((child, f"{where}.{key}" if where else str(key), depth + 1))
        elif isinstance(node, (list, tuple)):
            pending.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            shown = "nan" if math.isnan(node) else ("inf" if node > 0 else "-inf")
            raise ScenarioError(
                f"expected a finite number, got {shown}", file=file, path=where or None
            )
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > MAX_INTEGER:
            raise ScenarioError(
                f"number too large (expected at most {MAX_INTEGER})", file=file, path=where or None
            )


def read_yaml_file(path: str | Path, *, file: str) -> tuple[Any, str]:
    """The document of a scenario file and the sha256 of its bytes."""
    text, digest = read_text(path, MAX_SCENARIO_BYTES, file=file)
    return load_yaml(text, file=file), digest
