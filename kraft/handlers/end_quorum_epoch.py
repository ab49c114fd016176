"""EndQuorumEpoch: a resigning leader hands over (graceful shutdown, resign, check-quorum).

Resigned side: the request (with the other voters as preferred candidates, most caught up first)
goes to every other voter until each answers; graceful shutdown completes when all have answered,
a new leader is known, or request_timeout_ms has passed.

Receiver: cluster id / topic-partition checks; epoch below ours -> FENCED_LEADER_EPOCH; otherwise
adopt (leader, epoch). A follower of that leader then shortens its fetch timer to an election
backoff by its position p in the preferred list of length n (Kafka's `endEpochElectionBackoff`):
p = 0 -> 0 ms; absent -> election_backoff_ms_max; else min(max, (max >> (n-1)) << (p-1)); and it
grants pre-votes again (its fetches from the departing leader no longer count against them).
"""

from __future__ import annotations

from kraft.context import Core, Identity
from kraft.election import maybe_transition
from kraft.epoch_state import Follower, Resigned
from kraft.handlers.common import epoch_answer, validate_request
from kraft.handlers.responses import handle_common_response
from kraft.rpc import EndQuorumEpochRequest, EndQuorumEpochResponse
from kraft.types import ReplicaAddress, ReplicaKey
from wire.errors import ErrorCode


def _response(core: Core, error: ErrorCode) -> EndQuorumEpochResponse:
    return epoch_answer(core.me, core.state, EndQuorumEpochResponse, error)


def end_epoch_backoff_ms(me: Identity, preferred: tuple[ReplicaKey, ...]) -> int:
    backoff_ms_max = me.config.election_backoff_ms_max
    local = me.key()
    position = next((i for i, key in enumerate(preferred) if key.matches(local)), None)
    if position is None:
        return backoff_ms_max
    if position == 0:
        return 0
    n = len(preferred)
    return min(backoff_ms_max, (backoff_ms_max >> (n - 1)) << (position - 1))


def handle_end_quorum_epoch_request(
    core: Core, inbound_id: int, request: EndQuorumEpochRequest, now_ms: int
) -> None:
    top = validate_request(core.me, request.cluster_id, request.topic_partition_valid)
    if top is not None:
        core.out.respond(inbound_id, EndQuorumEpochResponse(error_code=top))
        return
    if request.leader_epoch < core.state.epoch:
        core.out.respond(inbound_id, _response(core, ErrorCode.FENCED_LEADER_EPOCH))
        return
    if request.leader_id < 0:
        core.out.respond(inbound_id, _response(core, ErrorCode.INVALID_REQUEST))
        return
    maybe_transition(core, request.leader_id, request.leader_epoch, now_ms)
    state = core.state
    if (
        isinstance(state, Follower)
        and state.leader_id == request.leader_id
        and state.epoch == request.leader_epoch
        and core.me.is_voter
    ):
        backoff_ms = end_epoch_backoff_ms(core.me, request.preferred_candidates)
        state.fetch_deadline_ms = now_ms + backoff_ms
        # The leader said it is leaving: our successful fetches no longer argue for it, so we
        # grant pre-votes again (else a successor would need every follower to time out first).
        state.has_fetched_in_epoch = False
    core.out.respond(inbound_id, _response(core, ErrorCode.NONE))


def send_end_quorum_epoch(core: Core, state: Resigned, now_ms: int) -> None:
    assert core.me.local_id is not None
    for voter in sorted(state.unacknowledged):
        if not core.requests.is_ready(voter, now_ms):
            continue
        request = EndQuorumEpochRequest(
            cluster_id=core.me.config.cluster_id,
            topic_partition_valid=True,
            leader_id=core.me.local_id,
            leader_epoch=state.epoch,
            preferred_candidates=state.preferred_successors,
            leader_endpoint=core.me.endpoints.get(core.me.local_id),
        )
        core.send_request(core.me.address_of(voter), request, now_ms)


def handle_end_quorum_epoch_response(
    core: Core, source: ReplicaAddress, response: EndQuorumEpochResponse, now_ms: int
) -> None:
    if response.error_code is not ErrorCode.NONE:
        return
    state = core.state
    if isinstance(state, Resigned) and response.partition_error_code in (
        ErrorCode.NONE,
        ErrorCode.FENCED_LEADER_EPOCH,
    ):
        state.unacknowledged.discard(source.node_id)
    handle_common_response(
        core, response.partition_error_code, response.leader_id, response.leader_epoch, now_ms
    )
