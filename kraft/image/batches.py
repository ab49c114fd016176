"""Metadata records out of record batch bytes (a snapshot file, or log batches), for the image."""

from __future__ import annotations

from collections.abc import Iterator

from wire.errors import DecodeError
from wire.metadata import MetadataRecord, UnknownMetadataRecord, decode_metadata_record_or_unknown
from wire.records.batch import BatchHeader, iter_batches
from wire.records.record import decode_records

AnyMetadataRecord = MetadataRecord | UnknownMetadataRecord


def batch_metadata_records(
    data: bytes, *, first_offset: int = 0
) -> Iterator[tuple[BatchHeader, list[tuple[int, AnyMetadataRecord]]]]:
    """(header, [(offset, record), ...]) of each data batch of `data`, in order; control batches
    (leader changes, snapshot header and footer, voters) yield no records. Records before
    `first_offset` are left out. `DecodeError` on a CRC mismatch, a record that is not a framed
    metadata record, or a partial batch at the end (a snapshot file is whole)."""
    end = 0
    for pos, header in iter_batches(data):
        end = pos + header.size_bytes
        if header.is_control:
            yield header, []
            continue
        out: list[tuple[int, AnyMetadataRecord]] = []
        for record in decode_records(data, pos, header):
            if record.offset < first_offset:
                continue
            if record.value is None:
                raise DecodeError(f"offset {record.offset}: a metadata record with no value")
            try:
                decoded = decode_metadata_record_or_unknown(record.value)
            except DecodeError as exc:
                raise DecodeError(
                    f"offset {record.offset}: not a metadata record ({exc}): "
                    "is this the log of a Kafka metadata quorum?"
                ) from None
            out.append((record.offset, decoded))
        yield header, out
    if end != len(data):
        raise DecodeError(f"{len(data) - end} bytes after the last whole batch")


def snapshot_metadata_records(data: bytes) -> list[AnyMetadataRecord]:
    """Every metadata record of a whole snapshot file's bytes, in order."""
    return [rec for _, records in batch_metadata_records(data) for _, rec in records]
