"""The client half of `kraft.shell.translate`: requests the core sends and the answers it gets.

- `request_to_wire(request)` picks the version we send (`translate.OUTBOUND_VERSIONS`: the
  newest the registry decodes; every peer is pykraft or Kafka 4.x);
- `response_to_core(api_key, version, body)`: Fetch records are scanned (headers only, CRC32C
  checked) into `Records`; a trailing partial batch is dropped as Kafka's client does.

Bad peer input raises `wire.errors.DecodeError` only, so the peer task reports the request as
failed and the core backs off and retries, as after any network error (issue #12: remote bytes
never crash a node). Every value the core would act on is checked here, where it enters:
- error codes this build does not know become UNKNOWN_SERVER_ERROR (`_code`), never an exception;
- epochs (a leader's, a DivergingEpoch's, a SnapshotId's, a batch's partition leader epoch) must
  be in 0..`kraft.election.EPOCH_MAX`, or absent (-1) where the field may be absent;
- offsets must be >= 0 (or absent), a snapshot position and size too;
- NodeEndpoints must be usable host/port pairs (`translate.valid_endpoint`);
- record batches must have a matching CRC *and* sane header fields outside or inside it
  (`wire.records.batch.check_raft_batch_header`), and be contiguous.
"""

from __future__ import annotations

import itertools
from typing import Any

from kraft import rpc
from kraft.shell.translate import (
    BEGIN_QUORUM_EPOCH_KEY,
    DESCRIBE_QUORUM_KEY,
    END_QUORUM_EPOCH_KEY,
    FETCH_KEY,
    FETCH_SNAPSHOT_KEY,
    NO_OFFSET,
    NO_REPLICA_EPOCH,
    NO_REPLICA_ID,
    OUTBOUND_VERSIONS,
    VOTE_KEY,
    directory_or_none,
    directory_or_zero,
    none_if_negative,
    our_partition,
    valid_endpoint,
    valid_epoch,
)
from kraft.types import BatchInfo, Endpoint, LeaderAndEpoch, OffsetAndEpoch, Records
from wire.errors import DecodeError, ErrorCode
from wire.messages import begin_quorum_epoch as bqe
from wire.messages import describe_quorum as dq
from wire.messages import end_quorum_epoch as eqe
from wire.messages import fetch as fe
from wire.messages import fetch_snapshot as fs
from wire.messages import vote as vo
from wire.records.batch import CorruptBatchError, check_raft_batch_header, crc_ok, iter_batches
from wire.registry import METADATA_PARTITION, METADATA_TOPIC_ID, METADATA_TOPIC_NAME

# -------------------------------------------------------------------------- our requests


