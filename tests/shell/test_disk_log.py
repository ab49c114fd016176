"""`kraft.shell.disk_log`: Kafka's layout, bytes in = bytes out, roll, truncate, crash recovery."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from kraft.shell.disk_log import (
    LEADER_EPOCH_CHECKPOINT,
    PARTITION_METADATA,
    DiskLog,
    LogAppendError,
)
from kraft.shell.durable_files import LogDirError, lock_log_dir
from kraft.shell.log_segments import EpochEntry, segment_file_name
from wire.records import build_data_batch, iter_batches


def batch(base: int, epoch: int, count: int = 3, size: int = 20) -> bytes:
    values = [bytes([base % 251]) * size for _ in range(count)]
    return build_data_batch(base, epoch, 1_700_000_000_000 + base, values)


def fill(log: DiskLog, batches: int, *, epoch: int = 1, count: int = 3) -> list[bytes]:
    written = []
    for _ in range(batches):
        data = batch(log.end_offset, epoch, count)
        log.append(data)
        written.append(data)
    return written


def open_log(path: Path, segment_bytes: int = 1 << 30) -> DiskLog:
    log, report = DiskLog.open(path, segment_bytes)
    assert report.reason is None, report
    return log


def test_fresh_log_layout(tmp_path: Path) -> None:
    log = open_log(tmp_path / "p")
    assert (log.end_offset, log.start_offset, log.last_epoch) == (0, 0, 0)
    files = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert files == ["00000000000000000000.log", LEADER_EPOCH_CHECKPOINT, PARTITION_METADATA]
    assert (tmp_path / "p" / PARTITION_METADATA).read_text() == (
        "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n"
    )
    assert log.read(0, 1000) == b""
    log.close()


def test_append_read_bytes_identical(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    written = fill(log, 5)
    assert log.end_offset == 15
    assert log.flushed_offset == 0
    assert log.flush() == 15
    whole = b"".join(written)
    assert log.read(0, 1 << 20) == whole
    # The batch holding the offset comes first, whole.
    assert log.read(4, 1 << 20) == b"".join(written[1:])
    assert log.read(5, 1 << 20) == b"".join(written[1:])
    # bytes_max: at least one batch, then only whole batches within the budget.
    assert log.read(0, 1) == written[0]
    assert log.read(0, len(written[0]) + len(written[1]) + 1) == written[0] + written[1]
    # end_offset_limit: only batches wholly below it.
    assert log.read(0, 1 << 20, end_offset_limit=6) == written[0] + written[1]
    assert log.read(0, 1 << 20, end_offset_limit=8) == written[0] + written[1]
    assert log.read(0, 1 << 20, end_offset_limit=9) == b"".join(written[:3])
    assert log.read(0, 1 << 20, end_offset_limit=2) == b""
    assert log.read(15, 1 << 20) == b""
    log.close()
    on_disk = (tmp_path / segment_file_name(0)).read_bytes()
    assert on_disk == whole


def test_append_rejects_gaps_and_partial_batches(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    fill(log, 1)
    with pytest.raises(LogAppendError, match="does not continue"):
        log.append(batch(7, 1))
    with pytest.raises(LogAppendError, match="trailing bytes"):
        log.append(batch(3, 1)[:-1])
    with pytest.raises(LogAppendError):
        log.append(b"\x00" * 70)
    assert log.end_offset == 3
    log.close()


def test_segment_roll_and_reopen(tmp_path: Path) -> None:
    one = len(batch(0, 1))
    log = open_log(tmp_path, segment_bytes=one * 3)
    written = fill(log, 10)
    log.flush()
    names = sorted(p.name for p in tmp_path.glob("*.log"))
    assert names == [segment_file_name(o) for o in (0, 9, 18, 27)]
    # A read never crosses a segment boundary.
    assert log.read(0, 1 << 20) == b"".join(written[:3])
    assert log.read(9, 1 << 20) == b"".join(written[3:6])
    log.close()
    again = open_log(tmp_path, segment_bytes=one * 3)
    assert again.end_offset == 30
    assert list(again.iter_batch_bounds()) == [(i * 3, i * 3 + 2) for i in range(10)]
    assert again.read(27, 100) == written[9]
    again.close()


def test_epochs_and_checkpoint(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    fill(log, 2, epoch=1)
    fill(log, 1, epoch=3)
    fill(log, 2, epoch=4)
    assert log.epochs == (EpochEntry(1, 0), EpochEntry(3, 6), EpochEntry(4, 9))
    assert log.last_epoch == 4
    log.flush()
    assert (tmp_path / LEADER_EPOCH_CHECKPOINT).read_text() == "0\n3\n1 0\n3 6\n4 9\n"
    log.truncate_to(9)
    assert log.epochs == (EpochEntry(1, 0), EpochEntry(3, 6))
    log.flush()
    assert (tmp_path / LEADER_EPOCH_CHECKPOINT).read_text() == "0\n2\n1 0\n3 6\n"
    log.close()


def test_truncate_across_segments(tmp_path: Path) -> None:
    one = len(batch(0, 1))
    log = open_log(tmp_path, segment_bytes=one * 2)
    written = fill(log, 7)
    log.flush()
    assert log.truncate_to(7) == 6  # mid-batch: the whole batch holding 7 goes
    assert log.end_offset == 6
    assert sorted(p.name for p in tmp_path.glob("*.log")) == [
        segment_file_name(0),
        segment_file_name(6),
    ]
    assert log.flushed_offset == 6
    fill(log, 1, epoch=2)
    log.flush()
    assert log.read(6, 1 << 20) == batch(6, 2)
    assert log.truncate_to(0) == 0
    assert log.read(0, 1 << 20) == b""
    log.close()
    again = open_log(tmp_path, segment_bytes=one * 2)
    assert again.end_offset == 0
    assert again.epochs == ()
    again.close()
    del written


def test_recovery_cuts_torn_tail_at_every_position(tmp_path: Path) -> None:
    reference = tmp_path / "ref"
    log = open_log(reference)
    written = fill(log, 4)
    log.flush()
    log.close()
    whole = b"".join(written)
    boundaries = [0]
    for data in written:
        boundaries.append(boundaries[-1] + len(data))
    rng = random.Random(7)
    cuts = sorted({rng.randrange(len(whole)) for _ in range(40)} | {1, 60, 61, len(whole) - 1})
    for cut in cuts:
        directory = tmp_path / f"cut{cut}"
        directory.mkdir()
        (directory / segment_file_name(0)).write_bytes(whole[:cut])
        recovered, report = DiskLog.open(directory, 1 << 30)
        keep = max(b for b in boundaries if b <= cut)
        assert recovered.read(0, 1 << 20) == whole[:keep]
        assert recovered.end_offset == 3 * boundaries.index(keep)
        # A torn tail of only zero bytes reads as the preallocated end: same cut, no complaint.
        damaged = any(whole[keep:cut])
        assert report.truncated_bytes == (cut - keep if damaged else 0)
        assert (report.reason is None) == (not damaged)
        assert os.path.getsize(directory / segment_file_name(0)) == keep
        # And the recovered log keeps working.
        recovered.append(batch(recovered.end_offset, 2))
        recovered.flush()
        recovered.close()


def test_recovery_stops_at_corrupt_batch_and_drops_later_segments(tmp_path: Path) -> None:
    one = len(batch(0, 1))
    log = open_log(tmp_path, segment_bytes=one * 2)
    written = fill(log, 6)
    log.flush()
    log.close()
    segment = tmp_path / segment_file_name(0)
    data = bytearray(segment.read_bytes())
    data[one + 70] ^= 0xFF  # inside the second batch's records: CRC mismatch
    segment.write_bytes(bytes(data))
    log, report = DiskLog.open(tmp_path, one * 2)
    assert report.reason is not None and "CRC32C" in report.reason
    assert log.end_offset == 3
    assert log.read(0, 1 << 20) == written[0]
    assert sorted(p.name for p in tmp_path.glob("*.log")) == [segment_file_name(0)]
    log.close()


def test_recovery_rejects_offset_gap(tmp_path: Path) -> None:
    (tmp_path / segment_file_name(0)).write_bytes(batch(0, 1) + batch(5, 1))
    log, report = DiskLog.open(tmp_path, 1 << 30)
    assert report.reason is not None and "expected 3" in report.reason
    assert log.end_offset == 3
    log.close()


def test_garbage_segment_recovers_to_empty(tmp_path: Path) -> None:
    (tmp_path / segment_file_name(0)).write_bytes(os.urandom(5000))
    log, report = DiskLog.open(tmp_path, 1 << 30)
    assert log.end_offset == 0
    assert report.truncated_bytes == 5000
    log.close()


def test_batches_on_disk_are_kafka_batches(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    fill(log, 3)
    log.flush()
    log.close()
    data = (tmp_path / segment_file_name(0)).read_bytes()
    assert [h.base_offset for _, h in iter_batches(data)] == [0, 3, 6]


def test_lock_log_dir(tmp_path: Path) -> None:
    fd = lock_log_dir(tmp_path / "d")
    with pytest.raises(LogDirError, match="locked by another process"):
        lock_log_dir(tmp_path / "d")
    os.close(fd)
    os.close(lock_log_dir(tmp_path / "d"))


def test_unwritable_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LogDirError, match="not writable"):
        DiskLog.open(blocker / "sub", 1 << 30)


def test_sparse_index_reads_and_truncations_match_a_reference(tmp_path: Path) -> None:
    """Hundreds of small batches over several segments (many index entries each): every read
    and truncation agrees with a plain list of the batches, before and after reopening."""
    rng = random.Random(4099)
    log = open_log(tmp_path, segment_bytes=20_000)
    reference: list[tuple[int, int, bytes]] = []  # (base, last, bytes)

    def append(count: int) -> None:
        for _ in range(count):
            base = log.end_offset
            n = rng.randint(1, 4)
            data = build_data_batch(
                base, 1 + base // 500, 0, [rng.randbytes(rng.randint(1, 90)) for _ in range(n)]
            )
            log.append(data)
            reference.append((base, base + n - 1, data))

    def expected(start: int, bytes_max: int, limit: int) -> bytes:
        first = next((i for i, (_, last, _) in enumerate(reference) if last >= start), None)
        if first is None or reference[first][1] >= limit:
            return b""
        out = [reference[first][2]]
        size = len(out[0])
        segment_of = {}
        for i, (base, _, _) in enumerate(reference):
            segment_of[i] = max(b for b in segment_bases if b <= base)
        for i in range(first + 1, len(reference)):
            base, last, data = reference[i]
            if segment_of[i] != segment_of[first] or last >= limit or size + len(data) > bytes_max:
                break
            out.append(data)
            size += len(data)
        return b"".join(out)

    def check() -> None:
        for _ in range(200):
            start = rng.randrange(log.end_offset + 2)
            bytes_max = rng.choice([1, 100, 1000, 5000, 1 << 20])
            limit = rng.randrange(start, log.end_offset + 3)
            assert log.read(start, bytes_max, limit) == expected(start, bytes_max, limit)
        assert list(log.iter_batch_bounds()) == [(b, last) for b, last, _ in reference]

    append(600)
    assert log.segment_count > 3
    segment_bases = sorted(int(p.name[:20]) for p in tmp_path.glob("*.log"))
    check()
    for _ in range(5):
        cut = rng.randrange(reference[0][0], log.end_offset)
        log.truncate_to(cut)
        while reference and reference[-1][1] >= cut:
            reference.pop()
        assert log.end_offset == (reference[-1][1] + 1 if reference else 0)
        append(rng.randint(0, 80))
        segment_bases = sorted(int(p.name[:20]) for p in tmp_path.glob("*.log"))
        check()
    log.flush()
    log.close()
    log = open_log(tmp_path, segment_bytes=20_000)
    check()
    log.close()


def test_preallocated_zeros_are_never_read_and_trimmed_on_roll_and_close(tmp_path: Path) -> None:
    one = len(batch(0, 1))
    log = open_log(tmp_path, segment_bytes=one * 3)
    written = fill(log, 2)
    log.flush()
    first = tmp_path / segment_file_name(0)
    # The file runs ahead of the data with zeros (up to the segment size here).
    assert os.path.getsize(first) == one * 3
    assert first.read_bytes()[: one * 2] == b"".join(written)
    assert not any(first.read_bytes()[one * 2 :])
    assert log.read(0, 1 << 20) == b"".join(written)
    written += fill(log, 2)  # the fourth batch rolls: the first segment is trimmed
    assert os.path.getsize(first) == one * 3
    second = tmp_path / segment_file_name(9)
    assert os.path.getsize(second) == one * 3
    log.flush()
    log.close()
    assert os.path.getsize(second) == one  # close trims the active segment
    reopened = open_log(tmp_path, segment_bytes=one * 3)
    assert reopened.read(0, 1 << 20) == b"".join(written[:3])
    assert reopened.read(9, 1 << 20) == written[3]
    reopened.close()


def test_crash_with_a_preallocated_tail_recovers_cleanly(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    written = fill(log, 5)
    log.flush()
    segment = tmp_path / segment_file_name(0)
    size_before_crash = os.path.getsize(segment)
    assert size_before_crash > len(b"".join(written))  # zeros after the data
    # A crash: the process dies without closing the log.
    recovered, report = DiskLog.open(tmp_path, 1 << 30)
    assert report.reason is None and report.truncated_bytes == 0
    assert recovered.end_offset == 15
    assert os.path.getsize(segment) == len(b"".join(written))
    recovered.append(batch(15, 1))
    assert recovered.read(15, 1 << 20) == batch(15, 1)
    recovered.close()
    log.close()


def test_torn_batch_inside_the_preallocated_tail_is_reported(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    written = fill(log, 2)
    log.flush()
    segment = tmp_path / segment_file_name(0)
    end = len(b"".join(written))
    with open(segment, "r+b") as f:
        f.seek(end)
        f.write(batch(6, 1)[:40])  # half a header, then the zeros
    recovered, report = DiskLog.open(tmp_path, 1 << 30)
    assert report.reason is not None
    assert recovered.end_offset == 6
    assert os.path.getsize(segment) == end
    recovered.close()
    log.close()


def test_flushed_pages_older_than_the_kept_window_leave_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`flush` drops flushed pages older than the newest PAGE_CACHE_KEEP_BYTES (in steps on the
    active segment, whole on older ones, each range once) and reads still return every byte."""
    import kraft.shell.disk_log as disk_log

    one = len(batch(0, 1))
    monkeypatch.setattr(disk_log, "PAGE_CACHE_KEEP_BYTES", 4 * one)
    monkeypatch.setattr(disk_log, "PAGE_CACHE_DROP_STEP_BYTES", 2 * one)
    dropped: list[tuple[int, int, int]] = []
    real = os.posix_fadvise

    def spy(fd: int, offset: int, length: int, advice: int) -> None:
        assert advice == os.POSIX_FADV_DONTNEED
        dropped.append((fd, offset, length))
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", spy)
    log = open_log(tmp_path, segment_bytes=one * 10)
    written = fill(log, 5)
    log.flush()
    assert dropped == []  # 5 batches: one past the window, less than a step
    written += fill(log, 1)
    log.flush()
    first_fd = log.view.segments[0].file.fd
    assert dropped == [(first_fd, 0, 2 * one)]
    written += fill(log, 6)  # rolls at 10 batches: 2 in the new segment
    log.flush()
    second_fd = log.view.segments[1].file.fd
    # The old segment drops all but what the window keeps of it (2 in the new one + 2 there).
    assert dropped[1:] == [(first_fd, 2 * one, 6 * one)]
    log.flush()
    assert len(dropped) == 2  # nothing new: nothing dropped twice
    written += fill(log, 4)
    log.flush()
    assert dropped[2:] == [(second_fd, 0, 2 * one), (first_fd, 8 * one, 2 * one)]  # newest first
    for index, data in enumerate(written):
        assert log.read(index * 3, len(data)) == data
    log.close()
