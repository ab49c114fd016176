"""EndQuorumEpoch (key 54): a resigning leader names its preferred successors.

Validated as BeginQuorumEpoch (`leader_request_valid`); the successors are ids in v0
(PreferredSuccessors) and replica keys from v1 (PreferredCandidates).
"""

from __future__ import annotations

from kraft import rpc
from kraft.shell.apis.base import Context, no_floor
from kraft.shell.apis.common import (
    leader_answer_to_core,
    leader_answer_to_wire,
    leader_endpoints_to_wire,
    leader_request_to_core,
)
from kraft.shell.apis.sentinels import directory_or_zero, optional_directory
from kraft.types import ReplicaKey
from wire.messages.end_quorum_epoch import EndQuorumEpochRequest, EndQuorumEpochResponse
from wire.registry import METADATA_PARTITION

OUTBOUND_VERSION = 1
# v0 names successors by id only (PreferredSuccessors), v1+ with directory ids.
PREFERRED_CANDIDATES_MIN_VERSION = 1
Request = EndQuorumEpochRequest
Response = EndQuorumEpochResponse
Partition = Request.TopicData.PartitionData


def _candidates(version: int, part: Partition) -> tuple[ReplicaKey, ...]:
    if version < PREFERRED_CANDIDATES_MIN_VERSION:
        return tuple(ReplicaKey(i) for i in part.preferred_successors)
    return tuple(
        ReplicaKey(c.candidate_id, optional_directory(c.candidate_directory_id))
        for c in part.preferred_candidates
    )


def request_to_core(version: int, body: Request, context: Context) -> rpc.EndQuorumEpochRequest:
    return leader_request_to_core(
        rpc.EndQuorumEpochRequest,
        body,
        context.topic,
        lambda part: {"preferred_candidates": _candidates(version, part)},
    )


def response_to_wire(
    version: int, response: rpc.EndQuorumEpochResponse, context: Context
) -> Response:
    return leader_answer_to_wire(Response, version, response, context.topic)


def request_to_wire(version: int, request: rpc.EndQuorumEpochRequest, context: Context) -> Request:
    candidates = request.preferred_candidates
    part = Partition(
        partition_index=METADATA_PARTITION,
        leader_id=request.leader_id,
        leader_epoch=request.leader_epoch,
        preferred_successors=[c.id for c in candidates],
        preferred_candidates=[
            Partition.ReplicaInfo(
                candidate_id=c.id, candidate_directory_id=directory_or_zero(c.directory_id)
            )
            for c in candidates
        ],
    )
    return Request(
        cluster_id=request.cluster_id,
        topics=[Request.TopicData(topic_name=context.topic.name, partitions=[part])],
        leader_endpoints=leader_endpoints_to_wire(
            Request.LeaderEndpoint, context.listener_name, request.leader_endpoint
        ),
    )


def response_to_core(version: int, body: Response, context: Context) -> rpc.EndQuorumEpochResponse:
    return leader_answer_to_core(rpc.EndQuorumEpochResponse, body, context.topic)


# What the registry reads (`kraft.shell.apis.base.RaftApi`).
WIRE_REQUEST = Request
CORE_REQUEST, CORE_RESPONSE = rpc.EndQuorumEpochRequest, rpc.EndQuorumEpochResponse
request_floor = no_floor
