"""`Core`: the state of one replica shared by the election logic, the handlers and the façade.

It owns the `Ready` being built for the current call (`out`): every state change, log operation and
message goes through `persist_state`, `append`, `truncate`, `send_request` and `respond`. Handlers
say when each message may leave (`kraft.ready.Leaves`), and `finish` sorts the messages into the
Ready's send lists:

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
from dataclasses import dataclass

from kraft.accumulator import Accumulator
from kraft.config import InjectedBug, QuorumConfig
from kraft.epoch_state import EpochState
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
    FIRST_BOOTSTRAP_NODE_ID,
    BatchCodec,
    ElectionState,
    Endpoint,
    LeaderAndEpoch,
    OffsetAndEpoch,
    Records,
    ReplicaAddress,
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


class Core:
    def __init__(
        self,
        config: QuorumConfig,
        local_id: int | None,
        local_directory_id: uuid.UUID,
        log: LogView,
        codec: BatchCodec,
        rng: random.Random,
        state: EpochState,
    ) -> None:
        self.config = config
        self.local_id = local_id
        self.local_directory_id = local_directory_id
        self.log = log
        self.codec = codec
        self.rng = rng
        self.state = state
        self.requests = RequestManager(config.request_timeout_ms, config.retry_backoff_ms)
        self.endpoints: dict[int, Endpoint | None] = dict(config.voters)
        # The follower-side / known high watermark (leaders use state.leading().high_watermark).
        self.known_high_watermark: int | None = None
        # Largest HW ever reported in a Ready (monotonic commit point for listeners).
        self.reported_high_watermark: int | None = None
        self.parked: dict[int, ParkedFetch] = {}
        self.accumulator = Accumulator(config)
        self.snapshot_download: SnapshotDownload | None = None
        self.persisted: ElectionState | None = None
        self.shutting_down = False
        self.shutdown_deadline_ms: int | None = None
        # The Ready of the current call, and its messages with when each may leave (sorted into
        # the Ready's send lists by `finish`, once the call's persistence is known).
        self.out = Ready()
        self.sends: list[tuple[Outbound, Leaves]] = []
        self._reported_leader = LeaderAndEpoch(state.leader_id, state.epoch)
        self._reported_role = state.role

    # ------------------------------------------------------------------ identity
    @property
    def is_voter(self) -> bool:
        return is_voter(self.config, self.local_id)

    @property
    def voters(self) -> frozenset[int]:
        return self.config.voter_ids

    def local_id_or_sentinel(self) -> int:
        from kraft.types import CONSUMER_REPLICA_ID

        return CONSUMER_REPLICA_ID if self.local_id is None else self.local_id

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

    def high_watermark(self) -> int | None:
        if self.state.role is RoleName.LEADER:
            return self.state.leading().high_watermark
        return self.known_high_watermark

    # ------------------------------------------------------------------ outputs
    def persist_state(self) -> None:
        """Queue the current state's election state for durable storage."""
        self.out.election_state = self.state.election_state(self.voters, self.local_id)

    def append(self, records: Records, *, flush: bool) -> None:
        self.log.append(records)
        self.out.log_ops.append(LogAppend(records))
        self.out.flush = self.out.flush or flush

    def truncate(self, end_offset: int) -> None:
        if end_offset == self.log.end_offset:
            return
        self.log.truncate_to(end_offset)
        self.out.log_ops.append(LogTruncate(end_offset))

    def log_op(self, op: LogOp, *, flush: bool = False) -> None:
        """Queue a snapshot op (appends and truncations go through append/truncate)."""
        self.out.log_ops.append(op)
        self.out.flush = self.out.flush or flush

    def send_request(self, destination: ReplicaAddress, request: Request, now_ms: int) -> int:
        """Requests always reveal our state (log end, epoch): they leave `AFTER_PERSIST`."""
        entry = self.requests.start(destination, request, now_ms)
        message = OutboundRequest(
            entry.request_id, destination, request, self.config.request_timeout_ms
        )
        self.sends.append((message, Leaves.AFTER_PERSIST))
        return entry.request_id

    def respond(
        self, inbound_id: int, response: Response, *, leaves: Leaves = Leaves.AFTER_PERSIST
    ) -> None:
        self.sends.append((OutboundResponse(inbound_id, response), leaves))

    def finish(self, deadline_ms: int) -> Ready:
        ready, self.out = self.out, Ready()
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
        hw = self.high_watermark()
        if hw is not None and (
            self.reported_high_watermark is None or hw > self.reported_high_watermark
        ):
            self.reported_high_watermark = hw
            ready.high_watermark = hw
            self.log.forget_boundaries_below(hw)
        leader = LeaderAndEpoch(
            self.local_id if self.state.role is RoleName.LEADER else self.state.leader_id,
            self.state.epoch,
        )
        if leader != self._reported_leader:
            self._reported_leader = leader
            ready.leader_change = leader
        if self.state.role is not self._reported_role:
            self._reported_role = self.state.role
            ready.role_change = str(self.state.role)
        return ready
