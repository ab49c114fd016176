"""Snapshots and retention of the node's own log, on Kafka's schedule and retention keys.

Every node (leader, follower, observer) snapshots its own committed log, as Kafka's controllers
and brokers do, and deletes what retention allows, so a long-running quorum's disk stays bounded:

- Schedule (`SnapshotConfig`): a snapshot is due when the committed log grew by
  `metadata.log.max.record.bytes.between.snapshots` bytes of batches since the last one, or when
  `metadata.log.max.snapshot.interval.ms` passed since the last one and there is something new.
- Where: at the offset the node's state machine has applied (`StateMachine.applied_offset`), which
  is at most the high watermark and at most the flushed end, and must end a batch of the local
  log; its epoch is that of the batch ending there (Kafka's snapshot id), and its header's
  LastContainedLogTimestamp that batch's max timestamp.
- What: `kraft.shell.snapshots.build_snapshot` over the state machine's records (none for the
  random workload: header and footer only, which still lets retention delete the log).
- Retention (Kafka's `KafkaMetadataLog` cleaning, after every snapshot and every
  `RETENTION_CHECK_INTERVAL_MS`): while at least two snapshots exist and either the log plus the
  snapshots exceed `metadata.max.retention.bytes` or the oldest snapshot's header timestamp is
  older than `metadata.max.retention.ms`, the oldest snapshot is deleted and the log start moves to
  the next one, deleting the segments wholly below it (`DiskLog.advance_start`). The newest
  snapshot is never deleted, and the log start only ever moves to a snapshot's end offset.
- Segments roll by size (`metadata.log.segment.bytes`) and age (`metadata.log.segment.ms`) in
  `DiskLog.append`; only whole rolled segments are deleted, so the disk holds at most about one
  segment plus the retention bytes.

The core learns of each step through `SnapshotCreated` (fed by the node loop before anything
else): a leader then answers a fetch below its log start with the snapshot id, and the fetcher
installs the snapshot through FetchSnapshot (`SnapshotInstall`, which this class also watches).

Threads: `on_ready` and `take_due` run on the trio thread (decisions, state records); the returned
work runs on the node's disk writer thread, the owner of the `DiskLog`, under the loop's disk lock.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from kraft.events import Event, SnapshotCreated
from kraft.ready import LogAppend, LogTruncate, Ready, SnapshotInstall
from kraft.shell.config import SnapshotConfig
from kraft.shell.disk_log import DiskLog
from kraft.shell.snapshots import SnapshotStore, build_snapshot
from kraft.types import OffsetAndEpoch

log = logging.getLogger(__name__)

# How often retention is checked when no snapshot is taken (Kafka's log cleaner checks every
# `log.retention.check.interval.ms`, 5 minutes; the time rule is in days, so a minute is plenty).
RETENTION_CHECK_INTERVAL_MS = 60 * 1000
RETENTION_UNLIMITED = -1
# After a snapshot could not be taken where the state is (not yet flushed, not a batch end): retry.
RETRY_DELAY_MS = 100


class StateMachine(Protocol):
    """The state a snapshot holds (the metadata workload's image; nothing for random bytes)."""

    def applied_offset(self, committed_offset: int) -> int:
        """The end offset of the committed records the state has applied (<= committed)."""
        ...

    def snapshot_records(self) -> Sequence[bytes]:
        """The state as metadata record frames, at `applied_offset`."""
        ...

    def on_snapshot_installed(self, snapshot_id: OffsetAndEpoch) -> None:
        """A snapshot downloaded from the leader replaced the log: reload the state from it."""
        ...


class CommitSource(Protocol):
    """What the snapshotter reads from the node (a `RaftNode` fits)."""

    @property
    def high_watermark(self) -> int | None: ...


class NoState:
    """The random workload's state machine: no state; everything committed is "applied"."""

    def applied_offset(self, committed_offset: int) -> int:
        return committed_offset

    def snapshot_records(self) -> Sequence[bytes]:
        return ()

    def on_snapshot_installed(self, snapshot_id: OffsetAndEpoch) -> None:
        pass


DiskWork = Callable[[], list[Event]]


class Snapshotter:
    def __init__(
        self,
        node: CommitSource,
        disk_log: DiskLog,
        store: SnapshotStore,
        config: SnapshotConfig,
        now_ms: int,
        *,
        state: StateMachine | None = None,
        latest_snapshot: OffsetAndEpoch | None = None,
    ) -> None:
        self._node = node
        self._disk_log = disk_log
        self._store = store
        self.config = config
        self.state: StateMachine = state or NoState()
        self.latest_snapshot = latest_snapshot
        self._last_snapshot_ms = now_ms
        self._next_retention_check_ms = now_ms
        self._not_before_ms = 0
        # (end offset, cumulative appended batch bytes), offset order: prices committed bytes.
        self._marks: deque[tuple[int, int]] = deque()
        self._appended_bytes = 0
        self._committed_bytes = 0
        self._committed_bytes_at_snapshot = 0
        self.snapshots_created = 0
        self.segments_deleted = 0

    # ------------------------------------------------------------------ loop listener

    def on_ready(self, ready: Ready, now_ms: int) -> None:
        for op in ready.log_ops:
            if isinstance(op, LogAppend):
                self._appended_bytes += len(op.records.data)
                self._marks.append((op.records.end_offset, self._appended_bytes))
            elif isinstance(op, LogTruncate):
                while self._marks and self._marks[-1][0] > op.end_offset:
                    self._marks.pop()
                self._appended_bytes = self._marks[-1][1] if self._marks else self._committed_bytes
            elif isinstance(op, SnapshotInstall):
                self._marks.clear()
                self._appended_bytes = self._committed_bytes
                self._committed_bytes_at_snapshot = self._committed_bytes
                self.latest_snapshot = op.snapshot_id
                self._last_snapshot_ms = now_ms
                self.state.on_snapshot_installed(op.snapshot_id)
        high_watermark = ready.high_watermark
        if high_watermark is not None:
            marks = self._marks
            while marks and marks[0][0] <= high_watermark:
                self._committed_bytes = marks.popleft()[1]

    # --------------------------------------------------------------------- decisions

    def next_due_ms(self) -> int | None:
        """When to look again if nothing else wakes the loop (the time-based rules)."""
        if not self.config.enabled:
            return None
        due = self._next_retention_check_ms
        if self.config.snapshot_interval_ms > 0:
            due = min(due, self._last_snapshot_ms + self.config.snapshot_interval_ms)
        return max(due, self._not_before_ms)

    def take_due(self, now_ms: int) -> DiskWork | None:
        """The disk work due now (a snapshot and/or retention), or None."""
        config = self.config
        if not config.enabled or now_ms < self._not_before_ms:
            return None
        committed = self._node.high_watermark
        point = self.state.applied_offset(committed) if committed is not None else 0
        latest = self.latest_snapshot.offset if self.latest_snapshot is not None else 0
        new_data = point > max(latest, self._disk_log.start_offset)
        bytes_due = (
            self._committed_bytes - self._committed_bytes_at_snapshot
            >= config.bytes_between_snapshots
        )
        time_due = (
            config.snapshot_interval_ms > 0
            and now_ms - self._last_snapshot_ms >= config.snapshot_interval_ms
        )
        if new_data and (bytes_due or time_due):
            if point > self._disk_log.flushed_offset:
                self._not_before_ms = now_ms + RETRY_DELAY_MS
                return None
            records = self.state.snapshot_records()
            return lambda: self._snapshot_and_clean(point, records, now_ms)
        if now_ms >= self._next_retention_check_ms:
            self._next_retention_check_ms = now_ms + RETENTION_CHECK_INTERVAL_MS
            return lambda: self._clean(now_ms)
        return None

    # ------------------------------------------------------- disk work (writer thread)

    def _snapshot_and_clean(
        self, offset: int, records: Sequence[bytes], now_ms: int
    ) -> list[Event]:
        batch = self._disk_log.batch_ending_at(offset)
        if batch is None:
            # Not the end of a local batch (cannot happen for a high watermark): try later.
            log.warning("no snapshot at offset %d: not the end of a batch of the log", offset)
            self._not_before_ms = now_ms + RETRY_DELAY_MS
            return []
        snapshot_id = OffsetAndEpoch(offset, batch.partition_leader_epoch)
        data = build_snapshot(snapshot_id, batch.max_timestamp, records, now_ms)
        self._store.create(snapshot_id, data)
        self.latest_snapshot = snapshot_id
        self._last_snapshot_ms = now_ms
        self._committed_bytes_at_snapshot = self._committed_bytes
        self.snapshots_created += 1
        log.info(
            "snapshot %s written (%d records, %d bytes)",
            self._store.path(snapshot_id).name,
            len(records),
            len(data),
        )
        events: list[Event] = [SnapshotCreated(snapshot_id, self._disk_log.start_offset)]
        events += self._clean(now_ms)
        self._next_retention_check_ms = now_ms + RETENTION_CHECK_INTERVAL_MS
        return events

    def _clean(self, now_ms: int) -> list[Event]:
        """Kafka's retention: delete the oldest snapshot and move the log start to the next one,
        while the size or the age rule says so and at least two snapshots remain."""
        store, disk_log, config = self._store, self._disk_log, self.config
        ids = []
        for snapshot_id in store.snapshot_ids():
            if snapshot_id.offset < disk_log.start_offset:
                # Below the log start (an installed snapshot replaced the log): useless now.
                store.delete(snapshot_id)
            else:
                ids.append(snapshot_id)
        sizes = {s: store.size_bytes(s) for s in ids}
        total_bytes = sum(sizes.values())
        new_start: OffsetAndEpoch | None = None
        while len(ids) >= 2:
            oldest, following = ids[0], ids[1]
            over_size = (
                config.retention_bytes != RETENTION_UNLIMITED
                and disk_log.size_bytes + total_bytes > config.retention_bytes
            )
            timestamp_ms = store.last_contained_timestamp_ms(oldest)
            expired = (
                config.retention_ms != RETENTION_UNLIMITED
                and timestamp_ms is not None
                and now_ms - timestamp_ms > config.retention_ms
            )
            if not (over_size or expired):
                break
            if following.offset > disk_log.flushed_offset:
                break  # (a snapshot is never above the flushed end; defensive)
            # The log start moves first, so no snapshot below it is ever the one at the start.
            self.segments_deleted += disk_log.advance_start(following.offset)
            store.delete(oldest)
            total_bytes -= sizes[oldest]
            ids.pop(0)
            new_start = following
        if new_start is None:
            return []
        log.info(
            "retention: log starts at %d now (%d segments, %d bytes; %d snapshots)",
            disk_log.start_offset,
            disk_log.segment_count,
            disk_log.size_bytes,
            len(ids),
        )
        return [SnapshotCreated(new_start, new_start.offset)]


def recover_log_start(disk_log: DiskLog, store: SnapshotStore) -> OffsetAndEpoch | None:
    """At start-up: set the log start from the snapshots (it is not stored) and drop snapshots
    below it; return the latest snapshot.

    Retention moves the log start to a snapshot's end offset and deletes only whole segments
    below it, so when the first segment begins above 0 the log started at the oldest snapshot at
    or above that segment's base. (When nothing was deleted the log starts at 0, as before.)
    Snapshots beyond the log end were handled before (the log was reset to the latest one).
    """
    ids = store.snapshot_ids()
    base = disk_log.first_segment_base
    if base > 0:
        candidates = [s for s in ids if base <= s.offset <= disk_log.end_offset]
        if candidates:
            disk_log.advance_start(candidates[0].offset)
    for snapshot_id in ids:
        if snapshot_id.offset < disk_log.start_offset:
            store.delete(snapshot_id)
    return ids[-1] if ids else None
