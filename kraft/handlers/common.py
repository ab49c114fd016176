"""Validation and leader-discovery rules shared by every handler.

Request side (Kafka's `handle*Request` preamble): a cluster id that is present and differs from
ours -> INCONSISTENT_CLUSTER_ID; a request not for our single topic-partition -> INVALID_REQUEST.

Response side (Kafka's `maybeHandleCommonResponse`): leader information in an answer is processed
before anything else. An older epoch or UNKNOWN_LEADER_EPOCH -> stale, ignore. A newer epoch,
FENCED_LEADER_EPOCH or NOT_LEADER_OR_FOLLOWER -> adopt (leader, epoch) and stop. The same epoch with
a leader we did not know -> adopt it and keep handling the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, TypeVar

from kraft.context import Core
from kraft.election import maybe_transition
from kraft.roles import RoleName
from kraft.rpc import BeginQuorumEpochResponse, EndQuorumEpochResponse
from kraft.types import Endpoint, LeaderAndEpoch, ReplicaAddress
from wire.errors import ErrorCode


def validate_request(
    core: Core, cluster_id: str | None, topic_partition_valid: bool
) -> ErrorCode | None:
    if cluster_id is not None and cluster_id != core.config.cluster_id:
        return ErrorCode.INCONSISTENT_CLUSTER_ID
    if not topic_partition_valid:
        return ErrorCode.INVALID_REQUEST
    return None


def current_leader(core: Core) -> LeaderAndEpoch:
    state = core.state
    leader_id = core.local_id if state.role is RoleName.LEADER else state.leader_id
    return LeaderAndEpoch(leader_id, state.epoch)


def node_endpoints(core: Core, ids: Iterable[int | None]) -> Mapping[int, Endpoint]:
    result: dict[int, Endpoint] = {}
    for node_id in ids:
        if node_id is None:
            continue
        endpoint = core.endpoints.get(node_id)
        if endpoint is not None:
            result[node_id] = endpoint
    return result


def learn_endpoints(core: Core, endpoints: Mapping[int, Endpoint]) -> None:
    # Only voters lead, so only their endpoints matter (and the map stays bounded). Our own
    # endpoint is ours to say: a peer cannot change what this node advertises.
    for node_id, endpoint in endpoints.items():
        if node_id in core.voters and node_id != core.local_id and endpoint is not None:
            core.endpoints[node_id] = endpoint


def handle_common_response(
    core: Core,
    partition_error: ErrorCode,
    leader_id: int | None,
    epoch: int | None,
    now_ms: int,
) -> bool:
    """True when the response was fully handled here (stale, or it moved us to another epoch or
    leader); False when the caller should go on handling it."""
    if epoch is None:
        return partition_error is not ErrorCode.NONE
    local_epoch = core.state.epoch
    if epoch < local_epoch or partition_error is ErrorCode.UNKNOWN_LEADER_EPOCH:
        return True
    if epoch > local_epoch or partition_error in (
        ErrorCode.FENCED_LEADER_EPOCH,
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
    ):
        maybe_transition(core, leader_id, epoch, now_ms)
        return True
    if leader_id is not None and core.state.leader_id is None:
        if core.state.role in (RoleName.LEADER, RoleName.RESIGNED):
            return False
        maybe_transition(core, leader_id, epoch, now_ms)
        # Go on only without an error (an observer discovers the leader and appends in one go).
        return partition_error is not ErrorCode.NONE
    return False


EpochAnswerT = TypeVar("EpochAnswerT", BeginQuorumEpochResponse, EndQuorumEpochResponse)


def epoch_answer(core: Core, answer_type: type[EpochAnswerT], error: ErrorCode) -> EpochAnswerT:
    """A BeginQuorumEpoch/EndQuorumEpoch answer: `error` plus this replica's leader, epoch and
    the leader's endpoint (both APIs answer with the same fields)."""
    leader = current_leader(core)
    return answer_type(
        error_code=ErrorCode.NONE,
        partition_error_code=error,
        leader_id=leader.leader_id,
        leader_epoch=leader.epoch,
        node_endpoints=node_endpoints(core, [leader.leader_id]),
    )


class LeaderInfoResponse(Protocol):
    """What Fetch and FetchSnapshot responses carry about the leader (read-only fields)."""

    @property
    def error_code(self) -> ErrorCode: ...
    @property
    def partition_error_code(self) -> ErrorCode: ...
    @property
    def current_leader(self) -> LeaderAndEpoch | None: ...
    @property
    def node_endpoints(self) -> Mapping[int, Endpoint]: ...


def handle_leader_info(
    core: Core, source: ReplicaAddress, response: LeaderInfoResponse, now_ms: int
) -> bool:
    """The first steps of every Fetch/FetchSnapshot response: a top-level error backs the
    destination off; endpoints are learned; the leader and epoch it names are acted upon first.
    True when the response was fully handled here."""
    if response.error_code is not ErrorCode.NONE:
        core.requests.back_off(source.node_id, now_ms)
        return True
    learn_endpoints(core, response.node_endpoints)
    leader = response.current_leader
    return handle_common_response(
        core,
        response.partition_error_code,
        None if leader is None else leader.leader_id,
        None if leader is None else leader.epoch,
        now_ms,
    )
