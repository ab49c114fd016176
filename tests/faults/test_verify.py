"""The fault tests' checker catches what it must: a lost, changed, duplicated or skipped record."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.faults.verify import Acknowledged, parse_log, prefix_digest, verify
from wire.records import build_control_batch, build_data_batch
from wire.records.batch import ControlRecordType


def make_log(epoch_of_last: int = 1) -> list[bytes]:
    """Offsets 0 (control), 1-3, 4-5 (data)."""
    return [
        build_control_batch(0, 1, 1000, [(ControlRecordType.LEADER_CHANGE, b"\x00\x00")]),
        build_data_batch(1, 1, 1001, [b"a", b"b", b"c"]),
        build_data_batch(4, epoch_of_last, 1002, [b"d", b"e"]),
    ]


def batch_line(data: bytes, base: int, last: int, control: int = 0) -> str:
    return f"B {base} {last} 1 {control} {hashlib.sha1(data).hexdigest()}\n"


def record_line(offset: int, value: bytes) -> str:
    return f"R {offset} {hashlib.sha1(value).hexdigest()}\n"


def readers(tmp_path: Path, **contents: str) -> dict[str, Path]:
    out = {}
    for name, text in contents.items():
        path = tmp_path / name
        path.write_text(text)
        out[name] = path
    return out


def good_batches(log: list[bytes]) -> str:
    return batch_line(log[0], 0, 0, 1) + batch_line(log[1], 1, 3) + batch_line(log[2], 4, 5)


def good_records() -> str:
    return "".join(record_line(o, v) for o, v in enumerate([b"a", b"b", b"c", b"d", b"e"], 1))


def test_exact_reads_pass(tmp_path: Path) -> None:
    log = make_log()
    whole = b"".join(log)
    ack = Acknowledged("kill", 4, prefix_digest(parse_log(whole, "n"), 4))
    files = readers(tmp_path, raft=good_batches(log), kafka=good_records())
    result = verify({"n1": whole, "n2": whole}, files, [ack])
    assert result.committed_end == 6
    assert result.per_reader == {"raft": 6, "kafka": 5}


def test_a_node_that_lost_a_committed_batch_fails(tmp_path: Path) -> None:
    log = make_log()
    files = readers(tmp_path, raft=good_batches(log))
    with pytest.raises(AssertionError, match="below committed"):
        verify({"n1": b"".join(log), "n2": b"".join(log[:2])}, files, [])


def test_a_node_with_a_different_committed_batch_fails(tmp_path: Path) -> None:
    log = make_log()
    other = b"".join(make_log(epoch_of_last=2))
    files = readers(tmp_path, raft=good_batches(log))
    with pytest.raises(AssertionError, match="differ at committed offset 4"):
        verify({"n1": b"".join(log), "n2": other}, files, [])


def test_a_changed_acknowledged_prefix_fails(tmp_path: Path) -> None:
    log = make_log()
    old = b"".join(make_log(epoch_of_last=2))
    ack = Acknowledged("kill", 6, prefix_digest(parse_log(old, "old"), 6))
    with pytest.raises(AssertionError, match="the prefix below 6 changed"):
        verify({"n1": b"".join(log)}, readers(tmp_path), [ack])


def test_a_corrupt_batch_fails(tmp_path: Path) -> None:
    log = make_log()
    corrupt = bytearray(b"".join(log))
    corrupt[-1] ^= 1
    with pytest.raises(AssertionError, match="CRC mismatch"):
        verify({"n1": bytes(corrupt)}, readers(tmp_path), [])


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (lambda log: batch_line(log[0], 0, 0, 1) + batch_line(log[2], 4, 5), "expected 1"),
        (lambda log: good_batches(log) + batch_line(log[2], 4, 5), "expected 6"),
        (lambda log: batch_line(log[0], 0, 0, 1) + batch_line(log[2], 1, 3), "differs"),
    ],
    ids=["gap", "duplicate", "changed"],
)
def test_a_reader_gap_duplicate_or_change_fails(
    tmp_path: Path, lines: object, message: str
) -> None:
    log = make_log()
    files = readers(tmp_path, raft=lines(log))  # type: ignore[operator]
    with pytest.raises(AssertionError, match=message):
        verify({"n1": b"".join(log)}, files, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (record_line(1, b"a") + record_line(3, b"c"), "skipped data record 2"),
        (good_records() + record_line(5, b"e"), "duplicate"),
        (record_line(1, b"a") + record_line(2, b"x"), "differs"),
        (record_line(0, b""), "not a committed record"),
    ],
    ids=["skip", "duplicate", "changed", "control"],
)
def test_a_kafka_reader_skip_duplicate_or_change_fails(
    tmp_path: Path, text: str, message: str
) -> None:
    log = make_log()
    with pytest.raises(AssertionError, match=message):
        verify({"n1": b"".join(log)}, readers(tmp_path, kafka=text), [])


def test_a_kafka_reader_stopped_inside_a_batch_passes(tmp_path: Path) -> None:
    """A record read means its whole batch is committed, even if the reader stopped before the
    rest of it: every node must hold the whole batch."""
    log = make_log()
    files = readers(tmp_path, kafka=record_line(1, b"a"))
    assert verify({"n1": b"".join(log)}, files, []).committed_end == 4
    with pytest.raises(AssertionError, match="below committed 4"):
        verify({"n1": b"".join(log), "n2": b"".join(log[:1])}, files, [])
