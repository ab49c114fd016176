"""BeginQuorumEpoch (key 53): a new leader tells the voters of its epoch and its endpoint.

A request is valid only with an epoch and LeaderEndpoints we could adopt (`leader_request_valid`);
from v1 it names the receiver (VoterId, VoterDirectoryId), as Vote does.
"""

from __future__ import annotations

from kraft import rpc
from kraft.shell.apis.base import Context, no_floor
from kraft.shell.apis.common import (
    leader_answer_to_core,
    leader_answer_to_wire,
    leader_endpoints_to_wire,
    leader_request_to_core,
    receiver_key_to_core,
    receiver_key_to_wire,
)
from wire.messages.begin_quorum_epoch import BeginQuorumEpochRequest, BeginQuorumEpochResponse
from wire.registry import METADATA_PARTITION

OUTBOUND_VERSION = 1
Request = BeginQuorumEpochRequest
Response = BeginQuorumEpochResponse


def request_to_core(version: int, body: Request, context: Context) -> rpc.BeginQuorumEpochRequest:
    return leader_request_to_core(
        rpc.BeginQuorumEpochRequest,
        body,
        context.topic,
        lambda part: {
            "voter_key": receiver_key_to_core(version, body.voter_id, part.voter_directory_id)
        },
    )


def response_to_wire(
    version: int, response: rpc.BeginQuorumEpochResponse, context: Context
) -> Response:
    return leader_answer_to_wire(Response, version, response, context.topic)


def request_to_wire(
    version: int, request: rpc.BeginQuorumEpochRequest, context: Context
) -> Request:
    voter_id, voter_directory_id = receiver_key_to_wire(request.voter_key)
    part = Request.TopicData.PartitionData(
        partition_index=METADATA_PARTITION,
        voter_directory_id=voter_directory_id,
        leader_id=request.leader_id,
        leader_epoch=request.leader_epoch,
    )
    return Request(
        cluster_id=request.cluster_id,
        voter_id=voter_id,
        topics=[Request.TopicData(topic_name=context.topic.name, partitions=[part])],
        leader_endpoints=leader_endpoints_to_wire(
            Request.LeaderEndpoint, context.listener_name, request.leader_endpoint
        ),
    )


def response_to_core(
    version: int, body: Response, context: Context
) -> rpc.BeginQuorumEpochResponse:
    return leader_answer_to_core(rpc.BeginQuorumEpochResponse, body, context.topic)


# What the registry reads (`kraft.shell.apis.base.RaftApi`).
WIRE_REQUEST = Request
CORE_REQUEST, CORE_RESPONSE = rpc.BeginQuorumEpochRequest, rpc.BeginQuorumEpochResponse
request_floor = no_floor
