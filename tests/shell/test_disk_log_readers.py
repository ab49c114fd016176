"""`DiskLog` with one owner and readers on other threads: published views, the retry rule.

The owner (here: the test's writer thread, in the node: the disk worker) appends, truncates and
resets; readers on other threads read the published view and bytes at the same time, and must
only ever get valid whole batches from the log, or b"" (retry), never an exception.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest

from kraft.shell import log_read as log_read_module
from kraft.shell.disk_log import DiskLog
from kraft.shell.log_read import READ_RETRY, read_view
from wire.records import build_data_batch, crc_ok, iter_batches

HAMMER_S = 1.5
READERS = 3


def batch(base: int, epoch: int, count: int = 3) -> bytes:
    # The payload names the offset and epoch, so a reader can tell a batch from a stale byte.
    values = [f"{base}:{epoch}".encode() * 8 for _ in range(count)]
    return build_data_batch(base, epoch, 1_700_000_000_000 + base, values)


def check_read(data: bytes, start_offset: int) -> None:
    """Whole, CRC-valid, contiguous batches, the first holding `start_offset`."""
    expected_base: int | None = None
    end = 0
    for at, header in iter_batches(data):
        assert crc_ok(data, at, header), "a read returned a batch with a bad CRC"
        if expected_base is None:
            assert header.base_offset <= start_offset <= header.last_offset
        else:
            assert header.base_offset == expected_base
        expected_base = header.next_offset
        end = at + header.size_bytes
    assert end == len(data), "a read returned a partial batch"


def test_readers_racing_append_truncate_reset_never_fail(tmp_path: Path) -> None:
    one = len(batch(0, 1))
    log, _ = DiskLog.open(tmp_path, segment_bytes=one * 4)  # rolls every few batches
    stop = threading.Event()
    failures: list[BaseException] = []
    reads = [0, 0]  # [with data, empty]

    def owner() -> None:
        rng = random.Random(1)
        epoch = 1
        try:
            while not stop.is_set():
                for _ in range(rng.randrange(1, 12)):
                    log.append(batch(log.end_offset, epoch))
                if rng.random() < 0.5:
                    log.flush()
                choice = rng.random()
                if choice < 0.4:
                    epoch += 1
                    log.truncate_to(rng.randrange(log.start_offset, log.end_offset + 1))
                elif choice < 0.55:
                    epoch += 1
                    log.reset_to(log.end_offset + rng.randrange(0, 5))
        except BaseException as exc:
            failures.append(exc)
            stop.set()

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not stop.is_set():
                log.start_offset, log.end_offset, log.last_epoch  # noqa: B018 (each reads a view)
                view = log.view  # one view: facts consistent with each other
                start, end = view.start_offset, view.end_offset
                assert start <= end
                starts = [entry.start_offset for entry in view.epochs]
                assert starts == sorted(starts) and all(start <= s <= end for s in starts[1:])
                offset = rng.randrange(start, end + 1)
                data = log.read(offset, rng.choice([100, 1000, 1 << 20]))
                if data:
                    check_read(data, offset)
                reads[0 if data else 1] += 1
        except BaseException as exc:
            failures.append(exc)
            stop.set()

    threads = [threading.Thread(target=owner)]
    threads += [threading.Thread(target=reader, args=(seed,)) for seed in range(READERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + HAMMER_S
    while time.monotonic() < deadline and not stop.is_set():
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    hung = [thread.name for thread in threads if thread.is_alive()]
    log.close()
    assert not hung, f"threads still running (a read looping on changed bytes?): {hung}"
    if failures:
        raise failures[0]
    assert reads[0] > 100, reads  # the readers really read while the owner changed the log


def test_read_racing_a_truncation_returns_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule, deterministically: the owner truncates and appends other batches while a
    read is between its `pread`s; the read returns READ_RETRY, not the new bytes."""
    log, _ = DiskLog.open(tmp_path, segment_bytes=1 << 30)
    for _ in range(10):
        log.append(batch(log.end_offset, 1))
    real_pread = os.pread
    raced = False

    def pread_then_truncate(fd: int, size: int, position: int) -> bytes:
        nonlocal raced
        data = real_pread(fd, size, position)
        if not raced:
            raced = True
            log.truncate_to(0)
            for _ in range(10):
                log.append(batch(log.end_offset, 2))
        return data

    monkeypatch.setattr(log_read_module.os, "pread", pread_then_truncate)
    assert log.read(12, 1 << 20) == READ_RETRY
    monkeypatch.setattr(log_read_module.os, "pread", real_pread)
    assert log.read(12, 1 << 20) == b"".join(batch(base, 2) for base in range(12, 30, 3))
    log.close()


def test_old_view_of_a_dropped_segment_still_reads_its_bytes(tmp_path: Path) -> None:
    """A view names open files: a segment deleted by truncation stays readable through the
    view that still names it (its fd is not closed, hence never reused, under the reader)."""
    one = len(batch(0, 1))
    log, _ = DiskLog.open(tmp_path, segment_bytes=one * 2)
    written = {}
    for _ in range(6):
        written[log.end_offset] = batch(log.end_offset, 1)
        log.append(written[log.end_offset])
    old = log.view
    assert len(old.segments) >= 3
    last = old.segments[-1]
    log.truncate_to(old.segments[1].base_offset)
    assert len(log.view.segments) == 1
    expected = b"".join(data for base, data in written.items() if base >= last.base_offset)
    assert read_view(old, last.base_offset, 1 << 20) == expected
    log.close()


def test_reset_publishes_one_consistent_view(tmp_path: Path) -> None:
    log, _ = DiskLog.open(tmp_path, segment_bytes=1 << 30)
    for _ in range(4):
        log.append(batch(log.end_offset, 3))
    before = log.view
    log.reset_to(100)
    after = log.view
    assert (before.start_offset, before.end_offset, before.last_epoch) == (0, 12, 3)
    assert (after.start_offset, after.end_offset, after.epochs) == (100, 100, ())
    assert after.generation > before.generation
    assert log.read(100, 1000) == b""
    log.close()
