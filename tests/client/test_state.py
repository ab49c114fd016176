"""The observer's sans-I/O fetch state: release only committed batches, once, in order."""

from __future__ import annotations

import pytest

from kraft.client.state import ObserverError, ObserverState, build_fetch_request
from kraft.shell.consumer import is_consumer_fetch
from tests.consumer.fakes import FakePort
from wire.errors import ErrorCode
from wire.messages.fetch import FetchResponse

P = FetchResponse.FetchableTopicResponse.PartitionData


def response(
    records: bytes = b"",
    *,
    high_watermark: int = -1,
    error: int = 0,
    diverging: tuple[int, int] | None = None,
    top_error: int = 0,
    leader_id: int = -1,
) -> FetchResponse:
    partition = P(
        partition_index=0,
        error_code=error,
        high_watermark=high_watermark,
        log_start_offset=0,
        records=records,
        diverging_epoch=P.EpochEndOffset(*diverging) if diverging else P.EpochEndOffset(),
        current_leader=P.LeaderIdAndEpoch(leader_id=leader_id, leader_epoch=5),
    )
    topic = FetchResponse.FetchableTopicResponse(topic="__cluster_metadata", partitions=[partition])
    return FetchResponse(error_code=top_error, responses=[topic])


def log() -> FakePort:
    port = FakePort()
    port.append_leader_change(1)  # 0
    port.append_data(1, [b"a", b"b"])  # 1-2
    port.append_data(1, [b"c"])  # 3
    return port


def test_releases_only_below_the_high_watermark() -> None:
    state = ObserverState(start_offset=0)
    out = state.handle_fetch_response(response(b"".join(log().batches), high_watermark=3), 17)
    assert [b.base_offset for b in out.released] == [0, 1]
    assert state.next_offset == 4 and state.position_epoch == 1
    out = state.handle_fetch_response(response(high_watermark=4), 17)
    assert [b.base_offset for b in out.released] == [3]
    assert [r.value for r in out.released[0].records()] == [b"c"]
    # Data already held is not released twice.
    out = state.handle_fetch_response(response(b"".join(log().batches), high_watermark=4), 17)
    assert out.released == []


def test_diverging_epoch_truncates_uncommitted_batches() -> None:
    old = log()
    old.append_data(1, [b"lost"])  # 4, never committed
    state = ObserverState(start_offset=0)
    out = state.handle_fetch_response(response(b"".join(old.batches), high_watermark=4), 17)
    assert [b.base_offset for b in out.released] == [0, 1, 3]
    assert state.next_offset == 5
    out = state.handle_fetch_response(response(diverging=(1, 4), high_watermark=4), 17)
    assert out.released == [] and state.next_offset == 4 and state.position_epoch == 1
    new = log()
    new.append_leader_change(2)  # 4 in epoch 2
    new.append_data(2, [b"kept"])  # 5
    out = state.handle_fetch_response(response(b"".join(new.batches[3:]), high_watermark=6), 17)
    assert [(b.base_offset, b.epoch) for b in out.released] == [(4, 2), (5, 2)]


def test_truncation_below_released_data_is_refused() -> None:
    state = ObserverState(start_offset=0)
    state.handle_fetch_response(response(b"".join(log().batches), high_watermark=4), 17)
    with pytest.raises(ObserverError):
        state.handle_fetch_response(response(diverging=(0, 2)), 17)


def test_start_in_the_middle_of_a_batch() -> None:
    state = ObserverState(start_offset=2, consumer_mode=True)
    out = state.handle_fetch_response(response(b"".join(log().batches[1:]), high_watermark=4), 17)
    assert [r.value for b in out.released for r in b.records()] == [b"b", b"c"]


def test_errors() -> None:
    state = ObserverState(start_offset=0)
    with pytest.raises(ObserverError, match="cluster id"):
        state.handle_fetch_response(response(top_error=ErrorCode.INCONSISTENT_CLUSTER_ID), 17)
    out = state.handle_fetch_response(
        response(error=ErrorCode.NOT_LEADER_OR_FOLLOWER, leader_id=2), 17
    )
    assert out.rediscover and not out.backoff
    out = state.handle_fetch_response(response(error=ErrorCode.FENCED_LEADER_EPOCH), 17)
    assert out.rediscover and out.backoff
    bad = bytearray(b"".join(log().batches))
    bad[-1] ^= 1
    out = state.handle_fetch_response(response(bytes(bad), high_watermark=4), 17)
    assert out.rediscover and [b.base_offset for b in out.released] == []
    with pytest.raises(ObserverError):
        state.handle_fetch_response(response(error=ErrorCode.UNKNOWN_TOPIC_ID), 17)


@pytest.mark.parametrize("version", [11, 12, 13, 15, 17])
def test_requests_are_routed_as_intended(version: int) -> None:
    consumer = ObserverState(start_offset=0, consumer_mode=True)
    request = build_fetch_request(
        consumer, version, cluster_id="c", local_id=None, leader_epoch=3, max_wait_ms=500
    )
    assert is_consumer_fetch(request, version)
    if version < 12:
        return
    raft = ObserverState(start_offset=0)
    for local_id in (None, 7):
        request = build_fetch_request(
            raft, version, cluster_id="c", local_id=local_id, leader_epoch=3, max_wait_ms=500
        )
        assert not is_consumer_fetch(request, version)
        partition = request.topics[0].partitions[0]
        assert partition.last_fetched_epoch == 0 and partition.current_leader_epoch == 3
        replica = request.replica_state.replica_id if version >= 15 else request.replica_id
        assert replica == (-1 if local_id is None else local_id)


def test_pending_uncommitted_data_is_bounded() -> None:
    state = ObserverState(start_offset=0, pending_bytes_max=100)
    out = state.handle_fetch_response(response(b"".join(log().batches), high_watermark=1), 17)
    assert [b.base_offset for b in out.released] == [0]
    assert state.pending == [] and state.next_offset == 1  # dropped, fetched again later
    out = state.handle_fetch_response(response(b"".join(log().batches), high_watermark=4), 17)
    assert [b.base_offset for b in out.released] == [1, 3]
