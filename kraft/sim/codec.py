"""The simulator's `BatchCodec` (real record batch v2 bytes from `wire.records`) and the helpers
that read the replicated counter back out of stored batches.

Workload values are 8-byte big-endian counters (Kafka's `ReplicatedCounter` idea): the committed
data records of a correct cluster read 1, 2, 3, ... in offset order.
"""

from __future__ import annotations

import struct

from kraft.types import BatchInfo
from wire.records import (
    build_data_batch,
    build_leader_change_batch,
    decode_records,
    read_batch_header,
)

_COUNTER = struct.Struct(">q")


class WireBatchCodec:
    """`kraft.types.BatchCodec` backed by `wire.records` (the same bytes the shell writes)."""

    def build_data_batch(
        self, base_offset: int, epoch: int, timestamp_ms: int, values: list[bytes]
    ) -> bytes:
        return build_data_batch(base_offset, epoch, timestamp_ms, values)

    def build_leader_change_batch(
        self,
        base_offset: int,
        epoch: int,
        timestamp_ms: int,
        leader_id: int,
        voters: list[int],
        granting_voters: list[int],
    ) -> bytes:
        return build_leader_change_batch(
            base_offset, epoch, timestamp_ms, leader_id, voters, granting_voters
        )


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
