"""Totality: random bytes, truncations and bit flips give a value or `DecodeError`, nothing else.

A flipped bit inside the CRC-covered range (byte 21 onwards) is always reported as
`CorruptBatchError` (CRC32C detects every single-bit error); flips before it are either harmless
(base offset, epoch) or a `DecodeError` from the header checks.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wire.errors import DecodeError
from wire.records import (
    Compression,
    ControlRecordType,
    CorruptBatchError,
    Record,
    build_batch,
    build_control_batch,
    build_data_batch,
    control_record_type,
    decode_control_record,
    decode_records,
    decompress,
    read_batch_header,
    scan_batches,
    verify_batch,
)
from wire.records.codec import parse_batch_reference

VALUES = [b"value %d " % i * (i % 7 + 1) for i in range(25)]
SAMPLES = [
    *(build_data_batch(100, 3, 1_700_000_000_000, VALUES, codec) for codec in Compression),
    *(
        build_batch(
            [
                Record(7 + i, 50 + i, b"k%d" % i, v, (("h", b"x"), ("n", None)))
                for i, v in enumerate(VALUES)
            ],
            compression=codec,
        )
        for codec in Compression
    ),
    build_control_batch(0, 1, 2, [(ControlRecordType.SNAPSHOT_FOOTER, b"\x00\x00\x00")]),
]


def _decode_everything(buf: bytes) -> None:
    """Every reader over `buf`; any result is fine, any exception but DecodeError fails."""
    try:
        scan = scan_batches(buf)
        for pos, header in zip(scan.positions, scan.headers, strict=True):
            for verify in (True, False):
                try:
                    records = decode_records(buf, pos, header, verify_crc=verify)
                except DecodeError:
                    continue
                for record in records:
                    with contextlib.suppress(DecodeError):
                        control_record_type(record)
    except DecodeError:
        pass
    with contextlib.suppress(DecodeError):
        read_batch_header(buf)
    with contextlib.suppress(DecodeError):
        verify_batch(buf)
    with contextlib.suppress(DecodeError):
        parse_batch_reference(buf)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
@example(b"")
@example(b"\x00" * 61)
def test_random_bytes(buf: bytes) -> None:
    _decode_everything(buf)


@st.composite
def header_then_garbage(draw: st.DrawFn) -> bytes:
    """A plausible header (magic 2, sane length, random attributes/count) over random records."""
    sample = draw(st.sampled_from(SAMPLES))
    tail = draw(st.binary(min_size=0, max_size=300))
    body = bytearray(sample[:61] + tail)
    body[8:12] = (len(body) - 12).to_bytes(4, "big")
    body[21:23] = draw(st.integers(0, 0x7F)).to_bytes(2, "big")
    body[57:61] = draw(st.integers(-(1 << 31), (1 << 31) - 1)).to_bytes(4, "big", signed=True)
    return bytes(body)


@settings(max_examples=300, deadline=None)
@given(header_then_garbage())
def test_valid_header_over_garbage(buf: bytes) -> None:
    _decode_everything(buf)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SAMPLES), st.data())
def test_truncations(sample: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(sample) - 1))
    buf = sample[:cut]
    scan = scan_batches(buf)
    assert scan.headers == () and scan.valid_bytes == 0
    assert scan.trailing_partial == (cut > 0)
    _decode_everything(buf)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(SAMPLES), st.data())
def test_bit_flips(sample: bytes, data: st.DataObject) -> None:
    bit = data.draw(st.integers(0, len(sample) * 8 - 1))
    flipped = bytearray(sample)
    flipped[bit // 8] ^= 1 << (bit % 8)
    buf = bytes(flipped)
    _decode_everything(buf)
    if bit // 8 >= 21:
        header = read_batch_header(buf)
        try:
            decode_records(buf, 0, header)
        except CorruptBatchError:
            pass
        else:
            raise AssertionError("a flipped bit in the CRC range went unnoticed")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(Compression)[1:]), st.binary(max_size=200))
def test_decompress_garbage(codec: Compression, data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decompress(codec, data)


def test_decompressed_size_is_bounded() -> None:
    from wire.records import compress

    for codec in list(Compression)[1:]:
        bomb = compress(codec, b"\x00" * 1_000_000)
        try:
            decompress(codec, bomb, decompressed_bytes_max=1000)
        except DecodeError:
            continue
        raise AssertionError(f"{codec.name} exceeded the bound")


@settings(max_examples=400, deadline=None)
@given(st.integers(-2, 8), st.integers(0, 2), st.none() | st.binary(max_size=60))
def test_control_record_values(kind: int, key_version: int, value: bytes | None) -> None:
    key = key_version.to_bytes(2, "big") + kind.to_bytes(2, "big", signed=True)
    with contextlib.suppress(DecodeError):
        decode_control_record(Record(0, 0, key, value))
