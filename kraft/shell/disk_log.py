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
- The active segment rolls when an append would take it past `segment_bytes`.
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

Not thread-safe: one thread at a time (the shell's single disk worker) uses a `DiskLog`.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
NO_EPOCH = -1


class LogDirError(Exception):
    """The log directory cannot be used (unwritable, locked by another process, ...)."""


class LogAppendError(Exception):
    """Bytes handed to `append` that are not whole batches continuing the log: a caller bug."""


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
    """One `.log` file and its sparse index: (base offset, position) of the first batch and of
    a batch at least every `INDEX_INTERVAL_BYTES` (Kafka's `index.interval.bytes`), so memory
    grows with bytes / 4 KiB, not with the number of batches."""

    __slots__ = (
        "allocated",
        "base_offset",
        "end_offset",
        "fd",
        "index_bases",
        "index_positions",
        "path",
        "size",
    )

    def __init__(self, path: Path, base_offset: int, fd: int) -> None:
        self.path = path
        self.base_offset = base_offset
        self.end_offset = base_offset  # offset after the last batch of this segment
        self.fd = fd
        self.size = 0  # bytes of batches (the data end)
        self.allocated = 0  # bytes of the file: data, then zeros (preallocation)
        self.index_bases = array("q")
        self.index_positions = array("q")

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

    def locate(self, offset: int) -> tuple[int, BatchHeader] | None:
        """Position and header of the first batch whose last offset is >= `offset`."""
        number = bisect.bisect_right(self.index_bases, offset) - 1
        position = self.index_positions[max(number, 0)] if self.index_positions else 0
        while position < self.size:
            chunk = os.pread(self.fd, min(LOCATE_CHUNK_BYTES, self.size - position), position)
            at = 0
            while len(chunk) - at >= BATCH_HEADER_BYTES:
                header = read_batch_header(chunk, at)
                if header.last_offset >= offset:
                    return position + at, header
                at += header.size_bytes
            position += at
        return None

    def truncate_index(self, position: int) -> None:
        """Forget index entries at or after `position` (the file is cut there)."""
        cut = bisect.bisect_left(self.index_positions, position)
        del self.index_bases[cut:]
        del self.index_positions[cut:]

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
    def __init__(self, directory: Path, segment_bytes: int) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self._segments: list[_Segment] = []
        self._segment_bases: list[int] = []
        self._epochs: list[EpochEntry] = []
        self._epochs_dirty = False
        self._dirty_fds: set[int] = set()
        self._dir_dirty = False
        self.end_offset = 0
        self.flushed_offset = 0

    # ----------------------------------------------------------------------------------- open

    @classmethod
    def open(
        cls, directory: Path, segment_bytes: int, *, topic_id: str = METADATA_TOPIC_ID_TEXT
    ) -> tuple[DiskLog, RecoveryReport]:
        """Open (creating if needed) and recover the log in `directory` (of topic `topic_id`)."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            probe = directory / ".write-probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise LogDirError(f"log dir {directory} is not writable: {exc.strerror}") from None
        log = cls(directory, segment_bytes)
        report = log._recover()
        metadata = directory / PARTITION_METADATA
        if not metadata.exists():
            write_file_atomically(metadata, f"version: 0\ntopic_id: {topic_id}\n")
        log._write_epoch_checkpoint()
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
                self.end_offset = base
            if reason is None and base != self.end_offset:
                reason = f"segment {path.name} does not continue the log at {self.end_offset}"
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
                os.close(segment.fd)
                path.unlink()
                self._dir_dirty = True
                continue
            self._segments.append(segment)
            self._segment_bases.append(segment.base_offset)
        if not self._segments:
            self._segments.append(self._open_segment(self.end_offset, create=True))
            self._segment_bases.append(self.end_offset)
        self.flushed_offset = self.end_offset
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
                if header.base_offset != self.end_offset:
                    return count, f"batch offset {header.base_offset}, expected {self.end_offset}"
                segment.add_batch(
                    header.base_offset, header.next_offset, position + at, header.size_bytes
                )
                self._note_epoch(header.partition_leader_epoch, header.base_offset)
                self.end_offset = header.next_offset
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

    # ------------------------------------------------------------------------------ queries

    @property
    def start_offset(self) -> int:
        return self._segments[0].base_offset

    @property
    def last_epoch(self) -> int:
        """Epoch of the last batch; 0 for an empty log (Kafka's LastFetchedEpoch rule)."""
        return self._epochs[-1].epoch if self._epochs else 0

    @property
    def epochs(self) -> tuple[EpochEntry, ...]:
        return tuple(self._epochs)

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    @property
    def size_bytes(self) -> int:
        return sum(segment.size for segment in self._segments)

    def iter_batch_bounds(self) -> Iterator[tuple[int, int]]:
        """(base offset, last offset) of every batch, oldest first."""
        for segment in self._segments:
            for header in segment.iter_headers():
                yield header.base_offset, header.last_offset

    def read(self, start_offset: int, max_bytes: int, end_offset_limit: int | None = None) -> bytes:
        """Whole batches from the one holding `start_offset`, from a single segment.

        Only batches that end below `end_offset_limit` (default: the log end) are included: at
        least one (even above `max_bytes`), then more while the total stays within `max_bytes`.
        Empty at or beyond the end (the `LogRead` contract of `kraft.rpc`).
        """
        limit = self.end_offset if end_offset_limit is None else end_offset_limit
        if start_offset >= self.end_offset or start_offset >= limit or start_offset < 0:
            return b""
        number = max(bisect.bisect_right(self._segment_bases, start_offset) - 1, 0)
        segment = self._segments[number]
        found = segment.locate(start_offset)
        if found is None:
            return b""
        position, first = found
        if first.last_offset >= limit:
            return b""
        want = max(first.size_bytes, min(max_bytes, segment.size - position))
        data = os.pread(segment.fd, want, position)
        end = first.size_bytes
        for at, header in iter_batches(data, end):
            if header.last_offset >= limit or at + header.size_bytes > max_bytes:
                break
            end = at + header.size_bytes
        return data if end == len(data) else data[:end]

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """(largest known epoch <= `epoch`, its end offset): Kafka's `endOffsetForEpoch`."""
        for number in range(len(self._epochs) - 1, -1, -1):
            entry = self._epochs[number]
            if entry.epoch <= epoch:
                end = (
                    self._epochs[number + 1].start_offset
                    if number + 1 < len(self._epochs)
                    else self.end_offset
                )
                return entry.epoch, end
        return NO_EPOCH, NO_EPOCH

    # ----------------------------------------------------------------------------- updates

    def append(self, data: bytes) -> int:
        """Write whole batches continuing the log; return the new end offset (not yet durable)."""
        if not data:
            return self.end_offset
        entries: list[tuple[int, int, int, int, int]] = []
        expected = self.end_offset
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
                    )
                )
                expected = header.next_offset
                consumed = at + header.size_bytes
        except DecodeError as exc:
            raise LogAppendError(f"not a record batch: {exc}") from None
        if consumed != len(data):
            raise LogAppendError(f"{len(data) - consumed} trailing bytes are not a whole batch")
        segment = self._segments[-1]
        if segment.size > 0 and segment.size + len(data) > self.segment_bytes:
            segment = self._roll()
        start = segment.size
        if start + len(data) > segment.allocated:
            self._preallocate(segment, start + len(data))
        _write_all(segment.fd, data, start)
        for base, next_offset, at, size, epoch in entries:
            segment.add_batch(base, next_offset, start + at, size)
            self._note_epoch(epoch, base)
        self._dirty_fds.add(segment.fd)
        self.end_offset = expected
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
        self.flushed_offset = self.end_offset
        return self.flushed_offset

    def truncate_to(self, offset: int) -> int:
        """Drop every batch whose last offset is >= `offset`; return the new end offset."""
        if offset >= self.end_offset:
            return self.end_offset
        while len(self._segments) > 1 and self._segments[-1].base_offset >= offset:
            segment = self._segments.pop()
            self._segment_bases.pop()
            self._dirty_fds.discard(segment.fd)
            os.close(segment.fd)
            segment.path.unlink()
            self._dir_dirty = True
        segment = self._segments[-1]
        found = segment.locate(offset)
        if found is not None:
            position, header = found
            os.ftruncate(segment.fd, position)
            segment.truncate_index(position)
            segment.size = segment.allocated = position
            segment.end_offset = header.base_offset
            self._dirty_fds.add(segment.fd)
        self.end_offset = segment.end_offset
        while self._epochs and self._epochs[-1].start_offset >= self.end_offset:
            self._epochs.pop()
            self._epochs_dirty = True
        self.flushed_offset = min(self.flushed_offset, self.end_offset)
        return self.end_offset

    def reset_to(self, offset: int) -> None:
        """Drop the whole log and start it empty at `offset` (a snapshot was installed there)."""
        for segment in self._segments:
            self._dirty_fds.discard(segment.fd)
            os.close(segment.fd)
            segment.path.unlink()
        self._segments.clear()
        self._segment_bases.clear()
        self._epochs.clear()
        self._epochs_dirty = True
        self.end_offset = self.flushed_offset = offset
        self._segments.append(self._open_segment(offset, create=True))
        self._segment_bases.append(offset)
        fsync_dir(self.directory)
        self._dir_dirty = False
        self._write_epoch_checkpoint()

    def close(self) -> None:
        if self._segments:
            # Leave Kafka-shaped files: the active segment without its preallocated zeros.
            with contextlib.suppress(OSError):
                self._trim(self._segments[-1])
                os.fdatasync(self._segments[-1].fd)
        for segment in self._segments:
            with contextlib.suppress(OSError):
                os.close(segment.fd)
        self._segments.clear()
        self._segment_bases.clear()

    # ----------------------------------------------------------------------------- helpers

    def _roll(self) -> _Segment:
        self._trim(self._segments[-1])
        segment = self._open_segment(self.end_offset, create=True)
        self._segments.append(segment)
        self._segment_bases.append(segment.base_offset)
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
