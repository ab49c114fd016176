"""Consumer answers encoded by `wire`, read back by kio (an independent codec), every version."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

import wire
from kraft.shell.consumer import dispatch, plan_fetch
from kraft.shell.consumer.view import METADATA_TOPIC_ID, METADATA_TOPIC_NAME
from tests.consumer.fakes import FakePort
from tests.consumer.test_fetch import fetch
from tests.consumer.test_metadata_offsets import list_offsets
from wire.fields import Message
from wire.messages.describe_cluster import DescribeClusterRequest
from wire.messages.metadata import MetadataRequest
from wire.messages.offset_for_leader_epoch import OffsetForLeaderEpochRequest
from wire.records.batch import iter_batches

kio_serial = pytest.importorskip("kio.serial")


def kio_read(api: str, version: int, message: Message) -> Any:
    module = importlib.import_module(f"kio.schema.{api}.v{version}.response")
    cls = getattr(module, type(message).__name__)
    data = wire.encode(message, version)
    value, consumed = kio_serial.entity_reader(cls)(memoryview(data), 0)
    assert consumed == len(data)
    return value


@pytest.fixture
def port() -> FakePort:
    port = FakePort()
    port.append_leader_change(3)
    port.append_data(3, [b"a", b"b"])
    port.append_data(3, [b"c"])
    port.sync(high_watermark=3)
    return port


@pytest.mark.parametrize("version", range(4, 19))
async def test_fetch_response(port: FakePort, version: int) -> None:
    response = (await plan_fetch(fetch(0, version), version, port.view(), port)).response
    value = kio_read("fetch", version, response)
    [topic] = value.responses
    if version >= 13:
        assert topic.topic_id == METADATA_TOPIC_ID
    else:
        assert topic.topic == METADATA_TOPIC_NAME
    [partition] = topic.partitions
    assert partition.error_code == 0
    assert partition.high_watermark == 3
    assert [h.base_offset for _, h in iter_batches(partition.records)] == [0, 1]


@pytest.mark.parametrize("version", range(4, 19))
async def test_fetch_not_leader_response(port: FakePort, version: int) -> None:
    port.set(is_leader=False, leader_id=2)
    response = (await plan_fetch(fetch(0, version), version, port.view(), port)).response
    value = kio_read("fetch", version, response)
    partition = value.responses[0].partitions[0]
    assert partition.error_code == 6
    if version >= 12:
        assert partition.current_leader.leader_id == 2
    if version >= 16:
        assert [(n.node_id, n.port) for n in value.node_endpoints] == [(2, 9102)]


ERROR_CASES = {
    "offset past the end": (dict(offset=1000), {}),
    "offset below the start": (dict(offset=0), {"log_start_offset": 1}),
    "not the leader": (dict(offset=0), {"is_leader": False, "leader_id": 2}),
    "fenced epoch": (dict(offset=0, current_leader_epoch=2), {}),
    "unknown partition": (dict(offset=0, partition=1), {}),
}


FETCH_CURRENT_LEADER_EPOCH_VERSION_MIN = 9


@pytest.mark.parametrize(
    ("version", "case"),
    [
        (version, case)
        for version in range(4, 19)
        for case in sorted(ERROR_CASES)
        if version >= FETCH_CURRENT_LEADER_EPOCH_VERSION_MIN or case != "fenced epoch"
    ],
)
async def test_fetch_error_partition_has_empty_records(
    port: FakePort, version: int, case: str
) -> None:
    """An error partition carries a zero-length record set, never a null one (-1), as Kafka's."""
    request_args, view_changes = ERROR_CASES[case][0], ERROR_CASES[case][1]
    port.set(**view_changes)
    response = (
        await plan_fetch(fetch(version=version, **request_args), version, port.view(), port)
    ).response
    value = kio_read("fetch", version, response)
    [partition] = value.responses[0].partitions
    assert partition.error_code != 0
    assert partition.records == b""


@pytest.mark.parametrize("version", range(0, 14))
async def test_metadata_response(port: FakePort, version: int) -> None:
    response = await dispatch(
        3, version, MetadataRequest(topics=[] if version == 0 else None), port
    )
    assert response is not None
    value = kio_read("metadata", version, response)
    assert [b.node_id for b in value.brokers] == [1, 2, 3]
    [topic] = value.topics
    assert topic.name == METADATA_TOPIC_NAME
    if version >= 10:
        assert topic.topic_id == METADATA_TOPIC_ID
    if version >= 7:
        assert topic.partitions[0].leader_epoch == 3


@pytest.mark.parametrize("version", range(1, 12))
async def test_list_offsets_response(port: FakePort, version: int) -> None:
    response = await dispatch(2, version, list_offsets(-1), port)
    assert response is not None
    value = kio_read("list_offsets", version, response)
    assert value.topics[0].partitions[0].offset == 3


@pytest.mark.parametrize("version", range(2, 5))
async def test_offset_for_leader_epoch_response(port: FakePort, version: int) -> None:
    T = OffsetForLeaderEpochRequest.OffsetForLeaderTopic
    parts = [T.OffsetForLeaderPartition(partition=0, leader_epoch=3)]
    request = OffsetForLeaderEpochRequest(topics=[T(topic=METADATA_TOPIC_NAME, partitions=parts)])
    response = await dispatch(23, version, request, port)
    assert response is not None
    value = kio_read("offset_for_leader_epoch", version, response)
    assert value.topics[0].partitions[0].end_offset == 4  # log end of the latest epoch


@pytest.mark.parametrize("version", range(0, 3))
async def test_describe_cluster_response(port: FakePort, version: int) -> None:
    request = DescribeClusterRequest(endpoint_type=2 if version else 1)
    response = await dispatch(60, version, request, port)
    assert response is not None
    value = kio_read("describe_cluster", version, response)
    assert [b.broker_id for b in value.brokers] == [1, 2, 3]
    assert value.controller_id == 1
