"""The consumer-facing rules of the core (kraft/handlers/consumer.py): one set, used by the
shell's consumer APIs and by `RaftNode.consumer_fetch`. Unknown is None here; the shell writes
-1."""

from __future__ import annotations

from kraft.handlers.consumer import (
    committed_offset,
    epoch_end_offset,
    epoch_of_offset,
    offset_error,
    partition_error,
)
from kraft.types import OffsetAndEpoch
from wire.errors import ErrorCode


def test_epoch_end_offset() -> None:
    history = ((1, 0), (3, 3), (5, 10))
    assert epoch_end_offset(history, 5, 12) == OffsetAndEpoch(12, 5)
    assert epoch_end_offset(history, 3, 12) == OffsetAndEpoch(10, 3)
    # 4 never had a leader: the floor is 3.
    assert epoch_end_offset(history, 4, 12) == OffsetAndEpoch(10, 3)
    assert epoch_end_offset(history, 1, 12) == OffsetAndEpoch(3, 1)
    assert epoch_end_offset(history, 0, 12) == OffsetAndEpoch(0, 0)  # before the history
    assert epoch_end_offset(history, 6, 12) is None
    assert epoch_end_offset((), 1, 0) is None
    assert epoch_end_offset(history, -1, 12) is None


def test_epoch_of_offset() -> None:
    history = ((1, 0), (3, 3), (5, 10))
    assert epoch_of_offset(history, 0) == 1
    assert epoch_of_offset(history, 9) == 3
    assert epoch_of_offset(history, 12) == 5
    assert epoch_of_offset(((2, 5),), 4) is None


def test_partition_error_checks_the_epoch_then_the_leadership() -> None:
    def error(current: int | None, **kwargs: bool) -> ErrorCode:
        roles = {"is_leader": True, "shutting_down": False} | kwargs
        return partition_error(4, current, **roles)

    assert error(3) is ErrorCode.FENCED_LEADER_EPOCH
    assert error(5) is ErrorCode.UNKNOWN_LEADER_EPOCH
    assert error(5, is_leader=False) is ErrorCode.UNKNOWN_LEADER_EPOCH
    assert error(4) is ErrorCode.NONE
    assert error(None) is ErrorCode.NONE
    assert error(None, is_leader=False) is ErrorCode.NOT_LEADER_OR_FOLLOWER
    assert error(4, shutting_down=True) is ErrorCode.NOT_LEADER_OR_FOLLOWER
    assert error(4, is_leader=False, require_leader=False) is ErrorCode.NONE


def test_offsets_consumers_may_read() -> None:
    assert committed_offset(None, 3) == 3
    assert committed_offset(7, 3) == 7
    assert committed_offset(2, 3) == 3
    assert offset_error(2, 3, 9) is ErrorCode.OFFSET_OUT_OF_RANGE
    assert offset_error(10, 3, 9) is ErrorCode.OFFSET_OUT_OF_RANGE
    assert offset_error(3, 3, 9) is ErrorCode.NONE
    assert offset_error(9, 3, 9) is ErrorCode.NONE
