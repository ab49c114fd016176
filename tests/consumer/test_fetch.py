"""Consumer Fetch: committed data only, Kafka's error codes, long poll, consumer/raft routing."""

from __future__ import annotations

import uuid

import pytest
import trio
import trio.testing

from kraft.shell.consumer import is_consumer_fetch, plan_fetch, serve_fetch
from kraft.shell.consumer.fetch import FETCH_RESPONSE_BYTES_MAX
from kraft.shell.consumer.view import METADATA_TOPIC_ID, METADATA_TOPIC_NAME
from tests.consumer.fakes import FakePort
from wire.errors import ErrorCode
from wire.messages.fetch import FetchRequest, FetchResponse
from wire.records.batch import iter_batches

Topic = FetchRequest.FetchTopic
Partition = FetchRequest.FetchTopic.FetchPartition


def fetch(
    offset: int,
    version: int = 11,
    *,
    topic: str = METADATA_TOPIC_NAME,
    topic_id: uuid.UUID = METADATA_TOPIC_ID,
    partition: int = 0,
    current_leader_epoch: int = -1,
    max_wait_ms: int = 500,
    min_bytes: int = 1,
    max_bytes: int = 1 << 20,
    partition_max_bytes: int = 1 << 20,
    session_id: int = 0,
    session_epoch: int = -1,
) -> FetchRequest:
    part = Partition(
        partition=partition,
        current_leader_epoch=current_leader_epoch,
        fetch_offset=offset,
        partition_max_bytes=partition_max_bytes,
    )
    return FetchRequest(
        max_wait_ms=max_wait_ms,
        min_bytes=min_bytes,
        max_bytes=max_bytes,
        session_id=session_id,
        session_epoch=session_epoch,
        topics=[Topic(topic=topic, topic_id=topic_id, partitions=[part])],
    )


@pytest.fixture
def port() -> FakePort:
    port = FakePort()
    port.append_leader_change(3)  # offset 0
    port.append_data(3, [b"a", b"b"])  # 1-2
    port.append_data(3, [b"c"])  # 3
    port.append_data(3, [b"d", b"e", b"f"])  # 4-6, uncommitted below
    port.sync(high_watermark=4)
    return port


async def answer(request: FetchRequest, version: int, port: FakePort) -> FetchResponse:
    return (await plan_fetch(request, version, port.view(), port)).response


def only_partition(response: FetchResponse) -> FetchResponse.FetchableTopicResponse.PartitionData:
    [topic] = response.responses
    [partition] = topic.partitions
    return partition


def offsets_in(records: bytes | None) -> list[int]:
    assert records is not None
    return [h.base_offset for _, h in iter_batches(records)]


def test_routing_consumer_versus_raft() -> None:
    assert is_consumer_fetch(FetchRequest(), 11)
    # kafka-python may send a real last fetched epoch: still a consumer (no cluster id).
    req = fetch(0, 12)
    assert is_consumer_fetch(req, 12)
    assert not is_consumer_fetch(FetchRequest(cluster_id="abc"), 12)
    assert not is_consumer_fetch(FetchRequest(replica_id=2), 11)
    assert not is_consumer_fetch(FetchRequest(replica_state=FetchRequest.ReplicaState(2, 1)), 15)
    assert is_consumer_fetch(FetchRequest(), 17)


@pytest.mark.parametrize("version", [4, 11, 12, 13, 16, 17, 18])
async def test_reads_are_capped_at_the_high_watermark(port: FakePort, version: int) -> None:
    plan = await plan_fetch(fetch(0, version), version, port.view(), port)
    partition = only_partition(plan.response)
    assert partition.error_code == ErrorCode.NONE
    assert partition.high_watermark == 4
    assert partition.last_stable_offset == 4
    assert offsets_in(partition.records) == [0, 1, 3]  # batch 4-6 is past the HW
    assert not plan.parkable
    if version >= 13:
        assert plan.response.responses[0].topic_id == METADATA_TOPIC_ID


async def test_fetch_inside_a_batch_returns_the_whole_batch(port: FakePort) -> None:
    partition = only_partition(await answer(fetch(2), 11, port))
    assert offsets_in(partition.records) == [1, 3]


async def test_between_high_watermark_and_log_end_is_empty_and_parks(port: FakePort) -> None:
    plan = await plan_fetch(fetch(5), 11, port.view(), port)
    partition = only_partition(plan.response)
    assert partition.error_code == ErrorCode.NONE
    assert partition.records == b""
    assert plan.parkable
    assert not (await plan_fetch(fetch(5, min_bytes=0), 11, port.view(), port)).parkable


@pytest.mark.parametrize("offset", [-1, -100, 8, 1 << 40])
async def test_out_of_range(port: FakePort, offset: int) -> None:
    partition = only_partition(await answer(fetch(offset), 11, port))
    assert partition.error_code == ErrorCode.OFFSET_OUT_OF_RANGE
    assert partition.records == b""
    # The log end itself is in range (nothing to read yet).
    end = only_partition(await answer(fetch(7), 11, port))
    assert end.error_code == ErrorCode.NONE


