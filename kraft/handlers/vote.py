"""Vote (KIP-595) and pre-vote (KIP-996) on both sides.

Request (Kafka's `handleVoteRequest` + `canGrantVote`), in this order:
1. cluster id / topic-partition -> top-level error.
2. negative LastOffset or LastOffsetEpoch, or an impossible epoch (standard: LastOffsetEpoch >=
   ReplicaEpoch; pre-vote: LastOffsetEpoch > ReplicaEpoch, a prospective sends its current epoch)
   -> INVALID_REQUEST.
3. ReplicaEpoch below ours -> FENCED_LEADER_EPOCH; then a negative ReplicaId -> INVALID_REQUEST.
4. a higher ReplicaEpoch -> first become Unattached at that epoch (durable), pre-votes included
   (RAFT-BRIEF §2.5; otherwise a prospective ahead of us could never collect our pre-vote).
5. voter key (v1+) that is not us -> INVALID_VOTER_KEY (an id-less node never matches).
6. grant iff the candidate's log is at least as up to date, (last epoch, end offset) compared epoch
   first, and the role allows it: Unattached grants a standard vote only with no vote cast for
   someone else in this epoch (re-granting to the same candidate is fine) and no known leader;
   Voted likewise only to the same candidate; Prospective as Unattached, except that it refuses a
   pre-vote from a voter with an equal log and a higher id (a tie-break Kafka does not have: see
   `_outranks`); Follower only pre-votes and only before it fetched successfully from the leader
   this epoch; Candidate and Resigned only pre-votes; Leader never. Observers never grant.
7. a standard vote granted by a replica that had not voted moves it to Voted, persisted before the
   response leaves (the response is held in send_after_persist by kraft/context.py).
"""

from __future__ import annotations

from kraft.config import InjectedBug
from kraft.context import Core, Identity
from kraft.election import (
    record_vote,
    transition_to_candidate,
    transition_to_unattached,
    transition_to_voted,
)
from kraft.epoch_state import (
    Election,
    EpochState,
    Follower,
    Leader,
    Prospective,
    Unattached,
    Voted,
)
from kraft.handlers.common import current_leader, node_endpoints, validate_request
from kraft.handlers.responses import handle_common_response
from kraft.log import LogView
from kraft.rpc import VoteRequest, VoteResponse
from kraft.types import ReplicaAddress, ReplicaKey
from wire.errors import ErrorCode


def log_is_up_to_date(log: LogView, last_offset_epoch: int, last_offset: int) -> bool:
    local = log.end_offset_and_epoch
    return (last_offset_epoch, last_offset) >= (local.epoch, local.offset)


def _response(core: Core, error: ErrorCode, granted: bool = False) -> VoteResponse:
    leader = current_leader(core.me, core.state)
    return VoteResponse(
        error_code=ErrorCode.NONE,
        partition_error_code=error,
        leader_id=leader.leader_id,
        leader_epoch=leader.epoch,
        vote_granted=granted,
        node_endpoints=node_endpoints(core.me, [leader.leader_id]),
    )


def can_grant(me: Identity, state: EpochState, log: LogView, request: VoteRequest) -> bool:
    if not me.is_voter:
        return False
    candidate = request.candidate_key
    if not log_is_up_to_date(log, request.last_offset_epoch, request.last_offset):
        return False
    if request.pre_vote:
        if isinstance(state, Leader):
            return False
        if isinstance(state, Follower):
            return not state.has_fetched_in_epoch
        if isinstance(state, Prospective):
            return not _outranks(me, log, request)
        return True
    if request.candidate_epoch != state.epoch:
        return False
    if isinstance(state, (Unattached, Voted, Prospective)):
        if state.leader_id is not None:
            return False
        if state.voted_key is None:
            return True
        # Injected bug DOUBLE_VOTE: the only place "one vote per epoch" is (not) enforced.
        if me.config.has_bug(InjectedBug.DOUBLE_VOTE):
            return True
        return state.voted_key.matches(candidate)
    return False


