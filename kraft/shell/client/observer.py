"""`RaftObserver`: follow the committed metadata log of a quorum, as a non-voting observer (trio).

Yields **committed** batches of `__cluster_metadata`-0, in offset order, each exactly once,
across leader changes, truncations of uncommitted data and node restarts. Two modes:

- `mode="raft"` (default): the real Raft core runs inside the observer (`.follower`:
  `RaftNode(local_id=None)` or a non-voting id, driven by the node's `NodeLoop` and `Peers`), as
  Kafka's `KafkaRaftClient` with an optional local id (KAFKA-12161). It fetches with replica id
  -1 (or its id), writes the fetched log into a local log dir (temporary and deleted on exit by
  default; `log_dir=` keeps it, and a later observer on the same dir resumes from it), keeps its
  own quorum-state, and learns the high watermark; the observer releases local batches below
  that high watermark. Below the high watermark the local log is final (the core never truncates
  committed data), so a released batch is never taken back. Without an id the leader keeps no
  state for the observer (not in DescribeQuorum); with an id it is listed as an observer.
  The voter set the core needs (kraft.version 0) is learned first with one Metadata request to
  a bootstrap server; the bootstrap servers are the core's `bootstrap_servers`.
- `mode="consumer"`: an ordinary Kafka consumer fetch (no ClusterId, replica id -1): the node caps
  reads at its high watermark itself, so every batch received is released at once
  (`kraft.shell.client.state.ConsumerFetchState`); leader changes and lost connections make it
  rediscover the leader through every address it knows, with a bounded backoff.

Starting point: the log start (earliest), the high watermark when the observer starts (latest,
from ListOffsets on the leader), or any offset N (the batch holding N is released with its
records before N skipped). In raft mode the core still replicates from its own log start (it is
a Raft follower): the observer simply does not release batches before the start point. A log that
starts with a snapshot is followed from the log start after it (the core downloads the snapshot
into the log dir). With `include_snapshot=True` (`kraft tail`), from the earliest offset or any
offset below the log start, the snapshot's batches come first (offsets from 0 inside the
snapshot: SnapshotHeader, the state's records, SnapshotFooter), then the log from its start;
without it the snapshot's content is not yielded. Starting below a log start with nothing
yielded for it is an `ObserverError`.

Errors: a wrong cluster id (`cluster_id=`), a quorum that no node answers for `give_up_after_ms`
(at start, or later while the core knows no leader), or a lost start offset end the iteration
with `ObserverError`.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import trio

from kraft.shell.client.connection import Address, Connection, ConnectionFailed
from kraft.shell.client.discovery import (
    QuorumInfo,
    discover,
    list_offset,
)
from kraft.shell.client.state import (
    FETCH_BYTES_MAX,
    CommittedBatch,
    ConsumerFetchState,
    FetchOutcome,
    ObserverError,
    StreamFetchState,
    Truncation,
    build_consumer_fetch_request,
    committed_batches,
)
from kraft.types import CONSUMER_REPLICA_ID, NO_EPOCH, NO_LEADER, NO_OFFSET
from wire import METADATA_PARTITION, METADATA_TOPIC_NAME
from wire.errors import DecodeError, ErrorCode
from wire.messages.fetch import FetchRequest
from wire.messages.fetch_snapshot import FetchSnapshotRequest
from wire.messages.list_offsets import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP

if TYPE_CHECKING:
    # The core and its disk machinery are imported when a raft-mode observer opens (a stream-
    # or consumer-mode tail does not pay for them at start-up).
    from kraft.shell.client.follower import LocalFollower

T = TypeVar("T")

FETCH_VERSION_MAX = 17
# Stream mode: v18 carries the observer's high watermark, so the leader answers at once when its
# own is ahead (KIP-1166) instead of parking the fetch at the log end.
STREAM_FETCH_VERSION_MAX = 18
FETCH_WAIT_MS_MAX = 500
REDISCOVER_BACKOFF_MS = 100
REDISCOVER_BACKOFF_MS_MAX = 1_000
# How long the raft-mode observer sleeps between looks at the core's high watermark when nothing
# wakes it (the loop's `changed` event normally does).
HW_WAIT_MS = 500
# The largest snapshot the observer yields (read whole, once).
SNAPSHOT_BYTES_MAX = 1 << 30
EARLIEST: Literal["earliest"] = "earliest"
LATEST: Literal["latest"] = "latest"

Start = int | Literal["earliest", "latest"]
Mode = Literal["raft", "stream", "consumer"]

__all__ = ["EARLIEST", "LATEST", "CommittedBatch", "ObserverError", "RaftObserver", "Start"]


class _BatchIterator:
    def __init__(self, observer: RaftObserver) -> None:
        self._observer = observer
        self._ready: collections.deque[CommittedBatch] = collections.deque()

    def __aiter__(self) -> _BatchIterator:
        return self

    async def __anext__(self) -> CommittedBatch:
        while not self._ready:
            self._ready.extend(await self._observer.poll())
        return self._ready.popleft()


class RaftObserver:
    """Yields committed batches of `__cluster_metadata` from `start` on (see module docstring)."""

    def __init__(
        self,
        bootstrap: list[Address],
        *,
        local_id: int | None = None,
        start: Start = EARLIEST,
        mode: Mode = "raft",
        cluster_id: str | None = None,
        give_up_after_ms: int | None = None,
        log_dir: str | Path | None = None,
        fail_if_refused: bool = False,
        include_snapshot: bool = False,
    ) -> None:
        """`fail_if_refused`: give up at once when, before the quorum was first reached, every
        bootstrap address refuses the connection (a tool's typo); else retry until
        `give_up_after_ms` (a library user may start before the quorum)."""
        if not bootstrap:
            raise ValueError("no bootstrap servers")
        if isinstance(start, int) and start < 0:
            raise ValueError(f"negative start offset {start}")
        self.bootstrap = list(bootstrap)
        self.local_id = local_id
        self.start = start
        self.mode = mode
        self.expected_cluster_id = cluster_id
        self.give_up_after_ms = give_up_after_ms
        self.fail_if_refused = fail_if_refused
        self.include_snapshot = include_snapshot
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.known: list[Address] = list(bootstrap)
        self.quorum: QuorumInfo | None = None
        self.follower: LocalFollower | None = None
        # Raft mode: the first offset to release (None until the start point is resolved).
        self.start_offset: int | None = start if isinstance(start, int) else None
        self.next_offset: int | None = self.start_offset
        self.consumer: ConsumerFetchState | None = None
        self.stream: StreamFetchState | None = None
        self._conn: Connection | None = None
        self._leader_epoch = NO_EPOCH
        self._leader_id = NO_LEADER
        self._cluster_id: str | None = None
        # Stream mode: the Fetch sent ahead on `_conn` (connection, version, correlation id).
        self._inflight: tuple[Connection, int, int] | None = None
        self._backoff_ms = REDISCOVER_BACKOFF_MS
        self._exit_stack: contextlib.AsyncExitStack | None = None
        self._leaderless_since: float | None = None
        # Until some node answered, a refusal at every address ends the observer at once.
        self._reached = False

    @property
    def high_watermark(self) -> int:
        if self.follower is not None:
            hw = self.follower.high_watermark
            return NO_OFFSET if hw is None else hw
        if self.stream is not None:
            return self.stream.high_watermark
        return NO_OFFSET if self.consumer is None else self.consumer.high_watermark

    @property
    def truncations(self) -> list[Truncation]:
        """Raft and stream mode: each time the observer cut uncommitted records it had fetched
        (DivergingEpoch from a new leader), oldest first; never below what was released."""
        if self.stream is not None:
            return list(self.stream.truncations)
        return [] if self.follower is None else list(self.follower.truncations)

    async def __aenter__(self) -> RaftObserver:
        if self.mode != "raft":
            return self
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            self.quorum = await discover(
                self.known,
                expected_cluster_id=self.expected_cluster_id,
                give_up_after_ms=self.give_up_after_ms,
                need_leader=self.start == LATEST,
                fail_if_refused=self.fail_if_refused,
            )
            self._reached = True
            if self.start == LATEST:
                self.start_offset = await self._leader_offset(LATEST_TIMESTAMP)
                self.next_offset = self.start_offset
            from kraft.shell.client.follower import LocalFollower

            follower = LocalFollower(
                self.quorum, self.bootstrap, local_id=self.local_id, log_dir=self.log_dir
            )
            stack.push_async_callback(follower.aclose)
            await follower.open()
            nursery = await stack.enter_async_context(trio.open_nursery())
            stack.callback(nursery.cancel_scope.cancel)
            nursery.start_soon(follower.run)
            self.follower = follower
        except BaseException:
            await stack.aclose()
            raise
        self._exit_stack = stack
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
        stack, self._exit_stack = self._exit_stack, None
        if stack is not None:
            await stack.__aexit__(*exc_info)  # type: ignore[arg-type]

    def batches(self) -> AsyncIterator[CommittedBatch]:
        """Committed batches in offset order, forever (or until an `ObserverError`).

        Use inside `async with observer:` (raft mode runs the core in tasks opened there). This
        is an iterator object, not an async generator, so breaking out of the loop leaves
        nothing for the garbage collector to finalize.
        """
        return _BatchIterator(self)

    async def poll(self) -> list[CommittedBatch]:
        """The next committed batches (often none: then after a short wait)."""
        if self.mode == "consumer":
            return await self._poll_consumer()
        if self.mode == "stream":
            return await self._poll_stream()
        return await self._poll_raft()

    async def close(self) -> None:
        self._inflight = None
        if self._conn is not None:
            await self._conn.aclose()
        self._conn = None

    # ------------------------------------------------------------------------- raft mode

    async def _poll_raft(self) -> list[CommittedBatch]:
        follower = self.follower
        if follower is None:
            raise RuntimeError("use the raft-mode observer inside `async with observer:`")
        self._check_leader(follower)
        high_watermark = follower.high_watermark
        if high_watermark is None or high_watermark <= 0:
            await follower.wait_for_change(HW_WAIT_MS)
            return []
        log_start_offset = follower.log_start_offset
        if self.next_offset is None:
            # Earliest: the local log start, settled by now (a snapshot may have moved it),
            # after the content of the snapshot there, if any.
            self.start_offset = self.next_offset = log_start_offset
            snapshot = await self._snapshot_at(follower, log_start_offset)
            if snapshot:
                return snapshot
        elif self.next_offset < log_start_offset:
            # A snapshot holds the state up to the log start: its records, then the log.
            snapshot = await self._snapshot_at(follower, log_start_offset)
            if not snapshot:
                hint = "" if self.include_snapshot else " (a snapshot holds it)"
                raise ObserverError(
                    f"offset {self.next_offset} is below the log start {log_start_offset}{hint}"
                )
            self.start_offset = self.next_offset = log_start_offset
            return snapshot
        assert self.start_offset is not None
        if self.next_offset >= high_watermark:
            await follower.wait_for_change(HW_WAIT_MS)
            return []
        data = await follower.read_committed(self.next_offset, FETCH_BYTES_MAX)
        try:
            released = committed_batches(data, self.next_offset, self.start_offset)
        except DecodeError as exc:
            raise ObserverError(f"local log: {exc}") from None
        if released:
            self.next_offset = released[-1].header.next_offset
        return released

    async def _snapshot_at(self, follower: LocalFollower, end_offset: int) -> list[CommittedBatch]:
        """The batches of the local snapshot ending at `end_offset` (offsets from 0 inside the
        snapshot, as Kafka writes them); [] when there is none, the log starts at 0, or
        `include_snapshot` is off."""
        if end_offset <= 0 or not self.include_snapshot:
            return []
        data = await self.read_snapshot_at(end_offset)
        if data is None:
            return []
        try:
            return committed_batches(data, 0, 0)
        except DecodeError as exc:
            raise ObserverError(f"the snapshot ending at {end_offset}: {exc}") from None

    async def read_snapshot_at(self, end_offset: int) -> bytes | None:
        """The bytes of the local snapshot ending at `end_offset` (the one the local log starts
        at after an install), read off the trio thread; None when there is none."""
        follower = self.follower
        assert follower is not None and follower.loop is not None
        store = follower.loop.snapshots
        ids = [s for s in store.snapshot_ids() if s.offset == end_offset]
        if not ids:
            return None
        read = await trio.to_thread.run_sync(store.read, ids[-1], 0, SNAPSHOT_BYTES_MAX)
        if read is None:
            return None
        data, size = read
        if len(data) < size:
            raise ObserverError(f"snapshot {store.path(ids[-1]).name} is over {size} bytes")
        return data

    def _check_leader(self, follower: LocalFollower) -> None:
        """`ObserverError` once the core has known no leader for `give_up_after_ms`."""
        if self.give_up_after_ms is None:
            return
        now = trio.current_time()
        if follower.node.leader_id is not None:
            self._leaderless_since = None
        elif self._leaderless_since is None:
            self._leaderless_since = now
        elif now - self._leaderless_since >= self.give_up_after_ms / 1000:
            voters = ", ".join(str(a) for a in self.known)
            raise ObserverError(
                f"cannot reach the quorum: no leader for {self.give_up_after_ms} ms "
                f"(asked {voters})"
            )

    async def _leader_offset(self, timestamp: int) -> int:
        conn = await self.leader_connection()
        try:
            return await list_offset(conn, timestamp, wait_ms=self.give_up_after_ms)
        finally:
            await self.close()

    # --------------------------------------------------------------------- consumer mode

    async def leader_connection(self) -> Connection:
        """A connection to the current leader (found through Metadata on every known node)."""
        while self._conn is None:
            info = await discover(
                self.known,
                expected_cluster_id=self.expected_cluster_id,
                give_up_after_ms=self.give_up_after_ms,
                need_leader=True,
                fail_if_refused=self.fail_if_refused and not self._reached,
            )
            self._reached = True
            assert info.leader_address is not None
            try:
                self._conn = await Connection.open(info.leader_address)
            except ConnectionFailed:
                await trio.sleep(REDISCOVER_BACKOFF_MS / 1000)
                continue
            self._leader_epoch = info.leader_epoch
            self._leader_id = info.leader_id
            self._cluster_id = info.cluster_id
            if self.stream is not None:
                self.stream.connected_to(info.leader_id, info.leader_epoch)
        return self._conn

    async def list_offset(self, conn: Connection, timestamp: int) -> int:
        return await list_offset(conn, timestamp, wait_ms=self.give_up_after_ms)

    async def _poll_consumer(self) -> list[CommittedBatch]:
        try:
            conn = await self.leader_connection()
            if self.consumer is None:
                start = self.start
                if not isinstance(start, int):
                    timestamp = EARLIEST_TIMESTAMP if start == EARLIEST else LATEST_TIMESTAMP
                    start = await list_offset(conn, timestamp, wait_ms=self.give_up_after_ms)
                self.consumer = ConsumerFetchState(start_offset=start)
            version = conn.version_for(FetchRequest.API_KEY, FETCH_VERSION_MAX)
            request = build_consumer_fetch_request(
                self.consumer,
                version,
                leader_epoch=self._leader_epoch,
                wait_ms_max=FETCH_WAIT_MS_MAX,
            )
            response = await conn.request(request, version)
            outcome = self.consumer.handle_fetch_response(response)
        except ConnectionFailed:
            await self._lost_connection()
            return []
        return await self._after_fetch(outcome)

    async def _lost_connection(self) -> None:
        """The leader's connection failed: find the leader again after a growing backoff."""
        await self.close()
        await trio.sleep(self._backoff_ms / 1000)
        self._backoff_ms = min(self._backoff_ms * 2, REDISCOVER_BACKOFF_MS_MAX)

    async def _after_fetch(self, outcome: FetchOutcome) -> list[CommittedBatch]:
        """A Fetch was answered (consumer or stream mode): what to release, and whether the
        answer said to find the leader again (after a short backoff when it asked for one)."""
        self._backoff_ms = REDISCOVER_BACKOFF_MS
        if outcome.rediscover:
            await self.close()
            if outcome.backoff:
                await trio.sleep(REDISCOVER_BACKOFF_MS / 1000)
        return outcome.released

    # ----------------------------------------------------------------------- stream mode

    async def _poll_stream(self) -> list[CommittedBatch]:
        try:
            conn = await self.leader_connection()
            state = self.stream
            if state is None:
                state = self.stream = await self._open_stream(conn)
            inflight, self._inflight = self._inflight, None
            if inflight is not None and inflight[0] is conn:
                _, version, correlation_id = inflight
            else:
                version = conn.version_for(FetchRequest.API_KEY, STREAM_FETCH_VERSION_MAX)
                correlation_id = await self._send_fetch(conn, state, version)
            response = await conn.receive(FetchRequest.API_KEY, version, correlation_id)
            outcome = state.handle_fetch_response(response)
            if outcome.snapshot is not None:
                return await self._stream_snapshot(conn, state, *outcome.snapshot)
            if outcome.released and not outcome.rediscover:
                # The next fetch leaves now: the leader reads and sends it while the caller
                # prints these batches (a catch-up read pays the two one after the other else).
                correlation_id = await self._send_fetch(conn, state, version)
                self._inflight = (conn, version, correlation_id)
        except ConnectionFailed:
            await self._lost_connection()
            return []
        return await self._after_fetch(outcome)

    async def _send_fetch(self, conn: Connection, state: StreamFetchState, version: int) -> int:
        request = state.fetch_request(
            self._cluster_id, self._replica_id, FETCH_WAIT_MS_MAX, version
        )
        return await conn.send(request, version)

    @property
    def _replica_id(self) -> int:
        return CONSUMER_REPLICA_ID if self.local_id is None else self.local_id

    async def _open_stream(self, conn: Connection) -> StreamFetchState:
        """The fetch position for the start point: 0 for the earliest (a Raft follower's empty
        log: epoch 0), else the offset, claimed as the end of the leader's current epoch (the
        leader sends the log from there, or says where that epoch ends in its log)."""
        start = self.start
        if start == LATEST:
            start = await list_offset(conn, LATEST_TIMESTAMP)
        offset = 0 if start == EARLIEST else start
        assert isinstance(offset, int)
        state = StreamFetchState(
            first_offset=offset,
            fetch_offset=offset,
            last_fetched_epoch=0,
            claim_leader_epoch=offset > 0,
        )
        state.connected_to(self._leader_id, self._leader_epoch)
        return state

    async def _stream_snapshot(
        self, conn: Connection, state: StreamFetchState, end_offset: int, epoch: int
    ) -> list[CommittedBatch]:
        """The leader's snapshot ending at `end_offset`: its batches when the tail must print
        them (as raft mode: from the earliest, or from an offset below it), then the fetch goes
        on after it."""
        released = state.released_end != NO_OFFSET
        position = state.released_end if released else state.first_offset
        if self.start == EARLIEST and not released:
            wanted = self.include_snapshot
        else:
            wanted = position < end_offset
            if wanted and not self.include_snapshot:
                raise ObserverError(
                    f"offset {position} is below the log start {end_offset} (a snapshot holds it)"
                )
        batches: list[CommittedBatch] = []
        if wanted and end_offset > 0:
            data = await self._download_snapshot(conn, state, end_offset, epoch)
            try:
                batches = committed_batches(data, 0, 0)
            except DecodeError as exc:
                raise ObserverError(f"the snapshot ending at {end_offset}: {exc}") from None
        state.install_snapshot(end_offset, epoch)
        return batches

    async def _download_snapshot(
        self, conn: Connection, state: StreamFetchState, end_offset: int, epoch: int
    ) -> bytes:
        """The whole snapshot, in FetchSnapshot chunks; ConnectionFailed (fetched again later)
        when the leader cannot serve it."""
        T = FetchSnapshotRequest.TopicSnapshot
        P = T.PartitionSnapshot
        version = conn.version_for(FetchSnapshotRequest.API_KEY)
        parts: list[bytes] = []
        position = 0
        while True:
            partition = P(
                partition=METADATA_PARTITION,
                current_leader_epoch=state.leader_epoch,
                snapshot_id=P.SnapshotId(end_offset=end_offset, epoch=epoch),
                position=position,
            )
            request = FetchSnapshotRequest(
                cluster_id=self._cluster_id,
                replica_id=self._replica_id,
                max_bytes=FETCH_BYTES_MAX,
                topics=[T(name=METADATA_TOPIC_NAME, partitions=[partition])],
            )
            response = await conn.request(request, version)
            answers = [p for t in response.topics for p in t.partitions]
            if len(answers) != 1:
                raise ConnectionFailed(f"{conn.address}: FetchSnapshot answered no partition")
            problem = response.error_code or answers[0].error_code
            if problem != ErrorCode.NONE:
                raise ConnectionFailed(f"{conn.address}: FetchSnapshot error {problem}")
            answer = answers[0]
            chunk = answer.unaligned_records or b""
            if answer.position != position or (not chunk and position < answer.size):
                raise ConnectionFailed(f"{conn.address}: FetchSnapshot made no progress")
            parts.append(chunk)
            position += len(chunk)
            if position >= answer.size:
                return b"".join(parts)
            if position > SNAPSHOT_BYTES_MAX:
                raise ObserverError(f"snapshot ending at {end_offset} is over {position} bytes")


async def in_worker_thread(work: Callable[[], T]) -> T:
    """`work()` on a worker thread: CPU-heavy work by a tool (replaying a big snapshot) while the
    observer's Raft core keeps running on the trio thread."""
    return await trio.to_thread.run_sync(work)
