"""`decode_record_values` (issue #16, `kraft tail`'s per-record path) is `decode_records` reduced
to (offset, timestamp, value): same answers on every batch, same `DecodeError` on every flaw."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wire.errors import DecodeError
from wire.records import (
    Compression,
    ControlRecordType,
    Record,
    TimestampType,
    build_batch,
    build_control_batch,
    build_data_batch,
    decode_records,
    read_batch_header,
)
from wire.records.record import decode_record_values

RNG = random.Random(16)
SIZES = (0, 1, 63, 64, 200, 1024, 8191, 8192, 70_000)  # one-, two- and three-byte lengths
SAMPLES = [
    build_data_batch(0, 3, 1_700_000_000_000, [RNG.randbytes(size) for size in SIZES]),
    build_data_batch(10**12, 7, 1, [b"x"] * 300),  # offset deltas past one varint byte
    *(build_data_batch(5, 1, 2, [b"v%d" % i for i in range(40)], codec) for codec in Compression),
    build_batch(
        [Record(7 + i, 50 + i * 1000, None, None if i % 3 == 0 else b"v") for i in range(9)]
    ),
    build_batch([Record(7, 9, b"key", b"value")]),
    build_batch([Record(7, 9, None, b"value", (("h", b"x"), ("n", None)))]),
    build_batch(
        [Record(3, 100, None, b"a"), Record(4, 200, None, b"b")],
        timestamp_type=TimestampType.LOG_APPEND_TIME,
        max_timestamp=12_345,
    ),
    build_control_batch(0, 1, 2, [(ControlRecordType.SNAPSHOT_FOOTER, b"\x00\x00\x00")]),
]


def _expected(buf: bytes, verify_crc: bool = True) -> list[tuple[int, int, bytes | None]] | str:
    try:
        records = decode_records(buf, 0, read_batch_header(buf), verify_crc=verify_crc)
    except DecodeError as exc:
        return f"{type(exc).__name__}: {exc}"
    return [(r.offset, r.timestamp, r.value) for r in records]


def _actual(buf: bytes, verify_crc: bool = True) -> list[tuple[int, int, bytes | None]] | str:
    try:
        return decode_record_values(buf, 0, read_batch_header(buf), verify_crc=verify_crc)
    except DecodeError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_same_values_as_decode_records(index: int) -> None:
    buf = SAMPLES[index]
    assert _actual(buf) == _expected(buf)
    assert _actual(buf + b"trailing bytes of the next batch") == _expected(buf)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES[:2] + SAMPLES[-5:-1]), st.data())
def test_same_error_on_every_flaw(buf: bytes, data: st.DataObject) -> None:
    """Bytes changed anywhere after the header (CRC not checked: the record parser must catch
    each flaw itself) give the very answer, or error, `decode_records` gives."""
    mutated = bytearray(buf)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(61, len(buf) - 1))
        mutated[position] = data.draw(st.integers(0, 255))
    assert _actual(bytes(mutated), verify_crc=False) == _expected(bytes(mutated), verify_crc=False)
    assert _actual(bytes(mutated)) == _expected(bytes(mutated))


def test_raft_data_batches_never_build_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the function: a raft data batch is read without any `Record` object."""
    import wire.records.record as record_module

    expected = _expected(SAMPLES[0])

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("took the general path")

    monkeypatch.setattr(record_module, "decode_records", refuse)
    monkeypatch.setattr(record_module, "Record", refuse)
    assert _actual(SAMPLES[0]) == expected
    assert _actual(SAMPLES[1])[-1] == (10**12 + 299, 1, b"x")  # type: ignore[index]
