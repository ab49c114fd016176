"""The rules of every consumer-facing answer (RAFT-BRIEF §2.12), in one place, kept apart from
raft Fetch: the shell (`kraft.shell.consumer`) only shapes these answers into wire messages.

Ordinary Kafka consumers read `__cluster_metadata` like a partition the leader owns, the Raft
epoch playing the partition leader epoch. Unknown is `None` here, as everywhere in the core; the
shell translates Kafka's -1s at its edge.

- `partition_error`: a CurrentLeaderEpoch older than ours is FENCED_LEADER_EPOCH, newer is
  UNKNOWN_LEADER_EPOCH (None: the client does not know one); then, when the API needs the leader,
  NOT_LEADER_OR_FOLLOWER unless we lead and are not shutting down (a leader handing over is "not
  the leader", which clients retry, as a broker in a controlled shutdown moves its partitions).
- `committed_offset`: consumers never see records at or above the high watermark (a later leader
  could truncate them); with no HW known they see nothing above the log start.
- `offset_error`: a fetch offset below the log start or past the log end is OFFSET_OUT_OF_RANGE;
  between the HW and the log end the answer is empty.
- `epoch_end_offset` (OffsetForLeaderEpoch, KIP-101/320): the largest epoch <= the requested one
  and the offset where it ends (the next epoch's start, or the log end for the latest); the
  requested epoch itself when it precedes the whole history; None (unknown) for a negative epoch,
  an epoch newer than the log's latest, or an empty history.
- `epoch_of_offset` (ListOffsets' leader epoch): the epoch of the record at an offset.

No state is kept per consumer, and nothing here moves the HW or counts for check-quorum. These
rules read one view, `ConsumerView` (`RaftNode.consumer_view()`): the core's own log view and
leadership, the same the raft rules use, with the high watermark as last reported (never
backwards). The core's own committed read (`consumer_fetch`) answers by these rules over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kraft.context import Core
from kraft.epoch_state import Leader
from kraft.handlers.common import current_leader
from kraft.rpc import LogRead
from kraft.types import LeaderAndEpoch, OffsetAndEpoch
from wire.errors import ErrorCode

# (epoch, start offset) of each epoch of a log, ascending: the leader-epoch checkpoint.
EpochHistory = Sequence[tuple[int, int]]


def partition_error(
    epoch: int,
    current_leader_epoch: int | None,
    *,
    is_leader: bool,
    shutting_down: bool,
    require_leader: bool = True,
) -> ErrorCode:
    """The error a consumer gets for its CurrentLeaderEpoch (None: unknown) against ours."""
    if current_leader_epoch is not None:
        if current_leader_epoch < epoch:
            return ErrorCode.FENCED_LEADER_EPOCH
        if current_leader_epoch > epoch:
            return ErrorCode.UNKNOWN_LEADER_EPOCH
    if require_leader and (not is_leader or shutting_down):
        return ErrorCode.NOT_LEADER_OR_FOLLOWER
    return ErrorCode.NONE


def committed_offset(high_watermark: int | None, log_start_offset: int) -> int:
    """The offset consumers may read up to (exclusive)."""
    if high_watermark is None:
        return log_start_offset
    return max(high_watermark, log_start_offset)


def offset_error(fetch_offset: int, log_start_offset: int, log_end_offset: int) -> ErrorCode:
    if fetch_offset < log_start_offset or fetch_offset > log_end_offset:
        return ErrorCode.OFFSET_OUT_OF_RANGE
    return ErrorCode.NONE


def epoch_end_offset(
    history: EpochHistory, requested_epoch: int, log_end_offset: int
) -> OffsetAndEpoch | None:
    """(end offset, epoch) answering OffsetForLeaderEpoch for `requested_epoch`; None: unknown."""
    if requested_epoch < 0 or not history:
        return None
    latest_epoch = history[-1][0]
    if requested_epoch == latest_epoch:
        return OffsetAndEpoch(log_end_offset, latest_epoch)
    floor_epoch: int | None = None
    for epoch, start_offset in history:
        if epoch > requested_epoch:
            return OffsetAndEpoch(
                start_offset, requested_epoch if floor_epoch is None else floor_epoch
            )
        floor_epoch = epoch
    return None


def epoch_of_offset(history: EpochHistory, offset: int) -> int | None:
    """The epoch of the record at `offset` (or of the next record appended there); None when
    `offset` precedes the whole history."""
    found: int | None = None
    for epoch, start_offset in history:
        if start_offset > offset:
            break
        found = epoch
    return found


# ----------------------------------------------------------------------- the consumers' view
@dataclass(frozen=True, slots=True)
class ConsumerView:
    """The log and leadership as consumers see them: the core's own log view (the one raft
    Fetch is answered from), taken at once so its facts agree with each other.

    `high_watermark` never moves backwards within one node process: a new leader has no HW until
    it commits in its epoch, and consumers keep the one this node last reported. Invariant:
    log start <= high watermark <= log end whenever the HW is known."""

    leader: LeaderAndEpoch
    is_leader: bool
    shutting_down: bool
    high_watermark: int | None
    log_start_offset: int
    log_end_offset: int
    # (epoch, start offset) of each epoch of the local log, ascending.
    epoch_history: tuple[tuple[int, int], ...]

    @property
    def committed_offset(self) -> int:
        return committed_offset(self.high_watermark, self.log_start_offset)


def consumer_view(core: Core) -> ConsumerView:
    hw = core.high_watermark()
    reported = core.out.reported_high_watermark
    if hw is None or (reported is not None and reported > hw):
        hw = reported
    log = core.log
    return ConsumerView(
        leader=current_leader(core.me, core.state),
        is_leader=isinstance(core.state, Leader),
        shutting_down=core.shutdown.requested,
        high_watermark=hw,
        log_start_offset=log.log_start_offset,
        log_end_offset=log.end_offset,
        epoch_history=tuple(log.epoch_history),
    )


# ----------------------------------------------------------------------- the core's own read
@dataclass(frozen=True, slots=True)
class ConsumerFetchResult:
    error: ErrorCode
    leader: LeaderAndEpoch
    high_watermark: int | None = None
    log_start_offset: int = 0
    log_end_offset: int = 0
    # Resolve like a raft LogRead; None = no records.
    records: LogRead | None = None


def consumer_fetch(
    view: ConsumerView, fetch_offset: int, current_leader_epoch: int | None, bytes_max: int
) -> ConsumerFetchResult:
    """A committed-only read by the rules above (only the leader serves: its HW is
    authoritative)."""
    error = partition_error(
        view.leader.epoch,
        current_leader_epoch,
        is_leader=view.is_leader,
        shutting_down=view.shutting_down,
    )
    if error is not ErrorCode.NONE:
        return ConsumerFetchResult(error, view.leader)
    error = offset_error(fetch_offset, view.log_start_offset, view.log_end_offset)
    committed = view.committed_offset
    records = None
    if error is ErrorCode.NONE and fetch_offset < committed:
        records = LogRead(fetch_offset, max(1, bytes_max), committed)
    return ConsumerFetchResult(
        error,
        view.leader,
        high_watermark=view.high_watermark,
        log_start_offset=view.log_start_offset,
        log_end_offset=view.log_end_offset,
        records=records,
    )
