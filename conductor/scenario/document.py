"""YAML documents read within limits, before anything expands.

A scenario is composed with PyYAML's C parser when it has one, into a graph of nodes in
which an alias is the node it names reached again, so nothing is expanded. That graph is
measured as the document would be with every alias expanded (node count and nesting
depth), each node once; recursive aliases, duplicate keys and keys that are not plain
scalars are refused. Only then is the document built, and every number in it must be
finite and of a sane size. Each refusal
is a `ScenarioError` naming the file, the key path where there is one, and what was
expected.
"""

from __future__ import annotations

import math
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


def load_yaml(text: str, *, file: str | None, path: str | None = None) -> Any:
    """The data of one YAML (or JSON) document, refused past the limits (ScenarioError).

    `path` prefixes the key paths of errors (a `--set` value's own path). The numbers
    are checked by `check_values`, once the overrides are in place.
    """
    try:
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            _measure(root, file=file, prefix=path or "")
            document = loader.construct_document(root)
        finally:
            loader.dispose()
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
    return document


def _measure(root: yaml.Node, *, file: str | None, prefix: str) -> None:
    """Measure the document a composed node graph describes, every alias expanded, without
    building it: an alias is the same node reached again, so each node is measured once."""
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    ancestors: set[int] = set()  # a depth-first walk: the nodes open are the current path

    def refuse(message: str, where: str) -> ScenarioError:
        return ScenarioError(message, file=file, path=where or None)

    def deeper(parent: str, key: Any) -> str:
        return f"{parent}.{key}" if parent else str(key)

    stack: list[tuple[yaml.Node, str, int, bool]] = [(root, prefix, 0, False)]
    while stack:
        node, where, depth, finished = stack.pop()
        key = id(node)
        if finished:
            ancestors.discard(key)
            if isinstance(node, yaml.MappingNode):
                children = [v for _, v in node.value]
                total = 1 + sum(1 + size[id(v)] for v in children)
            else:
                children = node.value
                total = 1 + sum(size[id(c)] for c in children)
            if total > MAX_NODES:
                raise refuse(
                    f"the document would hold over {MAX_NODES} values with its aliases expanded",
                    where,
                )
            size[key] = total
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            continue
        if isinstance(node, yaml.ScalarNode):
            size[key], height[key] = 1, 0
            continue
        if key in size:  # an alias of a node measured already
            if depth + height[key] > MAX_DEPTH:
                raise refuse(f"nesting deeper than {MAX_DEPTH} levels (aliases expanded)", where)
            continue
        if key in ancestors:
            raise refuse(
                "a recursive alias: it refers to itself through a node that contains it", where
            )
        if depth >= MAX_DEPTH:
            raise refuse(f"nesting deeper than {MAX_DEPTH} levels", where)
        if isinstance(node, yaml.SequenceNode) and all(
            type(child) is yaml.ScalarNode for child in node.value
        ):  # the bulk of a large file (samples): measured without a walk
            size[key], height[key] = 1 + len(node.value), 1
            continue
        ancestors.add(key)
        stack.append((node, where, depth, True))
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            children = []
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise refuse("a key must be a plain name, not a mapping or a list", where)
                name = key_node.value
                if name in seen and name != "<<":
                    raise refuse(
                        f"duplicate key '{name}' (each key may appear once)", deeper(where, name)
                    )
                seen.add(name)
                children.append((value_node, deeper(where, name), depth + 1, False))
            stack.extend(reversed(children))
        else:
            stack.extend(
                (child, f"{where}[{i}]", depth + 1, False)
                for i, child in reversed(list(enumerate(node.value)))
            )


def check_values(value: Any, *, file: str | None, path: str = "") -> None:
    """Refuse non-finite floats and integers past MAX_INTEGER anywhere in a document, and
    documents past MAX_DEPTH or MAX_NODES (a `--set` path, a mapping given to the API)."""
    if not isinstance(value, (dict, list, tuple)):
        value = {path: value} if path else [value]
        path = ""
    pending: list[tuple[Any, str, int]] = [(value, path, 0)]
    seen = 0
    while pending:
        node, where, depth = pending.pop()
        if depth >= MAX_DEPTH:
            raise ScenarioError(
                f"nesting deeper than {MAX_DEPTH} levels", file=file, path=where or None
            )
        items = node.items() if isinstance(node, dict) else enumerate(node)
        seen += len(node)
        if seen > MAX_NODES:
            raise ScenarioError(f"the document holds over {MAX_NODES} values", file=file)
        for key, child in items:
            if isinstance(child, (dict, list, tuple)):
                pending.append((child, _child_path(node, where, key), depth + 1))
            elif isinstance(child, float) and not math.isfinite(child):
                shown = "nan" if math.isnan(child) else ("inf" if child > 0 else "-inf")
                raise ScenarioError(
                    f"expected a finite number, got {shown}",
                    file=file,
                    path=_child_path(node, where, key) or None,
                )
            elif (
                isinstance(child, int) and not isinstance(child, bool) and abs(child) > MAX_INTEGER
            ):
                raise ScenarioError(
                    f"number too large (expected at most {MAX_INTEGER})",
                    file=file,
                    path=_child_path(node, where, key) or None,
                )


def _child_path(node: Any, where: str, key: Any) -> str:
    if isinstance(node, dict):
        return f"{where}.{key}" if where else str(key)
    return f"{where}[{key}]"


def read_yaml_file(path: str | Path, *, file: str) -> tuple[Any, str]:
    """The document of a scenario file and the sha256 of its bytes."""
    text, digest = read_text(path, MAX_SCENARIO_BYTES, file=file)
    return load_yaml(text, file=file), digest
