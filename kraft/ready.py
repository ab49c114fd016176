"""Ready: everything one call into the core asks the outside world to do, and the ONE order in
which to do it (shared by the trio shell and the simulator, so the simulator tests the real order).

Model: etcd-io/raft `rawnode.go` (Ready) with tikv/raft-rs's split between messages that may go at
once and messages that must wait for persistence.

Persistence contract (asserted by the core, relied upon by every executor):

1. `Ready.election_state`, when not None, must be written durably (quorum-state file: write tmp,
   fsync, rename) before anything in `send_after_persist` leaves. A granted vote, a candidacy and
   every new epoch therefore take effect on the wire only after they are durable. Prospective and
   Resigned are memory-only and never produce an election state.
2. `Ready.log_ops` are applied in list order (appends and truncations), after the election state.
3. If `Ready.flush`, the log is fsynced after the ops and before `send_after_persist` leaves; the
   executor then feeds `Persisted(flushed_end_offset)` back. The core counts the leader's own log
   end toward the high watermark only up to the flushed offset it was told about, and a voter
   follower only sends its next Fetch (whose FetchOffset the leader may count toward the HW) after
   the flush.
4. `send_now` may leave immediately, before any of the above (leader Fetch answers, Fetch requests
   of a non-flushing observer, DescribeQuorum answers, ...); `send_after_append` leaves after the
   log ops and before the fsync (a leader's Fetch answers that read this Ready's appends: followers
   fsync while the leader does). An executor that can serve reads of this Ready's appends from
   their bytes may send `send_after_append` before applying the log ops instead, when the Ready
   has no election state (`ordered_steps(ready, answers_first=True)`): the leader's answers then
   leave before its own write and the write and fsync share one disk step. This is safe because
   nothing counts the leader's copy before `Persisted`, exactly as when it crashes between its
   append and its fsync. `OutboundResponse`s whose inbound connection is gone are dropped by the
   executor.
5. An executor finishes a Ready (in the order of `ordered_steps`) before it feeds the next event,
   and feeds the feedback events (`feedback_events`) as the next events.

`ordered_steps(ready)` returns the steps in the only legal order; `execute_ready` runs them against
a synchronous executor (the simulator); the trio shell iterates `ordered_steps` and awaits each.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from kraft.rpc import Request, Response
from kraft.types import (
    LeaderAndEpoch,
    OffsetAndEpoch,
    Records,
    ReplicaAddress,
)


@dataclass(frozen=True, slots=True)
class ElectionState:
    """The durable part of a replica's epoch state (Kafka's `ElectionState` / quorum-state file).

    `leader_id` and `voted_id` may both be set in one epoch (pre-vote era: a replica that voted and
    then learned the leader of that same epoch).
    """

    epoch: int
    leader_id: int | None = None
    voted_id: int | None = None
    voted_directory_id: uuid.UUID | None = None
    voters: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        assert self.epoch >= 0, self
        assert self.voted_directory_id is None or self.voted_id is not None, self


@dataclass(frozen=True, slots=True)
class LogAppend:
    """Append these whole batches at the current log end (records.base_offset == log end)."""

    records: Records


@dataclass(frozen=True, slots=True)
class LogTruncate:
    """Drop every batch at or above `end_offset` (the new log end; a batch boundary)."""

    end_offset: int


@dataclass(frozen=True, slots=True)
class SnapshotChunk:
    """Write `data` at `position` of the partial download of snapshot `snapshot_id` (position 0
    starts a new partial file, replacing any earlier one; otherwise position == bytes so far)."""

    snapshot_id: OffsetAndEpoch
    position: int
    data: bytes


@dataclass(frozen=True, slots=True)
class SnapshotInstall:
    """The partial download of `snapshot_id` is complete: fsync it, make it the snapshot
    `<offset>-<epoch>.checkpoint`, then drop the whole log: log start = log end = its offset."""

    snapshot_id: OffsetAndEpoch


@dataclass(frozen=True, slots=True)
class SnapshotAbort:
    """Drop the partial download of `snapshot_id` (the leader no longer has it, or we moved on)."""

    snapshot_id: OffsetAndEpoch


# Snapshot ops only appear once some executor reports SnapshotCreated (a leader then answers
# fetches below its log start with a snapshot id); executors without snapshots never see them.
LogOp = LogAppend | LogTruncate | SnapshotChunk | SnapshotInstall | SnapshotAbort


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """Send `request` to `destination`; answer with ResponseReceived/RequestFailed(request_id).
    The core times it out itself after `timeout_ms`."""

    request_id: int
    destination: ReplicaAddress
    request: Request
    timeout_ms: int


@dataclass(frozen=True, slots=True)
class OutboundResponse:
    """Answer the request received as `RequestReceived(inbound_id)`."""

    inbound_id: int
    response: Response


Outbound = OutboundRequest | OutboundResponse


@dataclass(slots=True)
class Ready:
    """What the core wants done after one `handle`/`poll`/`propose`/`resign` call."""

    election_state: ElectionState | None = None
    log_ops: list[LogOp] = field(default_factory=list)
    flush: bool = False
    send_now: list[Outbound] = field(default_factory=list)
    # After the election state and the log ops, before the fsync (leader log reads).
    send_after_append: list[Outbound] = field(default_factory=list)
    send_after_persist: list[Outbound] = field(default_factory=list)
    # New high watermark when it moved in this call (never backwards).
    high_watermark: int | None = None
    # New (leader, epoch) when either changed in this call (listeners, workload generators).
    leader_change: LeaderAndEpoch | None = None
    # New role name when the role changed in this call (see kraft.roles.RoleName).
    role_change: str | None = None
    # The graceful shutdown started by RaftNode.shutdown finished (EndQuorumEpoch acknowledged or
    # timed out); the executor may stop the node.
    shutdown_complete: bool = False
    # Call poll() again no later than this (absolute, ms).
    deadline_ms: int = 0

    def messages(self) -> list[Outbound]:
        """Every message of this Ready, in sending order (for inspection, not for execution)."""
        return self.send_now + self.send_after_append + self.send_after_persist

    def is_empty(self) -> bool:
        return (
            self.election_state is None
            and not self.log_ops
            and not self.flush
            and not self.send_now
            and not self.send_after_append
            and not self.send_after_persist
        )


# ------------------------------------------------------------------------------- execution
@dataclass(frozen=True, slots=True)
class SendStep:
    message: Outbound


@dataclass(frozen=True, slots=True)
class PersistElectionStateStep:
    state: ElectionState


@dataclass(frozen=True, slots=True)
class LogOpStep:
    op: LogOp


@dataclass(frozen=True, slots=True)
class FlushStep:
    pass


Step = SendStep | PersistElectionStateStep | LogOpStep | FlushStep


def ordered_steps(ready: Ready, *, answers_first: bool = False) -> list[Step]:
    """The legal execution order: send_now → election state → log ops → send_after_append →
    fsync → send_after_persist. With `answers_first` (contract item 4; only without an election
    state, and only for an executor that reads this Ready's appends from their bytes):
    send_now → send_after_append → log ops → fsync → send_after_persist."""
    if answers_first and ready.election_state is None:
        steps: list[Step] = [SendStep(m) for m in ready.send_now + ready.send_after_append]
        steps.extend(LogOpStep(op) for op in ready.log_ops)
        if ready.flush:
            steps.append(FlushStep())
        steps.extend(SendStep(m) for m in ready.send_after_persist)
        return steps
    steps = [SendStep(m) for m in ready.send_now]
    if ready.election_state is not None:
        steps.append(PersistElectionStateStep(ready.election_state))
    steps.extend(LogOpStep(op) for op in ready.log_ops)
    steps.extend(SendStep(m) for m in ready.send_after_append)
    if ready.flush:
        steps.append(FlushStep())
    steps.extend(SendStep(m) for m in ready.send_after_persist)
    return steps


class SyncExecutor(Protocol):
    """What `execute_ready` needs from a synchronous executor (the simulator)."""

    def persist_election_state(self, state: ElectionState) -> None: ...

    def apply_log_op(self, op: LogOp) -> None: ...

    def flush_log(self) -> int:
        """fsync the log; return the flushed end offset."""
        ...

    def send(self, message: Outbound) -> None: ...


def execute_ready(ready: Ready, executor: SyncExecutor) -> list[Any]:
    """Run `ready` in order against a synchronous executor and return the feedback events
    (ElectionStatePersisted / Persisted) to feed into the node next, in order."""
    from kraft.events import ElectionStatePersisted, Persisted  # events imports this module

    feedback: list[Any] = []
    for step in ordered_steps(ready):
        match step:
            case SendStep(message):
                executor.send(message)
            case PersistElectionStateStep(state):
                executor.persist_election_state(state)
                feedback.append(ElectionStatePersisted(state))
            case LogOpStep(op):
                executor.apply_log_op(op)
            case FlushStep():
                feedback.append(Persisted(executor.flush_log()))
    return feedback
