"""`kraft.shell.snapshotter`: snapshot content, schedule, Kafka's retention rules, log start
recovery; `DiskLog.advance_start` and the time-based segment roll."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kraft.events import SnapshotCreated
from kraft.ready import LogAppend, Ready
from kraft.shell.config import SnapshotConfig, parse_config
from kraft.shell.disk_log import DiskLog
from kraft.shell.snapshots import SnapshotStore, build_snapshot, snapshot_file_name
from kraft.shell.snapshotter import Snapshotter, recover_log_start
from kraft.types import BatchInfo, OffsetAndEpoch, Records
from wire.messages.control_records import SnapshotHeaderRecord
from wire.metadata import decode_metadata_record, encode_metadata_record
from wire.metadata.records import NoOpRecord
from wire.records import ControlRecordType, decode_control_record, decode_records, iter_batches

SEGMENT_BYTES = 4096
NOW_MS = 1_700_000_000_000


@dataclass
class FakeNode:
    high_watermark: int | None = None


def batch(base: int, epoch: int, count: int = 10, timestamp_ms: int = NOW_MS) -> bytes:
    from wire.records import build_data_batch

    return build_data_batch(base, epoch, timestamp_ms, [bytes(100)] * count)


def fill(log: DiskLog, batches: int, epoch: int = 1, count: int = 10) -> list[bytes]:
    written = []
    for _ in range(batches):
        data = batch(log.end_offset, epoch, count)
        log.append(data)
        written.append(data)
    log.flush()
    return written


def records_of(data: bytes) -> list[tuple[int, bool, object]]:
    out: list[tuple[int, bool, object]] = []
    for at, header in iter_batches(data):
        for record in decode_records(data, at, header):
            if header.is_control:
                kind, message = decode_control_record(record)
                out.append((record.offset, True, (kind, message)))
            else:
                assert record.value is not None
                out.append((record.offset, False, decode_metadata_record(record.value).record))
    return out


def test_build_snapshot_is_header_records_footer_from_offset_zero() -> None:
    noop = encode_metadata_record(NoOpRecord(), 0)
    data = build_snapshot(OffsetAndEpoch(5000, 7), NOW_MS - 5, [noop] * 2500, NOW_MS)
    headers = [header for _, header in iter_batches(data)]
    assert {h.partition_leader_epoch for h in headers} == {7}
    assert [h.is_control for h in headers] == [True, False, False, False, True]
    records = records_of(data)
    assert [offset for offset, _, _ in records] == list(range(2502))
    assert records[0][2] == (
        ControlRecordType.SNAPSHOT_HEADER,
        SnapshotHeaderRecord(version=0, last_contained_log_timestamp=NOW_MS - 5),
    )
    assert records[-1][2][0] == ControlRecordType.SNAPSHOT_FOOTER  # type: ignore[index]
    assert all(value == NoOpRecord() for _, control, value in records[1:-1] if not control)


def test_advance_start_deletes_whole_segments_below_and_recovers(tmp_path: Path) -> None:
    log, _ = DiskLog.open(tmp_path, SEGMENT_BYTES)
    fill(log, 12, epoch=1)
    fill(log, 12, epoch=2)
    bases = log.view.segment_bases
    assert len(bases) > 4
    target = bases[3] + 10  # inside the fourth segment
    assert log.batch_ending_at(target) is not None
    assert log.advance_start(target) == 3
    assert log.start_offset == target
    assert log.view.segment_bases[0] == bases[3]
    assert not (tmp_path / f"{bases[0]:020d}.log").exists()
    assert log.read(target - 10, 1 << 20) == b""  # below the log start: nothing
    assert log.read(target, 1 << 20) != b""
    assert log.epochs[0].start_offset == target
    assert log.advance_start(target - 5) == 0  # never backwards
    log.close()
    # The start is not stored: the oldest snapshot at or above the first segment gives it back.
    store = SnapshotStore(tmp_path)
    older = OffsetAndEpoch(bases[1], 1)
    kept = OffsetAndEpoch(target, 1)
    newest = OffsetAndEpoch(target + 40, 2)
    for snapshot_id in (older, kept, newest):
        store.create(snapshot_id, build_snapshot(snapshot_id, NOW_MS, [], NOW_MS))
    again, _ = DiskLog.open(tmp_path, SEGMENT_BYTES)
    assert again.start_offset == bases[3]
    assert recover_log_start(again, store) == newest
    assert again.start_offset == target
    assert store.snapshot_ids() == [kept, newest]  # below the start: deleted, as Kafka
    again.close()


def test_segments_roll_by_age(tmp_path: Path) -> None:
    log, _ = DiskLog.open(tmp_path, 1 << 30, segment_ms=1000)
    log.append(batch(0, 1, timestamp_ms=NOW_MS))
    log.append(batch(10, 1, timestamp_ms=NOW_MS + 999))
    assert log.segment_count == 1
    log.append(batch(20, 1, timestamp_ms=NOW_MS + 1000))
    assert log.view.segment_bases == (0, 20)
    log.close()


def test_config_keys_and_defaults() -> None:
    base = {
        "node.id": "1",
        "controller.quorum.voters": "1@localhost:9092",
        "listeners": "PLAINTEXT://localhost:9092",
        "log.dirs": "/tmp/x",
    }
    assert parse_config(base).snapshots == SnapshotConfig(
        20 * 1024 * 1024, 3_600_000, 100 * 1024 * 1024, 604_800_000, 604_800_000
    )
    custom = parse_config(
        {
            **base,
            "metadata.log.max.record.bytes.between.snapshots": "1000",
            "metadata.log.max.snapshot.interval.ms": "0",
            "metadata.max.retention.bytes": "-1",
            "metadata.max.retention.ms": "5000000000",
            "metadata.log.segment.ms": "60000",
        }
    )
    assert custom.snapshots == SnapshotConfig(1000, 0, -1, 5_000_000_000, 60_000)
    assert custom.ignored_keys == ()


def appended(data: list[bytes], high_watermark: int) -> Ready:
    """The Ready in which the node appended `data` and the high watermark reached `hw`."""
    ops = []
    for chunk in data:
        infos = tuple(
            BatchInfo(h.base_offset, h.last_offset, h.partition_leader_epoch, h.size_bytes, False)
            for _, h in iter_batches(chunk)
        )
        ops.append(LogAppend(Records(chunk, infos)))
    return Ready(log_ops=list(ops), high_watermark=high_watermark)


def run_due(snapshotter: Snapshotter, now_ms: int) -> list[SnapshotCreated]:
    work = snapshotter.take_due(now_ms)
    events = [] if work is None else work()
    assert all(isinstance(e, SnapshotCreated) for e in events)
    return events  # type: ignore[return-value]


def test_snapshot_every_so_many_committed_bytes_and_retention_by_size(tmp_path: Path) -> None:
    log, _ = DiskLog.open(tmp_path, SEGMENT_BYTES)
    store = SnapshotStore(tmp_path)
    node = FakeNode()
    batch_bytes = len(batch(0, 1))
    config = SnapshotConfig(
        bytes_between_snapshots=10 * batch_bytes,
        snapshot_interval_ms=0,
        retention_bytes=3 * SEGMENT_BYTES,
        retention_ms=-1,
    )
    snapshotter = Snapshotter(node, log, store, config, NOW_MS)
    now = NOW_MS
    assert run_due(snapshotter, now) == []  # nothing committed: nothing to do
    created: list[OffsetAndEpoch] = []
    core_start = 0
    for _ in range(12):
        data = fill(log, 5)
        node.high_watermark = log.end_offset
        snapshotter.on_ready(appended(data, log.end_offset), now)
        now += 10
        events = run_due(snapshotter, now)
        for event in events:
            # The core's rule: the log start only ever moves to a snapshot's end offset.
            assert event.log_start_offset in (core_start, event.snapshot_id.offset)
            core_start = event.log_start_offset
        assert core_start == log.start_offset
        if events:
            created.append(events[0].snapshot_id)
    # One snapshot per 10 batches committed, at the high watermark, with the batches' epoch.
    assert [s.offset for s in created] == [100 * n for n in range(1, 7)]
    assert {s.epoch for s in created} == {1}
    # Retention by size kept the disk bounded: the log start moved to a snapshot, whole segments
    # below it are gone, the newest snapshot is kept.
    assert log.start_offset in {s.offset for s in created}
    assert log.view.segment_bases[0] <= log.start_offset
    assert len(log.view.segment_bases) < 8
    assert store.snapshot_ids()[-1] == created[-1]
    assert all(s.offset >= log.start_offset for s in store.snapshot_ids())
    assert log.size_bytes <= 4 * SEGMENT_BYTES
    log.close()


def test_retention_by_age_and_the_newest_snapshot_is_never_deleted(tmp_path: Path) -> None:
    log, _ = DiskLog.open(tmp_path, SEGMENT_BYTES)
    store = SnapshotStore(tmp_path)
    node = FakeNode()
    config = SnapshotConfig(
        bytes_between_snapshots=1 << 40,
        snapshot_interval_ms=1000,
        retention_bytes=-1,
        retention_ms=60_000,
    )
    snapshotter = Snapshotter(node, log, store, config, NOW_MS)
    data = fill(log, 5)
    node.high_watermark = log.end_offset
    snapshotter.on_ready(appended(data, log.end_offset), NOW_MS)
    assert run_due(snapshotter, NOW_MS + 999) == []  # neither rule yet (the check ran at start)
    first = run_due(snapshotter, NOW_MS + 1000)
    assert [e.snapshot_id for e in first] == [OffsetAndEpoch(50, 1)]
    assert run_due(snapshotter, NOW_MS + 5000) == []  # no new data, no new snapshot
    data = fill(log, 5)
    node.high_watermark = log.end_offset
    snapshotter.on_ready(appended(data, log.end_offset), NOW_MS + 5000)
    second = run_due(snapshotter, NOW_MS + 6000)
    assert [e.snapshot_id for e in second] == [OffsetAndEpoch(100, 1)]
    assert log.start_offset == 0  # both snapshots are young
    # Once the oldest's last record is older than the retention, it goes and the start moves.
    assert run_due(snapshotter, NOW_MS + 61_000) == []  # next retention check not due yet
    later = NOW_MS + 6000 + 60_000
    events = run_due(snapshotter, later)
    assert events == [SnapshotCreated(OffsetAndEpoch(100, 1), 100)]
    assert log.start_offset == 100
    assert store.snapshot_ids() == [OffsetAndEpoch(100, 1)]
    # Alone, the newest snapshot stays however old it is.
    assert run_due(snapshotter, later + 10**9) == []
    assert store.snapshot_ids() == [OffsetAndEpoch(100, 1)]
    log.close()


def test_no_snapshot_beyond_the_flushed_end(tmp_path: Path) -> None:
    log, _ = DiskLog.open(tmp_path, SEGMENT_BYTES)
    store = SnapshotStore(tmp_path)
    data = batch(0, 1)
    log.append(data)  # not flushed
    node = FakeNode(high_watermark=10)
    snapshotter = Snapshotter(node, log, store, SnapshotConfig(bytes_between_snapshots=1), NOW_MS)
    snapshotter.on_ready(appended([data], 10), NOW_MS)
    assert run_due(snapshotter, NOW_MS) == []
    assert store.snapshot_ids() == []
    log.flush()
    events = run_due(snapshotter, NOW_MS + 1000)
    assert [e.snapshot_id for e in events] == [OffsetAndEpoch(10, 1)]
    assert snapshot_file_name(OffsetAndEpoch(10, 1)) in {p.name for p in tmp_path.iterdir()}
    log.close()


def test_own_snapshots_below_an_installed_snapshot_are_deleted(tmp_path: Path) -> None:
    log, _ = DiskLog.open(tmp_path, SEGMENT_BYTES)
    store = SnapshotStore(tmp_path)
    fill(log, 3)
    own = OffsetAndEpoch(30, 1)
    store.create(own, build_snapshot(own, NOW_MS, [], NOW_MS))
    # A FetchSnapshot download replaced the log (the core's SnapshotInstall).
    installed = OffsetAndEpoch(500, 4)
    store.create(installed, build_snapshot(installed, NOW_MS, [], NOW_MS))
    log.reset_to(installed.offset)
    snapshotter = Snapshotter(FakeNode(500), log, store, SnapshotConfig(), NOW_MS)
    assert run_due(snapshotter, NOW_MS) == []  # the retention check at start
    assert store.snapshot_ids() == [installed]
    log.close()
