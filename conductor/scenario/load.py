"""Reading a scenario file safely, applying `--set` overrides, and locating errors."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from conductor.errors import ScenarioError
from conductor.scenario.document import check_values, load_yaml, read_yaml_file
from conductor.scenario.located import (
    key_path,
    located_error,
    translated,
)
from conductor.scenario.model import Scenario
from conductor.scenario.references import check_references

__all__ = [
    "key_path",
    "load_scenario",
    "located_error",
    "read_document",
    "translated",
    "validate",
]


def read_document(path: str | Path) -> dict[str, Any]:
    """The raw mapping in a YAML or JSON file, read within the limits of untrusted input."""
    file = str(path)
    document, _ = read_yaml_file(path, file=file)
    if not isinstance(document, dict):
        raise ScenarioError("expected a mapping of scenario keys at the top level", file=file)
    return document


def parse_override(text: str) -> tuple[str, Any]:
    """Split `PATH=VALUE`, the value read as YAML (so numbers stay numbers); a value that
    is not valid YAML is taken as a string."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ScenarioError(f"--set expects PATH=VALUE, got '{text}'")
    path = path.strip()
    if not value.strip():
        return path, ""
    try:
        parsed = load_yaml(value, file=None, path=path)
    except ScenarioError as error:
        if not error.message.startswith("malformed YAML"):
            raise
        parsed = value
    return path, parsed


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
    flags: Mapping[str, str] | None = None,
) -> Scenario:
    """Read, override, validate and cross-check a scenario from a file or a mapping.

    `flags` maps a key path set by a command-line option to that option as typed
    (`{"run.horizon": "--horizon 5s"}`), so that an error there names the option.
    """
    if isinstance(source, Mapping):
        file, document = "<scenario>", dict(source)
    else:
        file = str(source)
        document = read_document(source)
        base_dir = base_dir if base_dir is not None else Path(source).parent
        document.setdefault("name", Path(source).stem)
    try:
        document = apply_overrides(document, overrides)
        check_values(document, file=file)
    except ScenarioError as error:
        raise error.located(file=file) from None
    files: dict[str, str] = {}
    try:
        scenario = validate(document, file=file, base_dir=base_dir, files=files)
    except ScenarioError as error:
        raise _name_flags(error, flags or {}, document) from None
    scenario._file = file
    scenario._document = document
    scenario._base_dir = str(base_dir) if base_dir is not None else None
    scenario._files = dict(sorted(files.items()))
    # Keyed on the data files' contents too: a changed trace must not reuse old results.
    scenario._sha256 = hashlib.sha256(
        json.dumps([document, sorted(files.values())], sort_keys=True, default=str).encode()
    ).hexdigest()
    return scenario


def _name_flags(error: ScenarioError, flags: Mapping[str, str], document: dict) -> ScenarioError:
    """The error with each mistake at a key set by a command-line option naming it; a
    warm-up from the file that an option's horizon undercuts is the option's mistake."""
    if not flags:
        return error

    def named(one: ScenarioError) -> ScenarioError:
        if (
            one.path == "run.warmup"
            and "run.horizon" in flags
            and "run.warmup" not in flags
            and "shorter than horizon" in one.message
        ):
            warmup = (document.get("run") or {}).get("warmup")
            return ScenarioError(
                f"{flags['run.horizon']} is not longer than the warm-up in the file "
                f"(run.warmup: {warmup})",
                file=one.file,
                path="run.horizon",
            )
        if one.path in flags:
            return ScenarioError(
                f"{one.message} (from {flags[one.path]})", file=one.file, path=one.path
            )
        return one

    first = named(error)
    return ScenarioError(
        first.message,
        file=first.file,
        path=first.path,
        more=tuple(named(e) for e in error.more),
        hidden=error.hidden,
    )


def validate(
    document: Mapping[str, Any],
    *,
    file: str,
    base_dir=None,
    files: dict[str, str] | None = None,
) -> Scenario:
    """Validate a raw mapping into a Scenario, errors located by file and key path.

    The sha256 of each data file read is added to `files` (its resolved path the key).
    """
    context = {"base_dir": base_dir, "files": files if files is not None else {}}
    try:
        scenario = Scenario.model_validate(document, context=context)
    except ValidationError as error:
        raise translated(error, document, model=Scenario, file=file) from None
    try:
        check_references(scenario)
    except ScenarioError as error:
        raise error.located(file=file) from None
    return scenario
