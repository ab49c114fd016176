"""`Core`: the state of one replica shared by the election logic, the handlers and the façade,
in parts with one concern each, so a function takes the part it needs:

- `me` (`Identity`): configuration, local id and directory id, the voters' endpoints;
- `state`: the role (kraft/epoch_state.py: one class per role, matched by type);
- `log`: the core's `LogView`;
- `out` (`Outbox`): the `Ready` being built for the current call, and what was last reported
  (leader, role, high watermark, the election state confirmed durable);
- `replication`: the known high watermark, the leader's parked fetches, a follower's snapshot
  download;
- `requests` (outbound ids, timeouts, backoff), `accumulator` (write path), `shutdown`, and the
  injected `rng` and `codec`.

Every state change, log operation and message goes through `persist_state`, `append`, `truncate`,
`send_request` (here: they span parts) and `out.respond` / `out.log_op`. Handlers say when each
message may leave (`kraft.ready.Leaves`), and `Outbox.finish` sorts the messages into the Ready's
send lists:

- with an election state to persist, every message waits for it (send_after_persist);
- otherwise a message that reads the log (`AFTER_APPEND`: a leader's Fetch answers) goes after this
  call's appends when there are any (send_after_append: the leader serves its followers before its
  own fsync, as upstream), else now; `NOW` goes now;
- `AFTER_PERSIST` (the default, every request) goes now unless this call flushes the log, then
  after the flush.

So a granted vote, a candidacy (Vote requests), BeginQuorumEpoch of a new leader, and a voter's next
Fetch after an append all leave only after the state / data they reveal is durable.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from kraft.accumulator import Accumulator
from kraft.config import InjectedBug, QuorumConfig
from kraft.epoch_state import EpochState, Leader
from kraft.log import LogView
from kraft.ready import (
    Leaves,
    LogAppend,
    LogOp,
    LogTruncate,
    Outbound,
    OutboundRequest,
    OutboundResponse,
    Ready,
)
from kraft.requests import RequestManager
from kraft.roles import RoleName
from kraft.rpc import FetchRequest, Request, Response
from kraft.types import (
    CONSUMER_REPLICA_ID,
    FIRST_BOOTSTRAP_NODE_ID,
    BatchCodec,
    ElectionState,
    Endpoint,
    LeaderAndEpoch,
    OffsetAndEpoch,
    Records,
    ReplicaAddress,
    ReplicaKey,
)


def is_voter(config: QuorumConfig, local_id: int | None) -> bool:
    """May vote and stand for election. Injected bug IDLESS_OBSERVER_ELECTION: the only place an
    id-less node is (wrongly) allowed to."""
    if local_id is None:
        return config.has_bug(InjectedBug.IDLESS_OBSERVER_ELECTION)
    return local_id in config.voters


@dataclass(slots=True)
class ParkedFetch:
    inbound_id: int
    request: FetchRequest
    deadline_ms: int


@dataclass(slots=True)
class SnapshotDownload:
    """Follower: a snapshot being fetched from the leader (bytes written so far = position)."""

    snapshot_id: OffsetAndEpoch
    position: int = 0


class Identity:
    """Who this replica is and whom it knows: configuration, ids, and the voters' endpoints (learned
    from leaders, never our own)."""

    def __init__(self, config: QuorumConfig, local_id: int | None, directory_id: uuid.UUID) -> None:
        self.config = config
        self.local_id = local_id
        self.directory_id = directory_id
        self.endpoints: dict[int, Endpoint | None] = dict(config.voters)

    @property
    def is_voter(self) -> bool:
        return is_voter(self.config, self.local_id)

    @property
    def voters(self) -> frozenset[int]:
        return self.config.voter_ids

    def local_id_or_sentinel(self) -> int:
        return CONSUMER_REPLICA_ID if self.local_id is None else self.local_id

    def key(self) -> ReplicaKey:
        """Our replica key (an id-less node uses the consumer sentinel: only for the injected bug
        that lets it vote)."""
        return ReplicaKey(self.local_id_or_sentinel(), self.directory_id)

    def address_of(self, node_id: int) -> ReplicaAddress:
        endpoint = self.endpoints.get(node_id)
        if endpoint is None:
            # Executors that route by node id (the simulator) ignore host/port.
            return ReplicaAddress(node_id, "", 0)
        return ReplicaAddress(node_id, endpoint.host, endpoint.port)

    def bootstrap_addresses(self) -> list[ReplicaAddress]:
        if self.config.bootstrap_servers:
            return [
                ReplicaAddress(FIRST_BOOTSTRAP_NODE_ID - i, e.host, e.port)
                for i, e in enumerate(self.config.bootstrap_servers)
            ]
        return [self.address_of(v) for v in sorted(self.voters)]


@dataclass(slots=True)
class Replication:
    """Fetch-side bookkeeping that outlives a role: the known HW, the leader's parked fetches, a
    follower's snapshot download."""

    # The follower-side / known high watermark (leaders use their LeaderState's).
    known_high_watermark: int | None = None
    parked: dict[int, ParkedFetch] = field(default_factory=dict)
    snapshot_download: SnapshotDownload | None = None


