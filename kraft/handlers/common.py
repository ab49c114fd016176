"""Request-side rules and answer helpers shared by every handler.

Request side (Kafka's `handle*Request` preamble): a cluster id that is present and differs from
ours -> INCONSISTENT_CLUSTER_ID; a request not for our single topic-partition -> INVALID_REQUEST.
Every answer names the leader this replica knows in its epoch, with that leader's endpoint. Fetch
and FetchSnapshot are served by the leader of the requester's epoch only (`leader_epoch_error`).

Nothing here changes the epoch state, so the leader's own answers (kraft/handlers/fetch.py) can
be built while the election logic (kraft/election.py) steps down; response-side rules that adopt a
leader live in kraft/handlers/responses.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from kraft.context import Identity, Shutdown
from kraft.epoch_state import EpochState, Leader
from kraft.rpc import BeginQuorumEpochResponse, EndQuorumEpochResponse
from kraft.types import Endpoint, LeaderAndEpoch
from wire.errors import ErrorCode


def validate_request(
    me: Identity, cluster_id: str | None, topic_partition_valid: bool
) -> ErrorCode | None:
    if cluster_id is not None and cluster_id != me.config.cluster_id:
        return ErrorCode.INCONSISTENT_CLUSTER_ID
    if not topic_partition_valid:
        return ErrorCode.INVALID_REQUEST
    return None


def leader_epoch_error(
    state: EpochState, shutdown: Shutdown, current_leader_epoch: int
) -> ErrorCode | None:
    """Fetch and FetchSnapshot are served by the leader of the requester's epoch only: an older
    epoch is fenced, a newer one unknown; a leader shutting down is not available."""
    if current_leader_epoch < state.epoch:
        return ErrorCode.FENCED_LEADER_EPOCH
    if current_leader_epoch > state.epoch:
        return ErrorCode.UNKNOWN_LEADER_EPOCH
    if not isinstance(state, Leader):
        return ErrorCode.NOT_LEADER_OR_FOLLOWER
    if shutdown.requested:
        return ErrorCode.BROKER_NOT_AVAILABLE
    return None


def current_leader(me: Identity, state: EpochState) -> LeaderAndEpoch:
    return state.leader_and_epoch(me.local_id)


def node_endpoints(me: Identity, ids: Iterable[int | None]) -> Mapping[int, Endpoint]:
    result: dict[int, Endpoint] = {}
    for node_id in ids:
        if node_id is None:
            continue
        endpoint = me.endpoints.get(node_id)
        if endpoint is not None:
            result[node_id] = endpoint
    return result


def learn_endpoints(me: Identity, endpoints: Mapping[int, Endpoint]) -> None:
    # Only voters lead, so only their endpoints matter (and the map stays bounded). Our own
    # endpoint is ours to say: a peer cannot change what this node advertises.
    for node_id, endpoint in endpoints.items():
        if node_id in me.voters and node_id != me.local_id and endpoint is not None:
            me.endpoints[node_id] = endpoint


EpochAnswerT = TypeVar("EpochAnswerT", BeginQuorumEpochResponse, EndQuorumEpochResponse)


def epoch_answer(
    me: Identity, state: EpochState, answer_type: type[EpochAnswerT], error: ErrorCode
) -> EpochAnswerT:
    """A BeginQuorumEpoch/EndQuorumEpoch answer: `error` plus this replica's leader, epoch and
    the leader's endpoint (both APIs answer with the same fields)."""
    leader = current_leader(me, state)
    return answer_type(
        error_code=ErrorCode.NONE,
        partition_error_code=error,
        leader_id=leader.leader_id,
        leader_epoch=leader.epoch,
        node_endpoints=node_endpoints(me, [leader.leader_id]),
    )