def request_to_wire(request: rpc.Request, *, listener_name: str) -> tuple[int, int, Any]:
    """(api key, version, wire body) for a request the core sends."""
    if isinstance(request, rpc.FetchRequest):
        version = OUTBOUND_VERSIONS[FETCH_KEY]
        r = fe.FetchRequest
        part = r.FetchTopic.FetchPartition(
            partition=METADATA_PARTITION,
            current_leader_epoch=request.current_leader_epoch,
            fetch_offset=request.fetch_offset,
            last_fetched_epoch=request.last_fetched_epoch,
            log_start_offset=NO_OFFSET,
            partition_max_bytes=request.max_bytes,
            replica_directory_id=directory_or_zero(request.replica_directory_id),
        )
        body = r(
            cluster_id=request.cluster_id,
            replica_state=r.ReplicaState(
                replica_id=request.replica_id, replica_epoch=NO_REPLICA_EPOCH
            ),
            max_wait_ms=request.max_wait_ms,
            min_bytes=0,
            max_bytes=request.max_bytes,
            topics=[r.FetchTopic(topic_id=METADATA_TOPIC_ID, partitions=[part])],
        )
        return FETCH_KEY, version, body
    if isinstance(request, rpc.VoteRequest):
        v = vo.VoteRequest
        voter = request.voter_key
        vpart = v.TopicData.PartitionData(
            partition_index=METADATA_PARTITION,
            replica_epoch=request.candidate_epoch,
            replica_id=request.candidate_key.id,
            replica_directory_id=directory_or_zero(request.candidate_key.directory_id),
            voter_directory_id=directory_or_zero(voter.directory_id if voter else None),
            last_offset_epoch=request.last_offset_epoch,
            last_offset=request.last_offset,
            pre_vote=request.pre_vote,
        )
        return (
            VOTE_KEY,
            OUTBOUND_VERSIONS[VOTE_KEY],
            v(
                cluster_id=request.cluster_id,
                voter_id=voter.id if voter else NO_REPLICA_ID,
                topics=[v.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[vpart])],
            ),
        )
    if isinstance(request, rpc.BeginQuorumEpochRequest):
        b = bqe.BeginQuorumEpochRequest
        voter = request.voter_key
        bpart = b.TopicData.PartitionData(
            partition_index=METADATA_PARTITION,
            voter_directory_id=directory_or_zero(voter.directory_id if voter else None),
            leader_id=request.leader_id,
            leader_epoch=request.leader_epoch,
        )
        return (
            BEGIN_QUORUM_EPOCH_KEY,
            OUTBOUND_VERSIONS[BEGIN_QUORUM_EPOCH_KEY],
            b(
                cluster_id=request.cluster_id,
                voter_id=voter.id if voter else NO_REPLICA_ID,
                topics=[b.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[bpart])],
                leader_endpoints=_leader_endpoints(
                    b.LeaderEndpoint, listener_name, request.leader_endpoint
                ),
            ),
        )
    if isinstance(request, rpc.EndQuorumEpochRequest):
        e = eqe.EndQuorumEpochRequest
        epart = e.TopicData.PartitionData(
            partition_index=METADATA_PARTITION,
            leader_id=request.leader_id,
            leader_epoch=request.leader_epoch,
            preferred_candidates=[
                e.TopicData.PartitionData.ReplicaInfo(
                    candidate_id=c.id, candidate_directory_id=directory_or_zero(c.directory_id)
                )
                for c in request.preferred_candidates
            ],
        )
        return (
            END_QUORUM_EPOCH_KEY,
            OUTBOUND_VERSIONS[END_QUORUM_EPOCH_KEY],
            e(
                cluster_id=request.cluster_id,
                topics=[e.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[epart])],
                leader_endpoints=_leader_endpoints(
                    e.LeaderEndpoint, listener_name, request.leader_endpoint
                ),
            ),
        )
    if isinstance(request, rpc.FetchSnapshotRequest):
        s = fs.FetchSnapshotRequest
        sp = s.TopicSnapshot.PartitionSnapshot
        spart = sp(
            partition=METADATA_PARTITION,
            current_leader_epoch=request.current_leader_epoch,
            snapshot_id=sp.SnapshotId(
                end_offset=request.snapshot_id.offset, epoch=request.snapshot_id.epoch
            ),
            position=request.position,
            replica_directory_id=directory_or_zero(request.replica_directory_id),
        )
        return (
            FETCH_SNAPSHOT_KEY,
            OUTBOUND_VERSIONS[FETCH_SNAPSHOT_KEY],
            s(
                cluster_id=request.cluster_id,
                replica_id=request.replica_id,
                max_bytes=request.max_bytes,
                topics=[s.TopicSnapshot(name=METADATA_TOPIC_NAME, partitions=[spart])],
            ),
        )
    if isinstance(request, rpc.DescribeQuorumRequest):
        d = dq.DescribeQuorumRequest
        return (
            DESCRIBE_QUORUM_KEY,
            OUTBOUND_VERSIONS[DESCRIBE_QUORUM_KEY],
            d(
                topics=[
                    d.TopicData(
                        topic_name=METADATA_TOPIC_NAME,
                        partitions=[d.TopicData.PartitionData(partition_index=METADATA_PARTITION)],
                    )
                ]
            ),
        )
    raise AssertionError(f"cannot send {type(request).__name__}")


# ------------------------------------------------------------------------- answers we get


def _leader_endpoints(cls: Any, listener_name: str, endpoint: Endpoint | None) -> list[Any]:
    """BeginQuorumEpoch/EndQuorumEpoch `LeaderEndpoints`: the leader's listener, when known."""
    if endpoint is None:
        return []
    return [cls(name=listener_name, host=endpoint.host, port=endpoint.port)]


def _endpoint_map(endpoints: list[Any]) -> dict[int, Endpoint]:
    for e in endpoints:
        if not valid_endpoint(e.host, e.port):
            raise DecodeError(f"node {e.node_id} endpoint {e.host!r}:{e.port} is not usable")
    return {e.node_id: Endpoint(e.host, e.port) for e in endpoints}


