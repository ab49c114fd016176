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

from kraft.context import Core
from kraft.election import maybe_transition
from kraft.roles import RoleName
from kraft.types import Endpoint, LeaderAndEpoch
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
    # Only voters lead, so only their endpoints matter (and the map stays bounded).
    for node_id, endpoint in endpoints.items():
        if node_id in core.voters and endpoint is not None:
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
