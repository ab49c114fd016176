"""DescribeQuorum sent to a follower is relayed to the leader (as a Kafka broker forwards it)."""

from __future__ import annotations

import dataclasses

import trio

from kraft.shell.consumer.forward import FORWARDED_CLIENT_ID, forward_to_leader, should_forward
from kraft.types import ReplicaAddress
from tests.consumer.fake_server import FakeServer
from tests.consumer.fakes import FakePort
from wire.messages.describe_quorum import DescribeQuorumRequest, DescribeQuorumResponse


async def test_forward_describe_quorum_to_the_leader() -> None:
    port = FakePort()
    async with trio.open_nursery() as nursery:
        listen_port = await nursery.start(FakeServer(port).serve)
        port.set(
            voters=(ReplicaAddress(1, "127.0.0.1", listen_port), ReplicaAddress(2, "127.0.0.1", 1))
        )
        port.append_leader_change(3)
        port.sync()
        follower = dataclasses.replace(port.view(), local_id=2, is_leader=False, leader_id=1)
        assert should_forward(follower, "kafka-python-2.0")
        assert not should_forward(follower, FORWARDED_CLIENT_ID)
        assert not should_forward(port.view(), "x")  # the leader answers itself
        assert not should_forward(dataclasses.replace(follower, leader_id=-1), "x")
        T = DescribeQuorumRequest.TopicData
        request = DescribeQuorumRequest(
            topics=[T(topic_name="__cluster_metadata", partitions=[T.PartitionData()])]
        )
        response = await forward_to_leader(request, 2, follower)
        assert isinstance(response, DescribeQuorumResponse)
        partition = response.topics[0].partitions[0]
        assert (partition.error_code, partition.leader_id, partition.leader_epoch) == (0, 1, 3)
        unreachable = dataclasses.replace(follower, leader_id=2)
        assert await forward_to_leader(request, 2, unreachable) is None
        nursery.cancel_scope.cancel()
