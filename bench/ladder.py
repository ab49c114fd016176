"""Stepped saturation: the highest offered rate a quorum sustains, found the same way for any kind.

Why: offered far above capacity, Kafka's TestRaftServer leader spends its raft thread appending and
misses its followers' fetch deadlines, so it resigns again and again and commits nothing; that
measures the workload's lack of back-pressure, not what the quorum can commit. A stepped offered
rate, applied identically to pykraft and Kafka, gives both a figure they can hold.

Method (`climb`): start at `start_records_per_s`; measure one step (a fresh quorum at that offered
rate: warm-up, then a window; `bench.mixed.MixedQuorum.measure_rate`). A step is *sustained* when
the committed rate over its window is at least `SUSTAINED_SHARE` of the offered rate, the leader
(id and epoch) did not change from the end of the election to the end of the window, and every
voter is alive. Multiply the rate by `factor` while steps are sustained (divide while they are not,
down to `floor_records_per_s`); once a sustained rate and a failed one bracket the capacity, try
their geometric midpoint until the bracket is no wider than `factor ** (1 / 2 ** refinements)`
(+3% for the rounding)
(factor 2, 3 refinements: 9%), or `steps_max` steps have run. Rates are rounded to two
significant digits so that the table reads plainly. The figure is the highest sustained offered
rate (a committed rate: ≥ 95% of it committed), beside the committed records/s its window
measured (above the offered rate when the quorum caught up on a backlog from its warm-up); the
first failed step above it is kept too (committed rate, whether the leader changed), as is every
step.

The search is pure (the measurement is passed in), so it is tested without processes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SUSTAINED_SHARE = 0.95
FACTOR = 2.0
REFINEMENTS = 3
STEPS_MAX = 7
FLOOR_RECORDS_PER_S = 1_000
ROUNDING_SLACK = 1.03


def sustained(step: dict[str, Any]) -> bool:
    """Committed ≥ 95% of offered over the window, same leader throughout, every voter alive."""
    return (
        not step["leadership_changed"]
        and all(step.get("voters_alive", [True]))
        and step["committed_records_per_s"] >= SUSTAINED_SHARE * step["offered_records_per_s"]
    )


def two_digits(rate: float) -> int:
    """`rate` rounded to two significant digits (226,274 → 230,000)."""
    if rate < 10:
        return max(round(rate), 1)
    scale = 10 ** (math.floor(math.log10(rate)) - 1)
    return int(round(rate / scale) * scale)


@dataclass
class Ladder:
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def best(self) -> dict[str, Any] | None:
        """The sustained step with the highest offered rate."""
        held = [s for s in self.steps if s["sustained"]]
        return max(held, key=lambda s: s["offered_records_per_s"]) if held else None

    @property
    def first_failed_above(self) -> dict[str, Any] | None:
        """The failed step with the lowest offered rate above the best one."""
        best = self.best
        floor = best["offered_records_per_s"] if best else 0
        failed = [
            s for s in self.steps if not s["sustained"] and s["offered_records_per_s"] > floor
        ]
        return min(failed, key=lambda s: s["offered_records_per_s"]) if failed else None

    def summary(self) -> dict[str, Any]:
        best, above = self.best, self.first_failed_above
        return {
            "sustained_offered_records_per_s": best["offered_records_per_s"] if best else 0,
            "committed_records_per_s": best["committed_records_per_s"] if best else 0.0,
            "leader_kind": best["leader_kind"] if best else None,
            "first_failed_offered_records_per_s": above["offered_records_per_s"] if above else None,
            "first_failed_committed_records_per_s": above["committed_records_per_s"]
            if above
            else None,
            "first_failed_leadership_changed": above["leadership_changed"] if above else None,
            "steps": self.steps,
        }


def climb(
    measure: Callable[[int], dict[str, Any]],
    start_records_per_s: int,
    *,
    factor: float = FACTOR,
    refinements: int = REFINEMENTS,
    steps_max: int = STEPS_MAX,
    floor_records_per_s: int = FLOOR_RECORDS_PER_S,
) -> Ladder:
    """Run the steps (`measure(offered records/s)` → a step dict as `measure_rate` returns it)."""
    ladder = Ladder()
    resolution = factor ** (1 / 2**refinements)
    held: int | None = None  # highest sustained offered rate so far
    failed: int | None = None  # lowest failed offered rate so far
    rate = two_digits(start_records_per_s)
    while len(ladder.steps) < steps_max:
        step = dict(measure(rate))
        step["offered_records_per_s"] = rate
        step["sustained"] = sustained(step)
        ladder.steps.append(step)
        if step["sustained"]:
            held = rate if held is None else max(held, rate)
        else:
            failed = rate if failed is None else min(failed, rate)
        if failed is None:
            rate = two_digits(rate * factor)
        elif held is None:
            rate = two_digits(rate / factor)
            if rate < floor_records_per_s:
                break
        else:
            # Two-digit rounding can leave a bracket a few % wider than the resolution.
            if failed / held <= resolution * ROUNDING_SLACK:
                break
            rate = two_digits(math.sqrt(held * failed))
            if not held < rate < failed:  # the rounding closed the bracket
                break
    return ladder
