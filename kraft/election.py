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
  election_backoff_ms_max); when it ends the voter goes to Prospective (pre-vote) or, with pre-vote
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

import random

from kraft.config import QuorumConfig
from kraft.context import Core, Identity
from kraft.epoch_state import (
    Candidate,
    Election,
    EpochState,
    Follower,
    Leader,
    Prospective,
    Resigned,
    Unattached,
    Voted,
)
from kraft.handlers.fetch import complete_parked_fetches
from kraft.quorum import LeaderState, majority_of
from kraft.ready import SnapshotAbort
from kraft.roles import PERSISTED_ROLES, check_transition
from kraft.rpc import VoteRequest
from kraft.types import BatchInfo, Records, ReplicaKey

# The largest epoch a node adopts or enters (see the module docstring).
EPOCH_MAX = (1 << 31) - 2
RETRY_BACKOFF_BASE_MS = 100
BACKOFF_EXPONENT_MAX = 21


def random_election_timeout_ms(config: QuorumConfig, rng: random.Random) -> int:
    timeout_ms = config.election_timeout_ms
    return 0 if timeout_ms == 0 else timeout_ms + rng.randrange(timeout_ms)


def election_backoff_ms(config: QuorumConfig, rng: random.Random, retries: int) -> int:
    assert retries >= 1, retries
    exponent = min(retries, BACKOFF_EXPONENT_MAX)
    return min(
        RETRY_BACKOFF_BASE_MS * rng.randrange(2**exponent),
        config.election_backoff_ms_max,
    )


def _timeout_ms(core: Core) -> int:
    return random_election_timeout_ms(core.me.config, core.rng)


def local_key(me: Identity) -> ReplicaKey:
    assert me.local_id is not None or me.is_voter, "id-less node has no replica key"
    return me.key()


def enter(core: Core, new: EpochState, now_ms: int) -> None:
    """Make `new` (built by one of the `*_state` functions below) the current state: the one place
    a role change has effects. A leader stepping down keeps its HW as known, drops its pending
    records and answers its parked fetches (as the new role); every in-flight request is forgotten
    (responses to them are ignored, as upstream `resetConnections`); a snapshot download ends; a
    durable role's election state is queued for persistence. No request is sent here."""
    old = core.state
    check_transition(old.role, new.role, is_voter=core.me.is_voter)
    assert new.epoch >= old.epoch, f"epoch went back {old.epoch} -> {new.epoch}"
    replication = core.replication
    if isinstance(old, Leader):
        # What we committed as leader stays committed: the next role starts from it.
        hw = old.leader.high_watermark
        if hw is not None and (replication.known_high_watermark or 0) < hw:
            replication.known_high_watermark = hw
        core.accumulator.drop_pending()
        core.state = new
        complete_parked_fetches(core, now_ms, force=True)
    core.state = new
    core.requests.reset_all()
    if replication.snapshot_download is not None:
        # A download belongs to one leader's epoch (upstream keeps it in FollowerState).
        core.out.log_op(SnapshotAbort(replication.snapshot_download.snapshot_id))
        replication.snapshot_download = None
    if new.role in PERSISTED_ROLES:
        core.persist_state()


# ---------------------------------------------------------------------------- next states
# Each returns the state to enter from the current one; it changes nothing (it only draws the
# election timeout from the injected RNG).
def unattached_state(core: Core, epoch: int, now_ms: int) -> Unattached | Voted:
    """Higher epoch with no known leader (or a lost pre-vote that knew no leader)."""
    old = core.state
    assert epoch >= old.epoch
    deadline: int | None = None
    if core.me.is_voter:
        kept = old.election_deadline_ms if isinstance(old, (Candidate, Unattached, Voted)) else None
        keeps_timer = kept is not None and epoch > old.epoch
        deadline = kept if keeps_timer else now_ms + _timeout_ms(core)
    # Same epoch only for a lost pre-vote that knew no leader: the vote cast in it stays.
    voted = old.voted_key if epoch == old.epoch else None
    if voted is not None:
        return Voted(epoch=epoch, voted_key=voted, election_deadline_ms=deadline)
    return Unattached(epoch=epoch, election_deadline_ms=deadline)


def voted_state(core: Core, candidate: ReplicaKey, now_ms: int) -> Voted:
    """A standard vote granted in the current epoch (durable before the response leaves)."""
    assert core.me.is_voter
    return Voted(
        epoch=core.state.epoch,
        voted_key=candidate,
        election_deadline_ms=now_ms + _timeout_ms(core),
    )


def follower_state(core: Core, epoch: int, leader_id: int, now_ms: int) -> Follower:
    old = core.state
    assert leader_id != core.me.local_id, "cannot follow itself"
    return Follower(
        epoch=epoch,
        leader_id=leader_id,
        voted_key=old.voted_key if epoch == old.epoch else None,
        fetch_deadline_ms=now_ms + core.me.config.fetch_timeout_ms,
    )


