"""A fuzzer over the scenario loader: mutated bundled scenarios never cause an internal error.

Hypothesis takes a scenario of the library and mutates it: a key deleted, renamed or
given a hostile value (non-finite and huge numbers, wrong types, markup, terminal
escapes, broken distributions), or the YAML text itself cut short, a byte changed or a
line repeated. `conductor check` (and, for fewer examples, a one-replication `run` under a
small `--max-requests`) must then either accept the scenario (exit 0) or refuse it as
bad input (exit 2, lines starting `conductor: `), never fail as a program (exit 1).
Examples are derandomised, so a failure reproduces on every run.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import invoke

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in SCENARIOS}
DOCUMENTS = {name: yaml.safe_load(text) for name, text in TEXTS.items()}

HOSTILE = [
    None, "", 0, -1, 0.5, 1e308, -1e308, math.inf, -math.inf, math.nan, 2**64, 10**6,
    "abc", "1e400s", "-5s", "5 minutes", "5m", "1e999/s", [], {}, True, [1, 2], [[[]]],
    {"dist": "banana"}, {"dist": "lognormal", "mu": 800, "sigma": 30},
    {"dist": "weibull", "scale": 1, "shape": 1e-300}, {"dist": "pareto", "scale": 1, "alpha": 1e-9},
    {"dist": "mixture", "of": []}, {"dist": "empirical", "file": "/dev/zero"},
    {"dist": "empirical", "samples": []}, {"process": "trace", "file": "/dev/null"},
    {"process": "closed", "users": 10**9, "think": 0}, "\x1b[2J", "[/bold]", "=cmd|'/C calc'!A0",
    "$\\foo{$", "é" * 50,
]  # fmt: skip

VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=12),
)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a document, parents before children."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(paths(child, (*prefix, index)))
    return found


def parent_of(document: Any, path: tuple) -> Any:
    node = document
    for key in path[:-1]:
        node = node[key]
    return node


MUTATIONS = st.tuples(
    st.sampled_from(["delete", "replace", "rename"]), st.integers(0, 10**6), VALUES
)


def mutate(document: dict, mutations: list[tuple[str, int, Any]]) -> dict:
    """The document with each mutation applied at the key path its number picks."""
    for kind, pick, value in mutations:
        every = paths(document)
        if not every:
            break
        path = every[pick % len(every)]
        parent, key = parent_of(document, path), path[-1]
        if kind == "replace":
            # Erlang B in `check` loops once per server: a huge capacity is issue 11's
            # (theory code), not the loader's, so it is left out of this fuzzer.
            if key == "capacity" and isinstance(value, (int, float)) and abs(value) > 1e6:
                assume(False)
            parent[key] = value
        elif kind == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[f"{key}x" if len(str(key)) < 3 else str(key)[:-1]] = parent.pop(key)
    return document


def assert_clean(result) -> None:
    """Exit 0, or exit 2 with every line a `conductor: ` line; never an internal error."""
    assert "Traceback" not in result.output + result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr, result.exception)
    if result.exit_code == 2:
        assert result.stderr.startswith("conductor: "), result.stderr


def _check(text: str | bytes, *options: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        assert_clean(invoke(*options[:1], path, *options[1:]))


FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@FUZZ
@given(st.sampled_from(sorted(DOCUMENTS)), st.lists(MUTATIONS, min_size=1, max_size=3))
def test_mutated_documents_are_accepted_or_refused(name: str, mutations) -> None:
    """Keys deleted, renamed or given hostile values: check exits 0 or 2."""
    document = mutate(yaml.safe_load(TEXTS[name]), mutations)
    _check(yaml.safe_dump(document, allow_unicode=True), "check")


@FUZZ
@given(
    st.sampled_from(sorted(TEXTS)),
    st.sampled_from(["cut", "byte", "repeat"]),
    st.integers(0, 10**6),
    st.integers(0, 255),
)
def test_mutated_text_is_accepted_or_refused(name: str, kind: str, pick: int, byte: int) -> None:
    """The YAML text cut short, a byte replaced or a line repeated: check exits 0 or 2."""
    data = TEXTS[name].encode("utf-8")
    position = pick % len(data)
    if kind == "cut":
        data = data[:position]
    elif kind == "byte":
        data = data[:position] + bytes([byte]) + data[position + 1 :]
    else:
        lines = data.splitlines(keepends=True)
        line = pick % len(lines)
        data = b"".join([*lines[: line + 1], lines[line], *lines[line + 1 :]])
    _check(data, "check")


@settings(FUZZ, max_examples=30)
@given(st.sampled_from(sorted(DOCUMENTS)), st.lists(MUTATIONS, min_size=1, max_size=2))
def test_mutated_documents_run_or_are_refused(name: str, mutations) -> None:
    """A one-replication run of a mutated scenario, capped small: exit 0 or 2."""
    document = mutate(yaml.safe_load(TEXTS[name]), mutations)
    _check(
        yaml.safe_dump(document, allow_unicode=True),
        "run", "-q", "-w", "1", "-r", "1", "--horizon", "30s", "--warmup", "0s",
        "--max-requests", "20000",
    )  # fmt: skip


SET_VALUES = st.one_of(
    st.sampled_from(
        [
            ".inf", "-.nan", "&a [*a]", "{a: 1, a: 2}", "[" * 80 + "]" * 80,
            "!!python/object:os.system",
            "2024-13-45", "9" * 5000, "1e400", "{dist: lognormal, mu: 900, sigma: 1}", "''", "~",
            "[1, 2", "{", "\x1b[2J", "=1+1", "$\\\\foo{$",
        ]
    ),
    st.text(max_size=20),
)  # fmt: skip


@FUZZ
@given(st.sampled_from(sorted(DOCUMENTS)), st.integers(0, 10**6), SET_VALUES)
def test_set_overrides_are_accepted_or_refused(name: str, pick: int, value: str) -> None:
    """--set PATH=VALUE at any key path of a bundled scenario, the value hostile YAML:
    check exits 0 or 2."""
    every = [p for p in paths(DOCUMENTS[name]) if all(isinstance(k, str) for k in p)]
    path = ".".join(every[pick % len(every)])
    assume(not path.endswith("capacity"))  # Erlang B's cost per server: issue 11
    _check(TEXTS[name], "check", "--set", f"{path}={value}")
