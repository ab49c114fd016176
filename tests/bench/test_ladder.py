"""The stepped saturation (bench.ladder, issue #16): the highest offered rate a quorum sustains.

Offered far above capacity, Kafka's TestRaftServer leader resigns on fetch timeouts and commits
nothing, so "saturated" gave Kafka 0 records/s on a quiet machine. The ladder must give a quorum
that collapses above its capacity the same kind of figure as one that degrades gracefully.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.ladder import FACTOR, REFINEMENTS, climb, sustained, two_digits

RESOLUTION = FACTOR ** (1 / 2**REFINEMENTS)


def graceful(capacity: float) -> Any:
    """pykraft-like: above capacity it commits at capacity, same leader."""

    def measure(rate: int) -> dict[str, Any]:
        return {
            "offered_records_per_s": rate,
            "committed_records_per_s": min(rate * 1.002, capacity),
            "leadership_changed": False,
            "leader_kind": "p",
            "voters_alive": [True, True, True],
        }

    return measure


def collapsing(capacity: float) -> Any:
    """Kafka-like at saturation: above capacity the leader resigns and nothing commits."""

    def measure(rate: int) -> dict[str, Any]:
        over = rate > capacity
        return {
            "offered_records_per_s": rate,
            "committed_records_per_s": 0.0 if over else rate * 0.999,
            "leadership_changed": over,
            "leader_kind": "k",
        }

    return measure


@pytest.mark.parametrize("make", [graceful, collapsing])
@pytest.mark.parametrize("capacity", [33_000.0, 95_000.0, 260_000.0])
def test_the_ladder_brackets_the_capacity_for_both_behaviours(make: Any, capacity: float) -> None:
    ladder = climb(make(capacity), 40_000, steps_max=8)
    found = ladder.summary()
    best = found["sustained_offered_records_per_s"]
    above = found["first_failed_offered_records_per_s"]
    assert 0 < best <= capacity / 0.95
    assert found["committed_records_per_s"] >= 0.95 * best
    # Bracketed within the resolution (two-digit rounding may widen it by a few %).
    assert above is not None and above / best <= RESOLUTION * 1.06
    assert len(ladder.steps) <= 8


def test_a_collapsing_quorum_gets_a_non_zero_figure_from_the_default_start() -> None:
    found = climb(collapsing(25_000), 40_000).summary()
    assert 20_000 <= found["sustained_offered_records_per_s"] <= 25_000
    assert found["first_failed_leadership_changed"] is True
    # 40k failed, 20k held, then the bracket [20k, 40k] was narrowed.
    assert [s["offered_records_per_s"] for s in found["steps"]][:2] == [40_000, 20_000]


def test_nothing_sustained_down_to_the_floor_reads_zero() -> None:
    found = climb(collapsing(0), 8_000, steps_max=10, floor_records_per_s=1_000).summary()
    assert found["sustained_offered_records_per_s"] == 0
    assert found["committed_records_per_s"] == 0.0
    assert [s["offered_records_per_s"] for s in found["steps"]] == [8_000, 4_000, 2_000, 1_000]


def test_the_step_count_is_capped() -> None:
    ladder = climb(graceful(10_000_000), 40_000, steps_max=3)
    assert [s["offered_records_per_s"] for s in ladder.steps] == [40_000, 80_000, 160_000]
    assert ladder.summary()["first_failed_offered_records_per_s"] is None


def test_sustained_needs_95_percent_the_same_leader_and_every_voter() -> None:
    step = {
        "offered_records_per_s": 10_000,
        "committed_records_per_s": 9_500.0,
        "leadership_changed": False,
        "voters_alive": [True, True, True],
    }
    assert sustained(step)
    assert not sustained({**step, "committed_records_per_s": 9_499.0})
    assert not sustained({**step, "leadership_changed": True})
    assert not sustained({**step, "voters_alive": [True, False, True]})


def test_two_digits() -> None:
    assert [two_digits(x) for x in (226_274, 56_568.5, 1_234, 99.6, 7.4)] == [
        230_000,
        57_000,
        1_200,
        100,
        7,
    ]
