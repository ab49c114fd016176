"""Metadata, DescribeCluster, ListOffsets, OffsetForLeaderEpoch, Produce against a fake node."""

from __future__ import annotations

import uuid

import pytest

from kraft.shell.consumer import CONSUMER_API_VERSIONS, dispatch
from kraft.shell.consumer.view import METADATA_TOPIC_ID, METADATA_TOPIC_NAME
from tests.consumer.fakes import FakePort
from wire.errors import ErrorCode
from wire.messages.describe_cluster import DescribeClusterRequest, DescribeClusterResponse
from wire.messages.list_offsets import ListOffsetsRequest, ListOffsetsResponse
from wire.messages.metadata import MetadataRequest, MetadataResponse
from wire.messages.offset_for_leader_epoch import (
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
)
from wire.messages.produce import ProduceRequest, ProduceResponse


@pytest.fixture
def port() -> FakePort:
    port = FakePort()
    port.append_leader_change(1)  # 0
    port.append_data(1, [b"a", b"b"], timestamp_ms=100)  # 1-2
    port.append_leader_change(3)  # 3
    port.append_data(3, [b"c"], timestamp_ms=300)  # 4
    port.append_data(3, [b"d"], timestamp_ms=200)  # 5
    port.append_data(3, [b"e"], timestamp_ms=500)  # 6, uncommitted
    port.sync(high_watermark=6)
    return port


def test_advertised_versions() -> None:
    assert CONSUMER_API_VERSIONS[0][0] <= 3 <= CONSUMER_API_VERSIONS[0][1]  # librdkafka needs v3+
    assert CONSUMER_API_VERSIONS[1] == (4, 18)
    assert CONSUMER_API_VERSIONS[3][1] >= 13
    assert 10 not in CONSUMER_API_VERSIONS  # no group APIs


@pytest.mark.parametrize("version", range(0, 14))
async def test_metadata_all_topics(port: FakePort, version: int) -> None:
    topics = [] if version == 0 else None
    response = await dispatch(3, version, MetadataRequest(topics=topics), port)
    assert isinstance(response, MetadataResponse)
    assert [(b.node_id, b.host, b.port) for b in response.brokers] == [
        (1, "127.0.0.1", 9101),
        (2, "127.0.0.1", 9102),
        (3, "127.0.0.1", 9103),
    ]
    assert response.controller_id == 1
    assert response.cluster_id == "test-cluster"
    [topic] = response.topics
    assert topic.name == METADATA_TOPIC_NAME
    assert topic.topic_id == METADATA_TOPIC_ID
    assert topic.is_internal
    [partition] = topic.partitions
    assert (partition.error_code, partition.leader_id, partition.leader_epoch) == (0, 1, 3)
    assert partition.replica_nodes == [1, 2, 3]


async def test_metadata_named_and_by_id(port: FakePort) -> None:
    T = MetadataRequest.MetadataRequestTopic
    request = MetadataRequest(
        topics=[
            T(name="nope"),
            T(name=METADATA_TOPIC_NAME),
            T(name=None, topic_id=METADATA_TOPIC_ID),
            T(name=None, topic_id=uuid.UUID(int=9)),
        ]
    )
    response = await dispatch(3, 12, request, port)
    assert isinstance(response, MetadataResponse)
    assert [t.error_code for t in response.topics] == [
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        0,
        0,
        ErrorCode.UNKNOWN_TOPIC_ID,
    ]
    empty = await dispatch(3, 12, MetadataRequest(topics=[]), port)
    assert isinstance(empty, MetadataResponse) and empty.topics == []


async def test_metadata_without_leader(port: FakePort) -> None:
    port.set(leader_id=-1, is_leader=False, epoch=4)
    response = await dispatch(3, 12, MetadataRequest(topics=None), port)
    assert isinstance(response, MetadataResponse)
    [partition] = response.topics[0].partitions
    assert partition.error_code == ErrorCode.LEADER_NOT_AVAILABLE
    assert (partition.leader_id, partition.leader_epoch) == (-1, 4)
    assert response.controller_id == -1


@pytest.mark.parametrize(
    ("version", "endpoint_type", "error"),
    [
        (0, 1, 0),
        (1, 1, 0),
        (1, 2, 0),
        (2, 2, 0),
        (1, 3, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE),
        (0, 7, 0),  # v0 cannot carry a type: it asks for brokers
    ],
)
async def test_describe_cluster(
    port: FakePort, version: int, endpoint_type: int, error: int
) -> None:
    request = DescribeClusterRequest(endpoint_type=endpoint_type)
    response = await dispatch(60, version, request, port)
    assert isinstance(response, DescribeClusterResponse)
    assert response.error_code == error
    if error == 0:
        assert response.endpoint_type == (endpoint_type if version else 1)
        assert [b.broker_id for b in response.brokers] == [1, 2, 3]
        assert response.controller_id == 1
        assert response.cluster_id == "test-cluster"


