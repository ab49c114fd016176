"""Records inside a v2 batch: the `Record` value, its encoder and the batch decoder.

Record layout (all lengths zig-zag varints, `-1` = null):

    length varint (bytes after this field) | attributes i8 | timestampDelta varlong |
    offsetDelta varint | keyLength varint | key | valueLength varint | value |
    headerCount varint | headers {keyLength varint, key UTF-8, valueLength varint, value}

Decoding (`decode_records`) checks the batch CRC first (a mismatch raises `CorruptBatchError`, a
subclass of `DecodeError`, so callers can tell corruption from malformed input), decompresses,
then requires every record to consume exactly its declared length and the records to consume
exactly the payload. Anything else is a `DecodeError`; no other exception escapes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wire.errors import DecodeError
from wire.records.batch import (
    BATCH_HEADER_BYTES,
    COMPRESSION_MASK,
    TIMESTAMP_TYPE_MASK,
    BatchHeader,
    CorruptBatchError,
    TimestampType,
    batch_crc,
)
from wire.records.compression import DECOMPRESSED_BYTES_MAX, decompress
from wire.records.varint import decode_varint, decode_varlong, encode_varint, encode_varlong

RECORD_HEADERS_MAX = 1 << 16  # far above real use; bounds work on hostile counts
# attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount: a byte each at least
RECORD_BODY_BYTES_MIN = 6
_INT8 = struct.Struct(">b")

Headers = tuple[tuple[str, bytes | None], ...]


@dataclass(frozen=True, slots=True)
class Record:
    """One record with absolute offset and timestamp (deltas are a batch encoding detail)."""

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    attributes: int = 0


def _nullable_bytes(data: bytes | None) -> bytes:
    if data is None:
        return b"\x01"  # varint(-1)
    return encode_varint(len(data)) + data


def encode_record(
    offset_delta: int,
    timestamp_delta: int,
    key: bytes | None,
    value: bytes | None,
    headers: Headers = (),
    attributes: int = 0,
) -> bytes:
    """One record, length prefix included (the general, not the fast, path)."""
    parts = [
        _INT8.pack(attributes),
        encode_varlong(timestamp_delta),
        encode_varint(offset_delta),
        _nullable_bytes(key),
        _nullable_bytes(value),
        encode_varint(len(headers)),
    ]
    for header_key, header_value in headers:
        parts.append(_nullable_bytes(header_key.encode("utf-8")))
        parts.append(_nullable_bytes(header_value))
    body = b"".join(parts)
    return encode_varint(len(body)) + body


def decode_records(
    buf: bytes | bytearray | memoryview,
    pos: int,
    header: BatchHeader,
    *,
    verify_crc: bool = True,
    decompressed_bytes_max: int = DECOMPRESSED_BYTES_MAX,
) -> list[Record]:
    """The records of the complete batch at `pos` (whose header is `header`), decompressed."""
    size = header.size_bytes
    if len(buf) - pos < size:
        raise DecodeError(f"record batch of {size} bytes truncated to {len(buf) - pos}", offset=pos)
    if verify_crc and batch_crc(buf, pos, size) != header.crc:
        raise CorruptBatchError(
            f"record batch at offset {header.base_offset}: CRC32C mismatch", offset=pos
        )
    with memoryview(buf) as view:
        raw = view[pos + BATCH_HEADER_BYTES : pos + size]
        payload = decompress(header.compression, raw, decompressed_bytes_max=decompressed_bytes_max)
        raw.release()
    if header.records_count < 0:
        raise DecodeError(f"negative records count {header.records_count}", field="recordsCount")
    log_append = header.timestamp_type is TimestampType.LOG_APPEND_TIME
    records: list[Record] = []
    p = 0
    end = len(payload)
    base_offset = header.base_offset
    base_timestamp = header.base_timestamp
    for _ in range(header.records_count):
        if p >= end:
            raise DecodeError(
                f"batch declares {header.records_count} records, payload holds {len(records)}",
                field="recordsCount",
            )
        record, p = _decode_record(payload, p, base_offset, base_timestamp)
        if log_append:
            record = Record(
                record.offset,
                header.max_timestamp,
                record.key,
                record.value,
                record.headers,
                record.attributes,
            )
        records.append(record)
    if p != end:
        raise DecodeError(f"{end - p} bytes after the last record", offset=p)
    return records


def _read_varint(data: bytes, p: int) -> tuple[int, int]:
    """decode_varint with the one- and two-byte cases (nearly all lengths and deltas) inlined."""
    if p + 1 < len(data):
        b = data[p]
        if b < 0x80:
            return (b >> 1) ^ -(b & 1), p + 1
        b2 = data[p + 1]
        if b2 < 0x80:
            n = (b & 0x7F) | (b2 << 7)
            return (n >> 1) ^ -(n & 1), p + 2
    return decode_varint(data, p)


def _read_nullable(data: bytes, p: int, limit: int, what: str) -> tuple[bytes | None, int]:
    n, p = _read_varint(data, p)
    if n < 0:
        if n != -1:
            raise DecodeError(f"negative {what} length {n}", offset=p)
        return None, p
    if p + n > limit:
        raise DecodeError(f"{what} of {n} bytes runs past its record", offset=p)
    return data[p : p + n], p + n


def _decode_record(
    data: bytes, p: int, base_offset: int, base_timestamp: int
) -> tuple[Record, int]:
    start = p
    length, p = _read_varint(data, p)
    record_end = p + length
    if length < 0 or record_end > len(data):
        raise DecodeError(f"record length {length} out of range", offset=start)
    if length < RECORD_BODY_BYTES_MIN:
        raise DecodeError(f"record length {length} below the minimum", offset=start)
    attributes = data[p]
    if attributes >= 0x80:
        attributes -= 0x100
    timestamp_delta = data[p + 1]  # p + 1 < record_end: length >= 2 checked above
    if timestamp_delta < 0x80:
        timestamp_delta = (timestamp_delta >> 1) ^ -(timestamp_delta & 1)
        p += 2
    else:
        timestamp_delta, p = decode_varlong(data, p + 1)
    offset_delta, p = _read_varint(data, p)
    if p < record_end and data[p] == 0x01:  # null key, raft's data records
        key = None
        p += 1
    else:
        key, p = _read_nullable(data, p, record_end, "key")
    value, p = _read_nullable(data, p, record_end, "value")
    headers: Headers = ()
    if p < record_end and data[p] == 0x00:  # no headers
        p += 1
    else:
        header_count, p = _read_varint(data, p)
        if not 0 <= header_count <= RECORD_HEADERS_MAX:
            raise DecodeError(f"record header count {header_count} out of range", offset=p)
        items: list[tuple[str, bytes | None]] = []
        for _ in range(header_count):
            raw_key, p = _read_nullable(data, p, record_end, "header key")
            if raw_key is None:
                raise DecodeError("null record header key", offset=p)
            try:
                header_key = raw_key.decode("utf-8")
            except UnicodeDecodeError:
                raise DecodeError("record header key is not UTF-8", offset=p) from None
            header_value, p = _read_nullable(data, p, record_end, "header value")
            items.append((header_key, header_value))
        headers = tuple(items)
    if p != record_end:
        raise DecodeError(f"record declares {length} bytes, fields use {p - start}", offset=start)
    return (
        Record(
            base_offset + offset_delta,
            base_timestamp + timestamp_delta,
            key,
            value,
            headers,
            attributes,
        ),
        p,
    )


RecordValue = tuple[int, int, bytes | None]  # (offset, timestamp, value)


def decode_record_values(
    buf: bytes, pos: int, header: BatchHeader, *, verify_crc: bool = True
) -> list[RecordValue]:
    """(offset, timestamp, value) of every record of the batch at `pos`: what `decode_records`
    gives, without building `Record`s, for readers that print values only (`kraft tail`).

    Uncompressed records without headers (raft's data records) take a lean path, about three
    times cheaper per record; anything else, and any flaw (reported exactly as `decode_records`
    reports it), goes through `decode_records`."""
    size = header.size_bytes
    count = header.records_count
    end = pos + size
    if (
        header.attributes & COMPRESSION_MASK
        or count < 0
        or len(buf) < end
        or (verify_crc and batch_crc(buf, pos, size) != header.crc)
    ):
        return _general_values(buf, pos, header, verify_crc)
    base_offset = header.base_offset
    base_timestamp = header.base_timestamp
    log_append = header.attributes & TIMESTAMP_TYPE_MASK
    out: list[RecordValue] = []
    append = out.append
    p = pos + BATCH_HEADER_BYTES
    try:
        for _ in range(count):
            # The record's fields, each varint's one-byte case inline (nearly all of them).
            b = buf[p]
            if b < 0x80:
                length = (b >> 1) ^ -(b & 1)
                p += 1
            elif buf[p + 1] < 0x80:  # two bytes: records of 64 B to 8 KiB
                n = (b & 0x7F) | (buf[p + 1] << 7)
                length = (n >> 1) ^ -(n & 1)
                p += 2
            else:
                length, p = decode_varint(buf, p)
            record_end = p + length
            if length < RECORD_BODY_BYTES_MIN or record_end > end:
                break
            b = buf[p + 1]  # attributes at p: not printed, any value is accepted
            if b < 0x80:
                timestamp_delta = (b >> 1) ^ -(b & 1)
                p += 2
            else:
                timestamp_delta, p = decode_varlong(buf, p + 1)
            b = buf[p]
            if b < 0x80:
                offset_delta = (b >> 1) ^ -(b & 1)
                p += 1
            elif buf[p + 1] < 0x80:  # two bytes: deltas 64 to 8191
                n = (b & 0x7F) | (buf[p + 1] << 7)
                offset_delta = (n >> 1) ^ -(n & 1)
                p += 2
            else:
                offset_delta, p = decode_varint(buf, p)
            if buf[p] != 0x01:  # a key (raft's records have none): the general path
                break
            b = buf[p + 1]
            if b < 0x80:
                value_length = (b >> 1) ^ -(b & 1)
                p += 2
            elif buf[p + 2] < 0x80:
                n = (b & 0x7F) | (buf[p + 2] << 7)
                value_length = (n >> 1) ^ -(n & 1)
                p += 3
            else:
                value_length, p = decode_varint(buf, p + 1)
            if value_length < 0:
                if value_length != -1:
                    break
                value = None
            else:
                if p + value_length > record_end:
                    break
                value = buf[p : p + value_length]
                p += value_length
            if p + 1 != record_end or buf[p] != 0x00:  # headers, or a length mismatch
                break
            p = record_end
            append(
                (
                    base_offset + offset_delta,
                    header.max_timestamp if log_append else base_timestamp + timestamp_delta,
                    value,
                )
            )
        else:
            if p == end:
                return out
    except (IndexError, DecodeError):
        pass
    return _general_values(buf, pos, header, verify_crc)


def _general_values(
    buf: bytes, pos: int, header: BatchHeader, verify_crc: bool
) -> list[RecordValue]:
    records = decode_records(buf, pos, header, verify_crc=verify_crc)
    return [(r.offset, r.timestamp, r.value) for r in records]
