"""RaftNode: the façade of the pure Raft core (Kafka's KRaft, KIP-595 + KIP-996 pre-vote, with the
optional local id of KAFKA-12161).

Theory of operation: the node is a deterministic state machine. Time enters only as `now_ms`,
randomness only through the injected seeded `random.Random`, bytes only as opaque `Records` built
by the injected `BatchCodec`. Every entry point (`handle`, `poll`, `shutdown`, `resign`) returns a
`Ready` (kraft/ready.py) that every executor runs by its plan (`plan_ready`); see ready.py for the
persistence contract. `propose` only queues (the next poll drains); `describe_quorum`,
`consumer_view` and `consumer_fetch` are pure queries. The same inputs in the same order always
give the same outputs.

Start-up (Kafka's `QuorumState.initialize`, `initial_state` below): construct, then call
`poll(now_ms)` at once; its Ready persists the chosen start state and a sole voter wins its election
right there. A stored vote without a local id (or by a non-voter), or stored voters that differ
from the configuration, raise `ConfigError`.

Identity: `local_id=None` makes an id-less observer (KAFKA-12161): it is only ever Unattached or
Follower, fetches with replica id -1 from the leader or any bootstrap server, never votes, and the
leader keeps nothing for it. An id outside the voter set makes an observer the leader tracks and
DescribeQuorum lists. Voters vote, stand for election (pre-vote first) and lead.

Where things live: roles and the transition table kraft/roles.py; transitions, timers, elections
kraft/election.py; leader bookkeeping, high watermark, check-quorum kraft/quorum.py; write path
kraft/accumulator.py; outbound request ids, timeouts, backoff kraft/requests.py; per-API handlers
kraft/handlers/ (vote, begin/end_quorum_epoch, fetch = the leader's answers, fetch_follower,
fetch_snapshot, describe_quorum, consumer = every consumer-facing rule); shared state and the
Ready builder kraft/context.py.

Layers (imports only go down; tests/test_import_rules.py fails on any cycle): types, rpc, events,
ready, log, config, roles, quorum, requests, accumulator -> epoch_state -> context ->
handlers/common, handlers/fetch (answers only, no transitions) -> election -> handlers/responses
-> the other handlers -> node. Transitions change the epoch state and queue its persistence;
they send no request (the node sends what each role owes on every poll).
"""

from __future__ import annotations

import enum
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from kraft.accumulator import Refusal
from kraft.config import ConfigError, QuorumConfig
from kraft.context import Core, Identity, is_voter
from kraft.election import (
    election_deadline,
    poll_election_timers,
    random_election_timeout_ms,
    send_vote_requests,
    stand_for_election,
    transition_to_resigned,
)
from kraft.epoch_state import (
    Candidate,
    EpochState,
    Follower,
    Leader,
    Prospective,
    Resigned,
    Unattached,
    Voted,
)
from kraft.events import (
    ConnectionClosed,
    ElectionStatePersisted,
    Event,
    Persisted,
    RequestFailed,
    RequestReceived,
    ResponseReceived,
    SnapshotCreated,
)
from kraft.handlers.begin_quorum_epoch import (
    handle_begin_quorum_epoch_request,
    handle_begin_quorum_epoch_response,
    send_begin_quorum_epoch,
)
from kraft.handlers.consumer import (
    ConsumerFetchResult,
    ConsumerView,
    consumer_fetch,
    consumer_view,
)
from kraft.handlers.describe_quorum import describe_quorum, handle_describe_quorum_request
from kraft.handlers.end_quorum_epoch import (
    handle_end_quorum_epoch_request,
    handle_end_quorum_epoch_response,
    send_end_quorum_epoch,
)
from kraft.handlers.fetch import (
    complete_parked_fetches,
    drop_parked,
    handle_fetch_request,
    parked_deadline,
)
from kraft.handlers.fetch_follower import handle_fetch_response, maybe_send_fetch
from kraft.handlers.fetch_snapshot import (
    handle_fetch_snapshot_request,
    handle_fetch_snapshot_response,
)
from kraft.handlers.vote import handle_vote_request, handle_vote_response
from kraft.log import LogState, LogView
from kraft.ready import Ready
from kraft.roles import PERSISTED_ROLES, RoleName
from kraft.rpc import (
    BeginQuorumEpochRequest,
    BeginQuorumEpochResponse,
    DescribeQuorumRequest,
    DescribeQuorumResponse,
    EndQuorumEpochRequest,
    EndQuorumEpochResponse,
    FetchRequest,
    FetchResponse,
    FetchSnapshotRequest,
    FetchSnapshotResponse,
    VoteRequest,
    VoteResponse,
)
from kraft.types import BatchCodec, BatchInfo, ElectionState, Records, ReplicaAddress, ReplicaKey


