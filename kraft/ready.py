"""Ready: everything one call into the core asks the outside world to do, and the ONE plan by
which every executor (the trio node loop, the simulator, the core tests' harness) does it.

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
4. `send_now` may leave immediately, before any of the above (Fetch requests of a non-flushing
   observer, DescribeQuorum answers, ...); `send_after_append` (a leader's Fetch answers that read
   this Ready's appends) need this Ready's appends but not their fsync. When the Ready has no
   election state and its ops are appends only, the plan sends them BEFORE the appends are
   written, their reads served from the appends' own bytes (`Send.unwritten`), so that the write
   and the fsync share one disk hop and the followers fsync while the leader does. This is safe
   because nothing counts the leader's copy before `Persisted`, exactly as when it crashes between
   its append and its fsync (the simulator crashes nodes there). `OutboundResponse`s whose inbound
   connection is gone are dropped by the executor.
5. An executor runs `plan_ready(ready)` action by action, finishes it before it feeds the next
   event, and feeds the feedback events of its disk hops (`run_disk_hop`: ElectionStatePersisted,
   Persisted) as the next events.

Handlers say when each message may leave (`Leaves`); `kraft.context.Core.finish` sorts the messages
of one call into the three send lists; `plan_ready` turns the Ready into the ordered actions, with
the grouping into disk hops in the plan itself. `resolve_reads` is the one place where a response's
`LogRead`/`SnapshotRead` placeholders become bytes (from the executor's storage, or from this
Ready's unwritten appends), under one size rule (`take_batches`). `walk_plan` walks the plan for
every executor: `execute_plan` runs each disk hop at once (the simulator, the harness), the node
loop awaits each on its disk thread.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kraft.events import ElectionStatePersisted, Event, Persisted
from kraft.rpc import (
    FetchResponse,
    FetchSnapshotResponse,
    LogRead,
    Request,
    Response,
    SnapshotRead,
)
from kraft.types import (
    BatchInfo,
    ElectionState,
    LeaderAndEpoch,
    OffsetAndEpoch,
    Records,
    ReplicaAddress,
)
from wire.errors import ErrorCode


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


class Leaves(enum.Enum):
    """When a message may leave, as the handler that queues it says (`Core.finish` applies it;
    whatever it says, nothing leaves before this call's election state is durable)."""

    # Depends on nothing this call persists (DescribeQuorum, FetchSnapshot answers of a leader).
    NOW = "now"
    # Reads the log: needs this call's appends, not their fsync (a leader's Fetch answers).
    AFTER_APPEND = "after-append"
    # Reveals our state (log end, epoch, vote): after whatever this call persists; the default.
    AFTER_PERSIST = "after-persist"


# ------------------------------------------------------------------------------- the plan
@dataclass(frozen=True, slots=True)
class Send:
    """Send `messages`, in order. `unwritten`: this Ready's appends that a later disk hop of the
    plan writes; a log read starting at or above their base offset is served from their bytes."""

    messages: tuple[Outbound, ...]
    unwritten: tuple[Records, ...] = ()


@dataclass(frozen=True, slots=True)
class DiskHop:
    """One trip to the disk, run as one unit (one thread hop in the node loop): the election state
    (write tmp, fsync, rename), then the log ops in order, then, if `flush`, one fsync of the
    log."""

    election_state: ElectionState | None = None
    log_ops: tuple[LogOp, ...] = ()
    flush: bool = False


Action = Send | DiskHop


def plan_ready(ready: Ready) -> tuple[Action, ...]:
    """The one order in which every executor runs `ready` (contract items 1-4).

    Answers first (no election state, appends only): send_now + send_after_append (reads served
    from the unwritten appends) → one disk hop [appends, fsync] → send_after_persist.
    Otherwise: send_now → disk hop [election state, log ops, fsync] → send_after_persist, except
    that a send_after_append list (only possible next to a truncation or a snapshot op) leaves
    between the ops and a second hop for the fsync."""
    actions: list[Action] = []
    appends_only = all(isinstance(op, LogAppend) for op in ready.log_ops)
    if ready.election_state is None and appends_only:
        early = ready.send_now + ready.send_after_append
        if early:
            unwritten = tuple(op.records for op in ready.log_ops if isinstance(op, LogAppend))
            actions.append(Send(tuple(early), unwritten))
        if ready.log_ops or ready.flush:
            actions.append(DiskHop(None, tuple(ready.log_ops), ready.flush))
    else:
        if ready.send_now:
            actions.append(Send(tuple(ready.send_now)))
        flush_now = ready.flush and not ready.send_after_append
        actions.append(DiskHop(ready.election_state, tuple(ready.log_ops), flush_now))
        if ready.send_after_append:
            actions.append(Send(tuple(ready.send_after_append)))
            if ready.flush:
                actions.append(DiskHop(flush=True))
    if ready.send_after_persist:
        actions.append(Send(tuple(ready.send_after_persist)))
    return tuple(actions)


# ------------------------------------------------------------------------------- execution
class DiskPort(Protocol):
    """An executor's durable storage, as a disk hop writes it."""

    def persist_election_state(self, state: ElectionState) -> None: ...

    def apply_log_op(self, op: LogOp) -> None: ...

    def flush_log(self) -> int:
        """fsync the log; return the flushed end offset."""
        ...


def run_disk_hop(hop: DiskHop, disk: DiskPort) -> list[Event]:
    """Write `hop` in order; return its feedback events (ElectionStatePersisted / Persisted)."""
    feedback: list[Event] = []
    if hop.election_state is not None:
        disk.persist_election_state(hop.election_state)
        feedback.append(ElectionStatePersisted(hop.election_state))
    for op in hop.log_ops:
        disk.apply_log_op(op)
    if hop.flush:
        feedback.append(Persisted(disk.flush_log()))
    return feedback


class SyncExecutor(DiskPort, Protocol):
    """What `execute_plan` needs from a synchronous executor (the simulator, the harness)."""

    def send(self, message: Outbound, unwritten: tuple[Records, ...]) -> None:
        """Send `message` now (a response's reads resolved with `resolve_reads`)."""
        ...


def walk_plan(
    ready: Ready, send: Callable[[Outbound, tuple[Records, ...]], None]
) -> Iterator[DiskHop]:
    """Walk `plan_ready(ready)`: hand every message to `send` (with the appends its reads may be
    served from) and yield each disk hop, which the executor runs (at once or awaited on its disk
    thread) before it asks for the next action."""
    for action in plan_ready(ready):
        if isinstance(action, Send):
            for message in action.messages:
                send(message, action.unwritten)
        else:
            yield action


def execute_plan(ready: Ready, executor: SyncExecutor) -> list[Event]:
    """Run `plan_ready(ready)` against a synchronous executor; return the feedback events to
    feed into the node next, in order."""
    feedback: list[Event] = []
    for hop in walk_plan(ready, executor.send):
        feedback.extend(run_disk_hop(hop, executor))
    return feedback


# ------------------------------------------------------------------------------- reads
# Whole stored batches: with their parsed headers (the simulated logs, unwritten appends) or as
# stored (the node's disk log, which never parses what it serves).
LogData = Records | bytes


class ReadPort(Protocol):
    """An executor's written storage, as `resolve_reads` reads it."""

    def read_log(self, read: LogRead) -> LogData | None:
        """Stored batches under the `take_batches` rule (None or empty: nothing to serve)."""
        ...

    def read_snapshot(self, read: SnapshotRead) -> tuple[bytes, int] | None:
        """(bytes [position, position + bytes_max), file size); None: no such snapshot."""
        ...


def take_batches(
    batches: Iterable[tuple[BatchInfo, bytes | memoryview]], read: LogRead
) -> Records | None:
    """THE size rule of a `LogRead` (kraft.rpc), over whole batches in offset order: from the one
    holding `read.start_offset` (nothing if none holds it), only batches ending below
    `read.end_offset_limit`: the first whatever its size, then more while the total stays within
    `read.bytes_max`. None when nothing qualifies."""
    infos: list[BatchInfo] = []
    chunks: list[bytes | memoryview] = []
    size = 0
    for info, data in batches:
        if info.last_offset < read.start_offset:
            continue
        if not infos and info.base_offset > read.start_offset:
            return None
        if info.last_offset >= read.end_offset_limit:
            break
        if infos and size + info.size_bytes > read.bytes_max:
            break
        infos.append(info)
        chunks.append(data)
        size += info.size_bytes
    if not infos:
        return None
    return Records(b"".join(chunks), tuple(infos))


def batches_of(appends: Iterable[Records]) -> Iterator[tuple[BatchInfo, memoryview]]:
    """(header, bytes) of every batch of `appends`, in order (no copies)."""
    for records in appends:
        view = memoryview(records.data)
        at = 0
        for info in records.batches:
            yield info, view[at : at + info.size_bytes]
            at += info.size_bytes


def read_unwritten(appends: Sequence[Records], read: LogRead) -> Records | None:
    """`read` served from appends not written yet (`take_batches`). The common case, a follower
    fetching from where this one append starts, returns the append itself (no copy)."""
    if len(appends) == 1:
        whole = appends[0]
        if (
            read.start_offset == whole.base_offset
            and whole.end_offset <= read.end_offset_limit
            and (len(whole.data) <= read.bytes_max or len(whole.batches) == 1)
        ):
            return whole
    return take_batches(batches_of(appends), read)


def resolve_reads(
    response: Response, storage: ReadPort, unwritten: Sequence[Records] = ()
) -> tuple[Response, LogData | None]:
    """The one resolution of a response's read placeholders, for every executor.

    A Fetch answer's `LogRead` becomes the log data returned next to the response (the response
    keeps its placeholder: `with_log_data` puts `Records` in, the node loop encodes bytes): read
    from `unwritten` when it starts at or above their base offset, else from `storage`. A
    FetchSnapshot answer's `SnapshotRead` is replaced by the bytes and the snapshot size, or by
    SNAPSHOT_NOT_FOUND / POSITION_OUT_OF_RANGE (size 0 when there is no snapshot)."""
    if isinstance(response, FetchResponse) and isinstance(response.records, LogRead):
        read = response.records
        if unwritten and read.start_offset >= unwritten[0].base_offset:
            return response, read_unwritten(unwritten, read)
        return response, storage.read_log(read)
    if isinstance(response, FetchSnapshotResponse) and isinstance(response.data, SnapshotRead):
        read_snapshot = response.data
        found = storage.read_snapshot(read_snapshot)
        if found is None:
            return dataclasses.replace(
                response, partition_error_code=ErrorCode.SNAPSHOT_NOT_FOUND, data=b"", size=0
            ), None
        data, size = found
        if read_snapshot.position >= size:
            return dataclasses.replace(
                response, partition_error_code=ErrorCode.POSITION_OUT_OF_RANGE, data=b"", size=size
            ), None
        return dataclasses.replace(response, data=data, size=size), None
    return response, None


def with_log_data(response: Response, data: LogData | None) -> Response:
    """`response` carrying the resolved log data as `Records` (executors that pass core values
    between nodes: the simulator, the harness; their storage yields `Records`)."""
    if isinstance(response, FetchResponse) and isinstance(response.records, LogRead):
        assert not isinstance(data, bytes), "a storage that passes core values yields Records"
        return dataclasses.replace(response, records=data)
    return response
