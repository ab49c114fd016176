"""Shapes several raft APIs share: leaders, endpoints, receiver keys, (offset, epoch) pairs and the
leader answer of Vote, BeginQuorumEpoch and EndQuorumEpoch."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from kraft import rpc
from kraft.shell.apis.checks import (
    NamedTopic,
    WireEndpoint,
    WireNodeEndpoint,
    checked_epoch,
    error_code,
    leader_request_valid,
    node_endpoints_to_core,
    our_named_partition,
    top_level_error,
)
from kraft.shell.apis.sentinels import directory_or_zero, optional, optional_directory, or_sentinel
from kraft.shell.identity import TopicIdentity
from kraft.types import (
    NO_EPOCH,
    NO_LEADER,
    NO_OFFSET,
    NO_REPLICA_ID,
    ZERO_DIRECTORY_ID,
    Endpoint,
    LeaderAndEpoch,
    OffsetAndEpoch,
    ReplicaKey,
)
from wire.errors import DecodeError, ErrorCode
from wire.registry import METADATA_PARTITION

W = TypeVar("W")
C = TypeVar("C")
# Vote, BeginQuorumEpoch and EndQuorumEpoch carry NodeEndpoints from v1 on.
NODE_ENDPOINTS_MIN_VERSION = 1

LeaderAnswer = rpc.VoteResponse | rpc.BeginQuorumEpochResponse | rpc.EndQuorumEpochResponse


class WireLeaderIdAndEpoch(Protocol):
    """A leader and its epoch, as every raft message carries them."""

    @property
    def leader_id(self) -> int: ...
    @property
    def leader_epoch(self) -> int: ...


class WireLeaderPartition(WireLeaderIdAndEpoch, Protocol):
    """The partition of a BeginQuorumEpoch or EndQuorumEpoch request."""

    @property
    def partition_index(self) -> int: ...


class WireAnswerPartition(WireLeaderPartition, Protocol):
    """The partition of a Vote, BeginQuorumEpoch or EndQuorumEpoch answer."""

    @property
    def error_code(self) -> int: ...


RP = TypeVar("RP", bound=WireLeaderPartition)
RP_co = TypeVar("RP_co", bound=WireLeaderPartition, covariant=True)
LP = TypeVar("LP", bound=WireAnswerPartition)
LP_co = TypeVar("LP_co", bound=WireAnswerPartition, covariant=True)


class WireLeaderRequest(Protocol[RP_co]):
    """A BeginQuorumEpoch or EndQuorumEpoch request."""

    @property
    def cluster_id(self) -> str | None: ...
    @property
    def topics(self) -> Sequence[NamedTopic[RP_co]]: ...
    @property
    def leader_endpoints(self) -> Sequence[WireEndpoint]: ...


class WireLeaderAnswer(Protocol[LP_co]):
    """A Vote, BeginQuorumEpoch or EndQuorumEpoch answer."""

    @property
    def error_code(self) -> int: ...
    @property
    def topics(self) -> Sequence[NamedTopic[LP_co]]: ...
    @property
    def node_endpoints(self) -> Sequence[WireNodeEndpoint]: ...


# ------------------------------------------------------------------------------ endpoints


def node_endpoints_to_wire(
    make: Callable[..., W], endpoints: Mapping[int, Endpoint], carried: bool = True
) -> list[W]:
    """NodeEndpoints in node id order; none when the version does not carry them."""
    if not carried:
        return []
    return [make(node_id=i, host=e.host, port=e.port) for i, e in sorted(endpoints.items())]


def leader_endpoints_to_wire(
    make: Callable[..., W], listener_name: str, endpoint: Endpoint | None
) -> list[W]:
    """BeginQuorumEpoch/EndQuorumEpoch `LeaderEndpoints`: the leader's listener, when known."""
    if endpoint is None:
        return []
    return [make(name=listener_name, host=endpoint.host, port=endpoint.port)]


def leader_endpoint_to_core(endpoints: Sequence[WireEndpoint]) -> Endpoint | None:
    # We run one listener per node, so the first endpoint is the one on our listener.
    return Endpoint(endpoints[0].host, endpoints[0].port) if endpoints else None


# --------------------------------------------------------------------------- receiver key


def receiver_key_to_core(version: int, voter_id: int, directory_id: uuid.UUID) -> ReplicaKey | None:
    """Vote/BeginQuorumEpoch v1+ VoterId + VoterDirectoryId: the receiver's key, if sent."""
    if version >= 1 and voter_id >= 0:
        return ReplicaKey(voter_id, optional_directory(directory_id))
    return None


def receiver_key_to_wire(voter_key: ReplicaKey | None) -> tuple[int, uuid.UUID]:
    """(VoterId, VoterDirectoryId) for `voter_key`."""
    if voter_key is None:
        return NO_REPLICA_ID, ZERO_DIRECTORY_ID
    return voter_key.id, directory_or_zero(voter_key.directory_id)


# -------------------------------------------------------------------- leaders and epochs


def leader_to_wire(leader_id: int | None, leader_epoch: int | None) -> tuple[int, int]:
    return or_sentinel(leader_id, NO_LEADER), or_sentinel(leader_epoch, NO_EPOCH)


