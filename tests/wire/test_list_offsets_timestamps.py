"""ListOffsets' special timestamps are protocol values: defined once, in the message's module."""

from __future__ import annotations

import ast
from pathlib import Path

from wire.messages import list_offsets

ROOT = Path(__file__).resolve().parents[2]
NAMES = {
    "LATEST_TIMESTAMP": -1,
    "EARLIEST_TIMESTAMP": -2,
    "MAX_TIMESTAMP": -3,
    "EARLIEST_LOCAL_TIMESTAMP": -4,
    "LATEST_TIERED_TIMESTAMP": -5,
    "EARLIEST_PENDING_UPLOAD_TIMESTAMP": -6,
}


def test_values_are_kafkas() -> None:
    assert {name: getattr(list_offsets, name) for name in NAMES} == NAMES


def test_no_other_module_defines_them() -> None:
    home = ROOT / "wire" / "messages" / "list_offsets.py"
    copies = []
    for top in ("wire", "kraft", "tests", "bench"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path == home:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Assign):
                    targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
                    copies += [f"{path.relative_to(ROOT)}: {t}" for t in targets if t in NAMES]
    assert copies == [], "import them from wire.messages.list_offsets"