def _epoch(epoch: int, what: str) -> int:
    if not valid_epoch(epoch):
        raise DecodeError(f"{what} {epoch} out of range")
    return epoch


def _leader_and_epoch(leader_id: int, leader_epoch: int) -> tuple[int | None, int | None]:
    """(leader, epoch) of an answer; a negative epoch is Kafka's "unknown"."""
    if leader_epoch < 0:
        return none_if_negative(leader_id), None
    return none_if_negative(leader_id), _epoch(leader_epoch, "leader epoch")


def _current_leader(field: Any) -> LeaderAndEpoch | None:
    """Fetch/FetchSnapshot `CurrentLeader`: None when its epoch is absent (-1)."""
    leader_id, epoch = _leader_and_epoch(field.leader_id, field.leader_epoch)
    return None if epoch is None else LeaderAndEpoch(leader_id, epoch)


def _offset_and_epoch(end_offset: int, epoch: int, what: str) -> OffsetAndEpoch | None:
    """DivergingEpoch / SnapshotId: None when both are absent (-1), else both must be valid."""
    if end_offset < 0 and epoch < 0:
        return None
    if end_offset < 0:
        raise DecodeError(f"{what} end offset {end_offset} out of range")
    return OffsetAndEpoch(end_offset, _epoch(epoch, f"{what} epoch"))


def scan_records(data: bytes | None) -> Records | None:
    """Complete batches of a Fetch answer as `Records` (CRC checked); None when there are none."""
    if not data:
        return None
    infos: list[BatchInfo] = []
    end = 0
    for at, header in iter_batches(data):
        if not crc_ok(data, at, header):
            raise CorruptBatchError(
                f"record batch at offset {header.base_offset}: CRC32C mismatch", offset=at
            )
        check_raft_batch_header(header, at)
        if not valid_epoch(header.partition_leader_epoch):
            raise DecodeError(
                f"record batch leader epoch {header.partition_leader_epoch} out of range",
                offset=at + 12,
            )
        infos.append(
            BatchInfo(
                base_offset=header.base_offset,
                last_offset=header.last_offset,
                epoch=header.partition_leader_epoch,
                size_bytes=header.size_bytes,
                is_control=header.is_control,
            )
        )
        end = at + header.size_bytes
    if not infos:
        return None
    for prev, cur in itertools.pairwise(infos):
        if cur.base_offset != prev.last_offset + 1:
            raise DecodeError(f"record batches not contiguous at offset {cur.base_offset}")
    return Records(data if end == len(data) else data[:end], tuple(infos))


