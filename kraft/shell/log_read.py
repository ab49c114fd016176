"""The disk log's read path: whole batches as bytes, from any thread, against a published view.

A read finds the segment holding the requested offset (`DiskLogView.segment_bases`), the nearest
sparse index entry at or below it, walks the 61-byte batch headers from there, and returns one
`pread` of whole contiguous batches from that segment; nothing is decoded beyond the headers. With
`nowait` it is served from the page cache on the caller's thread or raises `WouldBlock`. The race
check against truncation (`READ_RETRY`) is `kraft.shell.disk_log.DiskLog.read`'s.
"""

from __future__ import annotations

import bisect
import errno
import os

from kraft.shell.log_segments import LOCATE_CHUNK_BYTES, DiskLogView, SegmentView
from wire.records.batch import BATCH_HEADER_BYTES, BatchHeader, iter_batches, read_batch_header

# The most a `nowait` read serves (from the page cache, on the caller's thread): larger reads
# are copies long enough to be worth a hop to a reader thread (an 8 MiB read is ~2 ms of memcpy).
NOWAIT_READ_BYTES_MAX = 256 * 1024
# What a read that raced a truncation or reset returns: nothing now, ask again.
READ_RETRY = b""


class WouldBlock(Exception):
    """A `nowait` read would wait for the disk (or is larger than `NOWAIT_READ_BYTES_MAX`):
    do it on a thread that may block."""


class ShortRead(Exception):
    """A `pread` inside a view's data end came back short: the file changed under the reader."""


def pread_exact(fd: int, size: int, position: int, nowait: bool) -> bytes:
    """Exactly `size` bytes at `position` (all inside a view's data end): `ShortRead` if the file
    is shorter now; with `nowait`, `WouldBlock` unless the page cache holds them all."""
    if not nowait:
        data = os.pread(fd, size, position)
        if len(data) < size:
            raise ShortRead
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


def locate(segment: SegmentView, offset: int, nowait: bool) -> tuple[int, BatchHeader] | None:
    """Position and header of the first batch of `segment` whose last offset is >= `offset`."""
    count = segment.index_count
    number = bisect.bisect_right(segment.index_bases, offset, 0, count) - 1
    position = segment.index_positions[max(number, 0)] if count else 0
    while position < segment.size:
        chunk = pread_exact(
            segment.file.fd, min(LOCATE_CHUNK_BYTES, segment.size - position), position, nowait
        )
        at = 0
        while len(chunk) - at >= BATCH_HEADER_BYTES:
            header = read_batch_header(chunk, at)
            if header.last_offset >= offset:
                return position + at, header
            at += header.size_bytes
        if at == 0:
            raise ShortRead  # a header inside the data end that ends past it: changed bytes
        position += at
    return None


def read_view(
    view: DiskLogView,
    start_offset: int,
    bytes_max: int,
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
    found = locate(segment, start_offset, nowait)
    if found is None:
        return b""
    position, first = found
    if first.last_offset >= limit:
        return b""
    want = max(first.size_bytes, min(bytes_max, segment.size - position))
    data = pread_exact(segment.file.fd, want, position, nowait)
    end = first.size_bytes
    for at, header in iter_batches(data, end):
        if header.last_offset >= limit or at + header.size_bytes > bytes_max:
            break
        end = at + header.size_bytes
    return data if end == len(data) else data[:end]
