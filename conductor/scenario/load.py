"""Reading a scenario file safely, applying `--set` overrides, and locating errors."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from conductor.errors import ScenarioError
from conductor.scenario.model import Scenario
from conductor.scenario.references import check_references


def read_document(path: str | Path) -> dict[str, Any]:
    """The raw mapping in a YAML or JSON file (safe loading: no object tags)."""
    file = str(path)
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise ScenarioError("file not found", file=file) from None
    except OSError as error:
        raise ScenarioError(f"cannot read file: {error.strerror or error}", file=file) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ScenarioError(f"malformed YAML{where}: {problem}", file=file) from None
    if not isinstance(document, dict):
        raise ScenarioError("expected a mapping of scenario keys at the top level", file=file)
    return document


def parse_override(text: str) -> tuple[str, Any]:
    """Split `PATH=VALUE`, the value read as YAML (so numbers stay numbers)."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ScenarioError(f"--set expects PATH=VALUE, got '{text}'")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    return path.strip(), parsed


def apply_overrides(document: dict, overrides: Mapping[str, Any] | Iterable[str]) -> dict:
    """A copy of the document with each dotted PATH set to its VALUE."""
    items = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    document = copy.deepcopy(document)
    for path, value in items:
        set_path(document, path, value)
    return document


def set_path(document: dict, path: str, value: Any) -> None:
    """Set a dotted key path in nested mappings (list items by index)."""
    keys = path.split(".")
    node: Any = document
    for depth, key in enumerate(keys[:-1]):
        node = _child(node, key, ".".join(keys[: depth + 1]))
    last = keys[-1]
    if isinstance(node, list):
        node[_index(node, last, path)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError("--set cannot set a key inside a plain value", path=path)


def _child(node: Any, key: str, path: str) -> Any:
    if isinstance(node, list):
        return node[_index(node, key, path)]
    if not isinstance(node, dict):
        raise ScenarioError("--set cannot set a key inside a plain value", path=path)
    if key not in node or node[key] is None:
        node[key] = {}
    return node[key]


def _index(node: list, key: str, path: str) -> int:
    try:
        index = int(key)
        node[index]
    except (ValueError, IndexError):
        raise ScenarioError(f"--set expects a list index below {len(node)}", path=path) from None
    return index


def load_scenario(
    source: str | Path | Mapping[str, Any],
    overrides: Mapping[str, Any] | Iterable[str] = (),
    *,
    base_dir: str | Path | None = None,
) -> Scenario:
    """Read, override, validate and cross-check a scenario from a file or a mapping."""
    if isinstance(source, Mapping):
        file, document = "<scenario>", dict(source)
    else:
        file, document = str(source), read_document(source)
        base_dir = base_dir if base_dir is not None else Path(source).parent
        document.setdefault("name", Path(source).stem)
    try:
        document = apply_overrides(document, overrides)
    except ScenarioError as error:
        raise error.located(file=file) from None
    scenario = validate(document, file=file, base_dir=base_dir)
    scenario._file = file
    scenario._document = document
    scenario._base_dir = str(base_dir) if base_dir is not None else None
    scenario._sha256 = hashlib.sha256(
        json.dumps(document, sort_keys=True, default=str).encode()
    ).hexdigest()
    return scenario


def validate(document: Mapping[str, Any], *, file: str, base_dir=None) -> Scenario:
    """Validate a raw mapping into a Scenario, errors located by file and key path."""
    try:
        scenario = Scenario.model_validate(document, context={"base_dir": base_dir})
    except ValidationError as error:
        raise located_error(error, document, file) from None
    try:
        check_references(scenario)
    except ScenarioError as error:
        raise error.located(file=file) from None
    return scenario


def located_error(error: ValidationError, document: Any, file: str) -> ScenarioError:
    """The first validation error as a one-line ScenarioError."""
    first = error.errors(include_url=False)[0]
    path = key_path(first["loc"], document)
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    kind = first["type"]
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "missing":
        message = "missing required key"
    elif kind == "union_tag_invalid":
        context = first.get("ctx", {})
        message = (
            f"unknown {context.get('discriminator', 'kind').strip(chr(39))} "
            f"{context.get('tag')!r} (expected one of: {context.get('expected_tags')})"
        )
    elif kind == "union_tag_not_found":
        message = f"missing key {first.get('ctx', {}).get('discriminator', '')}"
    if kind not in ("missing", "extra_forbidden") and "input" in first:
        shown = first["input"]
        if not isinstance(shown, (dict, list)) and "got" not in message:
            message = f"{message} (got {shown!r})"
    return ScenarioError(message, file=file, path=path or None)


def key_path(loc: tuple, document: Any) -> str:
    """Dotted key path of a pydantic location, dropping the tags of tagged unions."""
    parts: list[str] = []
    node = document
    for position, key in enumerate(loc):
        last = position == len(loc) - 1
        if position and not isinstance(node, (dict, list)):
            break  # a plain value the validators expanded (a shorthand): its key is the place
        if (isinstance(node, dict) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and key < len(node)
        ):
            node = node[key]
        elif not last or (isinstance(node, dict) and key in node.values()):
            continue  # a union tag or validator name, not a key of the file
        else:
            node = None
        parts.append(f"[{key}]" if isinstance(key, int) else str(key))
    return ".".join(parts).replace(".[", "[")
