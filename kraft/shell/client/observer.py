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
from typing import Literal, TypeVar

import trio

from kraft.shell.client.connection import Address, Connection, ConnectionFailed
from kraft.shell.client.discovery import (
    QuorumInfo,
    discover,
    list_offset,
)
from kraft.shell.client.follower import LocalFollower, Truncation
from kraft.shell.client.state import (
    FETCH_BYTES_MAX,
    CommittedBatch,
    ConsumerFetchState,
    ObserverError,
    build_consumer_fetch_request,
    committed_batches,
)
from kraft.types import NO_EPOCH, NO_OFFSET
from wire.errors import DecodeError
from wire.messages.fetch import FetchRequest
from wire.messages.list_offsets import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP

T = TypeVar("T")

FETCH_VERSION_MAX = 17
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
        mode: Literal["raft", "consumer"] = "raft",
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
        self._conn: Connection | None = None
        self._leader_epoch = NO_EPOCH
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
        return NO_OFFSET if self.consumer is None else self.consumer.high_watermark

    @property
    def truncations(self) -> list[Truncation]:
        """Raft mode: each time the core cut uncommitted records off its local log
        (DivergingEpoch from a new leader), oldest first; never below what was released."""
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
        return await self._poll_raft()

    async def close(self) -> None:
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
            return await list_offset(conn, timestamp)
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
        return self._conn

    async def list_offset(self, conn: Connection, timestamp: int) -> int:
        return await list_offset(conn, timestamp)

    async def _poll_consumer(self) -> list[CommittedBatch]:
        try:
            conn = await self.leader_connection()
            if self.consumer is None:
                start = self.start
                if not isinstance(start, int):
                    timestamp = EARLIEST_TIMESTAMP if start == EARLIEST else LATEST_TIMESTAMP
                    start = await list_offset(conn, timestamp)
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
            await self.close()
            await trio.sleep(self._backoff_ms / 1000)
            self._backoff_ms = min(self._backoff_ms * 2, REDISCOVER_BACKOFF_MS_MAX)
            return []
        self._backoff_ms = REDISCOVER_BACKOFF_MS
        if outcome.rediscover:
            await self.close()
            if outcome.backoff:
                await trio.sleep(REDISCOVER_BACKOFF_MS / 1000)
        return outcome.released


async def in_worker_thread(work: Callable[[], T]) -> T:
    """`work()` on a worker thread: CPU-heavy work by a tool (replaying a big snapshot) while the
    observer's Raft core keeps running on the trio thread."""
    return await trio.to_thread.run_sync(work)