def prospective_state(core: Core, now_ms: int) -> Prospective:
    old = core.state
    assert core.me.is_voter
    return Prospective(
        epoch=old.epoch,
        leader_id=old.leader_id,
        voted_key=old.voted_key,
        election_deadline_ms=now_ms + _timeout_ms(core),
        granted={core.me.local_id_or_sentinel()},
        retries=old.retries if isinstance(old, Candidate) else 0,
    )


def candidate_state(core: Core, now_ms: int) -> Candidate:
    old = core.state
    assert core.me.is_voter
    retries = old.retries + 1 if isinstance(old, Election) else 1
    assert old.epoch < EPOCH_MAX, f"no epoch above {old.epoch} to stand in"
    return Candidate(
        epoch=old.epoch + 1,
        voted_key=local_key(core.me),
        election_deadline_ms=now_ms + _timeout_ms(core),
        granted={core.me.local_id_or_sentinel()},
        retries=retries,
    )


def leader_state(core: Core, old: Candidate, now_ms: int) -> Leader:
    """Won the election: the epoch starts at the log end, where its LeaderChange batch goes."""
    assert core.me.local_id is not None
    leader = LeaderState.start(
        core.me.local_id,
        old.epoch,
        core.log.end_offset,
        core.me.config,
        frozenset(old.granted),
        now_ms,
    )
    # No directory id on its own voter state either: static voters are known by id (quorum.py).
    return Leader(epoch=old.epoch, voted_key=old.voted_key, leader=leader)


