"""Epoch-state transitions, election timers and the voting side of elections.

Transitions: `<role>_state(core, ...)` returns the next state from the current one and changes
nothing; `enter(core, new)` makes it current, asserting the move against the table in
kraft/roles.py, and is the one place a role change has effects (in-flight requests forgotten, a
leader's parked fetches answered, the election state queued for persistence when the role is
durable). `transition_to_<role>` is the two together; no transition sends a request: what each
role owes (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch) is sent by the node on every poll.

Timers (Kafka's `QuorumState.randomElectionTimeoutMs`):
- election timeout = T + random[0, T) (0 stays 0), drawn for a new Prospective/Candidate/Resigned,
  after granting a vote, when a Follower or Leader drops to Unattached; a Candidate or Unattached
  voter moving to Unattached at a higher epoch keeps its remaining time. Observers have none.
- candidate backoff after a lost or timed-out election = min(100 ms x random[0, 2^min(retries, 21)),
  election_backoff_max_ms); when it ends the voter goes to Prospective (pre-vote) or, with pre-vote
  disabled, straight to Candidate at epoch + 1.

Elections: a Prospective asks every other voter for a pre-vote in its current epoch (nothing is
persisted); a majority makes it a Candidate at epoch + 1 (vote for itself persisted) which asks for
real votes; a majority of those makes it Leader, which appends a LeaderChange control batch at the
new epoch start offset and sends BeginQuorumEpoch to the other voters.

The epoch space ends at `EPOCH_MAX` = INT32_MAX - 1: every epoch field on the wire is an int32,
and an epoch must leave room for the next election. As in Kafka's raft, an epoch at the int32
limit is invalid input (the shell's API layer, kraft.shell.apis, refuses it from peers and
clients), and a
voter at `EPOCH_MAX` never stands for election (there is no epoch to stand in): it stays where it
is, re-arming its timer, so nothing above `EPOCH_MAX` is ever entered or persisted.
"""

from __future__ import annotations

from kraft.context import Core
from kraft.epoch_state import EpochState
from kraft.handlers.fetch import complete_parked_fetches
from kraft.quorum import LeaderState, majority_of
from kraft.ready import SnapshotAbort
from kraft.roles import PERSISTED_ROLES, RoleName, check_transition
from kraft.rpc import VoteRequest
from kraft.types import BatchInfo, Records, ReplicaKey

# The largest epoch a node adopts or enters (see the module docstring).
EPOCH_MAX = (1 << 31) - 2
RETRY_BACKOFF_BASE_MS = 100
BACKOFF_EXPONENT_MAX = 21


def random_election_timeout_ms(core: Core) -> int:
    timeout_ms = core.config.election_timeout_ms
    return 0 if timeout_ms == 0 else timeout_ms + core.rng.randrange(timeout_ms)


def election_backoff_ms(core: Core, retries: int) -> int:
    assert retries >= 1, retries
    exponent = min(retries, BACKOFF_EXPONENT_MAX)
    return min(
        RETRY_BACKOFF_BASE_MS * core.rng.randrange(2**exponent),
        core.config.election_backoff_max_ms,
    )


def local_key(core: Core) -> ReplicaKey:
    assert core.local_id is not None or core.is_voter, "id-less node has no replica key"
    local_id = core.local_id_or_sentinel()
    return ReplicaKey(local_id, core.local_directory_id)


def enter(core: Core, new: EpochState, now_ms: int) -> None:
    """Make `new` (built by one of the `*_state` functions below) the current state: the one place
    a role change has effects. A leader stepping down keeps its HW as known, drops its pending
    records and answers its parked fetches (as the new role); every in-flight request is forgotten
    (responses to them are ignored, as upstream `resetConnections`); a snapshot download ends; a
    durable role's election state is queued for persistence. No request is sent here."""
    old = core.state
    check_transition(old.role, new.role, is_voter=core.is_voter)
    assert new.epoch >= old.epoch, f"epoch went back {old.epoch} -> {new.epoch}"
    if old.role is RoleName.LEADER:
        # What we committed as leader stays committed: the next role starts from it.
        hw = old.leading().high_watermark
        if hw is not None and (core.known_high_watermark or 0) < hw:
            core.known_high_watermark = hw
        core.accumulator.drop_pending()
        core.state = new
        complete_parked_fetches(core, now_ms, force=True)
    core.state = new
    core.requests.reset_all()
    if core.snapshot_download is not None:
        # A download belongs to one leader's epoch (upstream keeps it in FollowerState).
        core.log_op(SnapshotAbort(core.snapshot_download.snapshot_id))
        core.snapshot_download = None
    if new.role in PERSISTED_ROLES:
        core.persist_state()


