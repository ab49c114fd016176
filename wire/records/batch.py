"""Record batch v2 headers: read, scan, CRC check and patch, without touching the records.

Layout of the 61-byte header (big-endian), the CRC32C (Castagnoli) covering bytes 21 .. end:

    0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 (= 2) |
    17 crc u32 | 21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64 |
    35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 |
    57 recordsCount i32 | 61 records ...

Invariants this module relies on and keeps:
- `batch_length` counts the bytes after the length field, so a batch occupies `batch_length + 12`
  bytes; a header whose `batch_length` is below 49 (an empty batch) or above `BATCH_BYTES_MAX` is
  undecodable (`DecodeError`), never silently skipped.
- baseOffset, batchLength and partitionLeaderEpoch are outside the CRC, which is why the leader may
  assign offsets and epochs to an already-built batch (`with_base_offset`,
  `with_partition_leader_epoch`) without recomputing it.
- Reading a header never decodes or decompresses records; scanning a buffer of concatenated
  batches stops cleanly at a trailing partial batch (Kafka fetch responses may end with one) and
  says where the valid prefix ends.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

from crc32c import crc32c

from wire.errors import DecodeError

BATCH_HEADER_BYTES = 61
RECORD_BATCH_MAGIC = 2
# Bytes before the fields whose length batchLength counts (baseOffset + batchLength).
LOG_OVERHEAD_BYTES = 12
BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES
# Far above Kafka's message.max.bytes and raft's 8 MiB batches: anything larger is corruption.
BATCH_BYTES_MAX = 256 * 1024 * 1024
CRC_OFFSET = 17
ATTRIBUTES_OFFSET = 21
MAGIC_OFFSET = 16
PARTITION_LEADER_EPOCH_OFFSET = 12

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1
NO_PARTITION_LEADER_EPOCH = -1
NO_TIMESTAMP = -1

COMPRESSION_MASK = 0x07
TIMESTAMP_TYPE_MASK = 0x08
TRANSACTIONAL_MASK = 0x10
CONTROL_MASK = 0x20
DELETE_HORIZON_MASK = 0x40

HEADER_STRUCT = struct.Struct(">qiibIhiqqqhii")
_INT64 = struct.Struct(">q")
_INT32 = struct.Struct(">i")


class Compression(IntEnum):
    """Attribute bits 0-2."""

    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4


class TimestampType(IntEnum):
    """Attribute bit 3."""

    CREATE_TIME = 0
    LOG_APPEND_TIME = 1


class ControlRecordType(IntEnum):
    """The `type` in a control record's key (Kafka's `ControlRecordType`)."""

    ABORT = 0
    COMMIT = 1
    LEADER_CHANGE = 2
    SNAPSHOT_HEADER = 3
    SNAPSHOT_FOOTER = 4
    KRAFT_VERSION = 5
    KRAFT_VOTERS = 6


class CorruptBatchError(DecodeError):
    """A batch whose stored CRC32C does not match its bytes (Kafka's CORRUPT_MESSAGE)."""


@dataclass(frozen=True, slots=True)
class BatchHeader:
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def size_bytes(self) -> int:
        return self.batch_length + LOG_OVERHEAD_BYTES

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & CONTROL_MASK)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & TRANSACTIONAL_MASK)

    @property
    def has_delete_horizon(self) -> bool:
        return bool(self.attributes & DELETE_HORIZON_MASK)

    @property
    def timestamp_type(self) -> TimestampType:
        return TimestampType((self.attributes & TIMESTAMP_TYPE_MASK) >> 3)

    @property
    def compression(self) -> Compression:
        """The codec; `DecodeError` for the unassigned values 5-7."""
        code = self.attributes & COMPRESSION_MASK
        if code > Compression.ZSTD:
            raise DecodeError(f"unknown compression type {code}", field="attributes")
        return Compression(code)


def read_batch_header(
    buf: bytes | bytearray | memoryview, pos: int = 0, *, batch_bytes_max: int = BATCH_BYTES_MAX
) -> BatchHeader:
    """The header of the batch at `pos`. Only the 61 header bytes need to be present."""
    if pos < 0 or len(buf) - pos < BATCH_HEADER_BYTES:
        raise DecodeError(
            f"record batch header needs {BATCH_HEADER_BYTES} bytes, "
            f"{max(len(buf) - pos, 0)} available",
            offset=pos,
        )
    fields = HEADER_STRUCT.unpack_from(buf, pos)
    if fields[3] != RECORD_BATCH_MAGIC:
        raise DecodeError(f"record batch magic {fields[3]}, expected 2", offset=pos + MAGIC_OFFSET)
    batch_length = fields[1]
    if batch_length < BATCH_LENGTH_MIN or batch_length + LOG_OVERHEAD_BYTES > batch_bytes_max:
        raise DecodeError(f"record batch length {batch_length} out of range", offset=pos + 8)
    return BatchHeader(*fields)


INT64_MAX = (1 << 63) - 1