class ProposeError(enum.Enum):
    NONE = "none"
    NOT_LEADER = "not-leader"  # not the leader, or resigning: retry on the new leader
    TOO_LARGE = "too-large"  # one call's records exceed batch_bytes_max
    BACKPRESSURE = "backpressure"  # accumulator_bytes_max reached: retry after the next poll


@dataclass(frozen=True, slots=True)
class ProposeResult:
    """Offsets `base_offset..last_offset` (inclusive) the proposed records got in `epoch`.

    They are committed once the high watermark passes `last_offset`, and lost if another leader's
    log wins.
    """

    error: ProposeError
    epoch: int = 0
    base_offset: int = 0
    last_offset: int = 0
    # Call poll() no later than this so the records get appended (linger).
    poll_by_ms: int = 0


def check_stored_state(config: QuorumConfig, local_id: int | None, stored: ElectionState) -> None:
    """Raise `ConfigError` for a stored state this node cannot start from."""
    if stored.voters and stored.voters != config.voter_ids:
        raise ConfigError(
            f"stored quorum-state voters {sorted(stored.voters)} differ from the configured "
            f"voters {sorted(config.voter_ids)}"
        )
    if stored.voted_id is not None and local_id is None:
        raise ConfigError(
            f"stored quorum-state records a vote for {stored.voted_id} in epoch {stored.epoch}, "
            "but this node has no local id (an id-less observer never votes)"
        )
    if stored.voted_id is not None and local_id is not None and not is_voter(config, local_id):
        raise ConfigError(
            f"stored quorum-state records a vote for {stored.voted_id} in epoch {stored.epoch}, "
            f"but local id {local_id} is not a voter {sorted(config.voter_ids)}"
        )


def initial_state(
    config: QuorumConfig,
    local_id: int | None,
    stored: ElectionState | None,
    log: LogView,
    rng: random.Random,
    now_ms: int,
) -> EpochState:
    """Kafka's `QuorumState.initialize`: the state to start in, from what was stored."""
    stored = stored or ElectionState(epoch=0)
    check_stored_state(config, local_id, stored)
    voter = is_voter(config, local_id)
    election_deadline_ms = now_ms + random_election_timeout_ms(config, rng) if voter else None
    if voter and len(config.voters) == 1:
        election_deadline_ms = now_ms  # a sole voter stands for election at once
    voted = (
        None if stored.voted_id is None else ReplicaKey(stored.voted_id, stored.voted_directory_id)
    )
    log_epoch = log.epoch_history[-1][0] if log.epoch_history else 0
    if stored.epoch < log_epoch:
        return Unattached(epoch=log_epoch, election_deadline_ms=election_deadline_ms)
    epoch = stored.epoch
    if stored.leader_id is not None and stored.leader_id == local_id:
        if not voter:
            return Unattached(epoch=epoch)
        # A restarted leader comes back Resigned: it must not vote or lead again in this epoch.
        others = {v for v in config.voter_ids if v != local_id}
        return Resigned(
            epoch=epoch,
            voted_key=voted,
            election_deadline_ms=election_deadline_ms,
            unacknowledged=others,
        )
    if stored.leader_id is not None:
        return Follower(
            epoch=epoch,
            leader_id=stored.leader_id,
            voted_key=voted,
            fetch_deadline_ms=now_ms + config.fetch_timeout_ms,
        )
    if voted is not None and voted.id == local_id:
        return Candidate(
            epoch=epoch,
            voted_key=voted,
            election_deadline_ms=election_deadline_ms,
            granted={voted.id},
            retries=1,
        )
    if voted is not None:
        return Voted(epoch=epoch, voted_key=voted, election_deadline_ms=election_deadline_ms)
    return Unattached(epoch=epoch, election_deadline_ms=election_deadline_ms)


