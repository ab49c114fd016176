"""An in-memory node for the consumer handlers: a list of stored batches and a settable view."""

from __future__ import annotations

import dataclasses

import trio

import wire
from kraft.shell.consumer.view import NodeView
from kraft.types import ReplicaAddress
from wire.messages.control_records import LeaderChangeMessage
from wire.records.batch import ControlRecordType, read_batch_header
from wire.records.builder import build_control_batch, build_data_batch

VOTERS = (
    ReplicaAddress(1, "127.0.0.1", 9101),
    ReplicaAddress(2, "127.0.0.1", 9102),
    ReplicaAddress(3, "127.0.0.1", 9103),
)


class FakePort:
    """A leader (node 1, epoch 3) whose log holds LeaderChange + data batches; HW settable."""

    def __init__(self) -> None:
        self.batches: list[bytes] = []
        self.epoch_history: list[tuple[int, int]] = []
        self.changed = trio.Event()
        self._view = NodeView(
            cluster_id="test-cluster",
            local_id=1,
            leader_id=1,
            epoch=3,
            is_leader=True,
            high_watermark=0,
            log_start_offset=0,
            log_end_offset=0,
            epoch_history=(),
            voters=VOTERS,
            listener=VOTERS[0],
        )

    @property
    def log_end_offset(self) -> int:
        if not self.batches:
            return 0
        return read_batch_header(self.batches[-1]).next_offset

    def append_leader_change(self, epoch: int, leader_id: int = 1) -> None:
        if not self.epoch_history or self.epoch_history[-1][0] != epoch:
            self.epoch_history.append((epoch, self.log_end_offset))
        voters = [LeaderChangeMessage.Voter(voter_id=v) for v in (1, 2, 3)]
        value = wire.encode(
            LeaderChangeMessage(leader_id=leader_id, voters=voters, granting_voters=voters[:1]), 0
        )
        record = (ControlRecordType.LEADER_CHANGE, bytes(value))
        self.batches.append(build_control_batch(self.log_end_offset, epoch, 10, [record]))

    def append_data(self, epoch: int, values: list[bytes], timestamp_ms: int = 2000) -> None:
        self.batches.append(build_data_batch(self.log_end_offset, epoch, timestamp_ms, values))

    def truncate(self, offset: int) -> None:
        """Drop every batch at or above `offset` (a new leader's truncation of this log)."""
        self.batches = [b for b in self.batches if read_batch_header(b).last_offset < offset]
        self.epoch_history = [(e, s) for e, s in self.epoch_history if s < offset]

    def set(self, **changes: object) -> None:
        self._view = dataclasses.replace(self._view, **changes)  # type: ignore[arg-type]
        self.changed.set()
        self.changed = trio.Event()

    def sync(self, high_watermark: int | None = None) -> None:
        """Publish the log's current end/history, HW = log end unless given."""
        end = self.log_end_offset
        self.set(
            log_end_offset=end,
            epoch_history=tuple(self.epoch_history),
            high_watermark=end if high_watermark is None else high_watermark,
        )

    def view(self) -> NodeView:
        return self._view

    async def read_batches(self, start_offset: int, end_offset: int, bytes_max: int) -> bytes:
        out = bytearray()
        for batch in self.batches:
            header = read_batch_header(batch)
            if header.last_offset < start_offset:
                continue
            if header.last_offset >= end_offset:
                break
            if out and len(out) + len(batch) > bytes_max:
                break
            out += batch
        return bytes(out)

    async def wait_for_change(self, timeout_ms: int) -> None:
        with trio.move_on_after(timeout_ms / 1000):
            await self.changed.wait()
