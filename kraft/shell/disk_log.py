"""The durable metadata log, in Kafka's on-disk layout, as bytes.

Layout (RAFT-BRIEF §6): `<log dir>/__cluster_metadata-0/` holds segments named after the base
offset of their first batch, 20 digits (`00000000000000000000.log`), each a concatenation of v2
record batches exactly as they travelled on the wire; `leader-epoch-checkpoint` (text: version,
count, `<epoch> <start offset>` lines) and `partition.metadata` (`version: 0`, `topic_id: ...`)
sit beside them. Kafka's `.index`/`.timeindex` files are not written: the index lives in memory.

Theory of operation:
- Batches are appended as given (already built and CRC'd by the leader or received in a Fetch
  response) and served as bytes: a read finds the batch holding the requested offset through a
  sparse in-memory index per segment (a batch every `INDEX_INTERVAL_BYTES`, like Kafka's
  `.index`), walks the 61-byte headers from there, and returns one `pread` of whole contiguous
  batches from one segment. Nothing is decoded beyond the headers.
- `append` only writes (to the page cache); `flush` fdatasyncs every file written since the last
  flush and returns the durable end offset. The caller decides when to flush (one fsync per drained
  group of appends) and must not count or report an offset as durable before `flush` covered it.
- The active segment rolls when an append would take it past `segment_bytes`, or when its first
  batch is `segment_ms` old (Kafka's `metadata.log.segment.ms`, by the batches' timestamps).
- The log start (`start_offset`) only moves forward to a snapshot's end offset
  (`advance_start`, Kafka's log start offset increment + `deleteOldSegments`): segments wholly
  below it are deleted; the first kept segment may begin below it (reads there return nothing).
  It is not stored: at the next open the caller sets it again from the snapshots
  (`kraft.shell.snapshotter.recover_log_start`).
- Preallocation (as Kafka's `log.preallocate`, for latency): the active segment is zero-filled
  `PREALLOCATE_BYTES` ahead of its data, so most appends overwrite blocks the file already has and
  the per-batch `fdatasync` flushes data only: no file-size change, hence no filesystem journal
  commit, which is what three replicas fsyncing a thousand times a second on one disk queue
  behind (measured with strace on a follower at 5,000 records/s: fsync p50 0.26 / p999 2.72 ms
  before, fdatasync 0.15 / 0.63 ms after). A segment is trimmed to its data when it rolls and when
  the log closes; after a crash, recovery treats an all-zero tail as the preallocated end (not as
  damage) and trims it. Readers never see the zeros: reads stop at the data end.
- `truncate_to(offset)` drops every batch whose last offset is >= offset (whole batches only, as
  Kafka does), deleting or shortening segments.
- Opening recovers: segments are scanned in order, each batch's header, CRC32C and offset
  continuity are checked, and the log is cut at the first bad or torn batch (later segments are
  deleted). The leader epoch history is rebuilt from the batches' partitionLeaderEpoch.

Invariants: batches are contiguous (each base offset = previous last offset + 1) from
`start_offset` to `end_offset`; `flushed_offset <= end_offset`; every segment file's name is the
base offset of its first batch; every index entry points at a batch boundary of its file.

One owner, many readers: every method that changes the log (`append`, `flush`, `truncate_to`,
`reset_to`, `advance_start`, `close`) runs on one thread at a time (the node's disk writer). After
each change the owner publishes a frozen `DiskLogView` (segment files, data ends, sparse index
lengths, offsets, epoch history) by swapping one attribute, so any thread reads a consistent state
without a lock:
`view` for the facts, `read` for the bytes.
- Appends write past the published end only, so a reader of an older view never sees them.
- Truncation and reset rewrite or delete bytes a reader may be reading. The rule: the owner bumps
  `generation` before it touches a file, and a read checks the generation after its last `pread`;
  if it moved, the read returns b"" ("nothing now, ask again", which every caller already handles
  as at the end of the log), whatever it read or whatever error the changed files caused. A read
  that returns bytes therefore returned bytes that were in the log when its view was current.
- Deleting segments below the log start needs no generation bump: the bytes of the kept segments
  do not change, and a read of an older view still reads the deleted segment through its open fd.
- A deleted segment's file stays open while a view names it (the fd closes when the last
  reference goes, CPython's reference counting), so a racing `pread` never reaches a reused fd.
  (`close` closes every file at once: a read racing it fails, and so returns b"" by the rule.)
- The index arrays are shared with views and only appended to; a view reads the first
  `index_count` entries, and truncation replaces the arrays instead of cutting them in place.
  (This relies on the GIL making each array operation atomic, as on every CPython we run on.)
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import fcntl
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kraft.types import NO_TIMESTAMP
from wire.errors import DecodeError
from wire.records.batch import (
    BATCH_HEADER_BYTES,
    BatchHeader,
    crc_ok,
    iter_batches,
    read_batch_header,
)

LOG_SUFFIX = ".log"
OFFSET_DIGITS = 20
LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint"
PARTITION_METADATA = "partition.metadata"
LOCK_FILE = ".lock"
# Kafka's `Uuid.METADATA_TOPIC_ID` (0, 1) in its URL-safe base64 text form.
METADATA_TOPIC_ID_TEXT = "AAAAAAAAAAAAAAAAAAAAAQ"
# Bytes read per step while recovering a segment (whole batches are re-read if they straddle).
RECOVERY_CHUNK_BYTES = 8 * 1024 * 1024
# Zero-filled ahead of the active segment's data (one size change per this many bytes appended).
# Small on purpose: the zeros are flushed with the batch that needed them (measured here: 256 KiB
# of zeros cost ~0.3 ms to write and flush, 8 MiB cost 15-25 ms, a stall the latency run showed).
PREALLOCATE_BYTES = 256 * 1024
_ZEROS = bytes(PREALLOCATE_BYTES)
# Sparse index density (Kafka's `index.interval.bytes`) and the read size when walking from an
# index entry to the batch holding an offset.
INDEX_INTERVAL_BYTES = 4096
LOCATE_CHUNK_BYTES = 64 * 1024
# The most a `nowait` read serves (from the page cache, on the caller's thread): larger reads
# are copies long enough to be worth a hop to a reader thread (an 8 MiB read is ~2 ms of memcpy).
NOWAIT_READ_BYTES_MAX = 256 * 1024
# `segment_ms` default: Kafka's `metadata.log.segment.ms` (7 days).
SEGMENT_MS_DEFAULT = 7 * 24 * 3600 * 1000
# What a read that raced a truncation or reset returns: nothing now, ask again.
READ_RETRY = b""


class LogDirError(Exception):
    """The log directory cannot be used (unwritable, locked by another process, ...)."""


class LogAppendError(Exception):
    """Bytes handed to `append` that are not whole batches continuing the log: a caller bug."""


class WouldBlock(Exception):
    """A `nowait` read would wait for the disk (or is larger than `NOWAIT_READ_BYTES_MAX`):
    do it on a thread that may block."""


class _ShortRead(Exception):
    """A `pread` inside a view's data end came back short: the file changed under the reader."""


