"""Each test-only bug switch is checked at exactly one place in the core, and is off by default."""

from __future__ import annotations

from pathlib import Path

from kraft.config import InjectedBug, QuorumConfig

KRAFT = Path(__file__).resolve().parents[2] / "kraft"


def test_every_switch_is_checked_exactly_once() -> None:
    sources = [
        p.read_text()
        for p in [*KRAFT.glob("*.py"), *(KRAFT / "handlers").glob("*.py")]
        if p.name != "config.py"
    ]
    for bug in InjectedBug:
        uses = sum(text.count(f"InjectedBug.{bug.name}") for text in sources)
        assert uses == 1, (bug, uses)


def test_no_switch_is_on_by_default() -> None:
    assert QuorumConfig(voters={1: None}).injected_bugs == frozenset()
