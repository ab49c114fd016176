"""The core's metadata view of the replicated log (no bytes: those live with the executor).

`LogState` is what an executor recovered from disk and hands to `RaftNode` at start; `LogView` is
the core's running copy. Every append/truncation the core emits in a Ready is applied to the view
at the moment it is emitted, so the view is always "the log after the executor has applied every op
emitted so far". The executor applies exactly those ops, in order, and nothing else.

Invariants (asserted):
- log_start_offset <= flushed_end_offset <= end_offset.
- epoch_history is Kafka's leader-epoch cache: strictly increasing epochs with non-decreasing start
  offsets, every start offset in [log_start_offset, end_offset]; the entry for epoch e covers
  [start_e, start_{e+1}).
- last_batch_epoch is the epoch of the last batch, or the latest snapshot's epoch for an empty log
  (0 without a snapshot): what a follower sends as LastFetchedEpoch.
- batch boundaries: the disk logs cut whole batches only (Kafka's truncation too), so the core
  must only truncate at a batch boundary. The view keeps, sorted, the boundaries from
  `bases_known_from` (the recovered end, or a snapshot's end) up: every batch base and end it
  appends; those below the high watermark are forgotten (`forget_boundaries_below`). Recovered
  batches' bases are not in LogState: there a target is trusted as before (honest leaders only
  send the end of an epoch, a boundary of the replicated batches).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from kraft.types import OffsetAndEpoch, Records


@dataclass(frozen=True, slots=True)
class LogState:
    """What the executor recovered: everything recovered counts as flushed."""

    log_start_offset: int = 0
    end_offset: int = 0
    # Kafka's leader-epoch-checkpoint entries: (epoch, start offset), increasing.
    epoch_history: tuple[tuple[int, int], ...] = ()
    latest_snapshot_id: OffsetAndEpoch | None = None


class LogView:
    """Mutable metadata of the log, updated by the ops the core emits."""

    def __init__(self, state: LogState) -> None:
        self.log_start_offset = state.log_start_offset
        self.end_offset = state.end_offset
        self.flushed_end_offset = state.end_offset
        self.epoch_history: list[tuple[int, int]] = list(state.epoch_history)
        self.latest_snapshot_id = state.latest_snapshot_id
        self.bases_known_from = self.end_offset
        self._boundaries: list[int] = [self.end_offset]
        self._check()

    def _check(self) -> None:
        assert 0 <= self.log_start_offset <= self.flushed_end_offset <= self.end_offset, self
        for (e1, s1), (e2, s2) in zip(self.epoch_history, self.epoch_history[1:], strict=False):
            assert e1 < e2 and s1 <= s2, self.epoch_history
        for _, start in self.epoch_history:
            assert start <= self.end_offset, (start, self.end_offset)

    def __repr__(self) -> str:
        return (
            f"LogView(start={self.log_start_offset}, end={self.end_offset}, "
            f"flushed={self.flushed_end_offset}, epochs={self.epoch_history}, "
            f"snapshot={self.latest_snapshot_id})"
        )

    # ------------------------------------------------------------------------ queries
    @property
    def last_batch_epoch(self) -> int:
        """Epoch of the last batch; for an empty log the snapshot's epoch, else 0."""
        if self.end_offset > self.log_start_offset and self.epoch_history:
            return self.epoch_history[-1][0]
        if self.latest_snapshot_id is not None:
            return self.latest_snapshot_id.epoch
        return 0

    @property
    def end_offset_and_epoch(self) -> OffsetAndEpoch:
        return OffsetAndEpoch(self.end_offset, self.last_batch_epoch)

    def end_offset_for_epoch(self, epoch: int) -> OffsetAndEpoch:
        """Kafka's `endOffsetForEpoch`: the largest known epoch <= `epoch` and the end offset of
        that epoch in this log (the next epoch's start, or the log end).

        Below every known epoch: the snapshot id when the epoch is not older than the snapshot's,
        else (log start, 0); the fetch path handles offsets below the log start (snapshots) first.
        """
        found: tuple[int, int] | None = None
        for index, (e, _start) in enumerate(self.epoch_history):
            if e > epoch:
                break
            found = (e, index)
        if found is None:
            if self.latest_snapshot_id is not None and self.latest_snapshot_id.epoch <= epoch:
                return self.latest_snapshot_id
            return OffsetAndEpoch(self.log_start_offset, 0)
        e, index = found
        if index + 1 < len(self.epoch_history):
            return OffsetAndEpoch(self.epoch_history[index + 1][1], e)
        return OffsetAndEpoch(self.end_offset, e)

    def batch_boundary_at_or_below(self, offset: int) -> int:
        """The highest batch boundary <= `offset` (Kafka's truncation drops the whole batch holding
        `offset`); `offset` itself below `bases_known_from` (recovered batches: bases unknown)."""
        if offset < self.bases_known_from:
            return offset
        index = bisect_right(self._boundaries, offset)
        return self._boundaries[index - 1] if index > 0 else self.log_start_offset

    def forget_boundaries_below(self, offset: int) -> None:
        """Nothing is truncated below the high watermark: drop what only such a cut would need."""
        index = bisect_right(self._boundaries, offset) - 1
        if index > 0:
            del self._boundaries[:index]

    def epoch_start_offset(self, epoch: int) -> int | None:
        for e, start in self.epoch_history:
            if e == epoch:
                return start
        return None

    # ------------------------------------------------------------------------ mutations
    def append(self, records: Records) -> None:
        assert records.batches, "empty append"
        assert records.base_offset == self.end_offset, (records.base_offset, self.end_offset)
        for batch in records.batches:
            latest = self.epoch_history[-1][0] if self.epoch_history else None
            assert latest is None or batch.epoch >= latest, (batch, self.epoch_history)
            if latest is None or batch.epoch > latest:
                self.epoch_history.append((batch.epoch, batch.base_offset))
            if not self._boundaries or self._boundaries[-1] < batch.base_offset:
                self._boundaries.append(batch.base_offset)
        self.end_offset = records.end_offset
        self._boundaries.append(self.end_offset)
        self._check()

    def truncate_to(self, end_offset: int) -> None:
        """Drop everything at or above `end_offset` (which must be >= log start)."""
        assert self.log_start_offset <= end_offset <= self.end_offset, (end_offset, self)
        self.end_offset = end_offset
        self.flushed_end_offset = min(self.flushed_end_offset, end_offset)
        # An epoch starting at the new end has no batches left (Kafka's truncateFromEnd).
        self.epoch_history = [(e, s) for e, s in self.epoch_history if s < end_offset]
        del self._boundaries[bisect_left(self._boundaries, end_offset) :]
        self._boundaries.append(end_offset)
        self.bases_known_from = min(self.bases_known_from, end_offset)
        self._check()

    def mark_flushed(self, flushed_end_offset: int) -> None:
        """Durable up to `flushed_end_offset`; stale reports (after a truncation) are clamped."""
        self.flushed_end_offset = max(
            self.flushed_end_offset, min(flushed_end_offset, self.end_offset)
        )
        self._check()

    def add_snapshot(self, snapshot_id: OffsetAndEpoch, log_start_offset: int) -> None:
        """A snapshot of committed data exists; the log may now start at its end offset."""
        assert self.log_start_offset <= snapshot_id.offset <= self.end_offset, (snapshot_id, self)
        if self.latest_snapshot_id is None or snapshot_id.offset > self.latest_snapshot_id.offset:
            self.latest_snapshot_id = snapshot_id
        if log_start_offset > self.log_start_offset:
            assert log_start_offset == snapshot_id.offset, "log start moves to a snapshot end"
            # Kafka's truncateFromStart: the epoch covering the new start now starts there.
            covering = [(e, s) for e, s in self.epoch_history if s <= log_start_offset]
            rest = [(e, s) for e, s in self.epoch_history if s > log_start_offset]
            self.epoch_history = ([(covering[-1][0], log_start_offset)] if covering else []) + rest
            self.log_start_offset = log_start_offset
            self.flushed_end_offset = max(self.flushed_end_offset, log_start_offset)
            if self.bases_known_from <= log_start_offset:
                del self._boundaries[: bisect_left(self._boundaries, log_start_offset)]
                if not self._boundaries or self._boundaries[0] != log_start_offset:
                    self._boundaries.insert(0, log_start_offset)
                self.bases_known_from = log_start_offset
        self._check()

    def install_snapshot(self, snapshot_id: OffsetAndEpoch) -> None:
        """A downloaded snapshot replaces the whole log (follower side)."""
        self.latest_snapshot_id = snapshot_id
        self.log_start_offset = self.end_offset = self.flushed_end_offset = snapshot_id.offset
        self.epoch_history = []
        self._boundaries = [snapshot_id.offset]
        self.bases_known_from = snapshot_id.offset
        self._check()

    def truncate_to_end_offset_of(self, diverging: OffsetAndEpoch) -> int:
        """Kafka's `truncateToEndOffset` target for a DivergingEpoch answer (not applied)."""
        if diverging.epoch == 0:
            return min(diverging.offset, self.end_offset)
        local = self.end_offset_for_epoch(diverging.epoch)
        if local.epoch == diverging.epoch:
            return min(local.offset, diverging.offset)
        return min(local.offset, self.end_offset)