def resigned_state(core: Core, old: Leader, now_ms: int) -> Resigned:
    successors = tuple(
        ReplicaKey(s.replica_id, s.directory_id) for s in old.leader.preferred_successors()
    )
    return Resigned(
        epoch=old.epoch,
        voted_key=old.voted_key,
        election_deadline_ms=now_ms + _timeout_ms(core),
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
    old = core.state
    assert isinstance(old, Candidate), old
    new = leader_state(core, old, now_ms)
    enter(core, new, now_ms)
    leader = new.leader
    epoch_start_offset = leader.epoch_start_offset
    # The LeaderChange control batch opens the epoch; the HW can pass it only once a majority has
    # it (quorum.py), which proves the epoch to every later leader.
    data = core.codec.build_leader_change_batch(
        epoch_start_offset,
        new.epoch,
        now_ms,
        leader.local_id,
        sorted(core.me.voters),
        sorted(leader.granting_voters),
    )
    batch = BatchInfo(epoch_start_offset, epoch_start_offset, new.epoch, len(data), True)
    core.append(Records(data, (batch,)), flush=True)
    leader.update_local_end_offset(core.log.flushed_end_offset, now_ms)


def transition_to_resigned(core: Core, old: Leader, now_ms: int) -> Resigned:
    """Resigned is memory-only: the stored state keeps saying we lead this epoch, so a restart
    comes back Resigned and can neither vote again nor reuse offsets in this epoch. The caller
    sends EndQuorumEpoch (kraft/handlers/end_quorum_epoch.py), as it owes every Resigned poll."""
    new = resigned_state(core, old, now_ms)
    enter(core, new, now_ms)
    return new


# ---------------------------------------------------------------------------- elections
def send_vote_requests(core: Core, state: Prospective | Candidate, now_ms: int) -> None:
    if isinstance(state, Candidate) and state.backoff_deadline_ms is not None:
        return
    me = core.me
    last = core.log.end_offset_and_epoch
    for voter in sorted(me.voters):
        if voter == me.local_id or voter in state.granted or voter in state.rejected:
            continue
        if not core.requests.is_ready(voter, now_ms):
            continue
        request = VoteRequest(
            cluster_id=me.config.cluster_id,
            topic_partition_valid=True,
            candidate_key=local_key(me),
            candidate_epoch=state.epoch,
            last_offset_epoch=last.epoch,
            last_offset=last.offset,
            pre_vote=isinstance(state, Prospective),
            voter_key=ReplicaKey(voter, None),
        )
        core.send_request(me.address_of(voter), request, now_ms)


def record_vote(core: Core, state: Election, voter: int, granted: bool, now_ms: int) -> None:
    if voter not in core.me.voters or voter in state.granted or voter in state.rejected:
        return
    (state.granted if granted else state.rejected).add(voter)
    maybe_win_or_lose(core, now_ms)


def maybe_win_or_lose(core: Core, now_ms: int) -> None:
    state = core.state
    if not isinstance(state, Election):
        return
    voters = core.me.voters
    majority = majority_of(len(voters))
    granted = len(state.granted & voters)
    unrecorded = len(voters - state.granted - state.rejected)
    if granted >= majority:
        if isinstance(state, Prospective):
            transition_to_candidate(core, now_ms)
        elif isinstance(state, Candidate) and state.backoff_deadline_ms is None:
            transition_to_leader(core, now_ms)
    elif granted + unrecorded < majority:
        lose_election(core, state, now_ms)


def lose_election(core: Core, state: Election, now_ms: int) -> None:
    if isinstance(state, Prospective):
        end_prospective(core, state, now_ms)
    elif isinstance(state, Candidate) and state.backoff_deadline_ms is None:
        config = core.me.config
        state.backoff_deadline_ms = now_ms + election_backoff_ms(config, core.rng, state.retries)


def end_prospective(core: Core, state: Prospective, now_ms: int) -> None:
    """A lost or timed-out pre-vote: back to following the known leader, else Unattached."""
    if state.leader_id is not None:
        transition_to_follower(core, state.epoch, state.leader_id, now_ms)
    else:
        transition_to_unattached(core, state.epoch, now_ms)


def no_epoch_left(core: Core, now_ms: int) -> bool:
    """True (and the role's timer re-armed) when the epoch cannot be incremented any more."""
    state = core.state
    if state.epoch < EPOCH_MAX:
        return False
    later_ms = now_ms + max(1, _timeout_ms(core))
    match state:
        case Follower():
            state.fetch_deadline_ms = later_ms
        case Candidate(backoff_deadline_ms=int()):
            state.backoff_deadline_ms = later_ms
        case Unattached() | Voted() | Election() | Resigned():
            state.election_deadline_ms = later_ms
    return True


def stand_for_election(core: Core, now_ms: int) -> None:
    if no_epoch_left(core, now_ms):
        return
    if core.me.config.pre_vote_enabled:
        transition_to_prospective(core, now_ms)
    else:
        transition_to_candidate(core, now_ms)


def maybe_transition(core: Core, leader_id: int | None, epoch: int, now_ms: int) -> None:
    """Adopt (leader, epoch) learned from a peer when it is news (Kafka's `maybeTransition`)."""
    state = core.state
    if epoch < state.epoch:
        return
    if leader_id is not None and leader_id == core.me.local_id:
        # Someone says we lead an epoch we do not know we lead: only possible after losing our
        # stored state. Move to that epoch without a leader; a new election will follow.
        if epoch > state.epoch:
            transition_to_unattached(core, epoch, now_ms)
        return
    if leader_id is not None:
        same = isinstance(state, Follower) and state.epoch == epoch and state.leader_id == leader_id
        if (not same and not isinstance(state, Leader)) or (not same and epoch > state.epoch):
            transition_to_follower(core, epoch, leader_id, now_ms)
    elif epoch > state.epoch:
        transition_to_unattached(core, epoch, now_ms)


# ---------------------------------------------------------------------------- timers
def _due(deadline_ms: int | None, now_ms: int) -> bool:
    return deadline_ms is not None and now_ms >= deadline_ms


def poll_election_timers(core: Core, now_ms: int) -> None:
    state = core.state
    if core.shutdown.requested and not isinstance(state, Leader):
        # A node shutting down stays where it is until the shutdown completes (upstream).
        return
    match state:
        case Candidate(backoff_deadline_ms=int(backoff_ms)):
            if now_ms >= backoff_ms:
                stand_for_election(core, now_ms)
        case Candidate():
            if _due(state.election_deadline_ms, now_ms):
                lose_election(core, state, now_ms)
        case Prospective():
            if _due(state.election_deadline_ms, now_ms):
                end_prospective(core, state, now_ms)
        case Unattached() | Voted():
            if _due(state.election_deadline_ms, now_ms) and core.me.is_voter:
                stand_for_election(core, now_ms)
        case Follower():
            if _due(state.fetch_deadline_ms, now_ms) and core.me.is_voter:
                stand_for_election(core, now_ms)
        case Resigned():
            if _due(state.election_deadline_ms, now_ms):
                if no_epoch_left(core, now_ms):
                    return
                if core.me.config.pre_vote_enabled:
                    transition_to_unattached(core, state.epoch + 1, now_ms)
                else:
                    transition_to_candidate(core, now_ms)
        case Leader():
            if state.leader.poll_check_quorum(now_ms):
                # EndQuorumEpoch leaves from the node's Resigned duties right after the timers.
                transition_to_resigned(core, state, now_ms)


def election_deadline(core: Core) -> int | None:
    state = core.state
    voter = core.me.is_voter
    match state:
        case Candidate(backoff_deadline_ms=int(backoff_ms)):
            return backoff_ms
        case Follower():
            return state.fetch_deadline_ms if voter else None
        case Leader():
            return state.leader.check_quorum_deadline()
        case Unattached() | Voted():
            return state.election_deadline_ms if voter else None
        case Election() | Resigned():
            return state.election_deadline_ms
    raise AssertionError(f"unknown state {state!r}")
