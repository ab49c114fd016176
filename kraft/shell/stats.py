"""Per-interval figures of a node: the status line and the `--stats-file` JSON lines.

What is measured (README "What the figures mean"):
- `committed_records_per_s`: how far the high watermark advanced per second in the interval
  (offsets, so the one LeaderChange control record per epoch counts too);
- `committed_bytes_per_s`: bytes of the stored record batches (headers included) that the high
  watermark passed per second; known for batches this node appended, i.e. on every replica;
- `commit_latency_ms_*`: on the leader only, per record, from the workload's propose to the high
  watermark passing the record (Kafka's TestRaftServer definition); exact percentiles (nearest
  rank) over every record committed in the interval (p50, p75, p99, p999, max). Null on other
  roles or when nothing was committed in the interval.
- `committed_payload_bytes_per_s`: on the leader only, the record payload bytes of this
  leadership's workload committed per second: what Kafka's TestRaftServer calls "Throughput
  (bytes/second)" (its `bytes.committed` meter counts record values, not batch bytes).

Two human formats (`--status-format`): pykraft's own line (`status_line`), and Kafka's
TestRaftServer line (`kafka_status_line`: `Throughput (bytes/second): 1280000.00, Latency (ms):
25.0 p75 27.0 p99 31.0 p999`), printed only by a leader that committed something in the
interval, as Kafka prints it only on commits of its own leadership, so a reader can put the two
implementations' outputs side by side. Kafka's figures are over its metrics window (about the last
30-60 s, 0.25 ms buckets); pykraft's are exact over the report interval.

Cost: O(1) per appended batch and per proposal (records of one proposal share one latency), never
per record. Latencies are kept as a histogram of whole milliseconds (latency → record count), which
is exact at the reported resolution and bounded by the number of distinct values.
"""

from __future__ import annotations

import json
import math
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from kraft.ready import LogAppend, LogTruncate, Ready

# Bounds the append history kept to price committed bytes (one entry per append, not per record).
# Only the uncommitted tail is kept (see `on_ready`), so this is a safety cap, not the usual size.
APPEND_MARKS_MAX = 100_000
# Status writes waiting behind a stuck stdout beyond this many are dropped (counted, not queued).
STATUS_BACKLOG_MAX = 100


@dataclass(frozen=True, slots=True)
class NodeFigures:
    """The node facts sampled at the end of an interval."""

    node_id: int
    role: str
    leader_id: int | None
    epoch: int
    log_end_offset: int
    high_watermark: int | None


def weighted_percentile(samples: list[tuple[int, int]], fraction: float) -> int:
    """Nearest-rank percentile of (value, count) samples; `samples` must be non-empty."""
    ordered = sorted(samples)
    total = sum(count for _, count in ordered)
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return value
    return ordered[-1][0]


class Stats:
    def __init__(self, start_ms: int) -> None:
        self._interval_start_ms = start_ms
        self._latencies: dict[int, int] = {}
        self._payload_bytes = 0
        self._hw_at_start: int | None = None
        self._hw: int | None = None
        # (end offset, cumulative batch bytes appended up to it), in offset order.
        self._marks: deque[tuple[int, int]] = deque()
        self._appended_bytes = 0
        self._committed_bytes_at_start = 0

    # ------------------------------------------------------------------------- inputs

    def on_ready(self, ready: Ready, now_ms: int) -> None:
        for op in ready.log_ops:
            if isinstance(op, LogAppend):
                self._appended_bytes += len(op.records.data)
                self._marks.append((op.records.end_offset, self._appended_bytes))
                if len(self._marks) > APPEND_MARKS_MAX:
                    self._marks.popleft()
            elif isinstance(op, LogTruncate):
                while self._marks and self._marks[-1][0] > op.end_offset:
                    self._marks.pop()
                self._appended_bytes = self._marks[-1][1] if self._marks else 0
        if ready.high_watermark is not None:
            if self._hw_at_start is None:
                self._hw_at_start = ready.high_watermark
                self._committed_bytes_at_start = self._committed_bytes(ready.high_watermark)
            self._hw = ready.high_watermark
            # Below the HW only the newest mark is ever read again (the HW never moves back and no
            # truncation cuts below it): drop the rest, or the history grows with the log.
            while len(self._marks) > 1 and self._marks[1][0] <= self._hw:
                self._marks.popleft()

    def record_latency(self, latency_ms: int, records: int, payload_bytes: int = 0) -> None:
        latency_ms = max(latency_ms, 0)
        self._latencies[latency_ms] = self._latencies.get(latency_ms, 0) + records
        self._payload_bytes += payload_bytes

    def _committed_bytes(self, high_watermark: int) -> int:
        committed = 0
        for end_offset, cumulative in reversed(self._marks):
            if end_offset <= high_watermark:
                committed = cumulative
                break
        return committed

    # ------------------------------------------------------------------------ outputs

    def take_interval(self, now_ms: int, figures: NodeFigures) -> dict[str, Any]:
        """The figures of the interval ending now, and start the next interval."""
        elapsed_s = max(now_ms - self._interval_start_ms, 1) / 1000
        records = 0
        committed_bytes = 0
        if self._hw is not None and self._hw_at_start is not None:
            records = self._hw - self._hw_at_start
            committed_bytes = max(
                self._committed_bytes(self._hw) - self._committed_bytes_at_start, 0
            )
        latencies = list(self._latencies.items())
        result: dict[str, Any] = {
            "time_ms": now_ms,
            "node_id": figures.node_id,
            "role": figures.role,
            "leader_id": figures.leader_id,
            "epoch": figures.epoch,
            "log_end_offset": figures.log_end_offset,
            "high_watermark": figures.high_watermark,
            "interval_ms": now_ms - self._interval_start_ms,
            "committed_records_per_s": round(records / elapsed_s, 1),
            "committed_bytes_per_s": round(committed_bytes / elapsed_s, 1),
            "committed_payload_bytes_per_s": None,
            "commit_latency_ms_p50": None,
            "commit_latency_ms_p75": None,
            "commit_latency_ms_p99": None,
            "commit_latency_ms_p999": None,
            "commit_latency_ms_max": None,
        }
        if latencies and figures.role == "leader":
            result["committed_payload_bytes_per_s"] = round(self._payload_bytes / elapsed_s, 2)
            result["commit_latency_ms_p50"] = weighted_percentile(latencies, 0.50)
            result["commit_latency_ms_p75"] = weighted_percentile(latencies, 0.75)
            result["commit_latency_ms_p99"] = weighted_percentile(latencies, 0.99)
            result["commit_latency_ms_p999"] = weighted_percentile(latencies, 0.999)
            result["commit_latency_ms_max"] = max(value for value, _ in latencies)
        self._interval_start_ms = now_ms
        self._latencies = {}
        self._payload_bytes = 0
        self._hw_at_start = self._hw
        if self._hw is not None:
            self._committed_bytes_at_start = self._committed_bytes(self._hw)
        return result


