"""The Raft core stays pure: no I/O, clocks, global randomness or construct inside it.

The core is every module of `kraft` except the I/O-facing subpackages below. This reads the source
with `ast`, so it also catches imports inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `image` is not Raft core: a pure model over decoded metadata records (it needs `wire.metadata`);
# its own purity test is tests/cli/test_image_model.py::test_model_is_pure.
NOT_CORE = {"shell", "sim", "cli", "client", "tools", "image"}
# `random` is allowed only for the `random.Random` type of the injected generator; calls into the
# module-level generator are caught separately below.
FORBIDDEN = {"trio", "construct", "socket", "os", "time", "asyncio", "threading", "wire", "select"}
# The one wire module the core may use: pure error codes, so the core and the wire share values.
ALLOWED = {"wire.errors"}


def core_modules() -> list[Path]:
    paths = []
    for path in sorted((ROOT / "kraft").rglob("*.py")):
        parts = path.relative_to(ROOT / "kraft").parts
        if parts[0] in NOT_CORE:
            continue
        paths.append(path)
    return paths


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            names = []
        for name in names:
            if name in ALLOWED:
                continue
            assert name.split(".")[0] not in FORBIDDEN, f"{path}:{node.lineno} imports {name}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if isinstance(target, ast.Name) and target.id == "random":
                assert node.func.attr == "Random", (
                    f"{path}:{node.lineno} calls random.{node.func.attr}: inject a seeded Random"
                )


def test_wire_errors_stays_pure() -> None:
    tree = ast.parse((ROOT / "wire" / "errors.py").read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= {"__future__", "enum"}, imported


def test_construct_only_in_wire() -> None:
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "wire", "tests", "bench"}:
            continue
        text = path.read_text()
        assert "import construct" not in text and "from construct" not in text, rel


# ------------------------------------------------------------------------- no import cycles
# Every import counts: module level, inside functions (a "lazy" import only hides a cycle) and
# under `if TYPE_CHECKING:` (a cycle of types is a cycle of concepts). A package's `__init__` is
# not implied by importing one of its modules: a package that re-exports its modules is fine.
CYCLE_FREE = ("kraft", "wire")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, package: str, known: set[str]) -> set[str]:
    """The modules of `known` that `source` (a module of `package`) imports, anywhere in it."""
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            for alias in node.names:
                # `from package import module` imports that module; else the names' module.
                submodule = f"{module}.{alias.name}"
                imported.add(submodule if submodule in known else module)
    return {m for m in imported if m in known}


def import_graph(packages: tuple[str, ...] = CYCLE_FREE) -> dict[str, set[str]]:
    """module -> the modules of `packages` it imports."""
    paths = {module_name(p): p for top in packages for p in sorted((ROOT / top).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = imports_of(path.read_text(), package, set(paths)) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its first module repeated at the end), or None (depth-first search)."""
    done: set[str] = set()
    for root in sorted(graph):
        if root in done:
            continue
        path = [root]
        children = [iter(sorted(graph[root]))]
        while children:
            child = next(children[-1], None)
            if child is None:
                children.pop()
                done.add(path.pop())
            elif child in path:
                return [*path[path.index(child) :], child]
            elif child not in done:
                path.append(child)
                children.append(iter(sorted(graph[child])))
    return None


def test_no_import_cycles_in_kraft_and_wire() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_sees_every_kind_of_import() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    known = {"p", "p.a", "p.b", "p.c", "p.d", "p.e"}
    source = """
from typing import TYPE_CHECKING
from p import a
from p.b import thing
from . import c
if TYPE_CHECKING:
    from p.d import Type
def later():
    import p.e
"""
    assert imports_of(source, "p", known) == {"p.a", "p.b", "p.c", "p.d", "p.e"}
    assert "kraft.types" in import_graph()["kraft.node"]