class _SegmentFile:
    """An open segment file. Views share it; the fd is closed by `close` or, for a segment the
    log dropped, when the last view naming it goes (no racing reader can hit a reused fd)."""

    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            self.close()


@dataclass(frozen=True, slots=True)
class SegmentView:
    """One segment as published: bytes [0, size) of `file` hold its batches, and the first
    `index_count` entries of the (shared, append-only) index arrays point into them."""

    file: _SegmentFile
    base_offset: int
    end_offset: int
    size: int
    index_bases: array[int]
    index_positions: array[int]
    index_count: int


@dataclass(frozen=True, slots=True)
class DiskLogView:
    """The log as published by its owner after its last change (see the module docstring)."""

    generation: int
    start_offset: int
    end_offset: int
    flushed_offset: int
    epochs: tuple[EpochEntry, ...]
    segments: tuple[SegmentView, ...]
    segment_bases: tuple[int, ...]

    @property
    def last_epoch(self) -> int:
        """Epoch of the last batch; 0 for an empty log (Kafka's LastFetchedEpoch rule)."""
        return self.epochs[-1].epoch if self.epochs else 0

    @property
    def size_bytes(self) -> int:
        return sum(segment.size for segment in self.segments)


def segment_file_name(base_offset: int) -> str:
    return f"{base_offset:0{OFFSET_DIGITS}d}{LOG_SUFFIX}"


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    """What `DiskLog.open` found: how many bytes of torn or corrupt tail it cut, and why."""

    segments: int
    batches: int
    truncated_bytes: int
    reason: str | None


