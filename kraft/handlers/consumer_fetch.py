"""Committed reads for ordinary Kafka consumers (RAFT-BRIEF §2.12), kept apart from raft Fetch.

A consumer sends no LastFetchedEpoch (or -1), CurrentLeaderEpoch -1 ("unknown") or the epoch it
learned, and replica id -1. The answer never includes records at or above the high watermark
(consumers must not see uncommitted data, unlike raft observers); below the log start or beyond the
log end is OFFSET_OUT_OF_RANGE; between the HW and the log end the answer is empty. No state is kept
per consumer, and nothing here moves the HW or counts for check-quorum.

Only the leader serves (its HW is authoritative); others answer NOT_LEADER_OR_FOLLOWER with the
leader they know. A leader whose HW is not yet known in its epoch answers empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from kraft.context import Core
from kraft.handlers.common import current_leader
from kraft.roles import RoleName
from kraft.rpc import LogRead
from kraft.types import LeaderAndEpoch
from wire.errors import ErrorCode


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
    core: Core, fetch_offset: int, current_leader_epoch: int | None, max_bytes: int
) -> ConsumerFetchResult:
    leader = current_leader(core)
    log = core.log
    state = core.state
    if current_leader_epoch is not None and current_leader_epoch >= 0:
        if current_leader_epoch < state.epoch:
            return ConsumerFetchResult(ErrorCode.FENCED_LEADER_EPOCH, leader)
        if current_leader_epoch > state.epoch:
            return ConsumerFetchResult(ErrorCode.UNKNOWN_LEADER_EPOCH, leader)
    if state.role is not RoleName.LEADER or core.shutting_down:
        return ConsumerFetchResult(ErrorCode.NOT_LEADER_OR_FOLLOWER, leader)
    hw = core.high_watermark()
    base = ConsumerFetchResult(
        ErrorCode.NONE,
        leader,
        high_watermark=hw,
        log_start_offset=log.log_start_offset,
        log_end_offset=log.end_offset,
    )
    if fetch_offset < log.log_start_offset or fetch_offset > log.end_offset:
        return ConsumerFetchResult(
            ErrorCode.OFFSET_OUT_OF_RANGE,
            leader,
            high_watermark=hw,
            log_start_offset=log.log_start_offset,
            log_end_offset=log.end_offset,
        )
    if hw is None or fetch_offset >= hw:
        return base
    return ConsumerFetchResult(
        ErrorCode.NONE,
        leader,
        high_watermark=hw,
        log_start_offset=log.log_start_offset,
        log_end_offset=log.end_offset,
        records=LogRead(fetch_offset, max(1, max_bytes), hw),
    )