def list_offsets(
    timestamp: int, *, name: str = METADATA_TOPIC_NAME, partition: int = 0, epoch: int = -1
) -> ListOffsetsRequest:
    T = ListOffsetsRequest.ListOffsetsTopic
    P = T.ListOffsetsPartition
    parts = [P(partition_index=partition, timestamp=timestamp, current_leader_epoch=epoch)]
    return ListOffsetsRequest(replica_id=-1, topics=[T(name=name, partitions=parts)])


async def one_offset(
    port: FakePort, request: ListOffsetsRequest, version: int = 4
) -> ListOffsetsResponse.ListOffsetsTopicResponse.ListOffsetsPartitionResponse:
    response = await dispatch(2, version, request, port)
    assert isinstance(response, ListOffsetsResponse)
    return response.topics[0].partitions[0]


@pytest.mark.parametrize(
    ("timestamp", "offset", "found_timestamp", "epoch"),
    [
        (-2, 0, -1, 1),  # earliest
        (-4, 0, -1, 1),  # earliest local
        (-1, 6, -1, 3),  # latest = high watermark, not log end (7)
        (-5, -1, -1, -1),  # latest tiered: none
        (-3, 4, 300, 3),  # max timestamp among committed batches (500 is uncommitted)
        (150, 4, 300, 3),  # first committed batch reaching 150
        (100, 1, 100, 1),
        (400, -1, -1, -1),  # only the uncommitted batch reaches it
    ],
)
async def test_list_offsets(
    port: FakePort, timestamp: int, offset: int, found_timestamp: int, epoch: int
) -> None:
    answer = await one_offset(port, list_offsets(timestamp))
    assert answer.error_code == 0
    assert (answer.offset, answer.timestamp, answer.leader_epoch) == (
        offset,
        found_timestamp,
        epoch,
    )


async def test_list_offsets_errors(port: FakePort) -> None:
    answer = await one_offset(port, list_offsets(-1, name="x"))
    assert answer.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    answer = await one_offset(port, list_offsets(-1, partition=5))
    assert answer.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    answer = await one_offset(port, list_offsets(-1, epoch=2))
    assert answer.error_code == ErrorCode.FENCED_LEADER_EPOCH
    answer = await one_offset(port, list_offsets(-1, epoch=9))
    assert answer.error_code == ErrorCode.UNKNOWN_LEADER_EPOCH
    port.set(is_leader=False, leader_id=2)
    answer = await one_offset(port, list_offsets(-1))
    assert answer.error_code == ErrorCode.NOT_LEADER_OR_FOLLOWER


async def test_offset_for_leader_epoch(port: FakePort) -> None:
    T = OffsetForLeaderEpochRequest.OffsetForLeaderTopic
    P = T.OffsetForLeaderPartition
    request = OffsetForLeaderEpochRequest(
        topics=[
            T(
                topic=METADATA_TOPIC_NAME,
                partitions=[
                    P(partition=0, current_leader_epoch=3, leader_epoch=1),
                    P(partition=0, current_leader_epoch=-1, leader_epoch=3),
                    P(partition=0, current_leader_epoch=2, leader_epoch=1),
                    P(partition=1, leader_epoch=1),
                ],
            ),
            T(topic="other", partitions=[P(partition=0, leader_epoch=1)]),
        ]
    )
    response = await dispatch(23, 4, request, port)
    assert isinstance(response, OffsetForLeaderEpochResponse)
    got = [(p.error_code, p.leader_epoch, p.end_offset) for p in response.topics[0].partitions]
    assert got == [
        (0, 1, 3),
        (0, 3, 7),
        (ErrorCode.FENCED_LEADER_EPOCH, -1, -1),
        (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1),
    ]
    assert response.topics[1].partitions[0].error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


async def test_produce_is_refused(port: FakePort) -> None:
    T = ProduceRequest.TopicProduceData
    P = T.PartitionProduceData
    request = ProduceRequest(
        acks=-1,
        topic_data=[
            T(name=METADATA_TOPIC_NAME, partition_data=[P(index=0, records=b"")]),
            T(name="other", partition_data=[P(index=0)]),
        ],
    )
    response = await dispatch(0, 9, request, port)
    assert isinstance(response, ProduceResponse)
    codes = [r.partition_responses[0].error_code for r in response.responses]
    assert codes == [ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]
    assert await dispatch(0, 9, ProduceRequest(acks=0), port) is None