@dataclass(frozen=True, slots=True)
class EpochEntry:
    """Kafka's leader epoch cache entry: `epoch` starts at `start_offset`."""

    epoch: int
    start_offset: int


class _Segment:
    """One `.log` file and its sparse index, as the owner keeps it: (base offset, position) of
    the first batch and of a batch at least every `INDEX_INTERVAL_BYTES` (Kafka's
    `index.interval.bytes`), so memory grows with bytes / 4 KiB, not with the number of batches."""

    __slots__ = (
        "allocated",
        "base_offset",
        "end_offset",
        "file",
        "first_timestamp_ms",
        "index_bases",
        "index_positions",
        "path",
        "size",
    )

    def __init__(self, path: Path, base_offset: int, fd: int) -> None:
        self.path = path
        self.base_offset = base_offset
        self.end_offset = base_offset  # offset after the last batch of this segment
        self.file = _SegmentFile(fd)
        self.size = 0  # bytes of batches (the data end)
        self.allocated = 0  # bytes of the file: data, then zeros (preallocation)
        self.index_bases = array("q")
        self.index_positions = array("q")
        # Max timestamp of the first batch (Kafka rolls by it); NO_TIMESTAMP while empty.
        self.first_timestamp_ms = NO_TIMESTAMP

    @property
    def fd(self) -> int:
        return self.file.fd

    @property
    def empty(self) -> bool:
        return self.size == 0

    def add_batch(self, base_offset: int, next_offset: int, position: int, size: int) -> None:
        positions = self.index_positions
        if not positions or position - positions[-1] >= INDEX_INTERVAL_BYTES:
            self.index_bases.append(base_offset)
            positions.append(position)
        self.end_offset = next_offset
        self.size = position + size

    def view(self) -> SegmentView:
        return SegmentView(
            self.file,
            self.base_offset,
            self.end_offset,
            self.size,
            self.index_bases,
            self.index_positions,
            len(self.index_positions),
        )

    def truncate_index(self, position: int) -> None:
        """Forget index entries at or after `position` (the file is cut there). New arrays:
        views of the old state keep theirs unchanged."""
        cut = bisect.bisect_left(self.index_positions, position)
        self.index_bases = self.index_bases[:cut]
        self.index_positions = self.index_positions[:cut]

    def iter_headers(self) -> Iterator[BatchHeader]:
        position = 0
        while position < self.size:
            chunk = os.pread(self.fd, min(LOCATE_CHUNK_BYTES, self.size - position), position)
            at = 0
            while len(chunk) - at >= BATCH_HEADER_BYTES:
                header = read_batch_header(chunk, at)
                yield header
                at += header.size_bytes
            position += at


def _pread(fd: int, size: int, position: int, nowait: bool) -> bytes:
    """Exactly `size` bytes at `position` (all inside a view's data end): `_ShortRead` if the file
    is shorter now; with `nowait`, `WouldBlock` unless the page cache holds them all."""
    if not nowait:
        data = os.pread(fd, size, position)
        if len(data) < size:
            raise _ShortRead
        return data
    if size > NOWAIT_READ_BYTES_MAX:
        raise WouldBlock
    buffer = bytearray(size)
    try:
        got = os.preadv(fd, [buffer], position, os.RWF_NOWAIT)
    except BlockingIOError:
        raise WouldBlock from None
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL):
            raise WouldBlock from None  # the filesystem cannot say: read on a thread
        raise
    if got < size:
        raise WouldBlock  # partly cached (or cut: the blocking read will tell)
    return bytes(buffer)


