"""DescribeQuorum: only the leader answers (others: NOT_LEADER_OR_FOLLOWER at partition level).

The answer: leader id and epoch, HW (None until known in this epoch), every voter and every
observer *with an id* seen within observer_session_timeout_ms, each with log end offset and last
fetch / last caught-up times (both "now" for the leader itself), and the voters' endpoints.
Fetchers with a negative replica id never appear (the leader keeps nothing for them).
"""

from __future__ import annotations

from kraft.context import Core, Identity
from kraft.epoch_state import EpochState, Leader
from kraft.handlers.common import current_leader, node_endpoints
from kraft.ready import Leaves
from kraft.rpc import DescribeQuorumRequest, DescribeQuorumResponse
from wire.errors import ErrorCode


def describe_quorum(me: Identity, state: EpochState, now_ms: int) -> DescribeQuorumResponse:
    if not isinstance(state, Leader):
        leader = current_leader(me, state)
        return DescribeQuorumResponse(
            error_code=ErrorCode.NONE,
            partition_error_code=ErrorCode.NOT_LEADER_OR_FOLLOWER,
            leader_id=leader.leader_id,
            leader_epoch=leader.epoch,
        )
    leading = state.leader
    voters, observers = leading.describe(now_ms)
    return DescribeQuorumResponse(
        error_code=ErrorCode.NONE,
        leader_id=me.local_id,
        leader_epoch=state.epoch,
        high_watermark=leading.high_watermark,
        voters=voters,
        observers=observers,
        nodes=node_endpoints(me, sorted(me.voters)),
    )


def handle_describe_quorum_request(
    core: Core, inbound_id: int, request: DescribeQuorumRequest, now_ms: int
) -> None:
    if not request.topic_partition_valid:
        response = DescribeQuorumResponse(
            error_code=ErrorCode.NONE,
            partition_error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        )
    else:
        response = describe_quorum(core.me, core.state, now_ms)
    core.out.respond(inbound_id, response, leaves=Leaves.NOW)
