"""Batch headers, scanning, CRC and offset/epoch patching, on golden and built bytes."""

from __future__ import annotations

import struct

import pytest
from crc32c import crc32c

from wire.errors import DecodeError
from wire.records import (
    BATCH_HEADER_BYTES,
    NO_PRODUCER_EPOCH,
    NO_PRODUCER_ID,
    NO_SEQUENCE,
    BatchHeader,
    BatchScan,
    Compression,
    CorruptBatchError,
    Record,
    TimestampType,
    build_batch,
    build_data_batch,
    crc_ok,
    decode_records,
    iter_batches,
    read_batch_header,
    scan_batches,
    set_base_offset,
    set_partition_leader_epoch,
    verify_batch,
    with_base_offset,
    with_partition_leader_epoch,
)
from wire.records.varint import decode_varint, decode_varlong, encode_varint, encode_varlong

# One record, value b"hi", built by hand from the layout in RAFT-BRIEF §7 (not by our builder).
_RECORD = bytes([0x10, 0x00, 0x00, 0x00, 0x01, 0x04]) + b"hi" + b"\x00"
_BODY = (
    struct.pack(">hiqqqhii", 0, 0, 1_700_000_000_000, 1_700_000_000_000, -1, -1, -1, 1) + _RECORD
)
GOLDEN = struct.pack(">qiibI", 5, 9 + len(_BODY), 3, 2, crc32c(_BODY)) + _BODY


def test_golden_bytes_match_the_fast_builder() -> None:
    assert build_data_batch(5, 3, 1_700_000_000_000, [b"hi"]) == GOLDEN


def test_record_length_prefix_counts_bytes_after_it() -> None:
    assert _RECORD[0] >> 1 == len(_RECORD) - 1


def test_read_golden_header() -> None:
    h = read_batch_header(GOLDEN)
    assert h == BatchHeader(
        base_offset=5,
        batch_length=len(GOLDEN) - 12,
        partition_leader_epoch=3,
        magic=2,
        crc=crc32c(GOLDEN[21:]),
        attributes=0,
        last_offset_delta=0,
        base_timestamp=1_700_000_000_000,
        max_timestamp=1_700_000_000_000,
        producer_id=NO_PRODUCER_ID,
        producer_epoch=NO_PRODUCER_EPOCH,
        base_sequence=NO_SEQUENCE,
        records_count=1,
    )
    assert h.size_bytes == len(GOLDEN)
    assert (h.last_offset, h.next_offset) == (5, 6)
    assert h.compression is Compression.NONE
    assert h.timestamp_type is TimestampType.CREATE_TIME
    assert not (h.is_control or h.is_transactional or h.has_delete_horizon)
    assert crc_ok(GOLDEN, 0, h)
    assert decode_records(GOLDEN, 0, h) == [
        Record(5, 1_700_000_000_000, None, b"hi"),
    ]


def test_header_needs_only_61_bytes() -> None:
    batch = build_data_batch(0, 1, 0, [b"x" * 1000])
    h = read_batch_header(batch[:BATCH_HEADER_BYTES])
    assert h.size_bytes == len(batch)
    assert not crc_ok(batch[:BATCH_HEADER_BYTES], 0, h)
    with pytest.raises(DecodeError):
        read_batch_header(batch[: BATCH_HEADER_BYTES - 1])
    with pytest.raises(DecodeError):
        decode_records(batch[:-1], 0, h)


@pytest.mark.parametrize(
    ("offset", "packed"),
    [
        (16, b"\x01"),  # magic 1
        (8, struct.pack(">i", 48)),  # shorter than a header
        (8, struct.pack(">i", -1)),
        (8, struct.pack(">i", 0x7FFFFFFF)),
    ],
)
def test_bad_header_fields_raise(offset: int, packed: bytes) -> None:
    bad = GOLDEN[:offset] + packed + GOLDEN[offset + len(packed) :]
    with pytest.raises(DecodeError):
        read_batch_header(bad)
    with pytest.raises(DecodeError):
        list(iter_batches(bad))


def test_unknown_compression_code_raises_decode_error() -> None:
    bad = bytearray(GOLDEN)
    bad[22] = 6
    h = read_batch_header(bad)
    with pytest.raises(DecodeError):
        _ = h.compression
    with pytest.raises(DecodeError):
        decode_records(bad, 0, h, verify_crc=False)


def test_crc_mismatch_is_reported_distinctly() -> None:
    bad = bytearray(GOLDEN)
    bad[-2] ^= 0x01
    h = read_batch_header(bad)
    assert not crc_ok(bad, 0, h)
    with pytest.raises(CorruptBatchError):
        verify_batch(bad)
    with pytest.raises(CorruptBatchError):
        decode_records(bad, 0, h)
    assert decode_records(bad, 0, h, verify_crc=False)[0].value == b"hh"


