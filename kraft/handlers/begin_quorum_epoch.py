"""BeginQuorumEpoch: a new leader announces itself to the other voters.

Request: cluster id / topic-partition checks; a voter key (v1+) that is not us -> INVALID_VOTER_KEY;
an epoch below ours -> FENCED_LEADER_EPOCH; otherwise follow (leader, epoch) and answer NONE with
what we now know. Leader side: every other voter gets the request right after the election and
again every fetch_timeout_ms / 2 (upstream's heartbeat for voters that are not fetching); an answer
or a Fetch in the epoch counts as an acknowledgement.
"""

from __future__ import annotations

from kraft.context import Core
from kraft.election import maybe_transition
from kraft.epoch_state import Leader
from kraft.handlers.common import epoch_answer, learn_endpoints, validate_request
from kraft.handlers.responses import handle_common_response
from kraft.rpc import BeginQuorumEpochRequest, BeginQuorumEpochResponse
from kraft.types import ReplicaAddress, ReplicaKey
from wire.errors import ErrorCode


def _response(core: Core, error: ErrorCode) -> BeginQuorumEpochResponse:
    return epoch_answer(core.me, core.state, BeginQuorumEpochResponse, error)


def handle_begin_quorum_epoch_request(
    core: Core, inbound_id: int, request: BeginQuorumEpochRequest, now_ms: int
) -> None:
    top = validate_request(core.me, request.cluster_id, request.topic_partition_valid)
    if top is not None:
        core.out.respond(inbound_id, BeginQuorumEpochResponse(error_code=top))
        return
    if request.voter_key is not None and (
        core.me.local_id is None
        or not request.voter_key.matches(ReplicaKey(core.me.local_id, core.me.directory_id))
    ):
        core.out.respond(inbound_id, _response(core, ErrorCode.INVALID_VOTER_KEY))
        return
    if request.leader_epoch < core.state.epoch:
        core.out.respond(inbound_id, _response(core, ErrorCode.FENCED_LEADER_EPOCH))
        return
    if request.leader_id < 0:
        core.out.respond(inbound_id, _response(core, ErrorCode.INVALID_REQUEST))
        return
    if request.leader_endpoint is not None:
        learn_endpoints(core.me, {request.leader_id: request.leader_endpoint})
    maybe_transition(core, request.leader_id, request.leader_epoch, now_ms)
    core.out.respond(inbound_id, _response(core, ErrorCode.NONE))


def send_begin_quorum_epoch(core: Core, state: Leader, now_ms: int) -> None:
    """Leader: every fetch_timeout_ms / 2, tell every other voter (ready to take a request) that we
    lead this epoch; a heartbeat for voters that do not fetch (Unattached/Voted), as upstream."""
    leader = state.leader
    if now_ms < leader.begin_quorum_deadline_ms:
        return
    assert core.me.local_id is not None
    for voter in sorted(core.me.voters - {core.me.local_id}):
        if not core.requests.is_ready(voter, now_ms):
            continue
        request = BeginQuorumEpochRequest(
            cluster_id=core.me.config.cluster_id,
            topic_partition_valid=True,
            leader_id=core.me.local_id,
            leader_epoch=state.epoch,
            leader_endpoint=core.me.endpoints.get(core.me.local_id),
            voter_key=ReplicaKey(voter, None),
        )
        core.send_request(core.me.address_of(voter), request, now_ms)
    leader.begin_quorum_deadline_ms = now_ms + core.me.config.fetch_timeout_ms // 2


def handle_begin_quorum_epoch_response(
    core: Core, source: ReplicaAddress, response: BeginQuorumEpochResponse, now_ms: int
) -> None:
    if response.error_code is not ErrorCode.NONE:
        return
    if handle_common_response(
        core, response.partition_error_code, response.leader_id, response.leader_epoch, now_ms
    ):
        return
    state = core.state
    if (
        isinstance(state, Leader)
        and response.partition_error_code is ErrorCode.NONE
        and response.leader_epoch == state.epoch
        and source.node_id in state.leader.voter_states
    ):
        state.leader.voter_states[source.node_id].acknowledged = True
