"""The test raft server's workload: while this node leads, append random records at a steady rate.

As Kafka's TestRaftServer (RAFT-BRIEF §4), with its `--throughput`/`--record-size` honoured (the
KAFKA-19618 fix): the n-th record of a leadership is due at `start + n / rate`.

The workload is a *source* the node loop pumps (`pump(now_ms)`) right before it polls the core,
instead of a task that queues proposals: every record that became due while the loop was busy
(an fsync, a burst of requests) is proposed at once, just before the poll that drains it, so under
load the records of many due instants share one batch and one fsync (group commit), and nothing
waits in a queue with a stale payload. The loop wakes at `next_due_ms()` when idle.

`--throughput 0` means no workload at all: the source never proposes (the leader's log then holds
only the LeaderChange control record of each epoch, and a consumer reading to the end can end).

Each `propose` call carries up to `records_per_call_max` records (one call → one batch); a rate far
above what the node can do means "as fast as possible", limited by `INFLIGHT_BYTES_MAX` /
`INFLIGHT_PROPOSALS_MAX` uncommitted payload bytes / proposals and by the core's `BACKPRESSURE`.

Payloads are random (the README promises random data; upstream actually sent zeros): a pool of up
to `PAYLOAD_POOL_RECORDS_MAX` distinct random payloads drawn once from the node's seeded
generator; each call takes a run of them from a random start (one list slice).

Latency: a proposal remembers (last offset, propose time, record count); when the high watermark
passes its last offset every record of it gets latency = now - propose time (Kafka's definition,
measured on the leader). Proposals of a lost leadership are forgotten.
"""

from __future__ import annotations

import random
from collections import deque

from kraft.node import ProposeError, RaftNode
from kraft.ready import Ready
from kraft.roles import RoleName
from kraft.shell.stats import Stats

THROUGHPUT_DEFAULT = 5000
RECORD_SIZE_DEFAULT = 256
RECORDS_PER_CALL_MAX = 8192
# Calls per pump: bounds the time one pump takes so the loop keeps serving requests.
CALLS_PER_PUMP_MAX = 4
INFLIGHT_PROPOSALS_MAX = 256
# Uncommitted payload bytes the generator allows before it waits for the high watermark: about two
# of the followers' 8 MiB fetches, so "as fast as possible" measures throughput, not queueing.
INFLIGHT_BYTES_MAX = 16 * 1024 * 1024
# After NOT_LEADER / BACKPRESSURE, try again this much later (Kafka's test server sleeps 10 ms).
RETRY_DELAY_MS = 10
NO_EPOCH = -1
BACKPRESSURE_DELAY_MS = 1
# Distinct random payloads kept ready-made (a list slice per call, no per-record work).
PAYLOAD_POOL_BYTES = 4 << 20
PAYLOAD_POOL_RECORDS_MAX = 8192


