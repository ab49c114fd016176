"""The test server's workload schedule: a leader at a steady rate sleeps between due instants.

Regression (issue #16): `next_due_ms` rounded the next record's due time *down* to the
millisecond, so above 1,000 records/s the next record read as due already right after every pump
and the node loop spun (wake, pump nothing, poll the core) until the clock's millisecond ticked: a
leader at the default 5,000 records/s burned most of a core doing nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from kraft.node import ProposeError, ProposeResult
from kraft.ready import Ready
from kraft.roles import RoleName
from kraft.shell.stats import Stats
from kraft.shell.workload import Workload

START_MS = 1_000_000
EPOCH = 3


@dataclass
class FakeLeader:
    """Just what the workload reads of a RaftNode: role, epoch and `propose`."""

    role: RoleName = RoleName.LEADER
    epoch: int = EPOCH
    next_offset: int = 0
    proposed: list[int] = field(default_factory=list)

    def propose(self, values: list[bytes], now_ms: int) -> ProposeResult:
        base = self.next_offset
        self.next_offset += len(values)
        self.proposed.append(len(values))
        return ProposeResult(ProposeError.NONE, EPOCH, base, self.next_offset - 1, now_ms)


def leading_workload(throughput: int) -> tuple[Workload, FakeLeader]:
    node = FakeLeader()
    workload = Workload(
        node,  # type: ignore[arg-type]
        Stats(START_MS),
        throughput=throughput,
        record_size=64,
        rng=random.Random(1),
        batch_bytes_max=1 << 20,
    )
    workload.on_ready(Ready(), START_MS)
    return workload, node


def drive(workload: Workload, node: FakeLeader, until_ms: int) -> int:
    """Run the node loop's schedule: wake at `next_due_ms`, pump; commit everything at once.
    Returns how many times the loop woke."""
    now_ms = START_MS
    wakeups = 0
    while now_ms < until_ms:
        workload.pump(now_ms)
        workload.on_ready(Ready(high_watermark=node.next_offset), now_ms)
        due_ms = workload.next_due_ms()
        assert due_ms is not None
        # The loop sleeps until `due_ms` unless it is due already (then it polls at once).
        now_ms = max(now_ms, due_ms)
        wakeups += 1
        assert wakeups < 10 * (until_ms - START_MS), "the loop never sleeps"
    workload.pump(until_ms)
    return wakeups


@pytest.mark.parametrize("throughput", [1, 100, 999, 1000, 1001, 5000, 20_000, 1_000_000])
def test_after_a_pump_the_next_record_is_due_in_the_future(throughput: int) -> None:
    workload, node = leading_workload(throughput)
    for now_ms in range(START_MS, START_MS + 50, 7):
        workload.pump(now_ms)
        workload.on_ready(Ready(high_watermark=node.next_offset), now_ms)
        due_ms = workload.next_due_ms()
        assert due_ms is not None and due_ms > now_ms, (throughput, now_ms, due_ms)


@pytest.mark.parametrize("throughput", [100, 1000, 5000, 20_000])
def test_a_steady_rate_wakes_the_loop_at_most_once_per_millisecond(throughput: int) -> None:
    workload, node = leading_workload(throughput)
    duration_ms = 1000
    wakeups = drive(workload, node, START_MS + duration_ms)
    assert wakeups <= min(throughput, duration_ms) + 1
    # And the schedule is kept: every record due by the end was proposed (one per 1/rate s, the
    # first at the start, the last at the end).
    assert sum(node.proposed) == throughput + 1