def response_to_core(api_key: int, version: int, body: Any) -> rpc.Response:
    """A decoded answer from a peer → the core's value. Bad content: `DecodeError`."""
    if api_key == FETCH_KEY:
        if body.error_code != ErrorCode.NONE or not body.responses:
            code = (
                body.error_code if body.error_code != ErrorCode.NONE else ErrorCode.INVALID_REQUEST
            )
            return rpc.FetchResponse(error_code=_code(code))
        part = _one_fetch_partition(body)
        return rpc.FetchResponse(
            error_code=ErrorCode.NONE,
            partition_error_code=_code(part.error_code),
            high_watermark=none_if_negative(part.high_watermark),
            log_start_offset=max(part.log_start_offset, 0),
            current_leader=_current_leader(part.current_leader),
            diverging_epoch=_offset_and_epoch(
                part.diverging_epoch.end_offset, part.diverging_epoch.epoch, "diverging epoch"
            ),
            snapshot_id=_offset_and_epoch(
                part.snapshot_id.end_offset, part.snapshot_id.epoch, "snapshot id"
            ),
            records=scan_records(part.records),
            node_endpoints=_endpoint_map(body.node_endpoints),
        )
    if api_key in (VOTE_KEY, BEGIN_QUORUM_EPOCH_KEY, END_QUORUM_EPOCH_KEY):
        endpoints = _endpoint_map(body.node_endpoints)
        part = our_partition(body.topics)
        if body.error_code != ErrorCode.NONE or part is None:
            code = (
                body.error_code if body.error_code != ErrorCode.NONE else ErrorCode.INVALID_REQUEST
            )
            cls: Any = {
                VOTE_KEY: rpc.VoteResponse,
                BEGIN_QUORUM_EPOCH_KEY: rpc.BeginQuorumEpochResponse,
                END_QUORUM_EPOCH_KEY: rpc.EndQuorumEpochResponse,
            }[api_key]
            return cls(error_code=_code(code), node_endpoints=endpoints)  # type: ignore[no-any-return]
        leader_id, leader_epoch = _leader_and_epoch(part.leader_id, part.leader_epoch)
        if api_key == VOTE_KEY:
            return rpc.VoteResponse(
                error_code=ErrorCode.NONE,
                partition_error_code=_code(part.error_code),
                leader_id=leader_id,
                leader_epoch=leader_epoch,
                vote_granted=part.vote_granted,
                node_endpoints=endpoints,
            )
        response_cls: Any = (
            rpc.BeginQuorumEpochResponse
            if api_key == BEGIN_QUORUM_EPOCH_KEY
            else rpc.EndQuorumEpochResponse
        )
        return response_cls(  # type: ignore[no-any-return]
            error_code=ErrorCode.NONE,
            partition_error_code=_code(part.error_code),
            leader_id=leader_id,
            leader_epoch=leader_epoch,
            node_endpoints=endpoints,
        )
    if api_key == FETCH_SNAPSHOT_KEY:
        endpoints = _endpoint_map(body.node_endpoints)
        part = our_partition(body.topics, "name") if body.topics else None
        if body.error_code != ErrorCode.NONE or part is None:
            return rpc.FetchSnapshotResponse(
                error_code=_code(body.error_code or ErrorCode.INVALID_REQUEST),
                node_endpoints=endpoints,
            )
        if part.position < 0 or part.size < 0:
            raise DecodeError(f"snapshot position {part.position} / size {part.size} negative")
        return rpc.FetchSnapshotResponse(
            error_code=ErrorCode.NONE,
            partition_error_code=_code(part.error_code),
            snapshot_id=_offset_and_epoch(
                part.snapshot_id.end_offset, part.snapshot_id.epoch, "snapshot id"
            ),
            current_leader=_current_leader(part.current_leader),
            size=part.size,
            position=part.position,
            data=part.unaligned_records or b"",
            node_endpoints=endpoints,
        )
    if api_key == DESCRIBE_QUORUM_KEY:
        return _describe_quorum_to_core(version, body)
    raise DecodeError(f"unexpected answer for api key {api_key}")


def _describe_quorum_to_core(version: int, body: Any) -> rpc.DescribeQuorumResponse:
    part = our_partition(body.topics) if body.topics else None
    if body.error_code != ErrorCode.NONE or part is None:
        code = body.error_code if body.error_code != ErrorCode.NONE else ErrorCode.INVALID_REQUEST
        return rpc.DescribeQuorumResponse(error_code=_code(code))

    def replica(state: Any) -> rpc.ReplicaDescription:
        return rpc.ReplicaDescription(
            replica_id=state.replica_id,
            directory_id=directory_or_none(state.replica_directory_id),
            log_end_offset=none_if_negative(state.log_end_offset),
            last_fetch_timestamp_ms=none_if_negative(state.last_fetch_timestamp),
            last_caught_up_timestamp_ms=none_if_negative(state.last_caught_up_timestamp),
        )

    leader_id, leader_epoch = _leader_and_epoch(part.leader_id, part.leader_epoch)
    return rpc.DescribeQuorumResponse(
        error_code=ErrorCode.NONE,
        partition_error_code=_code(part.error_code),
        leader_id=leader_id,
        leader_epoch=leader_epoch,
        high_watermark=none_if_negative(part.high_watermark),
        voters=tuple(replica(v) for v in part.current_voters),
        observers=tuple(replica(o) for o in part.observers),
        nodes={
            node.node_id: Endpoint(node.listeners[0].host, node.listeners[0].port)
            for node in body.nodes
            if node.listeners
        },
    )


def _one_fetch_partition(body: fe.FetchResponse) -> Any:
    if len(body.responses) != 1 or len(body.responses[0].partitions) != 1:
        raise DecodeError("fetch answer without exactly one partition")
    return body.responses[0].partitions[0]


def _code(value: int) -> ErrorCode:
    try:
        return ErrorCode(value)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR
