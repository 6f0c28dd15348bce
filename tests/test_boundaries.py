"""Layering: the scenario package knows nothing of SimPy or the CLI, the engine nothing of
YAML or the CLI, and only conductor/cli.py speaks click.

Two checks. Statically, every `import` in the package (lazy ones inside functions
included, `if TYPE_CHECKING:` blocks excluded) is parsed with `ast` and followed through
the package's own modules, so an indirect import through another conductor module counts
too. Dynamically, a fresh interpreter imports the layer's modules and inspects
`sys.modules`. The root `conductor/__init__.py` is the public façade (it re-exports `run`,
which needs the engine), so both checks stand in for it: the static one does not follow it,
the dynamic one replaces it by an empty package object.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conductor"
ROOT = PACKAGE.parent


def module_name(path: Path) -> str:
    """Dotted module name of a file of the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@cache
def direct_imports(name: str) -> frozenset[str]:
    """Dotted names a module imports (relative imports resolved)."""
    path = modules()[name]
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # `from conductor.x import y` may import the submodule conductor.x.y
            found.update(f"{module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return frozenset(found)


def internal_parents(name: str) -> list[str]:
    """The subpackages a module import executes, below the root package."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


def transitive_imports(start: str) -> tuple[set[str], dict[str, str]]:
    """Top-level third-party names reached from a module through the package's own modules,
    and for each the conductor module that imports it directly."""
    known = modules()
    seen: set[str] = set()
    stack = [start]
    external: dict[str, str] = {}
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for imported in direct_imports(current):
            if imported == "conductor" or imported.startswith("conductor."):
                if imported in known and imported != "conductor":
                    stack.append(imported)
                    stack.extend(p for p in internal_parents(imported) if p in known)
            else:
                external.setdefault(imported.split(".")[0], current)
    return set(external), external


def layer(prefix: str) -> list[str]:
    """The modules of a subpackage."""
    return [n for n in modules() if n == prefix or n.startswith(prefix + ".")]


def test_the_package_is_found():
    """Sanity: the layers exist, so the checks below check something."""
    assert layer("conductor.scenario")
    assert layer("conductor.engine")
    assert "conductor.cli" in modules()
    assert "simpy" in transitive_imports("conductor.engine.simulation")[0]
    assert "click" in transitive_imports("conductor.cli")[0]


@pytest.mark.parametrize("name", layer("conductor.scenario"))
def test_scenario_never_imports_simpy_click_or_matplotlib(name):
    """A scenario can be read and checked without the simulator, the CLI or plotting."""
    reached, via = transitive_imports(name)
    for forbidden in ("simpy", "click", "matplotlib"):
        assert forbidden not in reached, f"{name} reaches {forbidden} through {via.get(forbidden)}"


@pytest.mark.parametrize("name", layer("conductor.engine"))
def test_engine_never_imports_yaml_click_or_matplotlib(name):
    """The engine runs compiled plans: no file formats, no CLI, no plotting."""
    reached, via = transitive_imports(name)
    for forbidden in ("yaml", "click", "matplotlib"):
        assert forbidden not in reached, f"{name} reaches {forbidden} through {via.get(forbidden)}"


@pytest.mark.parametrize("name", sorted(modules()))
def test_only_the_cli_imports_click(name):
    """click appears in conductor/cli.py alone (and `python -m conductor` runs the CLI)."""
    if name in ("conductor.cli", "conductor.__main__"):
        return
    imports = direct_imports(name)
    assert not any(i == "click" or i.startswith("click.") for i in imports), name
    assert "conductor.cli" not in imports, f"{name} imports the CLI"


# Dynamic checks in a fresh interpreter ------------------------------------------------------

PROBE = r"""
import importlib, json, sys, types
stub = types.ModuleType("conductor")
stub.__path__ = [{package!r}]
stub.__version__ = "0"
sys.modules["conductor"] = stub
for name in {names!r}:
    importlib.import_module(name)
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


def loaded_by(names: list[str]) -> set[str]:
    """Top-level modules loaded by importing `names` in a fresh interpreter."""
    code = PROBE.format(package=str(PACKAGE), names=names)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_scenario_layer_loads_no_simpy_click_or_matplotlib():
    """Importing every scenario module leaves simpy, click and matplotlib unloaded."""
    loaded = loaded_by(layer("conductor.scenario"))
    assert "pydantic" in loaded  # the probe did import the layer
    assert not loaded & {"simpy", "click", "matplotlib"}, loaded & {"simpy", "click", "matplotlib"}


def test_importing_the_engine_loads_no_yaml_click_or_matplotlib():
    """Importing every engine module leaves yaml, click and matplotlib unloaded."""
    loaded = loaded_by(layer("conductor.engine"))
    assert "simpy" in loaded
    assert not loaded & {"yaml", "click", "matplotlib"}, loaded & {"yaml", "click", "matplotlib"}


def test_the_python_api_does_not_load_click_or_matplotlib():
    """`import conductor` and a run through the API never load click or matplotlib."""
    code = (
        "import sys, json, conductor\n"
        "s = conductor.load_scenario({'providers': {'p': {'kind': 'internal'}},"
        " 'components': {'c': {'options': {'p': {'service_time': 1}}}},"
        " 'flows': {'f': {'arrivals': {'process': 'constant', 'rate': 1},"
        " 'steps': {'c': {}}}}, 'run': {'horizon': 5, 'replications': 1}})\n"
        "conductor.run(s, workers=1)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "simpy" in loaded
    assert not loaded & {"click", "matplotlib"}, loaded & {"click", "matplotlib"}
