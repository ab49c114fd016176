"""FetchSnapshot, leader side (KIP-630): validation and the byte-range answer.

Checks as for Fetch (cluster id; wrong partition -> UNKNOWN_TOPIC_OR_PARTITION; epoch errors
74/75/6/8 with the current leader), then: no such snapshot, or the 0-0 bootstrap checkpoint ->
SNAPSHOT_NOT_FOUND; Position < 0 -> POSITION_OUT_OF_RANGE; else a `SnapshotRead` placeholder the
executor resolves (it knows the file size: a position at/after the end is POSITION_OUT_OF_RANGE).
The request counts toward check-quorum like a Fetch. The executor fills `size` (the file size) when
it resolves the SnapshotRead.

Follower side: a Fetch answered with a SnapshotId starts a download (`start_snapshot_download`);
while it runs the follower sends FetchSnapshot instead of Fetch, requiring each answer to continue
at exactly the bytes written so far (`SnapshotChunk` ops). When the file reaches its size the
follower emits `SnapshotInstall` (the executor fsyncs, renames and drops its whole log), adopts the
snapshot as its log start and end, and raises its HW to the snapshot end (snapshots hold committed
data only). SNAPSHOT_NOT_FOUND / POSITION_OUT_OF_RANGE, a different snapshot id or a position
mismatch abort the download (`SnapshotAbort`) and fetching resumes. Any role change aborts too.
"""

from __future__ import annotations

from kraft.context import Core, Outbox, Replication, SnapshotDownload
from kraft.epoch_state import Follower, Leader
from kraft.handlers.common import current_leader, leader_epoch_error, node_endpoints
from kraft.handlers.responses import handle_leader_info
from kraft.ready import Leaves, SnapshotAbort, SnapshotChunk, SnapshotInstall
from kraft.rpc import FetchSnapshotRequest, FetchSnapshotResponse, SnapshotRead
from kraft.types import OffsetAndEpoch, ReplicaAddress
from wire.errors import ErrorCode


def _error(core: Core, error: ErrorCode) -> FetchSnapshotResponse:
    leader = current_leader(core.me, core.state)
    return FetchSnapshotResponse(
        error_code=ErrorCode.NONE,
        partition_error_code=error,
        current_leader=leader,
        node_endpoints=node_endpoints(core.me, [leader.leader_id]),
    )


def handle_fetch_snapshot_request(
    core: Core, inbound_id: int, request: FetchSnapshotRequest, now_ms: int
) -> None:
    if request.cluster_id is not None and request.cluster_id != core.me.config.cluster_id:
        core.out.respond(
            inbound_id, FetchSnapshotResponse(error_code=ErrorCode.INCONSISTENT_CLUSTER_ID)
        )
        return
    if not request.topic_partition_valid:
        core.out.respond(inbound_id, _error(core, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
        return
    state = core.state
    error = leader_epoch_error(state, core.shutdown, request.current_leader_epoch)
    if error is not None or not isinstance(state, Leader):
        core.out.respond(inbound_id, _error(core, error or ErrorCode.NOT_LEADER_OR_FOLLOWER))
        return
    leader = state.leader
    if request.replica_id >= 0 and request.replica_id in leader.voter_states:
        leader.fetched_in_window.add(request.replica_id)
    snapshot = core.log.latest_snapshot_id
    if snapshot is None or snapshot != request.snapshot_id or snapshot == OffsetAndEpoch(0, 0):
        core.out.respond(inbound_id, _error(core, ErrorCode.SNAPSHOT_NOT_FOUND))
        return
    if request.position < 0:
        core.out.respond(inbound_id, _error(core, ErrorCode.POSITION_OUT_OF_RANGE))
        return
    response = FetchSnapshotResponse(
        error_code=ErrorCode.NONE,
        snapshot_id=snapshot,
        current_leader=current_leader(core.me, core.state),
        position=request.position,
        data=SnapshotRead(snapshot, request.position, max(1, request.max_bytes)),
        node_endpoints=node_endpoints(core.me, [core.me.local_id]),
    )
    core.out.respond(inbound_id, response, leaves=Leaves.NOW)


# ---------------------------------------------------------------------------- follower side
def start_snapshot_download(
    replication: Replication, out: Outbox, snapshot_id: OffsetAndEpoch
) -> None:
    if snapshot_id.offset < (replication.known_high_watermark or 0):
        # A snapshot below what we know is committed cannot be what the leader means: ignore it
        # rather than move our log end below our HW.
        return
    current = replication.snapshot_download
    if current is not None and current.snapshot_id == snapshot_id:
        return
    if current is not None:
        out.log_op(SnapshotAbort(current.snapshot_id))
    replication.snapshot_download = SnapshotDownload(snapshot_id)


def maybe_send_fetch_snapshot(core: Core, destination: ReplicaAddress, now_ms: int) -> None:
    download = core.replication.snapshot_download
    assert download is not None
    request = FetchSnapshotRequest(
        cluster_id=core.me.config.cluster_id,
        topic_partition_valid=True,
        replica_id=core.me.local_id_or_sentinel(),
        current_leader_epoch=core.state.epoch,
        snapshot_id=download.snapshot_id,
        position=download.position,
        max_bytes=core.me.config.fetch_bytes_max,
        replica_directory_id=core.me.directory_id,
    )
    core.send_request(destination, request, now_ms)


def _abort(replication: Replication, out: Outbox) -> None:
    download = replication.snapshot_download
    if download is not None:
        out.log_op(SnapshotAbort(download.snapshot_id))
        replication.snapshot_download = None


def handle_fetch_snapshot_response(
    core: Core, source: ReplicaAddress, response: FetchSnapshotResponse, now_ms: int
) -> None:
    if handle_leader_info(core, source, response, now_ms):
        return
    download = core.replication.snapshot_download
    state = core.state
    if download is None or not isinstance(state, Follower):
        return
    if response.partition_error_code in (
        ErrorCode.SNAPSHOT_NOT_FOUND,
        ErrorCode.POSITION_OUT_OF_RANGE,
    ):
        _abort(core.replication, core.out)
        return
    if response.partition_error_code is not ErrorCode.NONE:
        core.requests.back_off(source.node_id, now_ms)
        return
    data = response.data
    consistent = (
        isinstance(data, bytes)
        and response.snapshot_id == download.snapshot_id
        and response.position == download.position
        # A snapshot holds at least its header batch: size 0 is a faulty peer, never installed.
        and response.size > 0
        and download.position + len(data) <= response.size
        and (data or download.position == response.size)
    )
    if not consistent:
        _abort(core.replication, core.out)
        return
    assert isinstance(data, bytes)
    state.has_fetched_in_epoch = True
    state.fetch_deadline_ms = now_ms + core.me.config.fetch_timeout_ms
    if data:
        core.out.log_op(SnapshotChunk(download.snapshot_id, download.position, data))
        download.position += len(data)
    if download.position == response.size:
        snapshot_id = download.snapshot_id
        core.replication.snapshot_download = None
        core.out.log_op(SnapshotInstall(snapshot_id), flush=core.me.is_voter)
        core.log.install_snapshot(snapshot_id)
        known = core.replication.known_high_watermark
        if known is None or known < snapshot_id.offset:
            core.replication.known_high_watermark = snapshot_id.offset
