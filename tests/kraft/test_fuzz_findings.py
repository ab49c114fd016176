"""Crashes found by the live fuzz harness (tests/fuzz) beyond issue #12's list."""

from __future__ import annotations

from kraft.ready import SnapshotAbort, SnapshotInstall
from kraft.rpc import FetchSnapshotResponse
from kraft.types import LeaderAndEpoch, OffsetAndEpoch
from tests.kraft.test_replication_rules import _downloading_follower
from wire.errors import ErrorCode


def test_an_empty_snapshot_is_never_installed() -> None:
    """A FetchSnapshot answer of size 0 (no error, no data) made the follower install a snapshot
    it never wrote a byte of: the executor's rename found no file (FileNotFoundError, the node
    died). A snapshot holds at least its header batch, so such an answer aborts the download."""
    driver, request_id = _downloading_follower()
    ready = driver.respond(
        request_id,
        FetchSnapshotResponse(
            ErrorCode.NONE,
            snapshot_id=OffsetAndEpoch(20, 4),
            current_leader=LeaderAndEpoch(2, 4),
            size=0,
            position=0,
            data=b"",
        ),
    )
    assert not any(isinstance(op, SnapshotInstall) for op in ready.log_ops)
    assert ready.log_ops == [SnapshotAbort(OffsetAndEpoch(20, 4))]
    assert driver.node.log_end_offset == 10
