"""The disk log's segments, their sparse index, and the views the log's owner publishes.

A segment is one `.log` file named after the base offset of its first batch (20 digits) holding
whole v2 record batches. The owner (`kraft.shell.disk_log.DiskLog`) keeps a `Segment` per file with
a sparse in-memory index (a batch every `INDEX_INTERVAL_BYTES`, like Kafka's `.index`), and after
each change publishes a frozen `DiskLogView` made of `SegmentView`s, which readers on any thread use
without a lock (the rules are in `kraft.shell.disk_log`'s docstring; the reads in
`kraft.shell.log_read`).
"""

from __future__ import annotations

import bisect
import contextlib
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kraft.types import NO_TIMESTAMP
from wire.records.batch import BATCH_HEADER_BYTES, BatchHeader, read_batch_header

LOG_SUFFIX = ".log"
OFFSET_DIGITS = 20
# Sparse index density (Kafka's `index.interval.bytes`) and the read size when walking from an
# index entry to the batch holding an offset.
INDEX_INTERVAL_BYTES = 4096
LOCATE_CHUNK_BYTES = 64 * 1024


class SegmentFile:
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

    file: SegmentFile
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
class EpochEntry:
    """Kafka's leader epoch cache entry: `epoch` starts at `start_offset`."""

    epoch: int
    start_offset: int


class Segment:
    """One `.log` file and its sparse index, as the owner keeps it: (base offset, position) of
    the first batch and of a batch at least every `INDEX_INTERVAL_BYTES` (Kafka's
    `index.interval.bytes`), so memory grows with bytes / 4 KiB, not with the number of batches."""

    __slots__ = (
        "allocated",
        "base_offset",
        "cache_dropped_to",
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
        self.file = SegmentFile(fd)
        self.size = 0  # bytes of batches (the data end)
        self.allocated = 0  # bytes of the file: data, then zeros (preallocation)
        self.cache_dropped_to = 0  # bytes below this were flushed and dropped from the page cache
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
