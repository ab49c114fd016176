"""`kraft.types.BatchCodec` over `wire.records`: the leader's batches, built once, CRC'd once."""

from __future__ import annotations

from wire.records import build_data_batch, build_leader_change_batch


class WireBatchCodec:
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