def status_line(figures: dict[str, Any]) -> str:
    """One human line, e.g. `node 1 leader (leader 1, epoch 3) log end 120345 hw 120340 | ...`."""

    def show(value: Any) -> str:
        return "-" if value is None else str(value)

    latency = "latency n/a"
    if figures["commit_latency_ms_p50"] is not None:
        latency = (
            f"commit latency p50 {figures['commit_latency_ms_p50']} ms, "
            f"p99 {figures['commit_latency_ms_p99']} ms, max {figures['commit_latency_ms_max']} ms"
        )
    return (
        f"node {figures['node_id']} {figures['role']} (leader {show(figures['leader_id'])}, "
        f"epoch {figures['epoch']}) log end {figures['log_end_offset']} "
        f"hw {show(figures['high_watermark'])} | committed "
        f"{figures['committed_records_per_s']:.0f} records/s, "
        f"{figures['committed_bytes_per_s'] / 1e6:.2f} MB/s | {latency}"
    )


def kafka_status_line(figures: dict[str, Any]) -> str | None:
    """Kafka's TestRaftServer line for the same figures; None when Kafka would print nothing
    (not the leader, or nothing of the leader's workload committed in the interval)."""
    if figures["role"] != "leader" or figures["commit_latency_ms_p75"] is None:
        return None
    return (
        f"Throughput (bytes/second): {figures['committed_payload_bytes_per_s']:.2f}, "
        f"Latency (ms): {figures['commit_latency_ms_p75']:.1f} p75 "
        f"{figures['commit_latency_ms_p99']:.1f} p99 {figures['commit_latency_ms_p999']:.1f} p999"
    )


def write_json_line(stream: IO[str], figures: dict[str, Any]) -> None:
    stream.write(json.dumps(figures, separators=(",", ":")) + "\n")
    stream.flush()


class StatusWriter:
    """Writes status and stats lines on its own thread, in submission order, so that a stdout
    nobody drains (a paused `| less`, a full pipe) never stalls the trio thread. Behind a stuck
    stream at most `STATUS_BACKLOG_MAX` writes wait; later ones are dropped and counted."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._pending = 0  # submitted, not finished (a job that hangs stays counted)
        self._lock = threading.Lock()
        self.dropped = 0
        self._thread = threading.Thread(target=self._work, name="pykraft-status", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def submit(self, write: Callable[[], None]) -> None:
        with self._lock:
            if self._pending >= STATUS_BACKLOG_MAX:
                self.dropped += 1
                return
            self._pending += 1
        self._jobs.put(write)

    def drain(self) -> None:
        """Block until every write submitted so far is done (call it on a thread)."""
        done = threading.Event()
        with self._lock:
            self._pending += 1
        self._jobs.put(done.set)
        done.wait()

    def stop(self) -> None:
        """Let the thread exit after the writes already submitted (a daemon: never joined)."""
        self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except (OSError, ValueError):
                pass  # a closed or broken stream: nothing to tell on it (`| head` ended)
            finally:
                with self._lock:
                    self._pending -= 1
