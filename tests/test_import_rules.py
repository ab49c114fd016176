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