def test_scan_concatenated_batches_and_trailing_partial() -> None:
    batches = [build_data_batch(i * 3, 2, 0, [b"a", b"bb", b"ccc"]) for i in range(4)]
    buf = b"".join(batches)
    scan = scan_batches(buf)
    assert not scan.trailing_partial and scan.valid_bytes == len(buf)
    assert [h.base_offset for h in scan.headers] == [0, 3, 6, 9]
    assert [h.last_offset for h in scan.headers] == [2, 5, 8, 11]
    assert list(scan.positions) == [sum(map(len, batches[:i])) for i in range(4)]
    for cut in range(1, len(batches[-1])):
        scan = scan_batches(buf[:-cut])
        assert scan.trailing_partial and len(scan.headers) == 3
        assert scan.valid_bytes == len(buf) - len(batches[-1])
    assert scan_batches(buf, len(buf)) == BatchScan((), (), len(buf), False)
    assert scan_batches(b"") == BatchScan((), (), 0, False)


def test_scan_from_a_position_in_a_memoryview() -> None:
    batches = [build_data_batch(i, 2, 0, [b"v"]) for i in range(3)]
    buf = memoryview(bytearray(b"".join(batches)))
    pairs = list(iter_batches(buf, len(batches[0])))
    assert [h.base_offset for _, h in pairs] == [1, 2]
    assert all(crc_ok(buf, pos, h) for pos, h in pairs)


def test_patching_offset_and_epoch_keeps_the_crc() -> None:
    batch = build_data_batch(0, 1, 123, [b"a", b"b"])
    moved = with_partition_leader_epoch(with_base_offset(batch, 1 << 40), 77)
    h = verify_batch(moved)
    assert (h.base_offset, h.partition_leader_epoch, h.last_offset) == (1 << 40, 77, (1 << 40) + 1)
    assert [r.offset for r in decode_records(moved, 0, h)] == [1 << 40, (1 << 40) + 1]
    buf = bytearray(b"xx" + batch)
    set_base_offset(buf, 2, 9)
    set_partition_leader_epoch(buf, 2, 4)
    assert bytes(buf[2:]) == with_partition_leader_epoch(with_base_offset(batch, 9), 4)


def test_attribute_bits() -> None:
    rec = [Record(0, 10, b"k", b"v")]
    h = read_batch_header(
        build_batch(
            rec,
            is_control=True,
            is_transactional=True,
            timestamp_type=TimestampType.LOG_APPEND_TIME,
            delete_horizon=True,
            compression=Compression.ZSTD,
        )
    )
    assert h.attributes == 0x20 | 0x10 | 0x08 | 0x40 | 4
    assert h.is_control and h.is_transactional and h.has_delete_horizon
    assert h.timestamp_type is TimestampType.LOG_APPEND_TIME
    assert h.compression is Compression.ZSTD


def test_log_append_time_records_take_max_timestamp() -> None:
    records = [Record(0, 10, None, b"a"), Record(1, 20, None, b"b")]
    batch = build_batch(records, timestamp_type=TimestampType.LOG_APPEND_TIME, max_timestamp=99)
    assert [r.timestamp for r in decode_records(batch, 0, read_batch_header(batch))] == [99, 99]


def test_empty_batches_are_programmer_errors() -> None:
    with pytest.raises(ValueError):
        build_data_batch(0, 0, 0, [])
    with pytest.raises(ValueError):
        build_batch([])


def test_large_offsets_and_values_use_multibyte_varints() -> None:
    values = [bytes([i % 256]) * (i * 37 % 20000) for i in range(20000)]
    batch = build_data_batch(0, 0, 0, values)
    records = decode_records(batch, 0, verify_batch(batch))
    assert [r.value for r in records] == values
    assert records[-1].offset == 19999


@pytest.mark.parametrize(
    "value", [0, 1, -1, 63, -64, 64, 1 << 20, -(1 << 31), (1 << 31) - 1, -(1 << 63), (1 << 63) - 1]
)
def test_varints(value: int) -> None:
    encoded = encode_varlong(value)
    assert decode_varlong(encoded, 0) == (value, len(encoded))
    if -(1 << 31) <= value < 1 << 31:
        assert encode_varint(value) == encoded
        assert decode_varint(encoded, 0) == (value, len(encoded))
    else:
        with pytest.raises(DecodeError):
            decode_varint(encoded, 0)


def test_varint_known_encodings_and_limits() -> None:
    assert encode_varlong(-1) == b"\x01"
    assert encode_varlong(1) == b"\x02"
    assert encode_varlong(300) == b"\xd8\x04"
    with pytest.raises(DecodeError):
        decode_varint(b"\x80\x80\x80\x80\x80\x01", 0)
    with pytest.raises(DecodeError):
        decode_varlong(b"\x80" * 10 + b"\x01", 0)
    with pytest.raises(DecodeError):
        decode_varint(b"\x80", 0)