# ---------------------------------------------------------------------------- next states
# Each returns the state to enter from the current one; it changes nothing (it only draws the
# election timeout from the injected RNG).
def unattached_state(core: Core, epoch: int, now_ms: int) -> EpochState:
    """Higher epoch with no known leader (or a lost pre-vote that knew no leader)."""
    old = core.state
    assert epoch >= old.epoch
    deadline: int | None = None
    if core.is_voter:
        keeps_timer = (
            old.role in (RoleName.CANDIDATE, RoleName.UNATTACHED, RoleName.VOTED)
            and old.election_deadline_ms is not None
            and epoch > old.epoch
        )
        if keeps_timer:
            deadline = old.election_deadline_ms
        else:
            deadline = now_ms + random_election_timeout_ms(core)
    # Same epoch only for a lost pre-vote that knew no leader: the vote cast in it stays.
    voted = old.voted_key if epoch == old.epoch else None
    role = RoleName.VOTED if voted is not None else RoleName.UNATTACHED
    return EpochState(role, epoch, voted_key=voted, election_deadline_ms=deadline)


def voted_state(core: Core, candidate: ReplicaKey, now_ms: int) -> EpochState:
    """A standard vote granted in the current epoch (durable before the response leaves)."""
    assert core.is_voter
    return EpochState(
        RoleName.VOTED,
        core.state.epoch,
        voted_key=candidate,
        election_deadline_ms=now_ms + random_election_timeout_ms(core),
    )


def follower_state(core: Core, epoch: int, leader_id: int, now_ms: int) -> EpochState:
    old = core.state
    assert leader_id != core.local_id, "cannot follow itself"
    return EpochState(
        RoleName.FOLLOWER,
        epoch,
        leader_id=leader_id,
        voted_key=old.voted_key if epoch == old.epoch else None,
        fetch_deadline_ms=now_ms + core.config.fetch_timeout_ms,
    )


def prospective_state(core: Core, now_ms: int) -> EpochState:
    old = core.state
    assert core.is_voter
    return EpochState(
        RoleName.PROSPECTIVE,
        old.epoch,
        leader_id=old.leader_id,
        voted_key=old.voted_key,
        election_deadline_ms=now_ms + random_election_timeout_ms(core),
        granted={core.local_id_or_sentinel()},
        retries=old.retries if old.role is RoleName.CANDIDATE else 0,
    )


def candidate_state(core: Core, now_ms: int) -> EpochState:
    old = core.state
    assert core.is_voter
    retries = old.retries + 1 if old.role in (RoleName.PROSPECTIVE, RoleName.CANDIDATE) else 1
    assert old.epoch < EPOCH_MAX, f"no epoch above {old.epoch} to stand in"
    return EpochState(
        RoleName.CANDIDATE,
        old.epoch + 1,
        voted_key=local_key(core),
        election_deadline_ms=now_ms + random_election_timeout_ms(core),
        granted={core.local_id_or_sentinel()},
        retries=retries,
    )


def leader_state(core: Core, now_ms: int) -> EpochState:
    """Won the election: the epoch starts at the log end, where its LeaderChange batch goes."""
    old = core.state
    assert core.local_id is not None and old.role is RoleName.CANDIDATE
    leader = LeaderState.start(
        core.local_id,
        old.epoch,
        core.log.end_offset,
        core.config,
        frozenset(old.granted),
        now_ms,
    )
    # No directory id on its own voter state either: static voters are known by id (quorum.py).
    return EpochState(RoleName.LEADER, old.epoch, voted_key=old.voted_key, leader=leader)


def resigned_state(core: Core, now_ms: int) -> EpochState:
    old = core.state
    successors = tuple(
        ReplicaKey(s.replica_id, s.directory_id) for s in old.leading().preferred_successors()
    )
    return EpochState(
        RoleName.RESIGNED,
        old.epoch,
        voted_key=old.voted_key,
        election_deadline_ms=now_ms + random_election_timeout_ms(core),
        unacknowledged={k.id for k in successors},
        preferred_successors=successors,
    )


