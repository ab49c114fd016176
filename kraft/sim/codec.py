"""The simulator's batch helpers: the node's own `BatchCodec` (real record batch v2 bytes from
`wire.records`, re-exported here) and helpers that read the replicated counter back out of
stored batches.

Workload values are 8-byte big-endian counters (Kafka's `ReplicatedCounter` idea): the committed
data records of a correct cluster read 1, 2, 3, ... in offset order.
"""

from __future__ import annotations

import struct

from kraft.shell.codec import WireBatchCodec
from kraft.types import BatchInfo
from wire.records import decode_records, read_batch_header

__all__ = ["WireBatchCodec", "counter_values", "encode_counter", "header_mismatch"]

_COUNTER = struct.Struct(">q")


def encode_counter(value: int) -> bytes:
    return _COUNTER.pack(value)


def header_mismatch(data: bytes, info: BatchInfo) -> str | None:
    """Why the batch bytes disagree with the core's BatchInfo, or None when they agree."""
    header = read_batch_header(data, 0)
    got = (
        header.base_offset,
        header.last_offset,
        header.partition_leader_epoch,
        header.size_bytes,
        header.is_control,
    )
    want = (info.base_offset, info.last_offset, info.epoch, info.size_bytes, info.is_control)
    if got != want:
        return f"batch header {got} != BatchInfo {want}"
    return None


def counter_values(data: bytes, info: BatchInfo) -> list[int]:
    """The counter values of a data batch ([] for a control batch). CRC is checked."""
    if info.is_control:
        return []
    header = read_batch_header(data, 0)
    values = []
    for record in decode_records(data, 0, header):
        assert record.value is not None and len(record.value) == _COUNTER.size, record
        values.append(_COUNTER.unpack(record.value)[0])
    return values
