"""A leader's Fetch answers served from appends not written yet (`kraft.ready.resolve_reads` with
the plan's unwritten appends, under the core's one size rule `take_batches`) must answer exactly
what `DiskLog.read` answers once the same batches are on disk."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kraft import rpc
from kraft.ready import resolve_reads
from kraft.shell.apis.fetch import scan_records
from kraft.shell.disk_log import DiskLog
from kraft.types import Records
from wire.errors import ErrorCode
from wire.records import build_data_batch


def appends_of(batch_counts: list[list[int]], start: int) -> list[Records]:
    """One `Records` per append, each of whole batches of the given record counts."""
    out: list[Records] = []
    offset = start
    for counts in batch_counts:
        data = b""
        for count in counts:
            data += build_data_batch(offset, 2, 0, [bytes([offset % 256]) * 9] * count)
            offset += count
        records = scan_records(data)
        assert records is not None
        out.append(records)
    return out


class WrittenLog:
    """The node loop's storage as `resolve_reads` sees it: the written `DiskLog`."""

    def __init__(self, log: DiskLog) -> None:
        self.log = log

    def read_log(self, read: rpc.LogRead) -> bytes:
        return self.log.read(read.start_offset, read.bytes_max, read.end_offset_limit)

    def read_snapshot(self, read: rpc.SnapshotRead) -> None:
        return None


@settings(max_examples=150, deadline=None)
@given(
    written=st.integers(0, 6),
    batch_counts=st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=4), min_size=1),
    start_delta=st.integers(0, 30),
    max_bytes=st.integers(1, 600),
    limit_delta=st.integers(0, 40),
)
def test_matches_the_disk_read(
    written: int,
    batch_counts: list[list[int]],
    start_delta: int,
    max_bytes: int,
    limit_delta: int,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log, _ = DiskLog.open(Path(tmp) / "p", 1 << 30)
        for base in range(written):
            log.append(build_data_batch(base, 1, 0, [b"w"]))
        appends = appends_of(batch_counts, log.end_offset)
        read = rpc.LogRead(
            start_offset=log.end_offset + start_delta,
            bytes_max=max_bytes,
            end_offset_limit=log.end_offset + limit_delta,
        )
        answer = rpc.FetchResponse(ErrorCode.NONE, records=read)
        _, served = resolve_reads(answer, WrittenLog(log), appends)
        for records in appends:
            log.append(records.data)
        expected = log.read(read.start_offset, read.bytes_max, read.end_offset_limit)
        assert (served.data if isinstance(served, Records) else b"") == expected
        log.close()
