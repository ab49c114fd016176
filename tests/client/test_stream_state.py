"""Stream-mode fetch state (sans I/O): a Raft observer's fetch position without a local log.

Only batches below the high watermark are released, whole, in order, each once; a DivergingEpoch
answer cuts the fetched uncommitted tail (never what was released); the leader's epoch is
learned from its answers; a SnapshotId answer is handed over, then the fetch goes on after it.
"""

from __future__ import annotations

import pytest

from kraft.shell.client.state import CommittedBatch, ObserverError, StreamFetchState, Truncation
from kraft.shell.consumer import is_consumer_fetch
from tests.consumer.fakes import FakePort
from wire.errors import ErrorCode
from wire.messages.fetch import FetchResponse

P = FetchResponse.FetchableTopicResponse.PartitionData
EPOCH = 3
LEADER = 1


def answer(
    records: bytes = b"",
    *,
    high_watermark: int = -1,
    error: int = 0,
    top_error: int = 0,
    leader: tuple[int, int] = (LEADER, EPOCH),
    diverging: tuple[int, int] | None = None,
    snapshot: tuple[int, int] | None = None,
) -> FetchResponse:
    partition = P(
        partition_index=0,
        error_code=error,
        high_watermark=high_watermark,
        records=records,
        current_leader=P.LeaderIdAndEpoch(leader_id=leader[0], leader_epoch=leader[1]),
        diverging_epoch=P.EpochEndOffset() if diverging is None else P.EpochEndOffset(*diverging),
        snapshot_id=P.SnapshotId() if snapshot is None else P.SnapshotId(*snapshot),
    )
    topic = FetchResponse.FetchableTopicResponse(topic="__cluster_metadata", partitions=[partition])
    return FetchResponse(error_code=top_error, responses=[topic])


def log() -> list[bytes]:
    port = FakePort()
    port.append_leader_change(EPOCH)  # 0
    port.append_data(EPOCH, [b"a", b"b"])  # 1-2
    port.append_data(EPOCH, [b"c"])  # 3
    return port.batches


def state(first_offset: int = 0) -> StreamFetchState:
    s = StreamFetchState(first_offset=first_offset, fetch_offset=first_offset, last_fetched_epoch=0)
    s.connected_to(LEADER, EPOCH)
    return s


def offsets(released: list[CommittedBatch]) -> list[int]:
    return [b.base_offset for b in released]


def test_only_whole_batches_below_the_high_watermark_are_released_once() -> None:
    s = state()
    batches = log()
    out = s.handle_fetch_response(answer(b"".join(batches), high_watermark=3))
    assert offsets(out.released) == [0, 1]  # 3 is fetched, not committed
    assert (s.fetch_offset, s.last_fetched_epoch, s.released_end) == (4, EPOCH, 3)
    out = s.handle_fetch_response(answer(high_watermark=3))
    assert out.released == []
    # The high watermark moves past it: released from memory, without fetching it again.
    out = s.handle_fetch_response(answer(high_watermark=4))
    assert offsets(out.released) == [3] and s.pending == []
    # A resend of what was fetched is skipped.
    out = s.handle_fetch_response(answer(b"".join(batches), high_watermark=4))
    assert out.released == [] and s.fetch_offset == 4


def test_a_divergence_cuts_the_uncommitted_tail_never_what_was_released() -> None:
    s = state()
    s.handle_fetch_response(answer(b"".join(log()), high_watermark=1))
    assert s.fetch_offset == 4 and s.released_end == 1
    # A new leader (epoch 4) whose log for epoch 3 ends at 3: the batch at 3 goes.
    out = s.handle_fetch_response(answer(leader=(LEADER, 4), diverging=(3, 3)))
    assert not out.rediscover and out.released == []
    assert s.truncations == [Truncation(from_end_offset=4, to_end_offset=3)]
    assert (s.fetch_offset, s.last_fetched_epoch, s.leader_epoch) == (3, EPOCH, 4)
    # A divergence below what was released is the leader's fault: refused, fetched again later.
    out = s.handle_fetch_response(answer(leader=(LEADER, 4), diverging=(2, 0)))
    assert out.rediscover and out.backoff
    assert s.fetch_offset == 3 and len(s.truncations) == 1
    request = s.fetch_request("cluster", -1, 500, 17).topics[0].partitions[0]
    assert (request.fetch_offset, request.last_fetched_epoch) == (3, EPOCH)
    assert request.current_leader_epoch == 4


def test_the_leader_epoch_is_learned_and_claimed_from_a_start_offset() -> None:
    s = StreamFetchState(first_offset=2, fetch_offset=2, last_fetched_epoch=0)
    s.claim_leader_epoch = True
    s.connected_to(LEADER, -1)  # a Kafka controller's DescribeCluster names no epoch
    request = s.fetch_request("cluster", -1, 500, 17)
    partition = request.topics[0].partitions[0]
    assert (partition.current_leader_epoch, partition.last_fetched_epoch) == (0, 0)
    assert not is_consumer_fetch(request, 17)
    out = s.handle_fetch_response(answer(error=ErrorCode.FENCED_LEADER_EPOCH))
    assert not out.rediscover and s.leader_epoch == EPOCH  # ask the same node again, at once
    partition = s.fetch_request("cluster", -1, 500, 17).topics[0].partitions[0]
    assert (partition.current_leader_epoch, partition.last_fetched_epoch) == (EPOCH, EPOCH)
    # From inside a batch: the records before the start are not released.
    out = s.handle_fetch_response(answer(b"".join(log()[1:]), high_watermark=4))
    assert [r.offset for b in out.released for r in b.records()] == [2, 3]
    assert not s.claim_leader_epoch and s.last_fetched_epoch == EPOCH
    # The same fencing again (no newer epoch): not a loop on the same node.
    out = s.handle_fetch_response(answer(error=ErrorCode.FENCED_LEADER_EPOCH))
    assert out.rediscover and out.backoff


def test_leader_changes_errors_and_snapshots() -> None:
    s = state()
    out = s.handle_fetch_response(
        answer(error=ErrorCode.NOT_LEADER_OR_FOLLOWER, leader=(2, EPOCH + 1))
    )
    assert out.rediscover and not out.backoff  # another node leads: go there at once
    out = s.handle_fetch_response(answer(error=ErrorCode.NOT_LEADER_OR_FOLLOWER, leader=(-1, 9)))
    assert out.rediscover and out.backoff  # no leader yet
    with pytest.raises(ObserverError, match="cluster id"):
        s.handle_fetch_response(answer(top_error=ErrorCode.INCONSISTENT_CLUSTER_ID))
    with pytest.raises(ObserverError):
        s.handle_fetch_response(answer(error=ErrorCode.UNKNOWN_TOPIC_ID, leader=(2, 9)))
    s = state()
    out = s.handle_fetch_response(answer(snapshot=(10, 2), high_watermark=12))
    assert out.snapshot == (10, 2) and out.released == []
    s.install_snapshot(10, 2)
    assert (s.fetch_offset, s.last_fetched_epoch, s.first_offset, s.released_end) == (10, 2, 10, 10)
    bad = bytearray(b"".join(log()))
    bad[-1] ^= 1
    s = state()
    out = s.handle_fetch_response(answer(bytes(bad), high_watermark=4))
    # The batches before the corrupt one are kept, it is fetched again (after a backoff).
    assert out.rediscover and out.backoff and out.released == [] and s.fetch_offset == 3
    out = s.handle_fetch_response(answer(log()[2], high_watermark=4))
    assert offsets(out.released) == [0, 1, 3]