def _outranks(me: Identity, log: LogView, request: VoteRequest) -> bool:
    """True when we, a Prospective, stand in the same race as the asking prospective with an
    equal log and a lower id: then only we may collect the other's pre-vote (a deliberate
    difference from Kafka, which grants it).

    Why: when a leader dies, its followers' fetch timeouts end within a millisecond of each
    other (they fetched together), both turn Prospective, and if each grants the other's pre-vote
    both become Candidates of the same epoch, each votes for itself and neither can win while
    the old leader is down: the election waits a whole election timeout (1-2 s) to start again.
    A tie-break on the id lets exactly one of them through. It only ever refuses a pre-vote, so
    safety is untouched; liveness holds because a Prospective's race ends (won, lost or timed
    out) and it then grants as before."""
    local = log.end_offset_and_epoch
    equal_log = (request.last_offset_epoch, request.last_offset) == (local.epoch, local.offset)
    local_id = me.local_id
    return equal_log and local_id is not None and local_id < request.candidate_key.id


def handle_vote_request(core: Core, inbound_id: int, request: VoteRequest, now_ms: int) -> None:
    top = validate_request(core.me, request.cluster_id, request.topic_partition_valid)
    if top is not None:
        core.out.respond(inbound_id, VoteResponse(error_code=top))
        return
    invalid = (
        request.last_offset < 0
        or request.last_offset_epoch < 0
        # A candidate's own epoch is new, so its log cannot hold it; a prospective keeps its epoch.
        or request.last_offset_epoch > request.candidate_epoch
        or (not request.pre_vote and request.last_offset_epoch == request.candidate_epoch)
    )
    if invalid:
        core.out.respond(inbound_id, _response(core, ErrorCode.INVALID_REQUEST))
        return
    if request.candidate_epoch < core.state.epoch:
        core.out.respond(inbound_id, _response(core, ErrorCode.FENCED_LEADER_EPOCH))
        return
    if request.candidate_key.id < 0:
        core.out.respond(inbound_id, _response(core, ErrorCode.INVALID_REQUEST))
        return
    if request.candidate_epoch > core.state.epoch:
        # As upstream, also for a pre-vote: the prospective's epoch is known to a majority anyway.
        transition_to_unattached(core, request.candidate_epoch, now_ms)
    if request.voter_key is not None and (
        core.me.local_id is None
        or not request.voter_key.matches(ReplicaKey(core.me.local_id, core.me.directory_id))
    ):
        core.out.respond(inbound_id, _response(core, ErrorCode.INVALID_VOTER_KEY))
        return
    granted = can_grant(core.me, core.state, core.log, request)
    if granted and not request.pre_vote:
        if core.state.voted_key is None:
            transition_to_voted(core, request.candidate_key, now_ms)
        elif core.out.ready.election_state is None:
            # Persistence contract: a grant leaves at once only if our vote is already durable.
            durable = core.out.persisted
            assert durable is not None and durable.epoch == core.state.epoch, durable
            assert durable.voted_id is not None, durable
    core.out.respond(inbound_id, _response(core, ErrorCode.NONE, granted))


def handle_vote_response(
    core: Core, source: ReplicaAddress, response: VoteResponse, now_ms: int
) -> None:
    if response.error_code is ErrorCode.UNSUPPORTED_VERSION and isinstance(core.state, Prospective):
        # The executor's answer for a voter too old for pre-vote (Vote < v2): skip the pre-vote
        # phase and stand for real, as upstream does.
        transition_to_candidate(core, now_ms)
        return
    if response.error_code is not ErrorCode.NONE:
        # Retried when the destination is ready again (backoff applied by the caller).
        core.requests.back_off(source.node_id, now_ms)
        return
    if handle_common_response(
        core, response.partition_error_code, response.leader_id, response.leader_epoch, now_ms
    ):
        return
    state = core.state
    if not isinstance(state, Election):
        return
    if response.partition_error_code is not ErrorCode.NONE:
        core.requests.back_off(source.node_id, now_ms)
        return
    if response.leader_epoch != state.epoch:
        return
    record_vote(core, state, source.node_id, response.vote_granted, now_ms)
