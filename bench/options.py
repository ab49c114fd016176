"""Options shared by every scenario, and the error a scenario raises when it cannot run."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIB = 1024


class ScenarioUnavailable(RuntimeError):
    """The scenario cannot run here yet (e.g. the node is not runnable); the message says why."""


class LeadershipChanged(ScenarioUnavailable):
    """The leader changed inside a measured window; the run is void (callers may retry)."""


RETRIES_MAX = 2


@dataclass(frozen=True)
class BenchOptions:
    """What the user asked for. `quick` shrinks every scenario to a smoke run of a few seconds."""

    quick: bool = False
    duration_s: float = 20.0
    runs: int = 3
    warmup_s: float = 3.0
    record_sizes: tuple[int, ...] = (256, KIB)
    failover_runs: int = 10
    # The measured window of one step of the stepped saturation (`bench.ladder`, kafka scenario).
    step_s: float = 10.0
    memory_duration_s: float = 600.0
    workdir: Path = field(default_factory=lambda: Path("/tmp"))
    root: Path = ROOT
    verbose: bool = False
    # When set, node scenarios run each voter under `py-spy record` and write profiles here.
    profile_dir: Path | None = None
    profile_idle: bool = False

    @property
    def effective_duration_s(self) -> float:
        return min(self.duration_s, 2.0) if self.quick else self.duration_s

    @property
    def effective_warmup_s(self) -> float:
        return min(self.warmup_s, 1.0) if self.quick else self.warmup_s

    @property
    def effective_runs(self) -> int:
        return 1 if self.quick else self.runs


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def log(options: BenchOptions, message: str) -> None:
    if options.verbose:
        import sys

        print(f"bench: {message}", file=sys.stderr, flush=True)
