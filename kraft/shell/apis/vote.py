"""Vote (key 52): a candidate asks for a vote (v2: or a pre-vote, KIP-996); the voter answers.

Requests with an epoch above `EPOCH_MAX` are not valid (`topic_partition_valid=False`).
"""

from __future__ import annotations

from kraft import rpc
from kraft.shell.apis.base import Context, no_floor
from kraft.shell.apis.checks import epochs_in_range, our_named_partition
from kraft.shell.apis.common import (
    leader_answer_to_core,
    leader_answer_to_wire,
    receiver_key_to_core,
    receiver_key_to_wire,
)
from kraft.shell.apis.sentinels import directory_or_zero, optional_directory
from kraft.types import NO_REPLICA_ID, ReplicaKey
from wire.messages.vote import VoteRequest, VoteResponse
from wire.registry import METADATA_PARTITION

# Vote v2 is the first that carries PreVote (KIP-996), which is not ignorable.
PRE_VOTE_MIN_VERSION = 2
OUTBOUND_VERSION = 2
Partition = VoteRequest.TopicData.PartitionData


def request_to_core(version: int, body: VoteRequest, context: Context) -> rpc.VoteRequest:
    part = our_named_partition(body.topics, context.topic.name)
    if part is None or not epochs_in_range(part.replica_epoch, part.last_offset_epoch):
        return rpc.VoteRequest(body.cluster_id, False, ReplicaKey(NO_REPLICA_ID), 0, 0, 0)
    return rpc.VoteRequest(
        cluster_id=body.cluster_id,
        topic_partition_valid=True,
        candidate_key=ReplicaKey(part.replica_id, optional_directory(part.replica_directory_id)),
        candidate_epoch=part.replica_epoch,
        last_offset_epoch=part.last_offset_epoch,
        last_offset=part.last_offset,
        pre_vote=part.pre_vote,
        voter_key=receiver_key_to_core(version, body.voter_id, part.voter_directory_id),
    )


def response_to_wire(version: int, response: rpc.VoteResponse, context: Context) -> VoteResponse:
    return leader_answer_to_wire(
        VoteResponse, version, response, context.topic, vote_granted=response.vote_granted
    )


def request_to_wire(version: int, request: rpc.VoteRequest, context: Context) -> VoteRequest:
    voter_id, voter_directory_id = receiver_key_to_wire(request.voter_key)
    part = Partition(
        partition_index=METADATA_PARTITION,
        replica_epoch=request.candidate_epoch,
        replica_id=request.candidate_key.id,
        replica_directory_id=directory_or_zero(request.candidate_key.directory_id),
        voter_directory_id=voter_directory_id,
        last_offset_epoch=request.last_offset_epoch,
        last_offset=request.last_offset,
        pre_vote=request.pre_vote,
    )
    return VoteRequest(
        cluster_id=request.cluster_id,
        voter_id=voter_id,
        topics=[VoteRequest.TopicData(topic_name=context.topic.name, partitions=[part])],
    )


def response_to_core(version: int, body: VoteResponse, context: Context) -> rpc.VoteResponse:
    return leader_answer_to_core(
        rpc.VoteResponse,
        body,
        context.topic,
        lambda partition: {"vote_granted": partition.vote_granted},
    )


def request_floor(request: rpc.VoteRequest) -> int:
    return PRE_VOTE_MIN_VERSION if request.pre_vote else no_floor(request)


# What the registry reads (`kraft.shell.apis.base.RaftApi`).
WIRE_REQUEST = VoteRequest
CORE_REQUEST, CORE_RESPONSE = rpc.VoteRequest, rpc.VoteResponse
