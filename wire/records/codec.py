"""The record batch v2 layout declared with construct: the reference codec.

This is the same format as `batch.py` / `builder.py` / `record.py`, written as a declaration
rather than as hand-tuned loops, so the two can be tested against each other (tests assert the
same bytes for the same values and the same values for the same bytes). It is slower and meant
for tools (`kraft decode`, `kraft dump-log`) and tests, never the hot path.

construct `Container`s stay in here: the public functions take and return `BatchHeader` and
`Record` values. Parsing raises only `DecodeError` (`CorruptBatchError` for a CRC mismatch).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import construct as c
from crc32c import crc32c

from wire.errors import DecodeError
from wire.records.batch import (
    ATTRIBUTES_OFFSET,
    BATCH_HEADER_BYTES,
    LOG_OVERHEAD_BYTES,
    RECORD_BATCH_MAGIC,
    TIMESTAMP_TYPE_MASK,
    BatchHeader,
    Compression,
    CorruptBatchError,
)
from wire.records.compression import compress, decompress
from wire.records.record import Record


class _NullableBytes(c.Adapter):  # type: ignore[misc]
    """varint length (-1 = null) followed by that many bytes, as `bytes | None`."""

    def _decode(self, obj: Any, context: Any, path: Any) -> bytes | None:
        if obj.length == -1:
            return None
        if obj.length < 0:
            raise c.ValidationError(f"negative length {obj.length}", path=path)
        return bytes(obj.data)

    def _encode(self, obj: bytes | None, context: Any, path: Any) -> dict[str, Any]:
        if obj is None:
            return {"length": -1, "data": None}
        return {"length": len(obj), "data": obj}


NullableBytes = _NullableBytes(
    c.Struct("length" / c.ZigZag, "data" / c.If(c.this.length >= 0, c.Bytes(c.this.length)))
)

RecordHeaderStruct = c.Struct("key" / NullableBytes, "value" / NullableBytes)

RecordBodyStruct = c.Struct(
    "attributes" / c.Int8sb,
    "timestamp_delta" / c.ZigZag,
    "offset_delta" / c.ZigZag,
    "key" / NullableBytes,
    "value" / NullableBytes,
    "headers" / c.PrefixedArray(c.ZigZag, RecordHeaderStruct),
)

# length varint counts the bytes of the body that follows it.
RecordStruct = c.Prefixed(c.ZigZag, RecordBodyStruct)

BatchHeaderStruct = c.Struct(
    "base_offset" / c.Int64sb,
    "batch_length" / c.Int32sb,
    "partition_leader_epoch" / c.Int32sb,
    "magic" / c.Int8sb,
    "crc" / c.Int32ub,
    "attributes" / c.Int16sb,
    "last_offset_delta" / c.Int32sb,
    "base_timestamp" / c.Int64sb,
    "max_timestamp" / c.Int64sb,
    "producer_id" / c.Int64sb,
    "producer_epoch" / c.Int16sb,
    "base_sequence" / c.Int32sb,
    "records_count" / c.Int32sb,
)

RecordsStruct = c.Struct(
    "records" / c.Array(c.this._.records_count, RecordStruct),
    c.Terminated,
)

_HEADER_FIELDS = (
    "base_offset",
    "batch_length",
    "partition_leader_epoch",
    "magic",
    "crc",
    "attributes",
    "last_offset_delta",
    "base_timestamp",
    "max_timestamp",
    "producer_id",
    "producer_epoch",
    "base_sequence",
    "records_count",
)


def parse_header_reference(buf: bytes) -> BatchHeader:
    try:
        parsed = BatchHeaderStruct.parse(buf)
    except c.ConstructError as exc:
        raise DecodeError(f"record batch header: {exc}") from None
    header = BatchHeader(*(parsed[name] for name in _HEADER_FIELDS))
    if header.magic != RECORD_BATCH_MAGIC:
        raise DecodeError(f"record batch magic {header.magic}, expected 2", field="magic")
    if header.batch_length < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES:
        raise DecodeError(f"record batch length {header.batch_length} out of range")
    return header


def parse_batch_reference(buf: bytes) -> tuple[BatchHeader, list[Record]]:
    """Header and records of the one batch that fills `buf` exactly, CRC checked."""
    header = parse_header_reference(buf)
    if len(buf) != header.size_bytes:
        raise DecodeError(f"batch declares {header.size_bytes} bytes, buffer holds {len(buf)}")
    if crc32c(buf[ATTRIBUTES_OFFSET:]) != header.crc:
        raise CorruptBatchError("record batch CRC32C mismatch")
    if header.records_count < 0:
        raise DecodeError(f"negative records count {header.records_count}")
    payload = decompress(header.compression, buf[BATCH_HEADER_BYTES:])
    try:
        parsed = RecordsStruct.parse(payload, records_count=header.records_count)
        records = [_record_from(header, r) for r in parsed.records]
    except (c.ConstructError, UnicodeDecodeError) as exc:
        raise DecodeError(f"records: {exc}") from None
    return header, records


def _record_from(header: BatchHeader, parsed: Any) -> Record:
    if header.attributes & TIMESTAMP_TYPE_MASK:
        timestamp = header.max_timestamp
    else:
        timestamp = header.base_timestamp + parsed.timestamp_delta
    headers = []
    for h in parsed.headers:
        if h.key is None:
            raise c.ValidationError("null header key")
        headers.append((h.key.decode("utf-8"), h.value))
    return Record(
        header.base_offset + parsed.offset_delta,
        timestamp,
        parsed.key,
        parsed.value,
        tuple(headers),
        parsed.attributes,
    )


def build_batch_reference(
    records: Sequence[Record],
    *,
    base_offset: int,
    partition_leader_epoch: int,
    attributes: int,
    base_timestamp: int,
    max_timestamp: int,
    producer_id: int,
    producer_epoch: int,
    base_sequence: int,
) -> bytes:
    """The batch for `records` and these header fields, built with the construct declaration."""
    payload = b"".join(
        RecordStruct.build(
            {
                "attributes": r.attributes,
                "timestamp_delta": r.timestamp - base_timestamp,
                "offset_delta": r.offset - base_offset,
                "key": r.key,
                "value": r.value,
                "headers": [{"key": k.encode("utf-8"), "value": v} for k, v in r.headers],
            }
        )
        for r in records
    )
    payload = compress(Compression(attributes & 0x07), payload)
    fields: dict[str, int] = {
        "base_offset": base_offset,
        "batch_length": BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES + len(payload),
        "partition_leader_epoch": partition_leader_epoch,
        "magic": RECORD_BATCH_MAGIC,
        "crc": 0,
        "attributes": attributes,
        "last_offset_delta": max(r.offset for r in records) - base_offset,
        "base_timestamp": base_timestamp,
        "max_timestamp": max_timestamp,
        "producer_id": producer_id,
        "producer_epoch": producer_epoch,
        "base_sequence": base_sequence,
        "records_count": len(records),
    }
    unsigned = BatchHeaderStruct.build(fields) + payload
    fields["crc"] = crc32c(unsigned[ATTRIBUTES_OFFSET:])
    return bytes(BatchHeaderStruct.build(fields)) + payload