# ---------------------------------------------------------------------------- transitions
def transition_to_unattached(core: Core, epoch: int, now_ms: int) -> None:
    enter(core, unattached_state(core, epoch, now_ms), now_ms)


def transition_to_voted(core: Core, candidate: ReplicaKey, now_ms: int) -> None:
    enter(core, voted_state(core, candidate, now_ms), now_ms)


def transition_to_follower(core: Core, epoch: int, leader_id: int, now_ms: int) -> None:
    enter(core, follower_state(core, epoch, leader_id, now_ms), now_ms)


def transition_to_prospective(core: Core, now_ms: int) -> None:
    enter(core, prospective_state(core, now_ms), now_ms)
    maybe_win_or_lose(core, now_ms)


def transition_to_candidate(core: Core, now_ms: int) -> None:
    enter(core, candidate_state(core, now_ms), now_ms)
    maybe_win_or_lose(core, now_ms)


def transition_to_leader(core: Core, now_ms: int) -> None:
    new = leader_state(core, now_ms)
    enter(core, new, now_ms)
    leader = new.leading()
    epoch_start_offset = leader.epoch_start_offset
    # The LeaderChange control batch opens the epoch; the HW can pass it only once a majority has
    # it (quorum.py), which proves the epoch to every later leader.
    data = core.codec.build_leader_change_batch(
        epoch_start_offset,
        new.epoch,
        now_ms,
        leader.local_id,
        sorted(core.voters),
        sorted(leader.granting_voters),
    )
    batch = BatchInfo(epoch_start_offset, epoch_start_offset, new.epoch, len(data), True)
    core.append(Records(data, (batch,)), flush=True)
    leader.update_local_end_offset(core.log.flushed_end_offset, now_ms)


def transition_to_resigned(core: Core, now_ms: int) -> None:
    """Resigned is memory-only: the stored state keeps saying we lead this epoch, so a restart
    comes back Resigned and can neither vote again nor reuse offsets in this epoch. The caller
    sends EndQuorumEpoch (kraft/handlers/end_quorum_epoch.py), as it owes every Resigned poll."""
    enter(core, resigned_state(core, now_ms), now_ms)


# ---------------------------------------------------------------------------- elections
def send_vote_requests(core: Core, now_ms: int) -> None:
    state = core.state
    assert state.role in (RoleName.PROSPECTIVE, RoleName.CANDIDATE)
    if state.backoff_deadline_ms is not None:
        return
    pre_vote = state.role is RoleName.PROSPECTIVE
    last = core.log.end_offset_and_epoch
    for voter in sorted(core.voters):
        if voter == core.local_id or voter in state.granted or voter in state.rejected:
            continue
        if not core.requests.is_ready(voter, now_ms):
            continue
        request = VoteRequest(
            cluster_id=core.config.cluster_id,
            topic_partition_valid=True,
            candidate_key=local_key(core),
            candidate_epoch=state.epoch,
            last_offset_epoch=last.epoch,
            last_offset=last.offset,
            pre_vote=pre_vote,
            voter_key=ReplicaKey(voter, None),
        )
        core.send_request(core.address_of(voter), request, now_ms)


def record_vote(core: Core, voter: int, granted: bool, now_ms: int) -> None:
    state = core.state
    if voter not in core.voters or voter in state.granted or voter in state.rejected:
        return
    (state.granted if granted else state.rejected).add(voter)
    maybe_win_or_lose(core, now_ms)


def maybe_win_or_lose(core: Core, now_ms: int) -> None:
    state = core.state
    majority = majority_of(len(core.voters))
    granted = len(state.granted & core.voters)
    unrecorded = len(core.voters - state.granted - state.rejected)
    if granted >= majority:
        if state.role is RoleName.PROSPECTIVE:
            transition_to_candidate(core, now_ms)
        elif state.role is RoleName.CANDIDATE and state.backoff_deadline_ms is None:
            transition_to_leader(core, now_ms)
    elif granted + unrecorded < majority:
        lose_election(core, now_ms)


def lose_election(core: Core, now_ms: int) -> None:
    state = core.state
    if state.role is RoleName.PROSPECTIVE:
        end_prospective(core, now_ms)
    elif state.role is RoleName.CANDIDATE and state.backoff_deadline_ms is None:
        state.backoff_deadline_ms = now_ms + election_backoff_ms(core, state.retries)


