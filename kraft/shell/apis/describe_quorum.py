"""DescribeQuorum (key 55): the quorum's leader, high watermark, voters and observers.

From v2 the answer lists the voters' listeners (`Nodes`), on our listener's name.
"""

from __future__ import annotations

from kraft import rpc
from kraft.shell.apis.base import Context, no_floor
from kraft.shell.apis.checks import error_code, our_named_partition, top_level_error
from kraft.shell.apis.common import leader_to_core, leader_to_wire
from kraft.shell.apis.sentinels import (
    directory_or_zero,
    optional,
    optional_directory,
    or_sentinel,
)
from kraft.types import NO_OFFSET, NO_TIMESTAMP, Endpoint
from wire.errors import ErrorCode
from wire.messages.describe_quorum import DescribeQuorumRequest, DescribeQuorumResponse
from wire.registry import METADATA_PARTITION

OUTBOUND_VERSION = 2
NODES_MIN_VERSION = 2
Request = DescribeQuorumRequest
Response = DescribeQuorumResponse
AnswerPartition = Response.TopicData.PartitionData


def request_to_core(version: int, body: Request, context: Context) -> rpc.DescribeQuorumRequest:
    return rpc.DescribeQuorumRequest(
        our_named_partition(body.topics, context.topic.name) is not None
    )


def _replica_to_wire(replica: rpc.ReplicaDescription) -> AnswerPartition.ReplicaState:
    return AnswerPartition.ReplicaState(
        replica_id=replica.replica_id,
        replica_directory_id=directory_or_zero(replica.directory_id),
        log_end_offset=or_sentinel(replica.log_end_offset, NO_OFFSET),
        last_fetch_timestamp=or_sentinel(replica.last_fetch_timestamp_ms, NO_TIMESTAMP),
        last_caught_up_timestamp=or_sentinel(replica.last_caught_up_timestamp_ms, NO_TIMESTAMP),
    )


def response_to_wire(
    version: int, response: rpc.DescribeQuorumResponse, context: Context
) -> Response:
    if response.error_code != ErrorCode.NONE:
        return Response(error_code=response.error_code, topics=[])
    leader_id, leader_epoch = leader_to_wire(response.leader_id, response.leader_epoch)
    partition = AnswerPartition(
        partition_index=METADATA_PARTITION,
        error_code=response.partition_error_code,
        leader_id=leader_id,
        leader_epoch=leader_epoch,
        high_watermark=or_sentinel(response.high_watermark, NO_OFFSET),
        current_voters=[_replica_to_wire(d) for d in response.voters],
        observers=[_replica_to_wire(d) for d in response.observers],
    )
    nodes = []
    if version >= NODES_MIN_VERSION:
        nodes = [
            Response.Node(
                node_id=i,
                listeners=[
                    Response.Node.Listener(name=context.listener_name, host=e.host, port=e.port)
                ],
            )
            for i, e in sorted(response.nodes.items())
        ]
    return Response(
        error_code=ErrorCode.NONE,
        topics=[Response.TopicData(topic_name=context.topic.name, partitions=[partition])],
        nodes=nodes,
    )


def request_to_wire(version: int, request: rpc.DescribeQuorumRequest, context: Context) -> Request:
    partition = Request.TopicData.PartitionData(partition_index=METADATA_PARTITION)
    return Request(
        topics=[Request.TopicData(topic_name=context.topic.name, partitions=[partition])]
    )


def _replica_to_core(state: AnswerPartition.ReplicaState) -> rpc.ReplicaDescription:
    return rpc.ReplicaDescription(
        replica_id=state.replica_id,
        directory_id=optional_directory(state.replica_directory_id),
        log_end_offset=optional(state.log_end_offset),
        last_fetch_timestamp_ms=optional(state.last_fetch_timestamp),
        last_caught_up_timestamp_ms=optional(state.last_caught_up_timestamp),
    )


def response_to_core(version: int, body: Response, context: Context) -> rpc.DescribeQuorumResponse:
    part = our_named_partition(body.topics, context.topic.name)
    if body.error_code != ErrorCode.NONE or part is None:
        return rpc.DescribeQuorumResponse(error_code=top_level_error(body.error_code))
    leader_id, leader_epoch = leader_to_core(part.leader_id, part.leader_epoch)
    return rpc.DescribeQuorumResponse(
        error_code=ErrorCode.NONE,
        partition_error_code=error_code(part.error_code),
        leader_id=leader_id,
        leader_epoch=leader_epoch,
        high_watermark=optional(part.high_watermark),
        voters=tuple(_replica_to_core(v) for v in part.current_voters),
        observers=tuple(_replica_to_core(o) for o in part.observers),
        nodes={
            node.node_id: Endpoint(node.listeners[0].host, node.listeners[0].port)
            for node in body.nodes
            if node.listeners
        },
    )


# What the registry reads (`kraft.shell.apis.base.RaftApi`).
WIRE_REQUEST = Request
CORE_REQUEST, CORE_RESPONSE = rpc.DescribeQuorumRequest, rpc.DescribeQuorumResponse
request_floor = no_floor
