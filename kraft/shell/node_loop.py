"""The node loop: the single task that owns the `RaftNode` and executes its `Ready`s.

Theory of operation:
- Everything that wants the core's attention (requests from connections, answers from peers,
  shutdown) goes through one bounded inbox (`INBOX_MAX`); the loop takes one item, first lets the
  `ProposalSource` (the workload) propose whatever is due, then calls `handle`/`poll` with
  `now_ms`, and executes the resulting `Ready` completely, by the core's plan
  (`kraft.ready.plan_ready`, walked by `walk_plan`, as the simulator and the core tests do),
  before it takes the next item. The feedback events of a Ready (`ElectionStatePersisted`,
  `Persisted`) are fed next, before any inbox item, as the core's contract requires.
- Disk writes run on ONE writer thread (`kraft.shell.disk_worker.DiskWorker`), the owner of the
  `DiskLog`: each `DiskHop` of the plan (persist election state → appends/truncations → fsync)
  is one thread hop with at most one fsync, so the trio thread never blocks on the disk. Reads
  (Fetch answers: `LogRead`; consumer reads) use the log's published view from any thread
  (`kraft.shell.disk_log`): a read the page cache holds (and that is small) is served at once on
  the trio thread (`nowait`), any other goes to the READER thread, so it neither blocks the trio
  thread nor queues behind an fsync; its answer fills its slot when done (the connection still
  writes answers in request order). Snapshot chunks are always read there.
- One disk hop per leader batch: the plan sends a Ready's Fetch answers before its appends are
  written (contract item 4), their reads of those appends served from the Ready's own bytes
  (`kraft.ready.resolve_reads` with the `Send`'s unwritten appends), so the write and the fsync
  run together in one thread hop, and the followers receive the batch without waiting for the
  leader's write.
- Responses are encoded here and put into their connection's `ResponseSlot`; the connection
  writes them in request order. Responses for connections that went away are dropped, and the
  core is told (`ConnectionClosed`) which inbound requests will never be answered.
- Time: `Clock.now_ms()` is trio's monotonic clock shifted to wall-clock milliseconds at start,
  converted to an integer once, here at the boundary.

Invariants: at most one Ready is being executed at any time; the core is never called while a
Ready is half done; every inbound id is either pending (slot unfilled, connection open) or gone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import outcome
import trio

from kraft import rpc
from kraft.events import (
    ConnectionClosed,
    Event,
    RequestFailed,
    RequestReceived,
)
from kraft.node import RaftNode
from kraft.ready import (
    LogAppend,
    LogData,
    LogOp,
    LogTruncate,
    OutboundRequest,
    OutboundResponse,
    Ready,
    SnapshotAbort,
    SnapshotChunk,
    SnapshotInstall,
    resolve_reads,
    run_disk_hop,
    walk_plan,
)
from kraft.roles import RoleName
from kraft.shell import apis
from kraft.shell.config import ServerConfig
from kraft.shell.connection import InboundConnection, ResponseSlot
from kraft.shell.disk_log import DiskLog
from kraft.shell.disk_worker import DiskWorker
from kraft.shell.identity import METADATA_LOG, TopicIdentity
from kraft.shell.log_read import WouldBlock
from kraft.shell.peers import Peers
from kraft.shell.quorum_state_store import QuorumStateStore
from kraft.shell.snapshots import SnapshotStore
from kraft.types import ElectionState, Records
from wire.errors import ErrorCode
from wire.headers import RequestHeader, encode_response

log = logging.getLogger(__name__)

INBOX_MAX = 4096


class Clock:
    """trio's monotonic clock, shifted so that milliseconds read like wall-clock time."""

    def __init__(self) -> None:
        self._offset_s = time.time() - trio.current_time()

    def now_ms(self) -> int:
        return int((trio.current_time() + self._offset_s) * 1000)

    def to_trio_time(self, deadline_ms: int) -> float:
        return deadline_ms / 1000 - self._offset_s


@dataclass(frozen=True, slots=True)
class ShutdownItem:
    pass


@dataclass(frozen=True, slots=True)
class KickItem:
    """Wakes the loop to look at its side queues (closed connections, failed sends)."""


InboxItem = Event | ShutdownItem | KickItem


@dataclass(slots=True)
class _Inbound:
    slot: ResponseSlot
    api_key: int
    api_version: int
    correlation_id: int
    connection_id: int


