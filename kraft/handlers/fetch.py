"""Fetch, leader side: pull replication answered (Kafka's `handleFetchRequest`/
`tryCompleteFetchRequest`); the follower side is kraft/handlers/fetch_follower.py.

Nothing here changes the epoch state: a leader stepping down (kraft/election.py) answers its parked
fetches with these rules. In order:
1. cluster id / topic-partition -> top-level error.
2. MaxWaitMs < 0, FetchOffset < 0, LastFetchedEpoch < 0 or > CurrentLeaderEpoch -> INVALID_REQUEST.
3. CurrentLeaderEpoch below ours -> FENCED_LEADER_EPOCH, above -> UNKNOWN_LEADER_EPOCH, not the
   leader -> NOT_LEADER_OR_FOLLOWER, leader shutting down -> BROKER_NOT_AVAILABLE; each carries the
   current leader and no HW.
4. `validate_fetch_position` (shared with a future consumer Fetch path): a snapshot id when the
   position is below the log start (or offset 0 with a snapshot), a DivergingEpoch when the
   fetcher's (offset, epoch) is not a prefix of our log, else valid.
5. Valid: record the fetcher (only replica ids >= 0; voters move the HW) and answer with
   `LogRead(fetch_offset, bytes_max, log end)` (uncommitted data included, as upstream) + HW.
6. Answer at once on error, records, DivergingEpoch/SnapshotId, MaxWaitMs 0, or a fetcher whose
   reported HW is behind ours; otherwise park until the log end passes FetchOffset, our HW passes
   the fetcher's, or MaxWaitMs expires. At most `parked_fetches_max` are parked.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kraft.context import Core, ParkedFetch
from kraft.epoch_state import Leader
from kraft.handlers.common import (
    current_leader,
    leader_epoch_error,
    node_endpoints,
    validate_request,
)
from kraft.log import LogView
from kraft.ready import Leaves
from kraft.rpc import FetchRequest, FetchResponse, LogRead
from kraft.types import OffsetAndEpoch
from wire.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class FetchPosition:
    """Outcome of validating (fetch offset, last fetched epoch) against the log."""

    diverging_epoch: OffsetAndEpoch | None = None
    snapshot_id: OffsetAndEpoch | None = None

    @property
    def valid(self) -> bool:
        return self.diverging_epoch is None and self.snapshot_id is None


def validate_fetch_position(
    log: LogView, fetch_offset: int, last_fetched_epoch: int
) -> FetchPosition:
    """Kafka's `ReplicatedLog.validateOffsetAndEpoch` plus the offset-0 snapshot shortcut."""
    snapshot = log.latest_snapshot_id
    if fetch_offset == 0 and snapshot is not None and snapshot != OffsetAndEpoch(0, 0):
        return FetchPosition(snapshot_id=snapshot)
    if log.log_start_offset == 0 and fetch_offset == 0:
        return FetchPosition()
    if snapshot is not None and log.log_start_offset > 0:
        at_start = snapshot
        below = fetch_offset < log.log_start_offset
        wrong_epoch = fetch_offset == log.log_start_offset and last_fetched_epoch != at_start.epoch
        if below or wrong_epoch or last_fetched_epoch < at_start.epoch:
            return FetchPosition(snapshot_id=snapshot)
    end = log.end_offset_for_epoch(last_fetched_epoch)
    if end.epoch != last_fetched_epoch or end.offset < fetch_offset:
        return FetchPosition(diverging_epoch=end)
    return FetchPosition()


# ------------------------------------------------------------------------------ leader side
def _error_response(core: Core, error: ErrorCode) -> FetchResponse:
    leader = current_leader(core.me, core.state)
    return FetchResponse(
        error_code=ErrorCode.NONE,
        partition_error_code=error,
        high_watermark=None,
        log_start_offset=core.log.log_start_offset,
        current_leader=leader,
        node_endpoints=node_endpoints(core.me, [leader.leader_id]),
    )


def _refusal(core: Core, request: FetchRequest) -> FetchResponse | None:
    """The error answer for a request this replica cannot serve (steps 1-3), else None."""
    top = validate_request(core.me, request.cluster_id, request.topic_partition_valid)
    if top is not None:
        return FetchResponse(error_code=top)
    invalid = (
        request.max_wait_ms < 0
        or request.fetch_offset < 0
        or request.last_fetched_epoch < 0
        or request.last_fetched_epoch > request.current_leader_epoch
    )
    if invalid:
        return _error_response(core, ErrorCode.INVALID_REQUEST)
    error = leader_epoch_error(core.state, core.shutdown, request.current_leader_epoch)
    return None if error is None else _error_response(core, error)