def _locate(segment: SegmentView, offset: int, nowait: bool) -> tuple[int, BatchHeader] | None:
    """Position and header of the first batch of `segment` whose last offset is >= `offset`."""
    count = segment.index_count
    number = bisect.bisect_right(segment.index_bases, offset, 0, count) - 1
    position = segment.index_positions[max(number, 0)] if count else 0
    while position < segment.size:
        chunk = _pread(
            segment.file.fd, min(LOCATE_CHUNK_BYTES, segment.size - position), position, nowait
        )
        at = 0
        while len(chunk) - at >= BATCH_HEADER_BYTES:
            header = read_batch_header(chunk, at)
            if header.last_offset >= offset:
                return position + at, header
            at += header.size_bytes
        if at == 0:
            raise _ShortRead  # a header inside the data end that ends past it: changed bytes
        position += at
    return None


def read_view(
    view: DiskLogView,
    start_offset: int,
    max_bytes: int,
    end_offset_limit: int | None = None,
    *,
    nowait: bool = False,
) -> bytes:
    """`DiskLog.read` against `view`, without the race check (see `DiskLog.read`)."""
    limit = view.end_offset if end_offset_limit is None else end_offset_limit
    if not view.start_offset <= start_offset < min(view.end_offset, limit):
        return b""  # below the log start (a reset moved it) or at/after the end
    number = bisect.bisect_right(view.segment_bases, start_offset) - 1
    segment = view.segments[number]
    found = _locate(segment, start_offset, nowait)
    if found is None:
        return b""
    position, first = found
    if first.last_offset >= limit:
        return b""
    want = max(first.size_bytes, min(max_bytes, segment.size - position))
    data = _pread(segment.file.fd, want, position, nowait)
    end = first.size_bytes
    for at, header in iter_batches(data, end):
        if header.last_offset >= limit or at + header.size_bytes > max_bytes:
            break
        end = at + header.size_bytes
    return data if end == len(data) else data[:end]