# Called after every executed Ready with (ready, now_ms): workload, stats, consumer wake-ups.
ReadyListener = Callable[[Ready, int], None]
# Called with (high watermark, now_ms) as soon as a Ready of an unchanged leadership moves the high
# watermark, before its disk hops (the workload's commit latencies).
CommitListener = Callable[[int, int], None]


def _steady(ready: Ready) -> bool:
    """No election state, role or leader change: only then may the high watermark be announced
    ahead of the Ready's disk work (a listener tracking leadership sees the change first)."""
    return (
        ready.election_state is None and ready.role_change is None and ready.leader_change is None
    )


class ProposalSource(Protocol):
    """Something that proposes records (the workload), pumped by the loop right before it calls
    the core, so everything due since the last call lands in one batch (group commit)."""

    def next_due_ms(self) -> int | None:
        """When to pump next if nothing else wakes the loop (None: nothing scheduled)."""
        ...

    def pump(self, now_ms: int) -> bool:
        """Call `RaftNode.propose` for everything due; True if anything was proposed."""
        ...


class Maintenance(Protocol):
    """Disk work the loop runs between Readies (snapshots and retention,
    `kraft.shell.snapshotter`): decided on the trio thread, run on the disk writer thread under
    the disk lock; the events it returns (`SnapshotCreated`) are fed to the core next."""

    def next_due_ms(self) -> int | None: ...

    def take_due(self, now_ms: int) -> Callable[[], list[Event]] | None: ...


class LoopSettings(Protocol):
    """What the loop needs from the configuration (a `ServerConfig` fits; so does an observer's
    small settings object, which has no listener of its own)."""

    @property
    def request_timeout_ms(self) -> int: ...

    @property
    def controller_listener_name(self) -> str: ...


SettingsT = TypeVar("SettingsT", bound=LoopSettings)