@dataclass(slots=True)
class Shutdown:
    requested: bool = False
    deadline_ms: int | None = None


class Outbox:
    """The Ready being built for the current call and what was last reported to the executor.

    Handlers say when each message may leave (`Leaves`); `finish` sorts them into the Ready's send
    lists once the call's persistence is known (see the module docstring)."""

    def __init__(self, leader: LeaderAndEpoch, role: RoleName) -> None:
        self.ready = Ready()
        self.sends: list[tuple[Outbound, Leaves]] = []
        # The last election state the executor confirmed durable (ElectionStatePersisted).
        self.persisted: ElectionState | None = None
        # Largest HW ever reported in a Ready (monotonic commit point for listeners).
        self.reported_high_watermark: int | None = None
        self.reported_leader = leader
        self.reported_role = role

    def persist(self, state: ElectionState) -> None:
        self.ready.election_state = state

    def log_op(self, op: LogOp, *, flush: bool = False) -> None:
        """Queue a log or snapshot op (the log view is changed by the caller)."""
        self.ready.log_ops.append(op)
        self.ready.flush = self.ready.flush or flush

    def send(self, message: Outbound, leaves: Leaves) -> None:
        self.sends.append((message, leaves))

    def respond(
        self, inbound_id: int, response: Response, *, leaves: Leaves = Leaves.AFTER_PERSIST
    ) -> None:
        self.sends.append((OutboundResponse(inbound_id, response), leaves))

    def finish(
        self, deadline_ms: int, hw: int | None, leader: LeaderAndEpoch, role: RoleName
    ) -> Ready:
        """The Ready of this call; `hw`/`leader`/`role` are reported when they changed (the HW
        only upward)."""
        ready, self.ready = self.ready, Ready()
        sends, self.sends = self.sends, []
        ready.deadline_ms = deadline_ms
        for message, leaves in sends:
            if ready.election_state is not None:
                # Nothing reveals a new epoch, vote or leadership before it is durable (a leader
                # that crashed before persisting could otherwise lead the same epoch twice).
                ready.send_after_persist.append(message)
            elif leaves is Leaves.AFTER_APPEND and ready.log_ops:
                # A leader's log read must see this call's appends, but need not wait for its own
                # fsync (its end offset counts toward the HW only once flushed): overlap the
                # followers' fsync with ours.
                ready.send_after_append.append(message)
            elif leaves is not Leaves.AFTER_PERSIST or not ready.flush:
                ready.send_now.append(message)
            else:
                ready.send_after_persist.append(message)
        if hw is not None and (
            self.reported_high_watermark is None or hw > self.reported_high_watermark
        ):
            self.reported_high_watermark = hw
            ready.high_watermark = hw
        if leader != self.reported_leader:
            self.reported_leader = leader
            ready.leader_change = leader
        if role is not self.reported_role:
            self.reported_role = role
            ready.role_change = str(role)
        return ready


class Core:
    """One replica's state in a few parts: `me` (identity), `state` (the role), `log`, `out` (the
    Ready being built), `replication` (fetch bookkeeping), `requests` (outbound), `accumulator`
    (write path), `shutdown`, and the injected `rng` and `codec`. Functions take the part they
    need; the methods here are the operations that span parts."""

    def __init__(
        self,
        me: Identity,
        log: LogView,
        codec: BatchCodec,
        rng: random.Random,
        state: EpochState,
    ) -> None:
        config = me.config
        self.me = me
        self.log = log
        self.codec = codec
        self.rng = rng
        self.state = state
        self.requests = RequestManager(config.request_timeout_ms, config.retry_backoff_ms)
        self.replication = Replication()
        self.accumulator = Accumulator(config)
        self.shutdown = Shutdown()
        self.out = Outbox(state.leader_and_epoch(me.local_id), state.role)

    def high_watermark(self) -> int | None:
        if isinstance(self.state, Leader):
            return self.state.leader.high_watermark
        return self.replication.known_high_watermark

    def persist_state(self) -> None:
        """Queue the current state's election state for durable storage."""
        self.out.persist(self.state.election_state(self.me.voters, self.me.local_id))

    def append(self, records: Records, *, flush: bool) -> None:
        self.log.append(records)
        self.out.log_op(LogAppend(records), flush=flush)

    def truncate(self, end_offset: int) -> None:
        if end_offset == self.log.end_offset:
            return
        self.log.truncate_to(end_offset)
        self.out.log_op(LogTruncate(end_offset))

    def send_request(self, destination: ReplicaAddress, request: Request, now_ms: int) -> int:
        """Requests always reveal our state (log end, epoch): they leave `AFTER_PERSIST`."""
        entry = self.requests.start(destination, request, now_ms)
        message = OutboundRequest(
            entry.request_id, destination, request, self.me.config.request_timeout_ms
        )
        self.out.send(message, Leaves.AFTER_PERSIST)
        return entry.request_id

    def finish(self, deadline_ms: int) -> Ready:
        state = self.state
        ready = self.out.finish(
            deadline_ms, self.high_watermark(), state.leader_and_epoch(self.me.local_id), state.role
        )
        if ready.high_watermark is not None:
            self.log.forget_boundaries_below(ready.high_watermark)
        return ready
