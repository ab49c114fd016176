"""What a live fuzz campaign found (`tests.fuzz.live`): each mutation (kind, index for replay),
each failed check with the mutations before it and the node's stderr tail, and the counts of a
run, as a summary for people and as JSON.
"""

from __future__ import annotations

import collections
import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Mutation:
    index: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}: {self.detail}"


@dataclass
class Finding:
    check: str
    mutations: list[str]
    stderr_tail: str

    def __str__(self) -> str:
        recent = "\n    ".join(self.mutations) or "(none)"
        return f"{self.check}\n  last mutations:\n    {recent}\n  stderr tail:\n{self.stderr_tail}"


@dataclass
class Report:
    seed: int
    mutations: int = 0
    per_kind: collections.Counter[str] = field(default_factory=collections.Counter)
    roles_seen: collections.Counter[str] = field(default_factory=collections.Counter)
    cycles: collections.Counter[str] = field(default_factory=collections.Counter)
    restarts: int = 0
    wipes: int = 0
    harness_errors: int = 0
    slow_checks: int = 0  # checks answered only after CHECK_TIMEOUT_S (a starved machine)
    idle_flood_newcomer_s: float = 0.0  # the longest a newcomer waited after an idle flood
    seconds_in: collections.Counter[str] = field(default_factory=collections.Counter)
    findings: list[Finding] = field(default_factory=list)
    duration_s: float = 0.0

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.per_kind.items()))
        roles = ", ".join(f"{k} {n}" for k, n in sorted(self.roles_seen.items()))
        cycles = ", ".join(f"{k} {n}" for k, n in sorted(self.cycles.items()))
        return (
            f"seed {self.seed}: {self.mutations} mutations in {self.duration_s:.1f} s, "
            f"{self.restarts} restarts ({self.wipes} wiped), {len(self.findings)} findings, "
            f"{self.harness_errors} harness errors, {self.slow_checks} slow checks, "
            "a newcomer waited up to "
            f"{self.idle_flood_newcomer_s:.1f} s after an idle flood\n"
            f"  kinds: {kinds}\n  cycles: {cycles}\n  roles in stats: {roles}\n"
            f"  seconds in: {', '.join(f'{k} {v:.0f}' for k, v in self.seconds_in.items())}"
            + "".join(f"\n  finding x{n}: {check}" for check, n in self.distinct_findings())
        )

    def distinct_findings(self) -> list[tuple[str, int]]:
        return collections.Counter(f.check for f in self.findings).most_common()

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "mutations": self.mutations,
            "per_kind": dict(self.per_kind),
            "roles_seen": dict(self.roles_seen),
            "cycles": dict(self.cycles),
            "restarts": self.restarts,
            "wipes": self.wipes,
            "harness_errors": self.harness_errors,
            "slow_checks": self.slow_checks,
            "idle_flood_newcomer_s": round(self.idle_flood_newcomer_s, 1),
            "seconds_in": {k: round(v, 1) for k, v in self.seconds_in.items()},
            "duration_s": round(self.duration_s, 1),
            "findings": [dataclasses.asdict(f) for f in self.findings],
        }
