"""FetchSnapshot (key 59): a fetcher reads a snapshot of the leader in chunks.

Requests carry no value the core adopts (their epochs and positions are only compared), so they
pass as they are; answers must have a non-negative position and size.
"""

from __future__ import annotations

from kraft import rpc
from kraft.shell.apis.base import Context, no_floor
from kraft.shell.apis.checks import (
    error_code,
    node_endpoints_to_core,
    our_partition,
    top_level_error,
)
from kraft.shell.apis.common import (
    current_leader_to_core,
    current_leader_to_wire,
    node_endpoints_to_wire,
    offset_and_epoch_to_core,
    offset_and_epoch_to_wire,
)
from kraft.shell.apis.sentinels import directory_or_zero, optional_directory
from kraft.types import OffsetAndEpoch
from wire.errors import DecodeError, ErrorCode
from wire.messages.fetch_snapshot import FetchSnapshotRequest, FetchSnapshotResponse
from wire.registry import METADATA_PARTITION

OUTBOUND_VERSION = 1
# FetchSnapshot answers carry NodeEndpoints from v1 on.
NODE_ENDPOINTS_MIN_VERSION = 1
Request = FetchSnapshotRequest
Response = FetchSnapshotResponse
Partition = Request.TopicSnapshot.PartitionSnapshot
AnswerPartition = Response.TopicSnapshot.PartitionSnapshot


def request_to_core(version: int, body: Request, context: Context) -> rpc.FetchSnapshotRequest:
    part = our_partition(
        [(t.name, t.partitions) for t in body.topics], context.topic.name, lambda p: p.partition
    )
    if part is None:
        return rpc.FetchSnapshotRequest(
            body.cluster_id, False, body.replica_id, 0, OffsetAndEpoch(0, 0), 0, 0
        )
    return rpc.FetchSnapshotRequest(
        cluster_id=body.cluster_id,
        topic_partition_valid=True,
        replica_id=body.replica_id,
        current_leader_epoch=part.current_leader_epoch,
        snapshot_id=OffsetAndEpoch(part.snapshot_id.end_offset, part.snapshot_id.epoch),
        position=part.position,
        max_bytes=body.max_bytes,
        replica_directory_id=optional_directory(part.replica_directory_id),
    )


def response_to_wire(
    version: int, response: rpc.FetchSnapshotResponse, context: Context
) -> Response:
    partition = AnswerPartition(
        index=METADATA_PARTITION,
        error_code=response.partition_error_code,
        snapshot_id=offset_and_epoch_to_wire(AnswerPartition.SnapshotId, response.snapshot_id),
        current_leader=current_leader_to_wire(
            AnswerPartition.LeaderIdAndEpoch, response.current_leader
        ),
        size=response.size,
        position=response.position,
        unaligned_records=response.data if isinstance(response.data, bytes) else b"",
    )
    return Response(
        error_code=response.error_code,
        topics=[Response.TopicSnapshot(name=context.topic.name, partitions=[partition])],
        node_endpoints=node_endpoints_to_wire(
            Response.NodeEndpoint, response.node_endpoints, version >= NODE_ENDPOINTS_MIN_VERSION
        ),
    )


def request_to_wire(version: int, request: rpc.FetchSnapshotRequest, context: Context) -> Request:
    part = Partition(
        partition=METADATA_PARTITION,
        current_leader_epoch=request.current_leader_epoch,
        snapshot_id=Partition.SnapshotId(
            end_offset=request.snapshot_id.offset, epoch=request.snapshot_id.epoch
        ),
        position=request.position,
        replica_directory_id=directory_or_zero(request.replica_directory_id),
    )
    return Request(
        cluster_id=request.cluster_id,
        replica_id=request.replica_id,
        max_bytes=request.max_bytes,
        topics=[Request.TopicSnapshot(name=context.topic.name, partitions=[part])],
    )


def response_to_core(version: int, body: Response, context: Context) -> rpc.FetchSnapshotResponse:
    endpoints = node_endpoints_to_core(body.node_endpoints)
    part = our_partition(
        [(t.name, t.partitions) for t in body.topics], context.topic.name, lambda p: p.index
    )
    if body.error_code != ErrorCode.NONE or part is None:
        return rpc.FetchSnapshotResponse(
            error_code=top_level_error(body.error_code), node_endpoints=endpoints
        )
    if part.position < 0 or part.size < 0:
        raise DecodeError(f"snapshot position {part.position} / size {part.size} negative")
    return rpc.FetchSnapshotResponse(
        error_code=ErrorCode.NONE,
        partition_error_code=error_code(part.error_code),
        snapshot_id=offset_and_epoch_to_core(
            part.snapshot_id.end_offset, part.snapshot_id.epoch, "snapshot id"
        ),
        current_leader=current_leader_to_core(part.current_leader),
        size=part.size,
        position=part.position,
        data=part.unaligned_records or b"",
        node_endpoints=endpoints,
    )


# What the registry reads (`kraft.shell.apis.base.RaftApi`).
WIRE_REQUEST = Request
CORE_REQUEST, CORE_RESPONSE = rpc.FetchSnapshotRequest, rpc.FetchSnapshotResponse
request_floor = no_floor
