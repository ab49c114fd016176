"""Response-side rules shared by every handler (Kafka's `maybeHandleCommonResponse`).

Leader information in an answer is processed before anything else. An older epoch or
UNKNOWN_LEADER_EPOCH -> stale, ignore. A newer epoch, FENCED_LEADER_EPOCH or NOT_LEADER_OR_FOLLOWER
-> adopt (leader, epoch) and stop. The same epoch with a leader we did not know -> adopt it and keep
handling the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from kraft.context import Core
from kraft.election import maybe_transition
from kraft.epoch_state import Leader, Resigned
from kraft.handlers.common import learn_endpoints
from kraft.types import Endpoint, LeaderAndEpoch, ReplicaAddress
from wire.errors import ErrorCode


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
        if isinstance(core.state, (Leader, Resigned)):
            return False
        maybe_transition(core, leader_id, epoch, now_ms)
        # Go on only without an error (an observer discovers the leader and appends in one go).
        return partition_error is not ErrorCode.NONE
    return False


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
    learn_endpoints(core.me, response.node_endpoints)
    leader = response.current_leader
    return handle_common_response(
        core,
        response.partition_error_code,
        None if leader is None else leader.leader_id,
        None if leader is None else leader.epoch,
        now_ms,
    )
