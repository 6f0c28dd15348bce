"""Validation errors as lines a user can act on: the key path, the mistake, a likely fix.

pydantic reports a location as a tuple that mixes the file's keys with the tags of
tagged unions and the names of validators; `key_path` keeps only what the file spells.
A misspelt key gives pydantic two errors, an unknown key and a missing one; they are
reported as one, the unknown key with the closest valid key of its mapping. Up to
`MAX_REPORTED` errors of a file are reported at once, in the file's order of keys.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from conductor.errors import ScenarioError

MAX_REPORTED = 10
"""Most errors of one file reported at once."""


def located_errors(
    error: ValidationError, document: Any, file: str | None, model: type[BaseModel] | None = None
) -> ScenarioError:
    """Every validation error (up to MAX_REPORTED) as one ScenarioError, the first first."""
    raw = error.errors(include_url=False)
    suggestions = {}
    missing = {
        (tuple(e["loc"][:-1]), e["loc"][-1]): i for i, e in enumerate(raw) if e["type"] == "missing"
    }
    dropped: set[int] = set()
    placed: dict[int, int] = {}  # an unknown key's error moves to its missing twin's place
    for i, entry in enumerate(raw):
        if entry["type"] != "extra_forbidden" or not isinstance(entry["loc"][-1], str):
            continue
        parent, key = tuple(entry["loc"][:-1]), entry["loc"][-1]
        twins = [name for (where, name) in missing if where == parent and isinstance(name, str)]
        close = difflib.get_close_matches(key, twins, n=1, cutoff=0.6)
        if close:
            twin = missing[(parent, close[0])]
            dropped.add(twin)
            placed[i] = twin
        else:
            valid = _keys_at(model, parent) if model is not None else []
            present = _mapping_at(document, parent)
            close = difflib.get_close_matches(
                key, [k for k in valid if k not in present], n=1, cutoff=0.6
            )
        if close:
            suggestions[i] = close[0]
    order = sorted((i for i in range(len(raw)) if i not in dropped), key=lambda i: placed.get(i, i))
    errors: list[ScenarioError] = []
    seen: set[str | None] = set()
    for i in order:
        one = located_error(raw[i], document, file, suggestions.get(i))
        if one.path in seen:
            continue  # several branches of one union failing at the same place
        seen.add(one.path)
        errors.append(one)
    first, *rest = errors
    return ScenarioError(
        first.message,
        file=file,
        path=first.path,
        more=tuple(rest[: MAX_REPORTED - 1]),
        hidden=max(0, len(rest) - (MAX_REPORTED - 1)),
    )


def translated(
    error: ValidationError,
    document: Any,
    *,
    model: type[BaseModel] | None = None,
    under: str | None = None,
    file: str | None = None,
) -> ScenarioError:
    """A pydantic error of validating `document` (a part of a file found at key path
    `under`) as one ScenarioError: every place it is wrong, keyed as the file spells it."""
    return _under(located_errors(error, document, file, model), under)


def _under(error: ScenarioError, prefix: str | None) -> ScenarioError:
    """The error with its key paths (and those of its `more`) below `prefix`."""
    if not prefix:
        return error
    path = error.path
    where = (
        prefix if not path else f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"
    )
    return ScenarioError(
        error.message,
        file=error.file,
        path=where,
        more=tuple(_under(e, prefix) for e in error.more),
        hidden=error.hidden,
    )


def located_error(
    first: dict, document: Any, file: str | None, suggestion: str | None = None
) -> ScenarioError:
    """One pydantic error as a one-line ScenarioError."""
    path = key_path(first["loc"], document)
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    kind = first["type"]
    if kind == "extra_forbidden":
        key = first["loc"][-1]
        message = f"unknown key '{key}'"
        if suggestion:
            message += f" (did you mean '{suggestion}'?)"
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
            text = repr(shown)
            message = f"{message} (got {text if len(text) <= 60 else text[:57] + '...'})"
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


def _mapping_at(document: Any, loc: tuple) -> dict:
    node = document
    for key in loc:
        if (isinstance(node, dict) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and key < len(node)
        ):
            node = node[key]
    return node if isinstance(node, dict) else {}


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys a mapping at `loc` may hold, following the models' field types."""
    kinds: list[Any] = [model]
    for key in loc:
        following: list[Any] = []
        for kind in kinds:
            following.extend(_step(kind, key))
        kinds = following
        if not kinds:
            return []
    keys: list[str] = []
    for kind in kinds:
        for candidate in _models(kind):
            for name, info in candidate.model_fields.items():
                keys.extend(k for k in (name, info.alias) if k and k not in keys)
    return keys


def _models(kind: Any) -> list[type[BaseModel]]:
    """The models a field type can hold directly (through Annotated and unions)."""
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        return _models(typing.get_args(kind)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(kind) for m in _models(arg)]
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return [kind]
    return []


def _step(kind: Any, key: Any) -> list[Any]:
    """The types that `key` of a value of type `kind` may have (a union tag keeps the
    branch it names)."""
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        return _step(typing.get_args(kind)[0], key)
    if origin in (typing.Union, types.UnionType):
        branches = [m for arg in typing.get_args(kind) for m in _models(arg)]
        tagged = [m for m in branches if key in _tags(m)]
        if tagged:
            return tagged
        return [t for arg in typing.get_args(kind) for t in _step(arg, key)]
    if origin is dict:
        return [typing.get_args(kind)[1]]
    if origin is list:
        return [typing.get_args(kind)[0]] if isinstance(key, int) else []
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        if key in _tags(kind):
            return [kind]
        for name, info in kind.model_fields.items():
            if key in (name, info.alias):
                return [info.annotation]
    return []


def _tags(model: type[BaseModel]) -> set[str]:
    """The Literal values of a model's fields: the tags it answers to in a tagged union."""
    tags: set[str] = set()
    for info in model.model_fields.values():
        if typing.get_origin(info.annotation) is Literal:
            tags.update(a for a in typing.get_args(info.annotation) if isinstance(a, str))
    return tags
