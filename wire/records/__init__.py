"""Kafka record batches v2 (magic 2): headers, CRC32C, records, control records, compression.

Theory of operation
-------------------
Batches are bytes. The log, replication and the Fetch path move whole batches as bytes and only
ever look at their 61-byte header; they never decode and re-encode a stored batch. The header
carries everything the log needs (base offset, epoch, last offset, record count, CRC), so:

- `read_batch_header(buf, pos)` reads one header without touching the records.
- `iter_batches(buf)` / `scan_batches(buf)` walk concatenated batches, stopping cleanly at a
  trailing partial batch (Kafka fetch responses may end with one); `BatchScan.valid_bytes` is
  where the complete batches end.
- `crc_ok(buf, pos, header)` checks the CRC32C (bytes 21 .. end); `verify_batch(buf, pos)`
  returns the header or raises `CorruptBatchError`.
- baseOffset (bytes 0-7) and partitionLeaderEpoch (bytes 12-15) are outside the CRC, so the leader
  assigns them after building: `with_base_offset`, `with_partition_leader_epoch` (copying) and
  `set_base_offset`, `set_partition_leader_epoch` (in place, on a bytearray).

Errors: every reader raises only `wire.errors.DecodeError` on bad bytes. A CRC mismatch is the
subclass `CorruptBatchError(DecodeError)` (map it to Kafka's CORRUPT_MESSAGE); `crc_ok` is the
non-raising form. Programmer errors in builders (an empty batch) raise `ValueError`.

Public API
----------
Constants: `BATCH_HEADER_BYTES` (61), `RECORD_BATCH_MAGIC` (2), `BATCH_BYTES_MAX`,
`NO_PRODUCER_ID`, `NO_PRODUCER_EPOCH`, `NO_SEQUENCE`, `NO_PARTITION_LEADER_EPOCH`.
Enums: `Compression` (NONE 0, GZIP 1, SNAPPY 2, LZ4 3, ZSTD 4), `TimestampType`,
`ControlRecordType` (ABORT 0, COMMIT 1, LEADER_CHANGE 2, SNAPSHOT_HEADER 3, SNAPSHOT_FOOTER 4,
KRAFT_VERSION 5, KRAFT_VOTERS 6).

`BatchHeader` (frozen): base_offset, batch_length, partition_leader_epoch, magic, crc, attributes,
last_offset_delta, base_timestamp, max_timestamp, producer_id, producer_epoch, base_sequence,
records_count; properties last_offset, next_offset, size_bytes (= batch_length + 12), is_control,
is_transactional, has_delete_horizon, timestamp_type, compression.

Reading:
    read_batch_header(buf, pos=0) -> BatchHeader      # DecodeError: < 61 bytes, magic, length
    iter_batches(buf, pos=0) -> Iterator[(pos, BatchHeader)]
    scan_batches(buf, pos=0) -> BatchScan(positions, headers, valid_bytes, trailing_partial)
    crc_ok(buf, pos, header) -> bool ;  verify_batch(buf, pos=0) -> BatchHeader
    decode_records(buf, pos, header, *, verify_crc=True) -> list[Record]   # decompresses
    decode_control_record(record) -> (ControlRecordType | int, value message | None)
        # value decoded at the version in its own leading int16; None for ABORT/COMMIT, unknown
        # types and newer value versions (readers skip them)
    control_record_type(record) -> ControlRecordType | int

Building (each returns the complete batch as bytes, CRC set):
    build_data_batch(base_offset, partition_leader_epoch, timestamp_ms, values,
                     compression=Compression.NONE)       # the leader's fast path
    build_batch(records, *, base_offset=None, partition_leader_epoch=0, compression, is_control,
                is_transactional, timestamp_type, producer_id, producer_epoch, base_sequence,
                base_timestamp=None, max_timestamp=None, delete_horizon=False)
    build_control_batch(base_offset, partition_leader_epoch, timestamp_ms,
                        [(ControlRecordType, value_bytes), ...])
    build_leader_change_batch(base_offset, epoch, timestamp_ms, leader_id, voters,
                              granting_voters)
    with_base_offset(batch, base_offset) ; with_partition_leader_epoch(batch, epoch)

`Record` (frozen): offset, timestamp (absolute), key, value (bytes | None), headers
(tuple of (str, bytes | None)), attributes.

Codecs: `compress(codec, data)` / `decompress(codec, data)`; snappy is written in the xerial
framing Kafka's Java client uses and read in both xerial and raw forms; lz4 is the LZ4 frame format
with independent blocks; gzip and zstd are standard streams.

`wire.records.codec` holds a construct declaration of the same layout, the slow reference the fast
paths are tested against (and used by decoding tools); construct stays inside `wire/`.
"""

from __future__ import annotations

from wire.records.batch import (
    BATCH_BYTES_MAX,
    BATCH_HEADER_BYTES,
    NO_PARTITION_LEADER_EPOCH,
    NO_PRODUCER_EPOCH,
    NO_PRODUCER_ID,
    NO_SEQUENCE,
    NO_TIMESTAMP,
    RECORD_BATCH_MAGIC,
    BatchHeader,
    BatchScan,
    Compression,
    ControlRecordType,
    CorruptBatchError,
    TimestampType,
    crc_ok,
    iter_batches,
    read_batch_header,
    scan_batches,
    set_base_offset,
    set_partition_leader_epoch,
    verify_batch,
    with_base_offset,
    with_partition_leader_epoch,
)
from wire.records.builder import (
    build_batch,
    build_control_batch,
    build_data_batch,
    control_record_key,
)
from wire.records.compression import compress, decompress
from wire.records.control import (
    build_leader_change_batch,
    control_record_type,
    decode_control_record,
    encode_control_value,
)
from wire.records.record import Record, decode_records

__all__ = [
    "BATCH_BYTES_MAX",
    "BATCH_HEADER_BYTES",
    "NO_PARTITION_LEADER_EPOCH",
    "NO_PRODUCER_EPOCH",
    "NO_PRODUCER_ID",
    "NO_SEQUENCE",
    "NO_TIMESTAMP",
    "RECORD_BATCH_MAGIC",
    "BatchHeader",
    "BatchScan",
    "Compression",
    "ControlRecordType",
    "CorruptBatchError",
    "Record",
    "TimestampType",
    "build_batch",
    "build_control_batch",
    "build_data_batch",
    "build_leader_change_batch",
    "compress",
    "control_record_key",
    "control_record_type",
    "crc_ok",
    "decode_control_record",
    "decode_records",
    "decompress",
    "encode_control_value",
    "iter_batches",
    "read_batch_header",
    "scan_batches",
    "set_base_offset",
    "set_partition_leader_epoch",
    "verify_batch",
    "with_base_offset",
    "with_partition_leader_epoch",
]