def end_prospective(core: Core, now_ms: int) -> None:
    """A lost or timed-out pre-vote: back to following the known leader, else Unattached."""
    state = core.state
    if state.leader_id is not None:
        transition_to_follower(core, state.epoch, state.leader_id, now_ms)
    else:
        transition_to_unattached(core, state.epoch, now_ms)


def no_epoch_left(core: Core, now_ms: int) -> bool:
    """True (and the role's timer re-armed) when the epoch cannot be incremented any more."""
    state = core.state
    if state.epoch < EPOCH_MAX:
        return False
    later_ms = now_ms + max(1, random_election_timeout_ms(core))
    if state.role is RoleName.FOLLOWER:
        state.fetch_deadline_ms = later_ms
    elif state.role is RoleName.CANDIDATE and state.backoff_deadline_ms is not None:
        state.backoff_deadline_ms = later_ms
    else:
        state.election_deadline_ms = later_ms
    return True


def stand_for_election(core: Core, now_ms: int) -> None:
    if no_epoch_left(core, now_ms):
        return
    if core.config.pre_vote_enabled:
        transition_to_prospective(core, now_ms)
    else:
        transition_to_candidate(core, now_ms)


def maybe_transition(core: Core, leader_id: int | None, epoch: int, now_ms: int) -> None:
    """Adopt (leader, epoch) learned from a peer when it is news (Kafka's `maybeTransition`)."""
    state = core.state
    if epoch < state.epoch:
        return
    if leader_id is not None and leader_id == core.local_id:
        # Someone says we lead an epoch we do not know we lead: only possible after losing our
        # stored state. Move to that epoch without a leader; a new election will follow.
        if epoch > state.epoch:
            transition_to_unattached(core, epoch, now_ms)
        return
    if leader_id is not None:
        same = (
            state.role is RoleName.FOLLOWER
            and state.epoch == epoch
            and state.leader_id == leader_id
        )
        if (not same and state.role is not RoleName.LEADER) or (not same and epoch > state.epoch):
            transition_to_follower(core, epoch, leader_id, now_ms)
    elif epoch > state.epoch:
        transition_to_unattached(core, epoch, now_ms)


# ---------------------------------------------------------------------------- timers
def poll_election_timers(core: Core, now_ms: int) -> None:
    state = core.state
    role = state.role
    if core.shutting_down and role is not RoleName.LEADER:
        # A node shutting down stays where it is until the shutdown completes (upstream).
        return
    if role is RoleName.CANDIDATE:
        if state.backoff_deadline_ms is not None:
            if now_ms >= state.backoff_deadline_ms:
                stand_for_election(core, now_ms)
        elif state.election_deadline_ms is not None and now_ms >= state.election_deadline_ms:
            lose_election(core, now_ms)
    elif role is RoleName.PROSPECTIVE:
        if state.election_deadline_ms is not None and now_ms >= state.election_deadline_ms:
            end_prospective(core, now_ms)
    elif role in (RoleName.UNATTACHED, RoleName.VOTED):
        due = state.election_deadline_ms is not None and now_ms >= state.election_deadline_ms
        if due and core.is_voter:
            stand_for_election(core, now_ms)
    elif role is RoleName.FOLLOWER:
        due = state.fetch_deadline_ms is not None and now_ms >= state.fetch_deadline_ms
        if due and core.is_voter:
            stand_for_election(core, now_ms)
    elif role is RoleName.RESIGNED:
        if state.election_deadline_ms is not None and now_ms >= state.election_deadline_ms:
            if no_epoch_left(core, now_ms):
                return
            if core.config.pre_vote_enabled:
                transition_to_unattached(core, state.epoch + 1, now_ms)
            else:
                transition_to_candidate(core, now_ms)
    elif role is RoleName.LEADER and state.leading().poll_check_quorum(now_ms):
        # EndQuorumEpoch leaves from the node's Resigned duties right after the timers.
        transition_to_resigned(core, now_ms)


def election_deadline(core: Core) -> int | None:
    state = core.state
    if state.role is RoleName.CANDIDATE and state.backoff_deadline_ms is not None:
        return state.backoff_deadline_ms
    if state.role is RoleName.FOLLOWER:
        return state.fetch_deadline_ms if core.is_voter else None
    if state.role is RoleName.LEADER:
        return state.leading().check_quorum_deadline()
    if state.role in (RoleName.UNATTACHED, RoleName.VOTED) and not core.is_voter:
        return None
    return state.election_deadline_ms