def _try_complete(
    core: Core, request: FetchRequest, now_ms: int, *, expired: bool
) -> FetchResponse | None:
    """The answer if the fetch can complete now (or must: `expired`), else None (park)."""
    refusal = _refusal(core, request)
    state = core.state
    if refusal is not None or not isinstance(state, Leader):
        return refusal or _error_response(core, ErrorCode.NOT_LEADER_OR_FOLLOWER)
    leader = state.leader
    log = core.log
    base = FetchResponse(
        error_code=ErrorCode.NONE,
        high_watermark=leader.high_watermark,
        log_start_offset=log.log_start_offset,
        current_leader=current_leader(core.me, state),
        node_endpoints=node_endpoints(core.me, [core.me.local_id]),
    )
    position = validate_fetch_position(log, request.fetch_offset, request.last_fetched_epoch)
    if not position.valid:
        return dataclasses.replace(
            base, diverging_epoch=position.diverging_epoch, snapshot_id=position.snapshot_id
        )
    leader.update_replica(
        request.replica_id,
        request.replica_directory_id,
        request.fetch_offset,
        log.end_offset,
        now_ms,
    )
    has_data = request.fetch_offset < log.end_offset
    hw = leader.high_watermark
    fetcher_behind = (
        hw is not None and request.high_watermark is not None and request.high_watermark < hw
    )
    if not (has_data or expired or request.max_wait_ms == 0 or fetcher_behind):
        return None
    records = None
    if has_data:
        bytes_max = max(1, min(request.max_bytes, core.me.config.fetch_bytes_max))
        records = LogRead(request.fetch_offset, bytes_max, log.end_offset)
    # The HW may have moved with this fetcher's position.
    return dataclasses.replace(base, high_watermark=hw, records=records)


def _leaves(response: FetchResponse) -> Leaves:
    """An answer that reads the log needs this call's appends (not their fsync); others go now."""
    return Leaves.AFTER_APPEND if isinstance(response.records, LogRead) else Leaves.NOW


def handle_fetch_request(core: Core, inbound_id: int, request: FetchRequest, now_ms: int) -> None:
    response = _try_complete(core, request, now_ms, expired=False)
    if response is not None:
        core.out.respond(inbound_id, response, leaves=_leaves(response))
        return
    if len(core.replication.parked) >= core.me.config.parked_fetches_max:
        oldest = next(iter(core.replication.parked.values()))
        del core.replication.parked[oldest.inbound_id]
        _complete(core, oldest, now_ms, expired=True)
    core.replication.parked[inbound_id] = ParkedFetch(
        inbound_id, request, now_ms + request.max_wait_ms
    )


def _complete(core: Core, parked: ParkedFetch, now_ms: int, *, expired: bool) -> bool:
    response = _try_complete(core, parked.request, now_ms, expired=expired)
    if response is None:
        return False
    core.out.respond(parked.inbound_id, response, leaves=_leaves(response))
    return True


def complete_parked_fetches(core: Core, now_ms: int, *, force: bool = False) -> None:
    """Answer parked fetches that can complete (all of them when `force` or no longer leader)."""
    if not core.replication.parked:
        return
    force = force or not isinstance(core.state, Leader)
    end_offset = core.log.end_offset
    hw = core.high_watermark()
    for inbound_id, parked in list(core.replication.parked.items()):
        request = parked.request
        # Cheap wake-up test first: only a due fetch is recomputed (and counted as a fetch).
        due = (
            force
            or now_ms >= parked.deadline_ms
            or request.fetch_offset < end_offset
            or (
                hw is not None
                and request.high_watermark is not None
                and request.high_watermark < hw
            )
        )
        if due and _complete(core, parked, now_ms, expired=True):
            del core.replication.parked[inbound_id]


def parked_deadline(parked: dict[int, ParkedFetch]) -> int | None:
    return min((p.deadline_ms for p in parked.values()), default=None)


def drop_parked(parked: dict[int, ParkedFetch], inbound_ids: frozenset[int]) -> None:
    for inbound_id in inbound_ids:
        parked.pop(inbound_id, None)
