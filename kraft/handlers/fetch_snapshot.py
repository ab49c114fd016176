"""FetchSnapshot, leader side (KIP-630): validation and the byte-range answer.

Checks as for Fetch (cluster id; wrong partition -> UNKNOWN_TOPIC_OR_PARTITION; epoch errors
74/75/6/8 with the current leader), then: no such snapshot, or the 0-0 bootstrap checkpoint ->
SNAPSHOT_NOT_FOUND; Position < 0 -> POSITION_OUT_OF_RANGE; else a `SnapshotRead` placeholder the
executor resolves (it knows the file size: a position at/after the end is POSITION_OUT_OF_RANGE).
The request counts toward check-quorum like a Fetch. The follower-side download is not implemented
in this round (a follower told to load a snapshot keeps fetching).
"""

from __future__ import annotations

from kraft.context import Core
from kraft.handlers.common import current_leader, node_endpoints
from kraft.roles import RoleName
from kraft.rpc import FetchSnapshotRequest, FetchSnapshotResponse, SnapshotRead
from kraft.types import OffsetAndEpoch
from wire.errors import ErrorCode


def _error(core: Core, error: ErrorCode) -> FetchSnapshotResponse:
    leader = current_leader(core)
    return FetchSnapshotResponse(
        error_code=ErrorCode.NONE,
        partition_error_code=error,
        current_leader=leader,
        node_endpoints=node_endpoints(core, [leader.leader_id]),
    )


def handle_fetch_snapshot_request(
    core: Core, inbound_id: int, request: FetchSnapshotRequest, now_ms: int
) -> None:
    if request.cluster_id is not None and request.cluster_id != core.config.cluster_id:
        core.respond(
            inbound_id, FetchSnapshotResponse(error_code=ErrorCode.INCONSISTENT_CLUSTER_ID)
        )
        return
    if not request.topic_partition_valid:
        core.respond(inbound_id, _error(core, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
        return
    state = core.state
    if request.current_leader_epoch < state.epoch:
        error: ErrorCode | None = ErrorCode.FENCED_LEADER_EPOCH
    elif request.current_leader_epoch > state.epoch:
        error = ErrorCode.UNKNOWN_LEADER_EPOCH
    elif state.role is not RoleName.LEADER:
        error = ErrorCode.NOT_LEADER_OR_FOLLOWER
    elif core.shutting_down:
        error = ErrorCode.BROKER_NOT_AVAILABLE
    else:
        error = None
    if error is not None:
        core.respond(inbound_id, _error(core, error))
        return
    leader = state.leader
    assert leader is not None
    if request.replica_id >= 0 and request.replica_id in leader.voter_states:
        leader.fetched_in_window.add(request.replica_id)
    snapshot = core.log.latest_snapshot_id
    if snapshot is None or snapshot != request.snapshot_id or snapshot == OffsetAndEpoch(0, 0):
        core.respond(inbound_id, _error(core, ErrorCode.SNAPSHOT_NOT_FOUND))
        return
    if request.position < 0:
        core.respond(inbound_id, _error(core, ErrorCode.POSITION_OUT_OF_RANGE))
        return
    response = FetchSnapshotResponse(
        error_code=ErrorCode.NONE,
        snapshot_id=snapshot,
        current_leader=current_leader(core),
        position=request.position,
        data=SnapshotRead(snapshot, request.position, max(1, request.max_bytes)),
        node_endpoints=node_endpoints(core, [core.local_id]),
    )
    core.respond(inbound_id, response, early=True)
