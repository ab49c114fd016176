"""Crash-consistent in-memory storage of one simulated node: its log and its quorum-state.

Theory of operation (the log, `SimLog`): the *volatile* view is what the node has written, the
*durable* view is what survived the last flush. The durable view is kept as
`batches[:durable_count] + durable_tail`: appends only extend the volatile list; a truncation that
cuts into the durable prefix moves the cut-off durable batches into `durable_tail` (the truncation
itself is not durable until the next flush, like an unsynced ftruncate); `flush()` makes the durable
view equal to the volatile one. `crash()` replaces the volatile view by the durable one, so exactly
the unflushed tail (appends and truncations since the last flush) is lost. `wipe()` loses
everything. Batches are whole record batch v2 byte strings with their parsed `BatchInfo`; reads
(`read`, serving the core's `LogRead` under its one size rule) return whole batches only, like a
Kafka segment read. Under the production plan (`kraft.ready.plan_ready`) a leader's Fetch answers
leave before its appends reach this log (served from the Ready's own bytes), and the append and the
flush follow in one disk hop: a crash between the answers and the flush leaves followers holding
batches that this log loses (or never had).

Snapshots (KIP-630): a snapshot's content here is the concatenation of every committed batch below
its end offset (so the invariants can compare it byte for byte with the committed log, and the
workload can read the counter back). `create_snapshot` writes one from the local log (atomically
and durably, like Kafka's fsync + rename) and may delete the log prefix below it, moving
`log_start_offset`; a follower downloads one chunk by chunk into a volatile `partial` (lost on a
crash, like a `.part` file removed at start-up) and `install_snapshot` makes it durable and drops
the whole log (log start = log end = the snapshot's end offset). The log start only ever moves to a
snapshot's end offset, so a snapshot exists at every non-zero log start.

The quorum-state store (`SimQuorumStore`) is written atomically and durably (Kafka writes a temp
file, fsyncs and renames), so it survives crashes; only `wipe()` loses it.

Invariants: batches are contiguous in offset order; the durable view is always a contiguous log
starting at offset 0; nothing but `flush` makes data durable.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from kraft.ready import take_batches
from kraft.rpc import LogRead
from kraft.types import BatchInfo, OffsetAndEpoch, Records


@dataclass(frozen=True, slots=True)
class StoredBatch:
    info: BatchInfo
    data: bytes


@dataclass(slots=True)
class DiskStats:
    appended_batches: int = 0
    flushes: int = 0
    truncations: int = 0
    crashes: int = 0
    lost_batches: int = 0
    wipes: int = 0


@dataclass(slots=True)
class SimLog:
    batches: list[StoredBatch] = field(default_factory=list)
    # Parallel list of base offsets, for bisect (kept in sync with `batches`).
    base_offsets: list[int] = field(default_factory=list)
    durable_count: int = 0
    durable_tail: list[StoredBatch] = field(default_factory=list)
    stats: DiskStats = field(default_factory=DiskStats)
    log_start_offset: int = 0
    snapshots: dict[OffsetAndEpoch, bytes] = field(default_factory=dict)
    partial: tuple[OffsetAndEpoch, bytearray] | None = None

    # ------------------------------------------------------------------------- queries
    @property
    def end_offset(self) -> int:
        return self.batches[-1].info.last_offset + 1 if self.batches else self.log_start_offset

    @property
    def durable_end_offset(self) -> int:
        if self.durable_tail:
            return self.durable_tail[-1].info.last_offset + 1
        if self.durable_count:
            return self.batches[self.durable_count - 1].info.last_offset + 1
        return self.log_start_offset

    @property
    def last_epoch(self) -> int:
        if self.batches:
            return self.batches[-1].info.epoch
        latest = self.latest_snapshot_id
        return latest.epoch if latest is not None else 0

    @property
    def latest_snapshot_id(self) -> OffsetAndEpoch | None:
        return max(self.snapshots, key=lambda s: s.offset) if self.snapshots else None

    def durable_batches(self) -> list[StoredBatch]:
        return self.batches[: self.durable_count] + self.durable_tail

    def batch_index(self, offset: int) -> int | None:
        """Index of the batch containing `offset`, None when the offset is not in the log."""
        i = bisect_right(self.base_offsets, offset) - 1
        if i < 0 or self.batches[i].info.last_offset < offset:
            return None
        return i

    def read(self, start_offset: int, bytes_max: int, end_offset_limit: int) -> Records | None:
        """Whole batches under the core's one `LogRead` size rule (`kraft.ready.take_batches`);
        None when no batch holds `start_offset` or nothing qualifies."""
        i = self.batch_index(start_offset)
        if i is None:
            return None
        batches = ((batch.info, batch.data) for batch in islice(self.batches, i, None))
        return take_batches(batches, LogRead(start_offset, bytes_max, end_offset_limit))

    # ------------------------------------------------------------------------- writes
    def append(self, data: bytes, info: BatchInfo) -> None:
        assert info.base_offset == self.end_offset, (
            f"non-contiguous append at {info.base_offset}, log end {self.end_offset}"
        )
        assert info.size_bytes == len(data), "BatchInfo size does not match the bytes"
        self.batches.append(StoredBatch(info, data))
        self.base_offsets.append(info.base_offset)
        self.stats.appended_batches += 1

    def truncate_to(self, end_offset: int) -> int:
        """Drop every batch holding an offset >= `end_offset`; returns the new end offset."""
        i = bisect_right(self.base_offsets, end_offset - 1)
        # batches[i-1] starts below end_offset; drop it too when it runs past end_offset.
        if i > 0 and self.batches[i - 1].info.last_offset >= end_offset:
            i -= 1
        if i < len(self.batches):
            self.stats.truncations += 1
            if i < self.durable_count:
                self.durable_tail = self.batches[i : self.durable_count] + self.durable_tail
                self.durable_count = i
            del self.batches[i:]
            del self.base_offsets[i:]
        return self.end_offset

    def flush(self) -> int:
        """Make the volatile view durable; returns the durable end offset."""
        self.stats.flushes += 1
        self.durable_count = len(self.batches)
        self.durable_tail = []
        return self.end_offset

    # ------------------------------------------------------------------------- snapshots
    def snapshot_content(self, end_offset: int) -> bytes | None:
        """Every batch below `end_offset` (a batch boundary), from the latest snapshot at or below
        it plus the log; None when the log no longer holds what is needed."""
        base = b""
        start = 0
        for snapshot_id, content in self.snapshots.items():
            if start < snapshot_id.offset <= end_offset:
                base, start = content, snapshot_id.offset
        if start < self.log_start_offset:
            return None
        chunks = [base]
        offset = start
        for batch in self.batches:
            if batch.info.base_offset < start:
                continue
            if batch.info.last_offset >= end_offset:
                break
            assert batch.info.base_offset == offset
            chunks.append(batch.data)
            offset = batch.info.last_offset + 1
        return b"".join(chunks) if offset == end_offset else None

    def create_snapshot(self, end_offset: int, epoch: int, delete_prefix: bool) -> OffsetAndEpoch:
        """Write snapshot (end_offset, epoch) durably; optionally delete the log below it."""
        content = self.snapshot_content(end_offset)
        assert content is not None, f"no data for a snapshot at {end_offset}"
        snapshot_id = OffsetAndEpoch(end_offset, epoch)
        self.snapshots[snapshot_id] = content
        if delete_prefix:
            assert not self.durable_tail and end_offset <= self.durable_end_offset
            k = bisect_right(self.base_offsets, end_offset - 1)
            del self.batches[:k]
            del self.base_offsets[:k]
            self.durable_count -= k
            self.log_start_offset = end_offset
        return snapshot_id

    def snapshot_chunk(self, snapshot_id: OffsetAndEpoch, position: int, data: bytes) -> None:
        if position == 0:
            self.partial = (snapshot_id, bytearray())
        assert self.partial is not None and self.partial[0] == snapshot_id, (
            self.partial,
            snapshot_id,
        )
        assert len(self.partial[1]) == position, "snapshot chunk out of order"
        self.partial[1].extend(data)

    def install_snapshot(self, snapshot_id: OffsetAndEpoch) -> bytes:
        """fsync + rename the partial download, then drop the whole log; returns the content."""
        assert self.partial is not None and self.partial[0] == snapshot_id, (
            self.partial,
            snapshot_id,
        )
        content = bytes(self.partial[1])
        self.partial = None
        self.snapshots[snapshot_id] = content
        self.batches = []
        self.base_offsets = []
        self.durable_count = 0
        self.durable_tail = []
        self.log_start_offset = snapshot_id.offset
        return content

    def abort_snapshot(self, snapshot_id: OffsetAndEpoch) -> None:
        if self.partial is not None and self.partial[0] == snapshot_id:
            self.partial = None

    def read_snapshot(
        self, snapshot_id: OffsetAndEpoch, position: int, bytes_max: int
    ) -> tuple[bytes, int] | None:
        """(bytes from `position`, total size), or None when there is no such snapshot."""
        content = self.snapshots.get(snapshot_id)
        if content is None:
            return None
        return content[position : position + bytes_max], len(content)

    # ------------------------------------------------------------------------- faults
    def crash(self) -> None:
        """Lose exactly what was not flushed (and any partial snapshot download)."""
        self.stats.crashes += 1
        self.partial = None
        durable = self.durable_batches()
        kept = self.durable_count
        self.stats.lost_batches += len(self.batches) - kept
        self.batches = durable
        self.base_offsets = [b.info.base_offset for b in durable]
        self.durable_count = len(durable)
        self.durable_tail = []

    def wipe(self) -> None:
        self.stats.wipes += 1
        self.stats.lost_batches += len(self.batches)
        self.batches = []
        self.base_offsets = []
        self.durable_count = 0
        self.durable_tail = []
        self.log_start_offset = 0
        self.snapshots = {}
        self.partial = None


@dataclass(slots=True)
class SimQuorumStore:
    """Durable, atomically replaced quorum-state (the core's `ElectionState`, kept as a value)."""

    state: Any = None
    writes: int = 0

    def write(self, state: Any) -> None:
        self.state = state
        self.writes += 1

    def wipe(self) -> None:
        self.state = None