def leader_to_core(leader_id: int, leader_epoch: int) -> tuple[int | None, int | None]:
    """(leader, epoch) of an answer; a negative epoch is Kafka's "unknown"."""
    if leader_epoch < 0:
        return optional(leader_id), None
    return optional(leader_id), checked_epoch(leader_epoch, "leader epoch")


def current_leader_to_wire(make: Callable[..., W], leader: LeaderAndEpoch | None) -> W:
    """Fetch/FetchSnapshot `CurrentLeader`; (-1, -1) when unknown."""
    if leader is None:
        return make(leader_id=NO_LEADER, leader_epoch=NO_EPOCH)
    return make(leader_id=or_sentinel(leader.leader_id, NO_LEADER), leader_epoch=leader.epoch)


def current_leader_to_core(field: WireLeaderIdAndEpoch) -> LeaderAndEpoch | None:
    """Fetch/FetchSnapshot `CurrentLeader`: None when its epoch is absent (-1)."""
    leader_id, epoch = leader_to_core(field.leader_id, field.leader_epoch)
    return None if epoch is None else LeaderAndEpoch(leader_id, epoch)


def offset_and_epoch_to_wire(make: Callable[..., W], value: OffsetAndEpoch | None) -> W:
    """DivergingEpoch / SnapshotId; (-1, -1) when absent."""
    if value is None:
        return make(end_offset=NO_OFFSET, epoch=NO_EPOCH)
    return make(end_offset=value.offset, epoch=value.epoch)


def offset_and_epoch_to_core(end_offset: int, epoch: int, what: str) -> OffsetAndEpoch | None:
    """DivergingEpoch / SnapshotId: None when both are absent (-1), else both must be valid."""
    if end_offset < 0 and epoch < 0:
        return None
    if end_offset < 0:
        raise DecodeError(f"{what} end offset {end_offset} out of range")
    return OffsetAndEpoch(end_offset, checked_epoch(epoch, f"{what} epoch"))


# ------------------------------------------------------ BeginQuorumEpoch / EndQuorumEpoch


def leader_request_to_core(
    request: Callable[..., C],
    body: WireLeaderRequest[RP],
    topic: TopicIdentity,
    extra: Callable[[RP], Mapping[str, Any]],
) -> C:
    """The core's request: not valid (`topic_partition_valid=False`) unless the partition is ours
    and `leader_request_valid`; else the leader, its endpoint and the `extra` fields of the
    partition (BeginQuorumEpoch: `voter_key`, EndQuorumEpoch: `preferred_candidates`)."""
    partition = our_named_partition(body.topics, topic.name)
    if partition is None or not leader_request_valid(partition.leader_epoch, body.leader_endpoints):
        return request(body.cluster_id, False, NO_LEADER, 0)
    return request(
        cluster_id=body.cluster_id,
        topic_partition_valid=True,
        leader_id=partition.leader_id,
        leader_epoch=partition.leader_epoch,
        leader_endpoint=leader_endpoint_to_core(body.leader_endpoints),
        **extra(partition),
    )


# --------------------------------------------- Vote / BeginQuorumEpoch / EndQuorumEpoch answers


def leader_answer_to_wire(
    answer: type[W], version: int, response: LeaderAnswer, topic: TopicIdentity, **extra: Any
) -> W:
    """The answer body: one partition with the leader the responder knows, plus `extra` fields
    (Vote: `vote_granted`). The three answers share their layout (nested classes included)."""
    shape: Any = answer
    leader_id, leader_epoch = leader_to_wire(response.leader_id, response.leader_epoch)
    partition = shape.TopicData.PartitionData(
        partition_index=METADATA_PARTITION,
        error_code=response.partition_error_code,
        leader_id=leader_id,
        leader_epoch=leader_epoch,
        **extra,
    )
    body: W = shape(
        error_code=response.error_code,
        topics=[shape.TopicData(topic_name=topic.name, partitions=[partition])],
        node_endpoints=node_endpoints_to_wire(
            shape.NodeEndpoint,
            response.node_endpoints,
            version >= NODE_ENDPOINTS_MIN_VERSION,
        ),
    )
    return body


def leader_answer_to_core(
    answer: Callable[..., C],
    body: WireLeaderAnswer[LP],
    topic: TopicIdentity,
    extra: Callable[[LP], Mapping[str, Any]] = lambda partition: {},
) -> C:
    """The core's answer: a top-level error when there is no usable partition, else the leader
    the peer knows plus the `extra` fields of the partition (Vote: `vote_granted`)."""
    endpoints = node_endpoints_to_core(body.node_endpoints)
    partition = our_named_partition(body.topics, topic.name)
    if body.error_code != ErrorCode.NONE or partition is None:
        return answer(error_code=top_level_error(body.error_code), node_endpoints=endpoints)
    leader_id, leader_epoch = leader_to_core(partition.leader_id, partition.leader_epoch)
    return answer(
        error_code=ErrorCode.NONE,
        partition_error_code=error_code(partition.error_code),
        leader_id=leader_id,
        leader_epoch=leader_epoch,
        node_endpoints=endpoints,
        **extra(partition),
    )
