"""`kraft.shell.snapshots` and `DiskLog.reset_to`: Kafka file names, download, install."""

from __future__ import annotations

from pathlib import Path

import pytest

from kraft.shell.disk_log import DiskLog
from kraft.shell.log_segments import segment_file_name
from kraft.shell.snapshots import (
    SnapshotError,
    SnapshotStore,
    parse_snapshot_file_name,
    snapshot_file_name,
)
from kraft.types import OffsetAndEpoch
from wire.records import build_data_batch

SID = OffsetAndEpoch(1234, 7)


def test_kafka_file_names() -> None:
    assert snapshot_file_name(SID) == "00000000000000001234-0000000007.checkpoint"
    assert parse_snapshot_file_name(snapshot_file_name(SID)) == SID
    for name in (
        "00000000000000001234.log",
        "1234-7.checkpoint",
        "x" * 20 + "-0000000007.checkpoint",
    ):
        assert parse_snapshot_file_name(name) is None


def test_download_install_read_and_recover(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.write_chunk(SID, 0, b"abc")
    store.write_chunk(SID, 3, b"defg")
    with pytest.raises(SnapshotError):
        store.write_chunk(SID, 99, b"x")
    assert store.read(SID, 0, 10) is None  # not installed yet
    store.install(SID)
    assert store.read(SID, 0, 10) == (b"abcdefg", 7)
    assert store.read(SID, 5, 10) == (b"fg", 7)
    assert store.read(SID, 2, 3) == (b"cde", 7)
    assert store.read(SID, 7, 10) == (b"", 7)
    other = OffsetAndEpoch(2000, 8)
    store.write_chunk(other, 0, b"partial")
    store.abort(other)
    store.write_chunk(other, 0, b"left behind by a crash")
    assert store.recover() == SID
    assert sorted(p.name for p in tmp_path.iterdir()) == [snapshot_file_name(SID)]


def test_reset_to_starts_an_empty_log_at_the_snapshot(tmp_path: Path) -> None:
    log, _ = DiskLog.open(tmp_path, 1 << 30)
    log.append(build_data_batch(0, 1, 0, [b"a", b"b"]))
    log.flush()
    log.reset_to(1234)
    assert (log.start_offset, log.end_offset, log.flushed_offset, log.epochs) == (
        1234,
        1234,
        1234,
        (),
    )
    assert sorted(p.name for p in tmp_path.glob("*.log")) == [segment_file_name(1234)]
    log.append(build_data_batch(1234, 8, 0, [b"c"]))
    log.flush()
    log.close()
    again, report = DiskLog.open(tmp_path, 1 << 30)
    assert report.reason is None
    assert (again.start_offset, again.end_offset) == (1234, 1235)
    assert again.read(1234, 1000) == build_data_batch(1234, 8, 0, [b"c"])
    again.close()