class Workload:
    def __init__(
        self,
        node: RaftNode,
        stats: Stats,
        *,
        throughput: int,
        record_size: int,
        rng: random.Random,
        batch_bytes_max: int,
    ) -> None:
        self._node = node
        self._stats = stats
        self.throughput = max(throughput, 1)
        # Throughput 0: no workload (never pumps); the rate above is then unused.
        self.disabled = throughput <= 0
        self.record_size = record_size
        pool_records = max(1, min(PAYLOAD_POOL_RECORDS_MAX, PAYLOAD_POOL_BYTES // record_size))
        self._payloads = [rng.randbytes(record_size) for _ in range(pool_records)]
        self._rng = rng
        # Leave room for the batch and record headers inside one batch.
        self._records_per_call_max = max(
            1, min(RECORDS_PER_CALL_MAX, (batch_bytes_max - 1024) // (record_size + 16))
        )
        self._inflight_records_max = max(1, INFLIGHT_BYTES_MAX // record_size)
        self._pending: deque[tuple[int, int, int]] = deque()
        self._pending_records = 0
        self._is_leader = False
        self._epoch = NO_EPOCH
        self._start_ms = 0
        self._sent = 0
        self._not_before_ms = 0
        self.stopped = False
        self.proposed_records = 0

    # ------------------------------------------------------------------ loop listener

    def on_ready(self, ready: Ready, now_ms: int) -> None:
        """Node-loop listener: track leadership and commit latencies (O(1) per proposal)."""
        node = self._node
        is_leader = node.role == RoleName.LEADER
        if is_leader != self._is_leader or (is_leader and node.epoch != self._epoch):
            self._is_leader = is_leader
            self._epoch = node.epoch
            self._pending.clear()
            self._pending_records = 0
            # A new leadership restarts the schedule (Kafka's test server resets its throttle).
            self._start_ms = now_ms
            self._sent = 0
        if ready.high_watermark is not None:
            self.on_high_watermark(ready.high_watermark, now_ms)

    def on_high_watermark(self, high_watermark: int, now_ms: int) -> None:
        """Node-loop commit listener (and part of `on_ready`): every proposal below the high
        watermark is committed now (called again with the same value, it finds nothing)."""
        pending = self._pending
        while pending and pending[0][0] < high_watermark:
            _, proposed_ms, count = pending.popleft()
            self._pending_records -= count
            self._stats.record_latency(now_ms - proposed_ms, count, count * self.record_size)

    # -------------------------------------------------------------------- the source

    def next_due_ms(self) -> int | None:
        """When the loop should pump next if nothing else wakes it (None: not leading)."""
        if not self._is_leader or self.stopped or self.disabled:
            return None
        if self._inflight_full():
            return None  # the next high watermark change (a Ready) makes room
        # Record n is due at start + n/rate s; round *up* to the millisecond: rounded down, the
        # next record of a rate above 1,000/s would read as due already after every pump, and
        # the loop would spin (poll, pump nothing, poll) until the clock's millisecond ticks.
        due_ms = self._start_ms - (-self._sent * 1000 // self.throughput)
        return max(due_ms, self._not_before_ms)

    def pump(self, now_ms: int) -> bool:
        """Propose every record due by `now_ms`; True if anything was proposed (poll soon)."""
        if not self._is_leader or self.stopped or self.disabled or now_ms < self._not_before_ms:
            return False
        proposed = False
        for _ in range(CALLS_PER_PUMP_MAX):
            due = (now_ms - self._start_ms) * self.throughput // 1000 + 1 - self._sent
            if due <= 0 or self._inflight_full():
                break
            values = self._values(min(due, self._records_per_call_max))
            # A subclass may round up to whole groups of records (`_values`): count what it gave.
            count = len(values)
            if not count:
                break
            result = self._node.propose(values, now_ms)
            if result.error == ProposeError.NONE:
                self._pending.append((result.last_offset, now_ms, count))
                self._pending_records += count
                self._sent += count
                self.proposed_records += count
                proposed = True
                continue
            self._rejected(values)
            if result.error == ProposeError.BACKPRESSURE:
                self._not_before_ms = now_ms + BACKPRESSURE_DELAY_MS
                break
            elif result.error == ProposeError.TOO_LARGE:
                self._records_per_call_max = max(1, self._records_per_call_max // 2)
            else:
                self._not_before_ms = now_ms + RETRY_DELAY_MS
                break
        return proposed

    def _inflight_full(self) -> bool:
        return (
            len(self._pending) >= INFLIGHT_PROPOSALS_MAX
            or self._pending_records >= self._inflight_records_max
        )

    def _rejected(self, values: list[bytes]) -> None:
        """`values` (from `_values`) were not proposed; a stateful subclass takes them back."""

    def _values(self, count: int) -> list[bytes]:
        payloads = self._payloads
        start = self._rng.randrange(len(payloads))
        values = payloads[start : start + count]
        while len(values) < count:
            values += payloads[: count - len(values)]
        return values
