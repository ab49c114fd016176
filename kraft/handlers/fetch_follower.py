"""Fetch, follower side (Kafka's `buildFetchRequest`/`handleFetchResponse`); the leader side is
kraft/handlers/fetch.py.

One Fetch in flight, to the leader (or, while no leader is known or an observer's
leader stopped answering, to a bootstrap server chosen from a random start); voters flush every
append before their next Fetch leaves (kraft/context.py); HW := min(leader HW, local log end),
never backwards; DivergingEpoch truncates (never below the HW or the log start: such an answer
is the leader's fault and is retried after a backoff, as committed data cannot diverge).
"""

from __future__ import annotations

import itertools

from kraft.config import InjectedBug
from kraft.context import Core, Replication
from kraft.epoch_state import Follower, Unattached, Voted
from kraft.handlers.fetch_snapshot import maybe_send_fetch_snapshot, start_snapshot_download
from kraft.handlers.responses import handle_leader_info
from kraft.log import LogView
from kraft.rpc import FetchRequest, FetchResponse, FetchSnapshotRequest
from kraft.types import OffsetAndEpoch, Records, ReplicaAddress
from wire.errors import ErrorCode


def fetch_destination(core: Core, now_ms: int) -> ReplicaAddress | None:
    """Where the next Fetch goes, or None when this replica should not fetch now."""
    state = core.state
    if isinstance(state, Follower):
        leader_lost = now_ms >= state.fetch_deadline_ms
        # An observer whose leader stopped answering (fetch timeout, or backing off after a
        # failure) asks any bootstrap server, to discover a leader change (upstream).
        leader_unready = not core.requests.is_ready(state.leader_id, now_ms)
        if core.me.is_voter or not (leader_lost or leader_unready):
            return core.me.address_of(state.leader_id)
    elif core.me.is_voter or not isinstance(state, (Unattached, Voted)):
        return None
    # Observer without a (reachable) leader: any bootstrap server, random start, first ready.
    servers = core.me.bootstrap_addresses()
    start = core.rng.randrange(len(servers))
    for i in range(len(servers)):
        address = servers[(start + i) % len(servers)]
        if core.requests.is_ready(address.node_id, now_ms):
            return address
    return None


def maybe_send_fetch(core: Core, now_ms: int) -> None:
    if core.requests.any_in_flight(FetchRequest) or core.requests.any_in_flight(
        FetchSnapshotRequest
    ):
        return
    destination = fetch_destination(core, now_ms)
    if destination is None or not core.requests.is_ready(destination.node_id, now_ms):
        return
    if core.replication.snapshot_download is not None:
        maybe_send_fetch_snapshot(core, destination, now_ms)
        return
    log = core.log
    request = FetchRequest(
        cluster_id=core.me.config.cluster_id,
        topic_partition_valid=True,
        replica_id=core.me.local_id_or_sentinel(),
        max_wait_ms=core.me.config.fetch_wait_ms_max,
        fetch_offset=log.end_offset,
        last_fetched_epoch=log.last_batch_epoch,
        current_leader_epoch=core.state.epoch,
        max_bytes=core.me.config.fetch_bytes_max,
        replica_directory_id=core.me.directory_id,
        # Unknown counts as 0: the leader answers at once when its HW is ahead of ours.
        high_watermark=core.replication.known_high_watermark or 0,
    )
    core.send_request(destination, request, now_ms)


def update_follower_high_watermark(
    replication: Replication, log: LogView, leader_high_watermark: int | None
) -> None:
    if leader_high_watermark is None:
        return
    candidate = min(leader_high_watermark, log.end_offset)
    known = replication.known_high_watermark
    if known is None or candidate > known:
        replication.known_high_watermark = candidate


def handle_fetch_response(
    core: Core, source: ReplicaAddress, response: FetchResponse, now_ms: int
) -> None:
    if handle_leader_info(core, source, response, now_ms):
        return
    leader = response.current_leader
    if response.partition_error_code is not ErrorCode.NONE:
        core.requests.back_off(source.node_id, now_ms)
        return
    state = core.state
    from_leader = (
        leader is not None and leader.leader_id == state.leader_id and leader.epoch == state.epoch
    )
    if not isinstance(state, Follower) or not from_leader:
        return
    state.has_fetched_in_epoch = True
    state.fetch_deadline_ms = now_ms + core.me.config.fetch_timeout_ms
    if response.diverging_epoch is not None:
        if not _truncate_diverged(core, response.diverging_epoch):
            core.requests.back_off(source.node_id, now_ms)
            return
    elif response.snapshot_id is not None:
        # Our position is below the leader's log start: download its snapshot (FetchSnapshot)
        # before fetching again (kraft/handlers/fetch_snapshot.py).
        start_snapshot_download(core.replication, core.out, response.snapshot_id)
        return
    elif isinstance(response.records, Records) and response.records.batches:
        _append_fetched(core, state, response.records)
    update_follower_high_watermark(core.replication, core.log, response.high_watermark)


def _truncate_diverged(core: Core, diverging: OffsetAndEpoch) -> bool:
    """Truncate to where our log diverges from the leader's; False (nothing done) when that would
    cut below our snapshot or our HW: committed data cannot diverge, so such an answer is the
    leader's fault (Kafka: an error, not a truncation). Never lose committed data."""
    log = core.log
    # Kafka's truncation drops the whole batch holding the end offset (disks cut whole batches):
    # the log then ends at that batch's base and the leader re-sends it.
    target = log.batch_boundary_at_or_below(log.truncate_to_end_offset_of(diverging))
    known = core.replication.known_high_watermark
    if target < log.log_start_offset or (known is not None and target < known):
        return False
    # Injected bug SKIP_TRUNCATION: the only place divergence is (not) repaired.
    if not core.me.config.has_bug(InjectedBug.SKIP_TRUNCATION):
        core.truncate(target)
    return True


def _append_fetched(core: Core, state: Follower, records: Records) -> None:
    """Append what the leader sent when it continues our log; anything else answers an older
    position (a stale or duplicated response), or carries epochs the leader of this epoch cannot
    have written: ignored."""
    log = core.log
    batches = records.batches
    epochs_ok = all(log.last_batch_epoch <= b.epoch <= state.epoch for b in batches) and all(
        a.epoch <= b.epoch for a, b in itertools.pairwise(batches)
    )
    if records.base_offset == log.end_offset and epochs_ok:
        core.append(records, flush=core.me.is_voter)
