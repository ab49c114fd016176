"""The test raft server's workload: while this node leads, append random records at a steady rate.

As Kafka's TestRaftServer (RAFT-BRIEF §4), with its `--throughput`/`--record-size` honoured (the
KAFKA-19618 fix): the n-th record of a leadership is due at `start + n / rate`; when records are
due the generator proposes all of them in one call (one call → one batch, up to
`records_per_call_max`), so the per-record cost is only creating the payload. A rate far above
what the node can do means "as fast as possible": proposals are then limited by the core's
`BACKPRESSURE` answer and by `INFLIGHT_PROPOSALS_MAX` / `INFLIGHT_BYTES_MAX` uncommitted
proposals / payload bytes.

Payloads are random (the README promises random data; upstream actually sent zeros): slices of a
pool of random bytes drawn once from the node's seeded generator.

Latency: a proposal remembers (last offset, propose time, record count); when the high watermark
passes its last offset every record of it gets latency = now - propose time (Kafka's definition,
measured on the leader). Proposals of a lost leadership are forgotten.
"""

from __future__ import annotations

import random
from collections import deque

import trio

from kraft.node import ProposeError
from kraft.ready import Ready
from kraft.roles import RoleName
from kraft.shell.node_loop import NodeLoop
from kraft.shell.stats import Stats

THROUGHPUT_DEFAULT = 5000
RECORD_SIZE_DEFAULT = 256
RECORDS_PER_CALL_MAX = 8192
INFLIGHT_PROPOSALS_MAX = 256
# Uncommitted payload bytes the generator allows before it waits for the high watermark: about two
# of the followers' 8 MiB fetches, so "as fast as possible" measures throughput, not queueing.
INFLIGHT_BYTES_MAX = 16 * 1024 * 1024
BACKPRESSURE_SLEEP_S = 0.001
PAYLOAD_POOL_BYTES = 1 << 20


class Workload:
    def __init__(
        self,
        loop: NodeLoop,
        stats: Stats,
        *,
        throughput: int,
        record_size: int,
        rng: random.Random,
        batch_bytes_max: int,
    ) -> None:
        self._loop = loop
        self._stats = stats
        self.throughput = max(throughput, 1)
        self.record_size = record_size
        self._pool = rng.randbytes(PAYLOAD_POOL_BYTES + record_size)
        self._rng = rng
        # Leave room for the batch and record headers inside one batch.
        self._records_per_call_max = max(
            1, min(RECORDS_PER_CALL_MAX, (batch_bytes_max - 1024) // (record_size + 16))
        )
        self._pending: deque[tuple[int, int, int]] = deque()
        self._pending_records = 0
        self._inflight_records_max = max(1, INFLIGHT_BYTES_MAX // record_size)
        self._is_leader = False
        self._epoch = -1
        self._leader_changed = trio.Event()
        self._committed = trio.Event()
        self.proposed_records = 0

    def on_ready(self, ready: Ready, now_ms: int) -> None:
        """Node-loop listener: track leadership and commit latencies (O(1) per proposal)."""
        node = self._loop.node
        is_leader = node.role == RoleName.LEADER
        if is_leader != self._is_leader or (is_leader and node.epoch != self._epoch):
            self._is_leader = is_leader
            self._epoch = node.epoch
            self._pending.clear()
            self._pending_records = 0
            self._leader_changed.set()
            self._leader_changed = trio.Event()
        high_watermark = ready.high_watermark
        if high_watermark is not None and self._pending:
            pending = self._pending
            while pending and pending[0][0] < high_watermark:
                _, proposed_ms, count = pending.popleft()
                self._pending_records -= count
                self._stats.record_latency(now_ms - proposed_ms, count)
            self._committed.set()
            self._committed = trio.Event()

    def _values(self, count: int) -> list[bytes]:
        pool = self._pool
        size = self.record_size
        start = self._rng.randrange(PAYLOAD_POOL_BYTES)
        values = []
        for _ in range(count):
            values.append(pool[start : start + size])
            start = (start + 4099) % PAYLOAD_POOL_BYTES
        return values

    async def run(self) -> None:
        clock = self._loop.clock
        while True:
            while not self._is_leader:
                await self._leader_changed.wait()
            epoch = self._epoch
            start_ms = clock.now_ms()
            sent = 0
            per_call = self._records_per_call_max
            while self._is_leader and self._epoch == epoch and not self._loop.shutting_down:
                now_ms = clock.now_ms()
                due = (now_ms - start_ms) * self.throughput // 1000 + 1 - sent
                if due <= 0:
                    next_due_ms = start_ms + sent * 1000 / self.throughput
                    await trio.sleep(max(next_due_ms - now_ms, 0.2) / 1000)
                    continue
                if (
                    len(self._pending) >= INFLIGHT_PROPOSALS_MAX
                    or self._pending_records >= self._inflight_records_max
                ):
                    with trio.move_on_after(0.05):
                        await self._committed.wait()
                    continue
                count = min(due, per_call)
                proposed_ms = clock.now_ms()
                result = await self._loop.propose(self._values(count))
                if result.error == ProposeError.NONE:
                    if self._is_leader and self._epoch == result.epoch:
                        self._pending.append((result.last_offset, proposed_ms, count))
                        self._pending_records += count
                    sent += count
                    self.proposed_records += count
                elif result.error == ProposeError.BACKPRESSURE:
                    await trio.sleep(BACKPRESSURE_SLEEP_S)
                elif result.error == ProposeError.TOO_LARGE:
                    per_call = max(1, per_call // 2)
                else:
                    await trio.sleep(0.01)  # not leader (any more): Kafka's 10 ms retry pause
                    break
            if self._loop.shutting_down:
                return