def check_raft_batch_header(header: BatchHeader, pos: int = 0) -> None:
    """`DecodeError` unless the header's offset fields make sense for a raft log.

    The CRC cannot vouch for them: baseOffset is outside it, and a peer may compute a valid CRC
    over anything. Required: baseOffset >= 0; lastOffsetDelta >= 0 and equal to recordsCount - 1
    (raft batches are never compacted: Kafka's raft reader gives record i the offset base + i);
    the offset after the batch still fits an int64 (it becomes the next fetch offset).
    """
    if header.base_offset < 0:
        raise DecodeError(f"record batch base offset {header.base_offset} negative", offset=pos)
    if header.last_offset_delta < 0 or header.records_count != header.last_offset_delta + 1:
        raise DecodeError(
            f"record batch at offset {header.base_offset}: last offset delta "
            f"{header.last_offset_delta} with {header.records_count} records",
            offset=pos + ATTRIBUTES_OFFSET + 2,
        )
    if header.base_offset > INT64_MAX - 1 - header.last_offset_delta:
        raise DecodeError(
            f"record batch at offset {header.base_offset}: last offset beyond int64", offset=pos
        )


def batch_crc(buf: bytes | bytearray | memoryview, pos: int, size_bytes: int) -> int:
    """CRC32C over bytes 21 .. end of the batch of `size_bytes` at `pos`."""
    with memoryview(buf) as view:
        return int(crc32c(view[pos + ATTRIBUTES_OFFSET : pos + size_bytes]))


def crc_ok(buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader) -> bool:
    """True when the whole batch is present and its stored CRC matches its bytes."""
    if len(buf) - pos < header.size_bytes:
        return False
    return batch_crc(buf, pos, header.size_bytes) == header.crc


def verify_batch(buf: bytes | bytearray | memoryview, pos: int = 0) -> BatchHeader:
    """Header of a complete batch at `pos` whose CRC checks; `CorruptBatchError` on a mismatch."""
    header = read_batch_header(buf, pos)
    if len(buf) - pos < header.size_bytes:
        raise DecodeError(
            f"record batch of {header.size_bytes} bytes truncated to {len(buf) - pos}", offset=pos
        )
    if batch_crc(buf, pos, header.size_bytes) != header.crc:
        raise CorruptBatchError(
            f"record batch at offset {header.base_offset}: CRC32C mismatch", offset=pos
        )
    return header


@dataclass(frozen=True, slots=True)
class BatchScan:
    """Result of `scan_batches`: the complete batches and where the valid prefix ends.

    `headers[i]` starts at `positions[i]`; bytes `valid_bytes ..` are a trailing partial batch
    (`trailing_partial`) or nothing. CRCs are not checked by the scan.
    """

    positions: tuple[int, ...]
    headers: tuple[BatchHeader, ...]
    valid_bytes: int
    trailing_partial: bool


def iter_batches(
    buf: bytes | bytearray | memoryview, pos: int = 0
) -> Iterator[tuple[int, BatchHeader]]:
    """(position, header) of each complete batch from `pos`; stops at a trailing partial batch.

    A partial batch is one whose header, or whose declared length, runs past the end of `buf`.
    A complete header that is invalid (wrong magic, absurd length) raises `DecodeError`.
    """
    if pos < 0:
        raise ValueError(f"negative scan position {pos}")
    end = len(buf)
    unpack_from = HEADER_STRUCT.unpack_from
    while pos < end:
        if end - pos < BATCH_HEADER_BYTES:
            return
        fields = unpack_from(buf, pos)
        batch_length = fields[1]
        if (
            fields[3] != RECORD_BATCH_MAGIC
            or batch_length < BATCH_LENGTH_MIN
            or batch_length + LOG_OVERHEAD_BYTES > BATCH_BYTES_MAX
        ):
            read_batch_header(buf, pos)  # raises the precise DecodeError
        size = batch_length + LOG_OVERHEAD_BYTES
        if end - pos < size:
            return
        yield pos, BatchHeader(*fields)
        pos += size


def scan_batches(buf: bytes | bytearray | memoryview, pos: int = 0) -> BatchScan:
    """All complete batches from `pos`, and where the valid data ends."""
    positions: list[int] = []
    headers: list[BatchHeader] = []
    valid = pos
    for at, header in iter_batches(buf, pos):
        positions.append(at)
        headers.append(header)
        valid = at + header.size_bytes
    return BatchScan(tuple(positions), tuple(headers), valid, valid < len(buf))


def with_base_offset(batch: bytes, base_offset: int) -> bytes:
    """The batch with baseOffset replaced (outside the CRC, so the CRC stays valid)."""
    return _INT64.pack(base_offset) + batch[8:]


def with_partition_leader_epoch(batch: bytes, partition_leader_epoch: int) -> bytes:
    """The batch with partitionLeaderEpoch replaced (outside the CRC)."""
    return (
        batch[:PARTITION_LEADER_EPOCH_OFFSET]
        + _INT32.pack(partition_leader_epoch)
        + batch[PARTITION_LEADER_EPOCH_OFFSET + 4 :]
    )


def set_base_offset(buf: bytearray | memoryview, pos: int, base_offset: int) -> None:
    """In-place variant of `with_base_offset` for a batch at `pos` in a writable buffer."""
    _INT64.pack_into(buf, pos, base_offset)


def set_partition_leader_epoch(
    buf: bytearray | memoryview, pos: int, partition_leader_epoch: int
) -> None:
    _INT32.pack_into(buf, pos + PARTITION_LEADER_EPOCH_OFFSET, partition_leader_epoch)