async def test_below_log_start_is_out_of_range(port: FakePort) -> None:
    port.set(log_start_offset=3)
    partition = only_partition(await answer(fetch(1), 11, port))
    assert partition.error_code == ErrorCode.OFFSET_OUT_OF_RANGE


async def test_unknown_topic_and_partition(port: FakePort) -> None:
    resp = await answer(fetch(0, topic="other"), 11, port)
    assert only_partition(resp).error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    resp = await answer(fetch(0, partition=1), 11, port)
    assert only_partition(resp).error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    resp = (
        await plan_fetch(fetch(0, 13, topic_id=uuid.UUID(int=7)), 13, port.view(), port)
    ).response
    assert only_partition(resp).error_code == ErrorCode.UNKNOWN_TOPIC_ID
    assert resp.responses[0].topic_id == uuid.UUID(int=7)


@pytest.mark.parametrize(
    ("epoch", "error"),
    [
        (2, ErrorCode.FENCED_LEADER_EPOCH),
        (4, ErrorCode.UNKNOWN_LEADER_EPOCH),
        (3, ErrorCode.NONE),
        (-1, ErrorCode.NONE),
    ],
)
async def test_current_leader_epoch(port: FakePort, epoch: int, error: ErrorCode) -> None:
    resp = await answer(fetch(0, 12, current_leader_epoch=epoch), 12, port)
    assert only_partition(resp).error_code == error


@pytest.mark.parametrize("version", [11, 12, 16, 17])
async def test_a_leader_shutting_down_says_not_the_leader(port: FakePort, version: int) -> None:
    """Retriable for every client (kafka-python raised on BROKER_NOT_AVAILABLE), pointing nowhere
    (not back at itself), with an empty record set."""
    port.set(shutting_down=True)
    plan = await plan_fetch(fetch(0, version), version, port.view(), port)
    partition = only_partition(plan.response)
    assert partition.error_code == ErrorCode.NOT_LEADER_OR_FOLLOWER
    assert partition.records == b""
    if version >= 12:
        assert partition.current_leader.leader_id == -1
    assert plan.response.node_endpoints == []


@pytest.mark.parametrize("version", [11, 12, 16, 17])
async def test_not_leader_points_to_the_leader(port: FakePort, version: int) -> None:
    port.set(is_leader=False, leader_id=2, local_id=1)
    plan = await plan_fetch(fetch(0, version), version, port.view(), port)
    partition = only_partition(plan.response)
    assert partition.error_code == ErrorCode.NOT_LEADER_OR_FOLLOWER
    assert partition.records == b""  # empty, never null (librdkafka rejects null)
    assert not plan.parkable
    if version >= 12:
        assert partition.current_leader.leader_id == 2
        assert partition.current_leader.leader_epoch == 3
    if version >= 16:
        assert [(e.node_id, e.port) for e in plan.response.node_endpoints] == [(2, 9102)]
    else:
        assert plan.response.node_endpoints == []


async def test_sessions_are_declined(port: FakePort) -> None:
    resp = (
        await plan_fetch(fetch(0, session_id=0, session_epoch=0), 11, port.view(), port)
    ).response
    assert resp.session_id == 0 and resp.error_code == ErrorCode.NONE
    resp = await answer(fetch(0, session_id=77, session_epoch=3), 11, port)
    assert resp.error_code == ErrorCode.FETCH_SESSION_ID_NOT_FOUND
    assert resp.responses == []
    resp = (
        await plan_fetch(fetch(0, session_id=0, session_epoch=5), 11, port.view(), port)
    ).response
    assert resp.error_code == ErrorCode.INVALID_FETCH_SESSION_EPOCH


async def test_max_bytes(port: FakePort) -> None:
    # Zero or tiny budgets still return the first whole batch (KIP-74).
    for max_bytes in (0, 1, -5):
        resp = await answer(fetch(0, max_bytes=max_bytes, partition_max_bytes=max_bytes), 11, port)
        assert offsets_in(only_partition(resp).records) == [0]
    resp = await answer(fetch(0, max_bytes=2**31 - 1, partition_max_bytes=2**31 - 1), 11, port)
    partition = only_partition(resp)
    assert offsets_in(partition.records) == [0, 1, 3]
    assert len(partition.records or b"") <= FETCH_RESPONSE_BYTES_MAX


async def test_long_poll_wakes_when_the_high_watermark_moves(
    port: FakePort, autojump_clock: trio.testing.MockClock
) -> None:
    result: list[FetchResponse] = []

    async def consumer() -> None:
        result.append(await serve_fetch(fetch(4, max_wait_ms=500), 11, port))

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(consumer)
        await trio.sleep(0.2)
        port.sync()  # HW 4 -> 7
    assert offsets_in(only_partition(result[0]).records) == [4]
    assert trio.current_time() - start == pytest.approx(0.2, abs=0.01)


async def test_long_poll_times_out_empty(
    port: FakePort, autojump_clock: trio.testing.MockClock
) -> None:
    start = trio.current_time()
    response = await serve_fetch(fetch(4, max_wait_ms=500), 11, port)
    assert only_partition(response).records == b""
    assert trio.current_time() - start == pytest.approx(0.5, abs=0.01)
    start = trio.current_time()
    await serve_fetch(fetch(4, max_wait_ms=0), 11, port)
    assert trio.current_time() == start