class BaseNodeLoop(Generic[SettingsT]):
    """The loop over any settings; `NodeLoop` is the node's (with its `ServerConfig`), and the
    observer library (`kraft.shell.client.follower`) runs one without a listener or a workload."""

    def __init__(
        self,
        node: RaftNode,
        disk_log: DiskLog,
        store: QuorumStateStore,
        snapshots: SnapshotStore,
        config: SettingsT,
        clock: Clock,
        *,
        topic: TopicIdentity = METADATA_LOG,
    ) -> None:
        self.node = node
        self.topic = topic
        self.disk_log = disk_log
        self.store = store
        self.snapshots = snapshots
        self.config = config
        self.clock = clock
        self.listener_name = config.controller_listener_name
        self._send_channel, self._receive_channel = trio.open_memory_channel[InboxItem](INBOX_MAX)
        self._inbound: dict[int, _Inbound] = {}
        self._by_connection: dict[int, set[int]] = {}
        self._closed_inbound: set[int] = set()
        self._local_feedback: list[Event] = []
        self._inbound_ids = itertools.count(1)
        self.disk_lock = trio.Lock()
        self._disk_worker: DiskWorker | None = None
        self._disk_reader: DiskWorker | None = None
        self.listeners: list[ReadyListener] = []
        self.commit_listeners: list[CommitListener] = []
        self.source: ProposalSource | None = None
        self.maintenance: Maintenance | None = None
        self.peers: Peers | None = None
        self.shutting_down = False
        self.stopped = trio.Event()
        self.changed = trio.Event()
        self._deadline_ms = 0
        # Seconds spent waiting for work (Kafka's poll-idle-ratio; kraft.shell.metrics reads it).
        self.idle_s = 0.0

    # ------------------------------------------------------------------ inputs (other tasks)

    async def submit_request(
        self, connection: InboundConnection, header: RequestHeader, body: Any, slot: ResponseSlot
    ) -> None:
        """A decoded raft request from a connection: register its slot and queue it."""
        api_key = header.request_api_key
        request = apis.request_to_core(api_key, header.request_api_version, body, self.topic)
        inbound_id = next(self._inbound_ids)
        self._inbound[inbound_id] = _Inbound(
            slot,
            api_key,
            header.request_api_version,
            header.correlation_id,
            connection.connection_id,
        )
        self._by_connection.setdefault(connection.connection_id, set()).add(inbound_id)
        await self._send_channel.send(RequestReceived(inbound_id, request))

    def connection_closed(self, connection: InboundConnection) -> None:
        ids = self._by_connection.pop(connection.connection_id, set())
        unanswered = {i for i in ids if self._inbound.pop(i, None) is not None}
        if unanswered:
            self._closed_inbound |= unanswered
            self._kick()

    async def deliver(self, event: Event) -> None:
        """Peers hand answers (or failures) of our outbound requests in here."""
        await self._send_channel.send(event)

    def request_shutdown(self) -> None:
        self.shutting_down = True
        # If the inbox is full the loop is busy; it checks `shutting_down` after every item.
        with contextlib.suppress(trio.WouldBlock):
            self._send_channel.send_nowait(ShutdownItem())

    def _kick(self) -> None:
        # If the inbox is full the loop is busy; it looks at the side queues after every item.
        with contextlib.suppress(trio.WouldBlock):
            self._send_channel.send_nowait(KickItem())

    # ----------------------------------------------------------------------- the loop

    async def run(self, peers: Peers) -> None:
        """Run until a graceful shutdown completes (`stopped` is set then)."""
        self.peers = peers
        try:
            await self._run()
        finally:
            if self._disk_worker is not None:
                self._disk_worker.stop()
                self._disk_worker = None
            if self._disk_reader is not None:
                self._disk_reader.stop()
                self._disk_reader = None

    def _worker(self) -> DiskWorker:
        if self._disk_worker is None:
            self._disk_worker = DiskWorker()
        return self._disk_worker

    def _reader(self) -> DiskWorker:
        if self._disk_reader is None:
            self._disk_reader = DiskWorker(
                "pykraft-disk-read", exclusive=False, abandon_on_cancel=True
            )
        return self._disk_reader

    def abandon_disk(self) -> None:
        """Stop now (the second Ctrl-C): let the loop be cancelled even while a disk step runs
        (it may then still be running: nobody may touch the log any more)."""
        if self._disk_worker is not None:
            self._disk_worker.abandon()

    async def _run(self) -> None:
        await self._execute_with_feedback(self.node.poll(self.clock.now_ms()))
        shutdown_started = False
        shutdown_deadline_ms: int | None = None
        while True:
            now_ms = self.clock.now_ms()
            if self.shutting_down and not shutdown_started:
                shutdown_started = True
                shutdown_deadline_ms = now_ms + self.config.request_timeout_ms
                if await self._finish(self.node.shutdown(now_ms)):
                    return
                continue
            if shutdown_deadline_ms is not None and now_ms >= shutdown_deadline_ms:
                log.info("shutdown: EndQuorumEpoch not acknowledged in time; stopping")
                self.stopped.set()
                return
            if self._closed_inbound or self._local_feedback:
                event: Event
                if self._closed_inbound:
                    event = ConnectionClosed(frozenset(self._closed_inbound))
                    self._closed_inbound = set()
                else:
                    event = self._local_feedback.pop(0)
                if await self._finish(self.node.handle(event, now_ms)):
                    return
                continue
            if self.maintenance is not None and not self.shutting_down:
                work = self.maintenance.take_due(now_ms)
                if work is not None:
                    async with self.disk_lock:
                        self._local_feedback.extend(await self._worker().run(work))
                    continue
            item: InboxItem | None = None
            wake_ms = self._deadline_ms
            if shutdown_deadline_ms is not None:
                wake_ms = min(wake_ms, shutdown_deadline_ms)
            due_ms = self.source.next_due_ms() if self.source and not self.shutting_down else None
            if due_ms is not None:
                wake_ms = min(wake_ms, due_ms)
            if self.maintenance is not None and not self.shutting_down:
                maintenance_ms = self.maintenance.next_due_ms()
                if maintenance_ms is not None:
                    wake_ms = min(wake_ms, maintenance_ms)
            if wake_ms > now_ms:
                idle_from_s = trio.current_time()
                with trio.move_on_at(self.clock.to_trio_time(wake_ms)):
                    item = await self._receive_channel.receive()
                self.idle_s += trio.current_time() - idle_from_s
            else:
                try:
                    item = self._receive_channel.receive_nowait()
                except trio.WouldBlock:
                    await trio.lowlevel.checkpoint()
            now_ms = self.clock.now_ms()
            if self.source is not None and not self.shutting_down:
                # Between two Readies the core may take proposals; the call below drains them.
                self.source.pump(now_ms)
            if item is None or isinstance(item, KickItem | ShutdownItem):
                ready = self.node.poll(now_ms)
            else:
                ready = self.node.handle(item, now_ms)
            if await self._finish(ready):
                return

    async def _finish(self, ready: Ready) -> bool:
        """Execute `ready` and its feedback; True when the node has stopped."""
        await self._execute_with_feedback(ready)
        if ready.shutdown_complete:
            self.stopped.set()
        return self.stopped.is_set()

    async def _execute_with_feedback(self, ready: Ready) -> None:
        """Execute `ready`, then feed its feedback events (and theirs) before anything else."""
        self._deadline_ms = ready.deadline_ms
        feedback = await self._execute(ready)
        while feedback:
            event = feedback.pop(0)
            follow = self.node.handle(event, self.clock.now_ms())
            self._deadline_ms = follow.deadline_ms
            feedback.extend(await self._execute(follow))
            if follow.shutdown_complete:
                self.stopped.set()

    async def _execute(self, ready: Ready) -> list[Event]:
        feedback: list[Event] = []
        if (
            ready.high_watermark is not None
            and _steady(ready)
            and self.node.role == RoleName.LEADER
        ):
            # A leader's high watermark only covers appends of earlier Readies, all written (an
            # ack can only come for bytes a follower received, after that Ready's disk hop),
            # so it is announced before this Ready's own appends are written: at linger 0
            # nearly every Ready that moves it also appends the next records, and waiting for
            # their write and fsync made every commit look one disk hop late. (A follower's
            # high watermark may cover the very records this Ready writes: announced after.)
            now_ms = self.clock.now_ms()
            for commit_listener in self.commit_listeners:
                commit_listener(ready.high_watermark, now_ms)
            self.changed.set()
            self.changed = trio.Event()
        for hop in walk_plan(ready, self._send_out):
            async with self.disk_lock:
                work = functools.partial(run_disk_hop, hop, self)
                feedback.extend(await self._worker().run(work))
        now_ms = self.clock.now_ms()
        for listener in self.listeners:
            listener(ready, now_ms)
        if ready.high_watermark is not None or ready.leader_change or ready.role_change:
            self.changed.set()
            self.changed = trio.Event()
        return feedback

    # ----------------------------------------- kraft.ready.DiskPort (on the disk worker thread)

    def persist_election_state(self, state: ElectionState) -> None:
        self.store.write(state)

    def apply_log_op(self, op: LogOp) -> None:
        if isinstance(op, LogAppend):
            self.disk_log.append(op.records.data)
        elif isinstance(op, LogTruncate):
            self.disk_log.truncate_to(op.end_offset)
        elif isinstance(op, SnapshotChunk):
            self.snapshots.write_chunk(op.snapshot_id, op.position, op.data)
        elif isinstance(op, SnapshotInstall):
            self.snapshots.install(op.snapshot_id)
            self.disk_log.reset_to(op.snapshot_id.offset)
        else:
            assert isinstance(op, SnapshotAbort)
            self.snapshots.abort(op.snapshot_id)

    def flush_log(self) -> int:
        return self.disk_log.flush()

    # --------------------------------------------- kraft.ready.ReadPort (on the trio thread)

    def read_log(self, read: rpc.LogRead) -> LogData:
        return self.disk_log.read(read.start_offset, read.bytes_max, read.end_offset_limit)

    def read_snapshot(self, read: rpc.SnapshotRead) -> tuple[bytes, int] | None:
        return self.snapshots.read(read.snapshot_id, read.position, read.bytes_max)

    # ---------------------------------------------------------------------- sending

    def _send_out(
        self, message: OutboundRequest | OutboundResponse, unwritten: tuple[Records, ...] = ()
    ) -> None:
        if isinstance(message, OutboundRequest):
            assert self.peers is not None
            if not self.peers.submit(message):
                self._local_feedback.append(
                    RequestFailed(message.request_id, "destination queue full")
                )
            return
        entry = self._inbound.pop(message.inbound_id, None)
        if entry is None:
            return  # the connection went away
        ids = self._by_connection.get(entry.connection_id)
        if ids is not None:
            ids.discard(message.inbound_id)
        response = message.response
        if isinstance(response, rpc.FetchResponse) and isinstance(response.records, rpc.LogRead):
            read = response.records
            if unwritten and read.start_offset >= unwritten[0].base_offset:
                _, data = resolve_reads(response, self, unwritten)
                self._answer(entry, response, _log_bytes(data))
                return
            log_read = functools.partial(
                self.disk_log.read, read.start_offset, read.bytes_max, read.end_offset_limit
            )
            try:
                records = log_read(nowait=True)
            except OSError as exc:
                self._answer(entry, storage_error(response, exc), b"")
                return
            except WouldBlock:
                self._reader().submit(
                    log_read, functools.partial(self._answer_later, entry, response)
                )
                return
            self._answer(entry, response, records)
        elif isinstance(response, rpc.FetchSnapshotResponse) and isinstance(
            response.data, rpc.SnapshotRead
        ):
            snapshot_read = functools.partial(self._resolve_snapshot_read, response)
            self._reader().submit(
                snapshot_read, functools.partial(self._answer_snapshot, entry, response)
            )
        else:
            self._answer(entry, response, b"")

    def _answer(self, entry: _Inbound, response: Any, records: bytes) -> None:
        body = apis.response_to_wire(
            entry.api_key,
            entry.api_version,
            response,
            records,
            listener_name=self.listener_name,
            topic=self.topic,
        )
        entry.slot.fill(
            encode_response(entry.api_key, entry.api_version, entry.correlation_id, body)
        )

    def _answer_later(
        self, entry: _Inbound, response: rpc.FetchResponse, records: outcome.Outcome[bytes]
    ) -> None:
        """A Fetch answer whose bytes the reader thread read (on the trio thread; must not
        raise: a disk error becomes KAFKA_STORAGE_ERROR, as Kafka answers for a failed log)."""
        if isinstance(records, outcome.Error):
            self._answer(entry, storage_error(response, records.error), b"")
        else:
            self._answer(entry, response, records.unwrap())

    def _answer_snapshot(
        self,
        entry: _Inbound,
        request_answer: rpc.FetchSnapshotResponse,
        response: outcome.Outcome[rpc.FetchSnapshotResponse],
    ) -> None:
        if isinstance(response, outcome.Error):
            log.error("snapshot read failed: %s", response.error)
            failed = dataclasses.replace(
                request_answer,
                partition_error_code=ErrorCode.KAFKA_STORAGE_ERROR,
                data=b"",
                size=0,
            )
            self._answer(entry, failed, b"")
        else:
            self._answer(entry, response.unwrap(), b"")

    def _resolve_snapshot_read(
        self, response: rpc.FetchSnapshotResponse
    ) -> rpc.FetchSnapshotResponse:
        """On the reader thread: the one resolution of a `SnapshotRead` (`resolve_reads`)."""
        resolved, _ = resolve_reads(response, self)
        assert isinstance(resolved, rpc.FetchSnapshotResponse)
        return resolved

    # ---------------------------------------------------------------- consumer port

    async def read_batches(self, start_offset: int, end_offset: int, bytes_max: int) -> bytes:
        """Stored batches for a consumer (any task): at once from the page cache, or on the
        reader thread (abandoned if the caller is cancelled). b"" may also mean "ask again"."""
        log_read = functools.partial(self.disk_log.read, start_offset, bytes_max, end_offset)
        try:
            data = log_read(nowait=True)
        except WouldBlock:
            return await self._reader().run(log_read)
        # Always a checkpoint: a caller polling in a loop (the observer, while its log is behind
        # the high watermark) must let the loop that fills the log run.
        await trio.lowlevel.checkpoint()
        return data

    async def wait_for_change(self, timeout_ms: int) -> None:
        with trio.move_on_after(timeout_ms / 1000):
            await self.changed.wait()


def storage_error(response: rpc.FetchResponse, error: BaseException) -> rpc.FetchResponse:
    """The Fetch answer when reading the log failed: no records, KAFKA_STORAGE_ERROR."""
    log.error("log read failed: %s", error)
    failed: rpc.FetchResponse = dataclasses.replace(
        response, partition_error_code=ErrorCode.KAFKA_STORAGE_ERROR, records=None
    )
    return failed


def _log_bytes(data: LogData | None) -> bytes:
    """The bytes of a resolved log read (`Records` from the unwritten appends, or bytes)."""
    return data.data if isinstance(data, Records) else data or b""


class NodeLoop(BaseNodeLoop[ServerConfig]):
    """The node's loop: its settings are the node's `ServerConfig` (the router reads it)."""
