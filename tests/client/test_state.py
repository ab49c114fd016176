"""Consumer-mode fetch state (sans I/O): release what the node sent, once, in order, no gaps."""

from __future__ import annotations

import pytest

from kraft.shell.client.state import (
    ConsumerFetchState,
    ObserverError,
    build_consumer_fetch_request,
    committed_batches,
)
from kraft.shell.consumer import is_consumer_fetch
from tests.consumer.fakes import FakePort
from wire.errors import DecodeError, ErrorCode
from wire.messages.fetch import FetchResponse

P = FetchResponse.FetchableTopicResponse.PartitionData


def response(
    records: bytes = b"",
    *,
    high_watermark: int = -1,
    error: int = 0,
    top_error: int = 0,
    leader_id: int = -1,
    log_start_offset: int = 0,
) -> FetchResponse:
    partition = P(
        partition_index=0,
        error_code=error,
        high_watermark=high_watermark,
        log_start_offset=log_start_offset,
        records=records,
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


def test_releases_what_the_node_sent_once_in_order() -> None:
    state = ConsumerFetchState(start_offset=0)
    batches = log().batches
    out = state.handle_fetch_response(response(b"".join(batches[:2]), high_watermark=3))
    assert [b.base_offset for b in out.released] == [0, 1]
    assert state.next_offset == 3 and state.high_watermark == 3
    # A resend of what was released is skipped; only the new batch is released.
    out = state.handle_fetch_response(response(b"".join(batches), high_watermark=4))
    assert [b.base_offset for b in out.released] == [3]
    assert [r.value for r in out.released[0].records()] == [b"c"]


def test_start_in_the_middle_of_a_batch() -> None:
    state = ConsumerFetchState(start_offset=2)
    out = state.handle_fetch_response(response(b"".join(log().batches[1:]), high_watermark=4))
    assert [r.value for b in out.released for r in b.records()] == [b"b", b"c"]


def test_gaps_and_bad_crcs_are_never_released() -> None:
    batches = log().batches
    with pytest.raises(DecodeError, match="gap"):
        committed_batches(batches[0] + batches[2], 0, 0)
    state = ConsumerFetchState(start_offset=0)
    out = state.handle_fetch_response(response(batches[2], high_watermark=4))
    assert out.rediscover and out.released == [] and state.next_offset == 0
    bad = bytearray(b"".join(batches))
    bad[-1] ^= 1
    out = state.handle_fetch_response(response(bytes(bad), high_watermark=4))
    assert out.rediscover and out.released == []


def test_errors() -> None:
    state = ConsumerFetchState(start_offset=0)
    out = state.handle_fetch_response(response(error=ErrorCode.NOT_LEADER_OR_FOLLOWER, leader_id=2))
    assert out.rediscover and not out.backoff
    out = state.handle_fetch_response(response(error=ErrorCode.FENCED_LEADER_EPOCH))
    assert out.rediscover and out.backoff
    out = state.handle_fetch_response(response(top_error=ErrorCode.UNKNOWN_SERVER_ERROR))
    assert out.rediscover and out.backoff
    with pytest.raises(ObserverError, match="below the log start"):
        state.handle_fetch_response(
            response(error=ErrorCode.OFFSET_OUT_OF_RANGE, log_start_offset=3)
        )
    with pytest.raises(ObserverError):
        state.handle_fetch_response(response(error=ErrorCode.UNKNOWN_TOPIC_ID))


@pytest.mark.parametrize("version", [4, 11, 12, 13, 15, 17])
def test_requests_are_consumer_fetches(version: int) -> None:
    request = build_consumer_fetch_request(
        ConsumerFetchState(start_offset=5), version, leader_epoch=3, wait_ms_max=500
    )
    assert is_consumer_fetch(request, version)
    partition = request.topics[0].partitions[0]
    assert partition.fetch_offset == 5 and partition.current_leader_epoch == 3
    assert request.cluster_id is None and request.replica_id == -1