class RaftNode:
    """One KRaft replica: voter, observer with an id, or id-less observer (`local_id=None`)."""

    def __init__(
        self,
        config: QuorumConfig,
        local_id: int | None,
        local_directory_id: uuid.UUID,
        persisted_election_state: ElectionState | None,
        log_state: LogState,
        codec: BatchCodec,
        rng: random.Random,
        now_ms: int,
    ) -> None:
        """Raises `ConfigError` for a local id / voter set / stored state that cannot work
        (negative id, stored vote without a local id, stored voters differing from the config)."""
        config.validate_local_id(local_id)
        log = LogView(log_state)
        state = initial_state(config, local_id, persisted_election_state, log, rng, now_ms)
        self._core = Core(Identity(config, local_id, local_directory_id), log, codec, rng, state)
        self._core.out.persisted = persisted_election_state
        self._started = False

    # ----------------------------------------------------------------------------- inputs
    def handle(self, event: Event, now_ms: int) -> Ready:
        """Feed one event (kraft/events.py). Also runs due timers, like `poll`."""
        core = self._core
        self._start(now_ms)
        match event:
            case RequestReceived(inbound_id, request):
                self._dispatch_request(inbound_id, request, now_ms)
            case ResponseReceived(request_id, response):
                entry = core.requests.complete(request_id)
                if entry is not None:
                    self._dispatch_response(entry.destination, entry.request, response, now_ms)
            case RequestFailed(request_id, _reason):
                core.requests.fail(request_id, now_ms)
            case ConnectionClosed(inbound_ids):
                drop_parked(core.replication.parked, inbound_ids)
            case Persisted(flushed_end_offset):
                core.log.mark_flushed(flushed_end_offset)
                if isinstance(core.state, Leader):
                    core.state.leader.update_local_end_offset(core.log.flushed_end_offset, now_ms)
            case SnapshotCreated(snapshot_id, log_start_offset):
                core.log.add_snapshot(snapshot_id, log_start_offset)
            case ElectionStatePersisted(state):
                previous = core.out.persisted
                assert previous is None or state.epoch >= previous.epoch, "stored epoch went back"
                core.out.persisted = state
            case _:
                raise AssertionError(f"unknown event {event!r}")
        return self._run(now_ms)

    def poll(self, now_ms: int) -> Ready:
        """Run timers due at `now_ms` (elections, fetches, request timeouts, long-poll expiry,
        accumulator drain). Call it by `Ready.deadline_ms` at the latest."""
        self._start(now_ms)
        return self._run(now_ms)

    def propose(self, values: Sequence[bytes], now_ms: int) -> ProposeResult:
        """Leader only: queue records (all of one call in one batch). They are appended on a poll
        after `append_linger_ms` (0: the next poll), or at once when a batch is full; call poll()
        by `ProposeResult.poll_by_ms`."""
        core = self._core
        if not isinstance(core.state, Leader) or core.shutdown.requested:
            return ProposeResult(ProposeError.NOT_LEADER, epoch=core.state.epoch)
        outcome = core.accumulator.add(values, core.log.end_offset, now_ms)
        if outcome is Refusal.TOO_LARGE:
            return ProposeResult(ProposeError.TOO_LARGE, epoch=core.state.epoch)
        if outcome is Refusal.BACKPRESSURE:
            return ProposeResult(ProposeError.BACKPRESSURE, epoch=core.state.epoch)
        assert isinstance(outcome, tuple)
        base, last = outcome
        poll_by = core.accumulator.drain_deadline_ms()
        return ProposeResult(
            ProposeError.NONE,
            epoch=core.state.epoch,
            base_offset=base,
            last_offset=last,
            poll_by_ms=now_ms if poll_by is None else poll_by,
        )

    def shutdown(self, now_ms: int, timeout_ms: int | None = None) -> Ready:
        """Graceful shutdown. A leader resigns: parked fetches are answered, EndQuorumEpoch with
        preferred successors goes to the other voters until acknowledged; `Ready.shutdown_complete`
        once all answered, another leader is known, or `timeout_ms` (default request_timeout_ms)
        passed. Other roles complete at once."""
        core = self._core
        self._start(now_ms)
        if not core.shutdown.requested:
            core.shutdown.requested = True
            wait_ms = core.me.config.request_timeout_ms if timeout_ms is None else timeout_ms
            core.shutdown.deadline_ms = now_ms + wait_ms
            if isinstance(core.state, Leader):
                resigned = transition_to_resigned(core, core.state, now_ms)
                send_end_quorum_epoch(core, resigned, now_ms)
        return self._run(now_ms)

    def resign(self, epoch: int, now_ms: int) -> Ready:
        """Leader of `epoch` steps down without shutting down (Kafka's `resign(epoch)`)."""
        core = self._core
        self._start(now_ms)
        if isinstance(core.state, Leader) and core.state.epoch == epoch:
            resigned = transition_to_resigned(core, core.state, now_ms)
            send_end_quorum_epoch(core, resigned, now_ms)
        return self._run(now_ms)

    # ----------------------------------------------------------------------------- queries
    def describe_quorum(self, now_ms: int) -> DescribeQuorumResponse:
        """What DescribeQuorum answers right now (NOT_LEADER_OR_FOLLOWER unless leader)."""
        return describe_quorum(self._core.me, self._core.state, now_ms)

    def consumer_view(self) -> ConsumerView:
        """What consumers see of this node right now (kraft/handlers/consumer.py): leadership,
        the high watermark as last reported, and the core's log start, end and epochs. Pure
        query."""
        return consumer_view(self._core)

    def consumer_fetch(
        self, fetch_offset: int, current_leader_epoch: int | None, bytes_max: int
    ) -> ConsumerFetchResult:
        """A committed-only read for an ordinary Kafka consumer (kraft/handlers/consumer.py):
        records capped at the HW, OFFSET_OUT_OF_RANGE outside [log start, log end], no state kept.
        Pure query: changes nothing, so it needs no Ready. A negative epoch is unknown, as None."""
        if current_leader_epoch is not None and current_leader_epoch < 0:
            current_leader_epoch = None
        return consumer_fetch(self.consumer_view(), fetch_offset, current_leader_epoch, bytes_max)

    @property
    def role(self) -> RoleName:
        return self._core.state.role

    @property
    def epoch(self) -> int:
        return self._core.state.epoch

    @property
    def leader_id(self) -> int | None:
        return self._core.state.leader_and_epoch(self._core.me.local_id).leader_id

    @property
    def high_watermark(self) -> int | None:
        """Leader: its HW in this epoch (None until the epoch's first batch commits); others:
        the HW learned from the leader, capped at the local log end."""
        return self._core.high_watermark()

    @property
    def log_end_offset(self) -> int:
        return self._core.log.end_offset

    @property
    def flushed_end_offset(self) -> int:
        return self._core.log.flushed_end_offset

    @property
    def voters(self) -> frozenset[int]:
        return self._core.me.voters

    @property
    def local_id(self) -> int | None:
        return self._core.me.local_id

    @property
    def is_voter(self) -> bool:
        return self._core.me.is_voter

    @property
    def election_state(self) -> ElectionState:
        """The election state as it will be (or was) persisted for the current epoch state."""
        core = self._core
        return core.state.election_state(core.me.voters, core.me.local_id)

    @property
    def persisted_election_state(self) -> ElectionState | None:
        """The last election state the executor confirmed durable (ElectionStatePersisted)."""
        return self._core.out.persisted

    @property
    def log_epoch_history(self) -> tuple[tuple[int, int], ...]:
        return tuple(self._core.log.epoch_history)

    # ----------------------------------------------------------------------------- internals
    def _start(self, now_ms: int) -> None:
        if self._started:
            return
        self._started = True
        core = self._core
        if core.state.role in PERSISTED_ROLES:
            core.persist_state()
        sole_voter = core.me.is_voter and len(core.me.voters) == 1
        if sole_voter and not isinstance(core.state, (Candidate, Leader)):
            # Upstream: the only voter stands for election at once, whatever it restarted as.
            stand_for_election(core, now_ms)

    def _dispatch_request(self, inbound_id: int, request: object, now_ms: int) -> None:
        core = self._core
        match request:
            case VoteRequest():
                handle_vote_request(core, inbound_id, request, now_ms)
            case BeginQuorumEpochRequest():
                handle_begin_quorum_epoch_request(core, inbound_id, request, now_ms)
            case EndQuorumEpochRequest():
                handle_end_quorum_epoch_request(core, inbound_id, request, now_ms)
            case FetchRequest():
                handle_fetch_request(core, inbound_id, request, now_ms)
            case FetchSnapshotRequest():
                handle_fetch_snapshot_request(core, inbound_id, request, now_ms)
            case DescribeQuorumRequest():
                handle_describe_quorum_request(core, inbound_id, request, now_ms)
            case _:
                raise AssertionError(f"unknown request {request!r}")

    def _dispatch_response(
        self, source: object, request: object, response: object, now_ms: int
    ) -> None:
        core = self._core
        assert isinstance(source, ReplicaAddress)
        # A response of the wrong kind for the request is an executor bug we survive: drop it.
        match (request, response):
            case (VoteRequest(), VoteResponse()):
                handle_vote_response(core, source, response, now_ms)
            case (BeginQuorumEpochRequest(), BeginQuorumEpochResponse()):
                handle_begin_quorum_epoch_response(core, source, response, now_ms)
            case (EndQuorumEpochRequest(), EndQuorumEpochResponse()):
                handle_end_quorum_epoch_response(core, source, response, now_ms)
            case (FetchRequest(), FetchResponse()):
                handle_fetch_response(core, source, response, now_ms)
            case (FetchSnapshotRequest(), FetchSnapshotResponse()):
                handle_fetch_snapshot_response(core, source, response, now_ms)
            case _:
                core.requests.back_off(source.node_id, now_ms)

    def _run(self, now_ms: int) -> Ready:
        """Timers and the sends each role owes, then the Ready with the next deadline."""
        core = self._core
        core.requests.expire(now_ms)
        poll_election_timers(core, now_ms)
        state = core.state
        match state:
            case Leader():
                self._append_drained(state, now_ms)
                send_begin_quorum_epoch(core, state, now_ms)
                complete_parked_fetches(core, now_ms)
            case Prospective() | Candidate():
                send_vote_requests(core, state, now_ms)
            case Resigned():
                send_end_quorum_epoch(core, state, now_ms)
        if isinstance(core.state, (Follower, Unattached, Voted)):
            maybe_send_fetch(core, now_ms)
        if core.replication.parked and not isinstance(core.state, Leader):
            complete_parked_fetches(core, now_ms, force=True)
        self._check_shutdown(now_ms)
        return core.finish(self._deadline(now_ms))

    def _append_drained(self, state: Leader, now_ms: int) -> None:
        """Leader: append what the accumulator has due, one data batch per group, each flushed."""
        core = self._core
        epoch = state.epoch
        for values in core.accumulator.drain(now_ms):
            base = core.log.end_offset
            data = core.codec.build_data_batch(base, epoch, now_ms, values)
            info = BatchInfo(base, base + len(values) - 1, epoch, len(data), False)
            core.append(Records(data, (info,)), flush=True)

    def _check_shutdown(self, now_ms: int) -> None:
        core = self._core
        if not core.shutdown.requested or core.shutdown.deadline_ms is None:
            return
        state = core.state
        done = (
            not isinstance(state, Resigned)
            or not state.unacknowledged
            or now_ms >= core.shutdown.deadline_ms
        )
        if done:
            core.out.ready.shutdown_complete = True
            core.shutdown.deadline_ms = None

    def _deadline(self, now_ms: int) -> int:
        core = self._core
        candidates = [
            election_deadline(core),
            core.requests.next_deadline_ms(now_ms),
            parked_deadline(core.replication.parked),
            core.shutdown.deadline_ms,
        ]
        state = core.state
        if isinstance(state, Leader):
            candidates.append(core.accumulator.drain_deadline_ms())
            if len(core.me.voters) > 1:
                candidates.append(state.leader.begin_quorum_deadline_ms)
        # Idle: wake up anyway now and then (cheap, and keeps executors honest about polling).
        candidates.append(now_ms + max(1, core.me.config.fetch_timeout_ms))
        return max(now_ms + 1, min(c for c in candidates if c is not None))


__all__ = ["ProposeError", "ProposeResult", "RaftNode", "random_election_timeout_ms"]
