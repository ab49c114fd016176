"""Admin views of a live quorum and nonsense requests, over real sockets to real nodes."""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from kraft.shell.client.connection import Address, Connection
from tests.e2e.cluster import Cluster
from tests.interop.clients import require_module
from wire.errors import ErrorCode
from wire.messages.describe_cluster import DescribeClusterRequest, DescribeClusterResponse
from wire.messages.fetch import FetchRequest, FetchResponse
from wire.messages.list_offsets import ListOffsetsRequest, ListOffsetsResponse
from wire.messages.produce import ProduceRequest, ProduceResponse

pytestmark = [pytest.mark.slow, pytest.mark.interop]
FAST = {
    "controller.quorum.election.timeout.ms": "1000",
    "controller.quorum.fetch.timeout.ms": "1000",
    "controller.quorum.request.timeout.ms": "1000",
}
TOPIC = "__cluster_metadata"


@pytest.fixture(scope="module")
def quorum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base: Path = tmp_path_factory.mktemp("admin")
    cluster = Cluster(base, 3, extra_properties=FAST, args=["--throughput", "100"])
    try:
        cluster.start()
        cluster.wait_for(cluster.leader, 30, "a leader")
        time.sleep(1)
        yield cluster
    finally:
        cluster.close()


def test_kafka_python_describe_metadata_quorum_from_any_node(quorum: Cluster) -> None:
    require_module("kafka")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from kafka import KafkaAdminClient
    leader = quorum.leader()
    assert leader is not None
    for node in quorum.nodes.values():
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{node.port}")
        try:
            result = admin.describe_metadata_quorum()
        finally:
            admin.close()
        [partition] = result["topics"][0]["partitions"]
        assert partition["error"] is None, (node.node_id, partition)
        assert partition["leader_id"] == leader.node_id
        assert sorted(v["replica_id"] for v in partition["current_voters"]) == [1, 2, 3]
        assert partition["high_watermark"] > 0


async def test_describe_cluster_for_controllers_kip_919(quorum: Cluster) -> None:
    leader = quorum.leader()
    assert leader is not None
    for node in quorum.nodes.values():
        conn = await Connection.open(Address("127.0.0.1", node.port))
        try:
            for version in (1, 2):
                response = await conn.request(DescribeClusterRequest(endpoint_type=2), version)
                assert isinstance(response, DescribeClusterResponse)
                assert response.error_code == 0 and response.endpoint_type == 2
                assert response.controller_id == leader.node_id
                assert sorted((b.broker_id, b.port) for b in response.brokers) == sorted(
                    (n.node_id, n.port) for n in quorum.nodes.values()
                )
            bad = await conn.request(DescribeClusterRequest(endpoint_type=9), 1)
            assert bad.error_code == ErrorCode.UNSUPPORTED_ENDPOINT_TYPE
        finally:
            await conn.aclose()


def fetch(
    offset: int, *, topic: str = TOPIC, partition: int = 0, max_bytes: int = 1 << 20
) -> FetchRequest:
    return FetchRequest(
        max_wait_ms=0,
        min_bytes=0,
        max_bytes=max_bytes,
        topics=[
            FetchRequest.FetchTopic(
                topic=topic,
                topic_id=uuid.UUID(int=1),
                partitions=[
                    FetchRequest.FetchTopic.FetchPartition(
                        partition=partition, fetch_offset=offset, partition_max_bytes=max_bytes
                    )
                ],
            )
        ],
    )


async def test_nonsense_gets_kafka_error_codes(quorum: Cluster) -> None:
    leader = quorum.leader()
    assert leader is not None
    follower = next(n for n in quorum.nodes.values() if n is not leader)
    conn = await Connection.open(Address("127.0.0.1", leader.port))
    try:

        async def fetch_error(request: FetchRequest, version: int = 11) -> int:
            response = await conn.request(request, version)
            assert isinstance(response, FetchResponse)
            return response.responses[0].partitions[0].error_code

        assert (
            await fetch_error(fetch(0, topic="no-such-topic"))
            == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        )
        assert await fetch_error(fetch(0, partition=7)) == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        assert await fetch_error(fetch(-5)) == ErrorCode.OFFSET_OUT_OF_RANGE
        assert await fetch_error(fetch(1 << 50)) == ErrorCode.OFFSET_OUT_OF_RANGE
        assert await fetch_error(fetch(0, max_bytes=2**31 - 1)) == ErrorCode.NONE
        assert await fetch_error(fetch(0, max_bytes=-1)) == ErrorCode.NONE
        by_id = FetchRequest.FetchTopic(
            topic_id=uuid.UUID(int=99),
            partitions=[FetchRequest.FetchTopic.FetchPartition(partition=0, partition_max_bytes=1)],
        )
        unknown_id = FetchRequest(max_wait_ms=0, topics=[by_id])
        assert await fetch_error(unknown_id, 13) == ErrorCode.UNKNOWN_TOPIC_ID
        T = ListOffsetsRequest.ListOffsetsTopic
        request = ListOffsetsRequest(
            replica_id=-1,
            topics=[T(name="nope", partitions=[T.ListOffsetsPartition(timestamp=-1)])],
        )
        answer = await conn.request(request)
        assert isinstance(answer, ListOffsetsResponse)
        assert answer.topics[0].partitions[0].error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        P = ProduceRequest.TopicProduceData
        produce = ProduceRequest(
            acks=-1,
            timeout_ms=1000,
            topic_data=[P(name=TOPIC, partition_data=[P.PartitionProduceData(index=0)])],
        )
        produced = await conn.request(produce, 9)
        assert isinstance(produced, ProduceResponse)
        code = produced.responses[0].partition_responses[0].error_code
        assert code == ErrorCode.INVALID_TOPIC_EXCEPTION
    finally:
        await conn.aclose()
    conn = await Connection.open(Address("127.0.0.1", follower.port))
    try:
        response = await conn.request(fetch(0), 12)
        assert response.responses[0].partitions[0].error_code == ErrorCode.NOT_LEADER_OR_FOLLOWER
        assert response.responses[0].partitions[0].current_leader.leader_id == leader.node_id
    finally:
        await conn.aclose()
    await trio.sleep(0)
