"""A tiny in-test cluster for core tests: in-memory logs, a FIFO network with fixed latency and
optional blocked links, and one virtual clock. Not the simulator (kraft/sim is); just enough to
drive a few RaftNodes through readable scenarios with the core's one plan (`execute_plan`, as the
node loop and the simulator run it; reads resolved by `resolve_reads`).
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import random
import uuid
from collections.abc import Callable
from typing import Any

from kraft.config import QuorumConfig
from kraft.events import (
    ElectionStatePersisted,
    Persisted,
    RequestReceived,
    ResponseReceived,
    SnapshotCreated,
)
from kraft.log import LogState
from kraft.node import RaftNode
from kraft.ready import (
    ElectionState,
    LogAppend,
    LogOp,
    LogTruncate,
    Outbound,
    OutboundRequest,
    OutboundResponse,
    Ready,
    SnapshotAbort,
    SnapshotChunk,
    SnapshotInstall,
    execute_plan,
    resolve_reads,
    take_batches,
    with_log_data,
)
from kraft.rpc import LogRead, SnapshotRead
from kraft.types import BatchInfo, Endpoint, OffsetAndEpoch, Records


class FakeCodec:
    """Batches as JSON; good enough for a core that never looks inside."""

    def build_data_batch(
        self, base_offset: int, epoch: int, timestamp_ms: int, values: list[bytes]
    ) -> bytes:
        return json.dumps(
            {"base": base_offset, "epoch": epoch, "values": [v.hex() for v in values]}
        ).encode()

    def build_leader_change_batch(
        self,
        base_offset: int,
        epoch: int,
        timestamp_ms: int,
        leader_id: int,
        voters: list[int],
        granting_voters: list[int],
    ) -> bytes:
        return json.dumps(
            {"base": base_offset, "epoch": epoch, "leader": leader_id, "granting": granting_voters}
        ).encode()


def batch_values(data: bytes) -> list[bytes]:
    doc = json.loads(data)
    return [bytes.fromhex(v) for v in doc.get("values", [])]


def make_records(base_offset: int, epoch: int, values: list[bytes]) -> Records:
    data = FakeCodec().build_data_batch(base_offset, epoch, 0, values)
    info = BatchInfo(base_offset, base_offset + len(values) - 1, epoch, len(data), False)
    return Records(data, (info,))


class MemLog:
    def __init__(self) -> None:
        self.batches: list[tuple[BatchInfo, bytes]] = []
        self.flushed_end = 0
        self.start_offset = 0
        self.snapshot: tuple[OffsetAndEpoch, bytes] | None = None
        self.partial: tuple[OffsetAndEpoch, bytearray] | None = None

    @property
    def end_offset(self) -> int:
        return self.batches[-1][0].last_offset + 1 if self.batches else self.start_offset

    def apply(self, op: LogOp) -> None:
        if isinstance(op, SnapshotChunk):
            if op.position == 0:
                self.partial = (op.snapshot_id, bytearray())
            assert self.partial is not None and self.partial[0] == op.snapshot_id
            assert len(self.partial[1]) == op.position
            self.partial[1].extend(op.data)
        elif isinstance(op, SnapshotInstall):
            assert self.partial is not None and self.partial[0] == op.snapshot_id
            self.snapshot = (op.snapshot_id, bytes(self.partial[1]))
            self.partial = None
            self.batches = []
            self.start_offset = self.flushed_end = op.snapshot_id.offset
        elif isinstance(op, SnapshotAbort):
            self.partial = None
        elif isinstance(op, LogAppend):
            assert op.records.base_offset == self.end_offset, (op, self.end_offset)
            offset = 0
            for info in op.records.batches:
                self.batches.append((info, op.records.data[offset : offset + info.size_bytes]))
                offset += info.size_bytes
        else:
            assert isinstance(op, LogTruncate)
            self.batches = [(i, d) for i, d in self.batches if i.base_offset < op.end_offset]
            assert self.end_offset == op.end_offset, "truncation not at a batch boundary"
            self.flushed_end = min(self.flushed_end, op.end_offset)

    def read_log(self, read: LogRead) -> Records | None:
        return take_batches(((info, data) for info, data in self.batches), read)

    def state(self) -> LogState:
        """What survives a crash: the flushed prefix."""
        kept = [(i, d) for i, d in self.batches if i.last_offset < self.flushed_end]
        history: list[tuple[int, int]] = []
        for info, _ in kept:
            if not history or history[-1][0] != info.epoch:
                history.append((info.epoch, info.base_offset))
        end = kept[-1][0].last_offset + 1 if kept else self.start_offset
        snapshot_id = None if self.snapshot is None else self.snapshot[0]
        return LogState(self.start_offset, end, tuple(history), snapshot_id)

    def take_snapshot(self, end_offset: int) -> OffsetAndEpoch:
        """Snapshot the values below `end_offset` (a batch boundary) and drop those batches."""
        below = [(i, d) for i, d in self.batches if i.last_offset < end_offset]
        assert below and below[-1][0].last_offset + 1 == end_offset, "not a batch boundary"
        snapshot_id = OffsetAndEpoch(end_offset, below[-1][0].epoch)
        values = [v.hex() for v in self.values(end_offset)]
        self.snapshot = (snapshot_id, json.dumps(values).encode())
        self.batches = [(i, d) for i, d in self.batches if i.last_offset >= end_offset]
        self.start_offset = end_offset
        return snapshot_id

    def read_snapshot(self, read: SnapshotRead) -> tuple[bytes, int] | None:
        if self.snapshot is None or self.snapshot[0] != read.snapshot_id:
            return None
        data = self.snapshot[1]
        return data[read.position : read.position + read.bytes_max], len(data)

    def values(self, end_offset: int | None = None) -> list[bytes]:
        out: list[bytes] = []
        if self.snapshot is not None:
            out.extend(bytes.fromhex(v) for v in json.loads(self.snapshot[1]))
        for info, data in self.batches:
            if end_offset is not None and info.last_offset >= end_offset:
                break
            if not info.is_control:
                out.extend(batch_values(data))
        return out


@dataclasses.dataclass
class Member:
    key: str
    local_id: int | None
    node: RaftNode
    log: MemLog
    stored: ElectionState | None
    next_inbound_id: int = 1
    deadline_ms: int = 0
    readies: list[Ready] = dataclasses.field(default_factory=list)


class Cluster:
    LATENCY_MS = 1

    def __init__(
        self,
        voters: list[int],
        observers: list[int | None] = (),  # type: ignore[assignment]
        seed: int = 0,
        **config_overrides: Any,
    ) -> None:
        self.now_ms = 0
        self.rng = random.Random(seed)
        self.config = QuorumConfig(
            voters={v: Endpoint("127.0.0.1", 9000 + v) for v in voters}, **config_overrides
        )
        self.members: dict[str, Member] = {}
        self._queue: list[tuple[int, int, str, Any]] = []
        self._seq = 0
        # (dst key, inbound id) -> (src key, request id)
        self._inbound: dict[tuple[str, int], tuple[str, int]] = {}
        self.blocked: set[tuple[str, str]] = set()
        self.trace: list[str] = []
        self.dead: dict[str, Member] = {}
        for v in voters:
            self.add(str(v), v)
        for i, o in enumerate(observers):
            self.add(str(o) if o is not None else f"x{i}", o)

    def add(self, key: str, local_id: int | None, stored: ElectionState | None = None) -> Member:
        log = self.members[key].log if key in self.members else MemLog()
        node = RaftNode(
            self.config,
            local_id,
            uuid.UUID(int=(local_id or 0) + 1000),
            stored,
            log.state(),
            FakeCodec(),
            random.Random(self.rng.random()),
            self.now_ms,
        )
        member = Member(key, local_id, node, log, stored)
        self.members[key] = member
        self._execute(member, node.poll(self.now_ms))
        return member

    def restart(self, key: str) -> Member:
        """Crash and restart: unflushed log data is lost, the quorum-state survives."""
        old = self.members[key]
        flushed = old.log.flushed_end
        old.log.batches = [(i, d) for i, d in old.log.batches if i.last_offset < flushed]
        return self.add(key, old.local_id, old.stored)

    def snapshot(self, key: str, end_offset: int) -> OffsetAndEpoch:
        """The executor of `key` snapshots committed data below `end_offset` and deletes it."""
        member = self.members[key]
        assert end_offset <= (member.node.high_watermark or 0), "snapshots hold committed data"
        snapshot_id = member.log.take_snapshot(end_offset)
        event = SnapshotCreated(snapshot_id, end_offset)
        self._execute(member, member.node.handle(event, self.now_ms))
        return snapshot_id

    def wipe(self, key: str) -> Member:
        """Restart `key` with an empty disk and no stored state."""
        old = self.members.pop(key, None) or self.dead.pop(key)
        self.members[key] = Member(key, old.local_id, old.node, MemLog(), None)
        return self.add(key, old.local_id, None)

    def kill(self, key: str) -> None:
        self.dead[key] = self.members.pop(key)

    def key_of(self, node_id: int) -> str:
        return str(node_id)

    # ------------------------------------------------------------------ execution
    def _execute(self, member: Member, ready: Ready) -> None:
        member.readies.append(ready)
        cluster = self

        class Executor:
            def persist_election_state(self, state: ElectionState) -> None:
                member.stored = state

            def apply_log_op(self, op: LogOp) -> None:
                member.log.apply(op)

            def flush_log(self) -> int:
                member.log.flushed_end = member.log.end_offset
                return member.log.flushed_end

            def send(self, message: Outbound, unwritten: tuple[Records, ...]) -> None:
                cluster._send(member, message, unwritten)

        feedback = execute_plan(ready, Executor())
        member.deadline_ms = ready.deadline_ms
        for event in feedback:
            assert isinstance(event, ElectionStatePersisted | Persisted)
            self._execute(member, member.node.handle(event, self.now_ms))

    def _send(self, member: Member, message: Outbound, unwritten: tuple[Records, ...]) -> None:
        if isinstance(message, OutboundRequest):
            dst = self.key_of(message.destination.node_id)
            payload: Any = ("req", member.key, message.request_id, message.request)
        else:
            assert isinstance(message, OutboundResponse)
            route = self._inbound.pop((member.key, message.inbound_id), None)
            if route is None:
                return
            dst, request_id = route
            response = with_log_data(*resolve_reads(message.response, member.log, unwritten))
            payload = ("resp", request_id, response)
        if (member.key, dst) in self.blocked:
            return
        self._seq += 1
        heapq.heappush(self._queue, (self.now_ms + self.LATENCY_MS, self._seq, dst, payload))

    def _deliver(self, dst: str, payload: Any) -> None:
        member = self.members.get(dst)
        if member is None:
            return
        if payload[0] == "req":
            _, src, request_id, request = payload
            inbound_id = member.next_inbound_id
            member.next_inbound_id += 1
            self._inbound[(dst, inbound_id)] = (src, request_id)
            ready = member.node.handle(RequestReceived(inbound_id, request), self.now_ms)
        else:
            _, request_id, response = payload
            ready = member.node.handle(ResponseReceived(request_id, response), self.now_ms)
        self._execute(member, ready)

    def step(self, limit_ms: int | None = None) -> None:
        """Advance the clock to the next message or deadline (at most `limit_ms`) and process
        everything due."""
        next_times = [m.deadline_ms for m in self.members.values()]
        if self._queue:
            next_times.append(self._queue[0][0])
        target = min(next_times)
        if limit_ms is not None:
            target = min(target, limit_ms)
        self.now_ms = max(self.now_ms, target)
        while self._queue and self._queue[0][0] <= self.now_ms:
            _, _, dst, payload = heapq.heappop(self._queue)
            self._deliver(dst, payload)
        for member in list(self.members.values()):
            if member.deadline_ms <= self.now_ms:
                self._execute(member, member.node.poll(self.now_ms))

    def run_until(self, predicate: Callable[[], bool], max_ms: int = 30_000) -> None:
        limit = self.now_ms + max_ms
        while not predicate():
            assert self.now_ms <= limit, f"condition not reached by {limit} ms"
            self.step()

    def run_for(self, duration_ms: int) -> None:
        limit = self.now_ms + duration_ms
        while self.now_ms < limit:
            self.step(limit)

    # ------------------------------------------------------------------ queries
    def leaders(self) -> list[Member]:
        return [m for m in self.members.values() if m.node.role == "leader"]

    def leader(self) -> Member:
        leaders = self.leaders()
        assert len(leaders) == 1, [m.key for m in leaders]
        return leaders[0]

    def propose(self, values: list[bytes]) -> int:
        leader = self.leader()
        result = leader.node.propose(values, self.now_ms)
        assert result.error.value == "none", result
        leader.deadline_ms = min(leader.deadline_ms, result.poll_by_ms)
        return result.last_offset

    def isolate(self, key: str) -> None:
        for other in self.members:
            if other != key:
                self.blocked.add((key, other))
                self.blocked.add((other, key))

    def heal(self) -> None:
        self.blocked.clear()