def lock_log_dir(log_dir: Path) -> int:
    """Create `log_dir` if needed and take Kafka's `.lock` on it; the fd holds the lock."""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(log_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LogDirError(f"log dir {log_dir} is not usable: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise LogDirError(f"log dir {log_dir} is locked by another process") from None
    return fd


class DiskLog:
    def __init__(
        self, directory: Path, segment_bytes: int, segment_ms: int = SEGMENT_MS_DEFAULT
    ) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.segment_ms = segment_ms
        # The log start when above the first segment's base (0: the first segment's base).
        self._start_offset = 0
        self._segments: list[_Segment] = []
        self._sealed_views: tuple[SegmentView, ...] = ()  # all segments but the active one
        self._segment_bases: tuple[int, ...] = ()
        self._epochs: list[EpochEntry] = []
        self._epochs_view: tuple[EpochEntry, ...] = ()
        self._epochs_dirty = False
        self._dirty_fds: set[int] = set()
        self._dir_dirty = False
        self._end_offset = 0
        self._flushed_offset = 0
        # Bumped before any truncation/reset/close touches a file (see the module docstring).
        self.generation = 0
        self.view = DiskLogView(0, 0, 0, 0, (), (), ())

    # ----------------------------------------------------------------------------------- open

    @classmethod
    def open(
        cls,
        directory: Path,
        segment_bytes: int,
        *,
        topic_id: str = METADATA_TOPIC_ID_TEXT,
        segment_ms: int = SEGMENT_MS_DEFAULT,
    ) -> tuple[DiskLog, RecoveryReport]:
        """Open (creating if needed) and recover the log in `directory` (of topic `topic_id`)."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            probe = directory / ".write-probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise LogDirError(f"log dir {directory} is not writable: {exc.strerror}") from None
        log = cls(directory, segment_bytes, segment_ms)
        report = log._recover()
        metadata = directory / PARTITION_METADATA
        if not metadata.exists():
            write_file_atomically(metadata, f"version: 0\ntopic_id: {topic_id}\n")
        log._write_epoch_checkpoint()
        log._publish(segments_changed=True)
        return log, report

    def _recover(self) -> RecoveryReport:
        bases = sorted(
            int(path.name[:OFFSET_DIGITS])
            for path in self.directory.iterdir()
            if path.name.endswith(LOG_SUFFIX)
            and len(path.name) == OFFSET_DIGITS + len(LOG_SUFFIX)
            and path.name[:OFFSET_DIGITS].isdigit()
        )
        truncated = 0
        reason: str | None = None
        batches = 0
        for base in bases:
            path = self.directory / segment_file_name(base)
            if not self._segments:
                self._end_offset = base
            if reason is None and base != self._end_offset:
                reason = f"segment {path.name} does not continue the log at {self._end_offset}"
            if reason is not None:
                # Everything after the first bad batch is unreachable: drop it, as Kafka does.
                truncated += path.stat().st_size
                path.unlink()
                self._dir_dirty = True
                continue
            segment = self._open_segment(base, create=False)
            file_size = os.fstat(segment.fd).st_size
            count, problem = self._scan_segment(segment, file_size)
            batches += count
            if problem is not None and zeros_from(segment.fd, segment.size, file_size):
                problem = None  # the preallocated end of a segment that was not trimmed
            if problem is not None:
                reason = f"{path.name} at byte {segment.size}: {problem}"
                truncated += file_size - segment.size
            if file_size > segment.size:
                os.ftruncate(segment.fd, segment.size)
                os.fsync(segment.fd)
            segment.allocated = segment.size
            if count == 0 and self._segments:
                # An empty segment after the first holds nothing: drop it (a later append rolls).
                segment.file.close()
                path.unlink()
                self._dir_dirty = True
                continue
            self._segments.append(segment)
        if not self._segments:
            self._segments.append(self._open_segment(self._end_offset, create=True))
        self._flushed_offset = self._end_offset
        if self._dir_dirty:
            fsync_dir(self.directory)
            self._dir_dirty = False
        return RecoveryReport(len(self._segments), batches, truncated, reason)

    def _scan_segment(self, segment: _Segment, file_size: int) -> tuple[int, str | None]:
        """Index the valid prefix of `segment`; (batch count, problem that ended it or None)."""
        fd = segment.fd
        count = 0
        while segment.size < file_size:
            position = segment.size
            chunk = os.pread(fd, RECOVERY_CHUNK_BYTES, position)
            if len(chunk) < BATCH_HEADER_BYTES:
                return count, "torn batch header"
            try:
                first = read_batch_header(chunk, 0)
            except DecodeError as exc:
                return count, f"bad batch header ({exc.reason})"
            if first.size_bytes > len(chunk):
                chunk = os.pread(fd, first.size_bytes, position)
                if len(chunk) < first.size_bytes:
                    return count, "torn batch"
            at = 0
            # Every batch wholly inside the chunk; the first one always is, so this progresses.
            while len(chunk) - at >= BATCH_HEADER_BYTES:
                try:
                    header = read_batch_header(chunk, at)
                except DecodeError as exc:
                    return count, f"bad batch header ({exc.reason})"
                if at + header.size_bytes > len(chunk):
                    break
                if not crc_ok(chunk, at, header):
                    return count, "CRC32C mismatch"
                if header.base_offset != self._end_offset:
                    return count, f"batch offset {header.base_offset}, expected {self._end_offset}"
                if segment.empty:
                    segment.first_timestamp_ms = header.max_timestamp
                segment.add_batch(
                    header.base_offset, header.next_offset, position + at, header.size_bytes
                )
                self._note_epoch(header.partition_leader_epoch, header.base_offset)
                self._end_offset = header.next_offset
                at += header.size_bytes
                count += 1
        return count, None

    def _open_segment(self, base_offset: int, *, create: bool) -> _Segment:
        path = self.directory / segment_file_name(base_offset)
        flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
        fd = os.open(path, flags, 0o644)
        if create:
            self._dir_dirty = True
        return _Segment(path, base_offset, fd)

    def _publish(self, *, segments_changed: bool = False) -> None:
        """Swap in a view of the current state (the only way readers learn of a change)."""
        segments = self._segments
        if segments_changed:
            self._sealed_views = tuple(segment.view() for segment in segments[:-1])
            self._segment_bases = tuple(segment.base_offset for segment in segments)
        epochs = self._epochs
        # Epochs only grow at the end or shrink from it: comparing the ends is enough.
        if len(epochs) != len(self._epochs_view) or (
            epochs and epochs[-1] != self._epochs_view[-1]
        ):
            self._epochs_view = tuple(epochs)
        active = (segments[-1].view(),) if segments else ()
        self.view = DiskLogView(
            self.generation,
            max(segments[0].base_offset, self._start_offset) if segments else self._end_offset,
            self._end_offset,
            self._flushed_offset,
            self._epochs_view,
            self._sealed_views + active,
            self._segment_bases,
        )

    # ------------------------------------------------------------------------------ queries
    # Safe from any thread: they read the published view.

    @property
    def start_offset(self) -> int:
        return self.view.start_offset

    @property
    def end_offset(self) -> int:
        return self.view.end_offset

    @property
    def flushed_offset(self) -> int:
        return self.view.flushed_offset

    @property
    def last_epoch(self) -> int:
        """Epoch of the last batch; 0 for an empty log (Kafka's LastFetchedEpoch rule)."""
        return self.view.last_epoch

    @property
    def epochs(self) -> tuple[EpochEntry, ...]:
        return self.view.epochs

    @property
    def segment_count(self) -> int:
        return len(self.view.segments)

    @property
    def size_bytes(self) -> int:
        return self.view.size_bytes

    def iter_batch_bounds(self) -> Iterator[tuple[int, int]]:
        """(base offset, last offset) of every batch, oldest first (owner thread only)."""
        for segment in self._segments:
            for header in segment.iter_headers():
                yield header.base_offset, header.last_offset

    def read(
        self,
        start_offset: int,
        max_bytes: int,
        end_offset_limit: int | None = None,
        *,
        nowait: bool = False,
    ) -> bytes:
        """Whole batches from the one holding `start_offset`, from a single segment; any thread.

        Only batches that end below `end_offset_limit` (default: the log end) are included: at
        least one (even above `max_bytes`), then more while the total stays within `max_bytes`.
        Empty below the log start, at or beyond the end (the `LogRead` contract of `kraft.rpc`),
        and `READ_RETRY`
        (empty too) when a truncation or reset raced the read. `nowait`: serve it from the page
        cache without blocking, or raise `WouldBlock`.
        """
        view = self.view
        try:
            data = read_view(view, start_offset, max_bytes, end_offset_limit, nowait=nowait)
        except (OSError, DecodeError, _ShortRead, WouldBlock):
            if self.generation != view.generation:
                return READ_RETRY  # whatever went wrong, the files changed under the read
            raise
        if self.generation != view.generation:
            return READ_RETRY
        return data

    # ----------------------------------------------------------------------------- updates
    # The owner's thread only; each publishes a new view when done.

    def append(self, data: bytes) -> int:
        """Write whole batches continuing the log; return the new end offset (not yet durable)."""
        if not data:
            return self._end_offset
        entries: list[tuple[int, int, int, int, int, int]] = []
        expected = self._end_offset
        consumed = 0
        try:
            for at, header in iter_batches(data):
                if header.base_offset != expected:
                    raise LogAppendError(
                        f"batch at offset {header.base_offset} does not continue the log at "
                        f"{expected}"
                    )
                entries.append(
                    (
                        header.base_offset,
                        header.next_offset,
                        at,
                        header.size_bytes,
                        header.partition_leader_epoch,
                        header.max_timestamp,
                    )
                )
                expected = header.next_offset
                consumed = at + header.size_bytes
        except DecodeError as exc:
            raise LogAppendError(f"not a record batch: {exc}") from None
        if consumed != len(data):
            raise LogAppendError(f"{len(data) - consumed} trailing bytes are not a whole batch")
        segment = self._segments[-1]
        first_timestamp_ms = entries[0][5]
        rolled = segment.size > 0 and (
            segment.size + len(data) > self.segment_bytes
            or first_timestamp_ms - segment.first_timestamp_ms >= self.segment_ms
        )
        if rolled:
            segment = self._roll()
        if segment.empty:
            segment.first_timestamp_ms = first_timestamp_ms
        start = segment.size
        if start + len(data) > segment.allocated:
            self._preallocate(segment, start + len(data))
        _write_all(segment.fd, data, start)
        for base, next_offset, at, size, epoch, _ in entries:
            segment.add_batch(base, next_offset, start + at, size)
            self._note_epoch(epoch, base)
        self._dirty_fds.add(segment.fd)
        self._end_offset = expected
        self._publish(segments_changed=rolled)
        return expected

    def flush(self) -> int:
        """fsync everything written since the last flush; return the durable end offset."""
        for fd in self._dirty_fds:
            # Data and the size needed to read it; the preallocated file rarely changes size.
            os.fdatasync(fd)
        self._dirty_fds.clear()
        if self._dir_dirty:
            fsync_dir(self.directory)
            self._dir_dirty = False
        if self._epochs_dirty:
            self._write_epoch_checkpoint()
        if self._flushed_offset != self._end_offset:
            self._flushed_offset = self._end_offset
            self._publish()
        return self._flushed_offset

    def truncate_to(self, offset: int) -> int:
        """Drop every batch whose last offset is >= `offset`; return the new end offset."""
        if offset >= self._end_offset:
            return self._end_offset
        self.generation += 1  # before any byte moves: racing reads retry
        while len(self._segments) > 1 and self._segments[-1].base_offset >= offset:
            segment = self._segments.pop()
            self._dirty_fds.discard(segment.fd)
            segment.path.unlink()  # its fd closes with the last view naming it
            self._dir_dirty = True
        segment = self._segments[-1]
        found = _locate(segment.view(), offset, False)
        if found is not None:
            position, header = found
            os.ftruncate(segment.fd, position)
            segment.truncate_index(position)
            segment.size = segment.allocated = position
            segment.end_offset = header.base_offset
            self._dirty_fds.add(segment.fd)
        self._end_offset = segment.end_offset
        while self._epochs and self._epochs[-1].start_offset >= self._end_offset:
            self._epochs.pop()
            self._epochs_dirty = True
        self._flushed_offset = min(self._flushed_offset, self._end_offset)
        self._publish(segments_changed=True)
        return self._end_offset

    def reset_to(self, offset: int) -> None:
        """Drop the whole log and start it empty at `offset` (a snapshot was installed there)."""
        self.generation += 1
        for segment in self._segments:
            self._dirty_fds.discard(segment.fd)
            segment.path.unlink()  # its fd closes with the last view naming it
        self._segments = []
        self._epochs.clear()
        self._epochs_dirty = True
        self._start_offset = offset
        self._end_offset = self._flushed_offset = offset
        self._segments.append(self._open_segment(offset, create=True))
        fsync_dir(self.directory)
        self._dir_dirty = False
        self._write_epoch_checkpoint()
        self._publish(segments_changed=True)

    def advance_start(self, offset: int) -> int:
        """Move the log start up to `offset` (a snapshot's end offset, at most the flushed end)
        and delete every segment wholly below it; return how many segments were deleted."""
        if offset <= self.view.start_offset:
            return 0
        if offset > self._flushed_offset:
            raise ValueError(f"log start {offset} beyond the flushed end {self._flushed_offset}")
        self._start_offset = offset
        deleted = 0
        while len(self._segments) > 1 and self._segments[1].base_offset <= offset:
            segment = self._segments.pop(0)
            self._dirty_fds.discard(segment.fd)
            segment.path.unlink()  # its fd closes with the last view naming it
            deleted += 1
        if deleted:
            fsync_dir(self.directory)
        # Kafka's leader-epoch cache truncateFromStart: the epoch covering the start starts there.
        covering = [entry for entry in self._epochs if entry.start_offset <= offset]
        if covering:
            kept = [entry for entry in self._epochs if entry.start_offset > offset]
            self._epochs[:] = [EpochEntry(covering[-1].epoch, offset), *kept]
            # Changed at its start, where `_publish` does not look.
            self._epochs_view = tuple(self._epochs)
            self._write_epoch_checkpoint()
        self._publish(segments_changed=bool(deleted))
        return deleted

    def batch_ending_at(self, offset: int) -> BatchHeader | None:
        """The header of the batch whose next offset is `offset` (None when `offset` is not the
        end of a batch of this log): a snapshot may only end there (owner thread only)."""
        view = self.view
        if not view.start_offset < offset <= view.end_offset:
            return None
        number = bisect.bisect_right(view.segment_bases, offset - 1) - 1
        found = _locate(view.segments[number], offset - 1, False)
        if found is None:
            return None
        _, header = found
        return header if header.next_offset == offset else None

    @property
    def first_segment_base(self) -> int:
        """Base offset of the oldest segment (may be below `start_offset`)."""
        return self.view.segment_bases[0] if self.view.segment_bases else self.end_offset

    def close(self) -> None:
        self.generation += 1
        if self._segments:
            # Leave Kafka-shaped files: the active segment without its preallocated zeros.
            with contextlib.suppress(OSError):
                self._trim(self._segments[-1])
                os.fdatasync(self._segments[-1].fd)
        for segment in self._segments:
            with contextlib.suppress(OSError):
                segment.file.close()
        self._segments = []
        self._publish(segments_changed=True)

    # ----------------------------------------------------------------------------- helpers

    def _roll(self) -> _Segment:
        self._trim(self._segments[-1])
        segment = self._open_segment(self._end_offset, create=True)
        self._segments.append(segment)
        return segment

    def _preallocate(self, segment: _Segment, needed: int) -> None:
        """Zero-fill the segment file from `needed` (where the append being made ends: it
        writes the bytes before) to up to `PREALLOCATE_BYTES` further."""
        target = max(needed, min(needed + PREALLOCATE_BYTES, self.segment_bytes))
        if target > needed:
            _write_all(segment.fd, _ZEROS[: target - needed], needed)
        segment.allocated = target
        self._dirty_fds.add(segment.fd)

    def _trim(self, segment: _Segment) -> None:
        """Drop the preallocated zeros after the data (made durable by the next flush)."""
        if segment.allocated > segment.size:
            os.ftruncate(segment.fd, segment.size)
            segment.allocated = segment.size
            self._dirty_fds.add(segment.fd)

    def _note_epoch(self, epoch: int, base_offset: int) -> None:
        if not self._epochs or epoch > self._epochs[-1].epoch:
            self._epochs.append(EpochEntry(epoch, base_offset))
            self._epochs_dirty = True

    def _write_epoch_checkpoint(self) -> None:
        lines = ["0", str(len(self._epochs))]
        lines += [f"{entry.epoch} {entry.start_offset}" for entry in self._epochs]
        write_file_atomically(self.directory / LEADER_EPOCH_CHECKPOINT, "\n".join(lines) + "\n")
        self._epochs_dirty = False


def _write_all(fd: int, data: bytes, position: int = 0) -> None:
    """pwrite at an explicit position: the fd's own offset is stale after ftruncate."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, position)
        view = view[written:]
        position += written


def zeros_from(fd: int, position: int, file_size: int) -> bool:
    """True when every byte of the file from `position` to `file_size` is zero."""
    while position < file_size:
        chunk = os.pread(fd, min(RECOVERY_CHUNK_BYTES, file_size - position), position)
        if not chunk or chunk.count(0) != len(chunk):
            return False
        position += len(chunk)
    return True


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_atomically(path: Path, content: str | bytes) -> None:
    """tmp file + fsync + rename + directory fsync: readers see the old or the new file, whole."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        _write_all(fd, content.encode() if isinstance(content, str) else content)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)
