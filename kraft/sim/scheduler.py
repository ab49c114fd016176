"""Virtual clock, event heap and the deterministic trace.

Theory of operation: the simulation is a single loop that pops the earliest (time_ms, seq) entry
and runs its action. `seq` is a strictly increasing counter, so two actions at the same virtual
time run in the order they were scheduled: with the same seed every run pops the same sequence.
Time never goes backwards (asserted). Timers are never cancelled in the heap; owners ignore stale
entries by comparing a generation number, which keeps scheduling O(log n) and simple.

The `Trace` hashes every line it is given (blake2b), and keeps the lines only when asked to
(`--trace`), so the determinism check costs one hash update per event.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable
from typing import Any

# A runaway simulation (a core that schedules without bound) fails loudly instead of hanging.
EVENTS_MAX = 5_000_000
TRACE_LINES_MAX = 2_000_000

Action = Callable[[Any], None]


class SchedulerOverflow(RuntimeError):
    """More than `events_max` events: the run is treated as a failure, never as a hang."""


class Scheduler:
    """A heap of (time_ms, seq, action, arg); `now_ms` is the time of the action being run."""

    __slots__ = ("_heap", "_seq", "events_max", "events_run", "now_ms")

    def __init__(self, events_max: int = EVENTS_MAX) -> None:
        self._heap: list[tuple[int, int, Action, Any]] = []
        self._seq = 0
        self.now_ms = 0
        self.events_run = 0
        self.events_max = events_max

    def at(self, time_ms: int, action: Action, arg: Any = None) -> None:
        """Run `action(arg)` at virtual time `time_ms` (never earlier than now)."""
        if time_ms < self.now_ms:
            time_ms = self.now_ms
        self._seq += 1
        heapq.heappush(self._heap, (time_ms, self._seq, action, arg))

    def after(self, delay_ms: int, action: Action, arg: Any = None) -> None:
        self.at(self.now_ms + max(0, delay_ms), action, arg)

    def __len__(self) -> int:
        return len(self._heap)

    def step(self) -> bool:
        """Run the earliest action. False when the heap is empty."""
        if not self._heap:
            return False
        time_ms, _seq, action, arg = heapq.heappop(self._heap)
        assert time_ms >= self.now_ms, "virtual time went backwards"
        self.now_ms = time_ms
        self.events_run += 1
        if self.events_run > self.events_max:
            raise SchedulerOverflow(f"more than {self.events_max} events")
        action(arg)
        return True

    def run_until(self, end_ms: int, after_step: Callable[[], None] | None = None) -> None:
        """Run every action due at or before `end_ms`, then set the clock to `end_ms`."""
        heap = self._heap
        while heap and heap[0][0] <= end_ms:
            self.step()
            if after_step is not None:
                after_step()
        self.now_ms = max(self.now_ms, end_ms)


class Trace:
    """Deterministic event log: always hashed, kept in memory only when `keep_lines`."""

    __slots__ = ("_hash", "keep_lines", "lines", "lines_count")

    def __init__(self, keep_lines: bool = False) -> None:
        self._hash = hashlib.blake2b(digest_size=16)
        self.keep_lines = keep_lines
        self.lines: list[str] = []
        self.lines_count = 0

    def add(self, now_ms: int, text: str) -> None:
        line = f"{now_ms:>8} {text}"
        self._hash.update(line.encode())
        self._hash.update(b"\n")
        self.lines_count += 1
        if self.keep_lines and len(self.lines) < TRACE_LINES_MAX:
            self.lines.append(line)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
