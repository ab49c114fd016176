"""Wire dataclasses ⇄ the core's RPC values (`kraft.rpc`), both as server and as client.

The core knows no versions, topic lists or -1 sentinels; this module is where they are decided:
- inbound requests: `request_to_core(api_key, version, body)` checks "exactly one topic with one
  partition and it is ours" (Fetch v13+ by topic id, everything else by name; RAFT-BRIEF §2.1)
  into `topic_partition_valid`, and maps -1/zero-UUID to None;
- our answers: `response_to_wire(api_key, version, response, records)` writes Kafka's -1 for None,
  fills `NodeEndpoints` only in versions that carry it (Fetch: v17+, as Kafka's raft leader), and
  for a top-level error in Fetch v13+ sends no partitions (below v13 the error is repeated per
  partition, as Kafka does);
- our requests: `request_to_wire(request)` picks the version we send (`OUTBOUND_VERSIONS`: the
  newest the registry decodes, all peers being pykraft or Kafka 4.x);
- answers we get: `response_to_core(api_key, version, body)`; Fetch records are scanned (headers
  only, CRC32C checked) into `Records`; a trailing partial batch is dropped as Kafka's client does.

Bad peer input raises `wire.errors.DecodeError` only (e.g. a corrupt batch in a Fetch response).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from typing import Any

from kraft import rpc
from kraft.types import (
    NO_LEADER,
    ZERO_DIRECTORY_ID,
    BatchInfo,
    Endpoint,
    LeaderAndEpoch,
    OffsetAndEpoch,
    Records,
    ReplicaKey,
)
from wire.errors import DecodeError, ErrorCode
from wire.messages import begin_quorum_epoch as bqe
from wire.messages import describe_quorum as dq
from wire.messages import end_quorum_epoch as eqe
from wire.messages import fetch as fe
from wire.messages import fetch_snapshot as fs
from wire.messages import vote as vo
from wire.records.batch import CorruptBatchError, crc_ok, iter_batches
from wire.registry import METADATA_PARTITION, METADATA_TOPIC_ID, METADATA_TOPIC_NAME

VOTE_KEY = 52
BEGIN_QUORUM_EPOCH_KEY = 53
END_QUORUM_EPOCH_KEY = 54
FETCH_KEY = 1
DESCRIBE_QUORUM_KEY = 55
FETCH_SNAPSHOT_KEY = 59
RAFT_API_KEYS = frozenset(
    {
        VOTE_KEY,
        BEGIN_QUORUM_EPOCH_KEY,
        END_QUORUM_EPOCH_KEY,
        FETCH_KEY,
        DESCRIBE_QUORUM_KEY,
        FETCH_SNAPSHOT_KEY,
    }
)
# Versions we send: the newest each API has in the registry as of Kafka 4.x (Vote v2 = pre-vote).
OUTBOUND_VERSIONS: Mapping[int, int] = {
    VOTE_KEY: 2,
    BEGIN_QUORUM_EPOCH_KEY: 1,
    END_QUORUM_EPOCH_KEY: 1,
    FETCH_KEY: 17,
    FETCH_SNAPSHOT_KEY: 1,
    DESCRIBE_QUORUM_KEY: 2,
}
# Kafka's raft leader adds NodeEndpoints to Fetch answers only from this version on.
FETCH_NODE_ENDPOINTS_MIN_VERSION = 17
FETCH_TOPIC_ID_MIN_VERSION = 13
NO_OFFSET = -1
NO_EPOCH = -1
INT64_MAX = (1 << 63) - 1


def _opt(value: int) -> int | None:
    return None if value < 0 else value


def _wire(value: int | None) -> int:
    return NO_LEADER if value is None else value


def _dir(value: uuid.UUID) -> uuid.UUID | None:
    return None if value == ZERO_DIRECTORY_ID else value


def _dir_wire(value: uuid.UUID | None) -> uuid.UUID:
    return ZERO_DIRECTORY_ID if value is None else value


def _one_named(topics: list[Any], name_attr: str = "topic_name") -> Any | None:
    """The single partition of the single topic if it is ours, else None."""
    if len(topics) != 1 or getattr(topics[0], name_attr) != METADATA_TOPIC_NAME:
        return None
    if len(topics[0].partitions) != 1:
        return None
    partition = topics[0].partitions[0]
    index = getattr(partition, "partition_index", None)
    if index is None:
        index = getattr(partition, "partition", None)
    return partition if index == METADATA_PARTITION else None


# ------------------------------------------------------------------------- inbound requests


def request_to_core(api_key: int, version: int, body: Any) -> rpc.Request:
    """A decoded raft request → the core's value. `api_key` must be in `RAFT_API_KEYS`."""
    if api_key == FETCH_KEY:
        return _fetch_request_to_core(version, body)
    if api_key == VOTE_KEY:
        part = _one_named(body.topics)
        voter_key = None
        if version >= 1 and body.voter_id >= 0:
            voter_key = ReplicaKey(body.voter_id, _dir(part.voter_directory_id) if part else None)
        if part is None:
            return rpc.VoteRequest(body.cluster_id, False, ReplicaKey(NO_LEADER), 0, 0, 0)
        return rpc.VoteRequest(
            cluster_id=body.cluster_id,
            topic_partition_valid=True,
            candidate_key=ReplicaKey(part.replica_id, _dir(part.replica_directory_id)),
            candidate_epoch=part.replica_epoch,
            last_offset_epoch=part.last_offset_epoch,
            last_offset=part.last_offset,
            pre_vote=part.pre_vote,
            voter_key=voter_key,
        )
    if api_key == BEGIN_QUORUM_EPOCH_KEY:
        part = _one_named(body.topics)
        if part is None:
            return rpc.BeginQuorumEpochRequest(body.cluster_id, False, NO_LEADER, 0)
        voter_key = None
        if version >= 1 and body.voter_id >= 0:
            voter_key = ReplicaKey(body.voter_id, _dir(part.voter_directory_id))
        return rpc.BeginQuorumEpochRequest(
            cluster_id=body.cluster_id,
            topic_partition_valid=True,
            leader_id=part.leader_id,
            leader_epoch=part.leader_epoch,
            leader_endpoint=_leader_endpoint(body.leader_endpoints),
            voter_key=voter_key,
        )
    if api_key == END_QUORUM_EPOCH_KEY:
        part = _one_named(body.topics)
        if part is None:
            return rpc.EndQuorumEpochRequest(body.cluster_id, False, NO_LEADER, 0)
        if version == 0:
            candidates = tuple(ReplicaKey(i) for i in part.preferred_successors)
        else:
            candidates = tuple(
                ReplicaKey(c.candidate_id, _dir(c.candidate_directory_id))
                for c in part.preferred_candidates
            )
        return rpc.EndQuorumEpochRequest(
            cluster_id=body.cluster_id,
            topic_partition_valid=True,
            leader_id=part.leader_id,
            leader_epoch=part.leader_epoch,
            preferred_candidates=candidates,
            leader_endpoint=_leader_endpoint(body.leader_endpoints),
        )
    if api_key == DESCRIBE_QUORUM_KEY:
        return rpc.DescribeQuorumRequest(_one_named(body.topics) is not None)
    if api_key == FETCH_SNAPSHOT_KEY:
        part = _one_named(body.topics, "name")
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
            replica_directory_id=_dir(part.replica_directory_id),
        )
    raise AssertionError(f"api key {api_key} is not a raft api")


def _leader_endpoint(endpoints: list[Any]) -> Endpoint | None:
    # We run one listener per node, so the first endpoint is the one on our listener.
    return Endpoint(endpoints[0].host, endpoints[0].port) if endpoints else None


def fetch_replica_id(version: int, body: fe.FetchRequest) -> int:
    """Kafka's `FetchRequest.replicaId(data)`: ReplicaId below v15, ReplicaState from v15."""
    if version <= 14:
        return body.replica_id
    return body.replica_state.replica_id


def _fetch_request_to_core(version: int, body: fe.FetchRequest) -> rpc.FetchRequest:
    part: Any = None
    if len(body.topics) == 1 and len(body.topics[0].partitions) == 1:
        topic = body.topics[0]
        ours = (
            topic.topic_id == METADATA_TOPIC_ID
            if version >= FETCH_TOPIC_ID_MIN_VERSION
            else topic.topic == METADATA_TOPIC_NAME
        )
        if ours and topic.partitions[0].partition == METADATA_PARTITION:
            part = topic.partitions[0]
    high_watermark = None
    if part is not None and version >= 18 and part.high_watermark != INT64_MAX:
        high_watermark = part.high_watermark
    return rpc.FetchRequest(
        cluster_id=body.cluster_id,
        topic_partition_valid=part is not None,
        replica_id=fetch_replica_id(version, body),
        max_wait_ms=body.max_wait_ms,
        fetch_offset=part.fetch_offset if part else 0,
        last_fetched_epoch=part.last_fetched_epoch if part else NO_EPOCH,
        current_leader_epoch=part.current_leader_epoch if part else NO_EPOCH,
        max_bytes=body.max_bytes,
        replica_directory_id=_dir(part.replica_directory_id) if part else None,
        high_watermark=high_watermark,
    )


# ---------------------------------------------------------------------------- our answers


def _endpoints(cls: Any, endpoints: Mapping[int, Endpoint]) -> list[Any]:
    return [cls(node_id=i, host=e.host, port=e.port) for i, e in sorted(endpoints.items())]


def _leader_fields(response: Any) -> tuple[int, int]:
    return _wire(response.leader_id), NO_EPOCH if response.leader_epoch is None else (
        response.leader_epoch
    )


def response_to_wire(
    api_key: int, version: int, response: rpc.Response, records: bytes, *, listener_name: str
) -> Any:
    """The core's answer → the wire body for `version` (`records` resolves a Fetch LogRead)."""
    if isinstance(response, rpc.FetchResponse):
        return _fetch_response_to_wire(version, response, records)
    if isinstance(response, rpc.VoteResponse):
        leader_id, leader_epoch = _leader_fields(response)
        part = vo.VoteResponse.TopicData.PartitionData(
            partition_index=METADATA_PARTITION,
            error_code=response.partition_error_code,
            leader_id=leader_id,
            leader_epoch=leader_epoch,
            vote_granted=response.vote_granted,
        )
        return vo.VoteResponse(
            error_code=response.error_code,
            topics=[vo.VoteResponse.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[part])],
            node_endpoints=_endpoints(vo.VoteResponse.NodeEndpoint, response.node_endpoints)
            if version >= 1
            else [],
        )
    if isinstance(response, rpc.BeginQuorumEpochResponse | rpc.EndQuorumEpochResponse):
        mod: Any = bqe.BeginQuorumEpochResponse
        if isinstance(response, rpc.EndQuorumEpochResponse):
            mod = eqe.EndQuorumEpochResponse
        leader_id, leader_epoch = _leader_fields(response)
        part = mod.TopicData.PartitionData(
            partition_index=METADATA_PARTITION,
            error_code=response.partition_error_code,
            leader_id=leader_id,
            leader_epoch=leader_epoch,
        )
        return mod(
            error_code=response.error_code,
            topics=[mod.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[part])],
            node_endpoints=_endpoints(mod.NodeEndpoint, response.node_endpoints)
            if version >= 1
            else [],
        )
    if isinstance(response, rpc.DescribeQuorumResponse):
        return _describe_quorum_to_wire(version, response, listener_name)
    if isinstance(response, rpc.FetchSnapshotResponse):
        r = fs.FetchSnapshotResponse
        p = r.TopicSnapshot.PartitionSnapshot
        snapshot = response.snapshot_id or OffsetAndEpoch(NO_OFFSET, NO_EPOCH)
        leader = response.current_leader or LeaderAndEpoch(None, NO_EPOCH)
        data = response.data if isinstance(response.data, bytes) else b""
        partition = p(
            index=METADATA_PARTITION,
            error_code=response.partition_error_code,
            snapshot_id=p.SnapshotId(end_offset=snapshot.offset, epoch=snapshot.epoch),
            current_leader=p.LeaderIdAndEpoch(
                leader_id=_wire(leader.leader_id), leader_epoch=leader.epoch
            ),
            size=response.size,
            position=response.position,
            unaligned_records=data,
        )
        return r(
            error_code=response.error_code,
            topics=[r.TopicSnapshot(name=METADATA_TOPIC_NAME, partitions=[partition])],
            node_endpoints=_endpoints(r.NodeEndpoint, response.node_endpoints)
            if version >= 1
            else [],
        )
    raise AssertionError(f"no wire form for {type(response).__name__}")


def _fetch_response_to_wire(
    version: int, response: rpc.FetchResponse, records: bytes
) -> fe.FetchResponse:
    r = fe.FetchResponse
    p = r.FetchableTopicResponse.PartitionData
    node_endpoints = []
    if version >= FETCH_NODE_ENDPOINTS_MIN_VERSION:
        node_endpoints = [
            r.NodeEndpoint(node_id=i, host=e.host, port=e.port)
            for i, e in sorted(response.node_endpoints.items())
        ]
    if response.error_code != ErrorCode.NONE and version >= FETCH_TOPIC_ID_MIN_VERSION:
        return r(error_code=response.error_code, responses=[], node_endpoints=node_endpoints)
    leader = response.current_leader
    diverging = response.diverging_epoch
    snapshot = response.snapshot_id
    partition_error = response.partition_error_code
    if response.error_code != ErrorCode.NONE:
        partition_error = response.error_code
    partition = p(
        partition_index=METADATA_PARTITION,
        error_code=partition_error,
        high_watermark=_wire(response.high_watermark),
        log_start_offset=response.log_start_offset,
        diverging_epoch=p.EpochEndOffset(epoch=diverging.epoch, end_offset=diverging.offset)
        if diverging
        else p.EpochEndOffset(),
        current_leader=p.LeaderIdAndEpoch(
            leader_id=_wire(leader.leader_id), leader_epoch=leader.epoch
        )
        if leader
        else p.LeaderIdAndEpoch(),
        snapshot_id=p.SnapshotId(end_offset=snapshot.offset, epoch=snapshot.epoch)
        if snapshot
        else p.SnapshotId(),
        records=records,
    )
    topic = r.FetchableTopicResponse(
        topic=METADATA_TOPIC_NAME if version < FETCH_TOPIC_ID_MIN_VERSION else "",
        topic_id=METADATA_TOPIC_ID,
        partitions=[partition],
    )
    return r(error_code=response.error_code, responses=[topic], node_endpoints=node_endpoints)


def _describe_quorum_to_wire(
    version: int, response: rpc.DescribeQuorumResponse, listener_name: str
) -> Any:
    r = dq.DescribeQuorumResponse
    p = r.TopicData.PartitionData

    def state(d: rpc.ReplicaDescription) -> Any:
        return p.ReplicaState(
            replica_id=d.replica_id,
            replica_directory_id=_dir_wire(d.directory_id),
            log_end_offset=NO_OFFSET if d.log_end_offset is None else d.log_end_offset,
            last_fetch_timestamp=-1
            if d.last_fetch_timestamp_ms is None
            else d.last_fetch_timestamp_ms,
            last_caught_up_timestamp=-1
            if d.last_caught_up_timestamp_ms is None
            else d.last_caught_up_timestamp_ms,
        )

    if response.error_code != ErrorCode.NONE:
        return r(error_code=response.error_code, topics=[])
    partition = p(
        partition_index=METADATA_PARTITION,
        error_code=response.partition_error_code,
        leader_id=_wire(response.leader_id),
        leader_epoch=NO_EPOCH if response.leader_epoch is None else response.leader_epoch,
        high_watermark=_wire(response.high_watermark),
        current_voters=[state(d) for d in response.voters],
        observers=[state(d) for d in response.observers],
    )
    nodes = []
    if version >= 2:
        nodes = [
            r.Node(
                node_id=i, listeners=[r.Node.Listener(name=listener_name, host=e.host, port=e.port)]
            )
            for i, e in sorted(response.nodes.items())
        ]
    return r(
        error_code=ErrorCode.NONE,
        topics=[r.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[partition])],
        nodes=nodes,
    )


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
            replica_directory_id=_dir_wire(request.replica_directory_id),
        )
        body = r(
            cluster_id=request.cluster_id,
            replica_state=r.ReplicaState(replica_id=request.replica_id, replica_epoch=-1),
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
            replica_directory_id=_dir_wire(request.candidate_key.directory_id),
            voter_directory_id=_dir_wire(voter.directory_id if voter else None),
            last_offset_epoch=request.last_offset_epoch,
            last_offset=request.last_offset,
            pre_vote=request.pre_vote,
        )
        return (
            VOTE_KEY,
            OUTBOUND_VERSIONS[VOTE_KEY],
            v(
                cluster_id=request.cluster_id,
                voter_id=voter.id if voter else -1,
                topics=[v.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[vpart])],
            ),
        )
    if isinstance(request, rpc.BeginQuorumEpochRequest):
        b = bqe.BeginQuorumEpochRequest
        voter = request.voter_key
        bpart = b.TopicData.PartitionData(
            partition_index=METADATA_PARTITION,
            voter_directory_id=_dir_wire(voter.directory_id if voter else None),
            leader_id=request.leader_id,
            leader_epoch=request.leader_epoch,
        )
        endpoint = request.leader_endpoint
        return (
            BEGIN_QUORUM_EPOCH_KEY,
            OUTBOUND_VERSIONS[BEGIN_QUORUM_EPOCH_KEY],
            b(
                cluster_id=request.cluster_id,
                voter_id=voter.id if voter else -1,
                topics=[b.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[bpart])],
                leader_endpoints=[
                    b.LeaderEndpoint(name=listener_name, host=endpoint.host, port=endpoint.port)
                ]
                if endpoint
                else [],
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
                    candidate_id=c.id, candidate_directory_id=_dir_wire(c.directory_id)
                )
                for c in request.preferred_candidates
            ],
        )
        endpoint = request.leader_endpoint
        return (
            END_QUORUM_EPOCH_KEY,
            OUTBOUND_VERSIONS[END_QUORUM_EPOCH_KEY],
            e(
                cluster_id=request.cluster_id,
                topics=[e.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[epart])],
                leader_endpoints=[
                    e.LeaderEndpoint(name=listener_name, host=endpoint.host, port=endpoint.port)
                ]
                if endpoint
                else [],
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
            replica_directory_id=_dir_wire(request.replica_directory_id),
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


def _endpoint_map(endpoints: list[Any]) -> dict[int, Endpoint]:
    return {e.node_id: Endpoint(e.host, e.port) for e in endpoints}


def _leader_and_epoch(leader_id: int, leader_epoch: int) -> tuple[int | None, int | None]:
    return _opt(leader_id), None if leader_epoch < 0 else leader_epoch


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
        if header.partition_leader_epoch < 0:
            raise DecodeError("record batch without a leader epoch", offset=at + 12)
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
            return rpc.FetchResponse(error_code=ErrorCode(code))
        part = _one_fetch_partition(body)
        leader = None
        if part.current_leader.leader_epoch >= 0:
            leader = LeaderAndEpoch(
                _opt(part.current_leader.leader_id), part.current_leader.leader_epoch
            )
        diverging = None
        if part.diverging_epoch.epoch >= 0 or part.diverging_epoch.end_offset >= 0:
            diverging = OffsetAndEpoch(part.diverging_epoch.end_offset, part.diverging_epoch.epoch)
        snapshot = None
        if part.snapshot_id.end_offset >= 0 or part.snapshot_id.epoch >= 0:
            snapshot = OffsetAndEpoch(part.snapshot_id.end_offset, part.snapshot_id.epoch)
        return rpc.FetchResponse(
            error_code=ErrorCode.NONE,
            partition_error_code=_code(part.error_code),
            high_watermark=_opt(part.high_watermark),
            log_start_offset=max(part.log_start_offset, 0),
            current_leader=leader,
            diverging_epoch=diverging,
            snapshot_id=snapshot,
            records=scan_records(part.records),
            node_endpoints=_endpoint_map(body.node_endpoints),
        )
    if api_key in (VOTE_KEY, BEGIN_QUORUM_EPOCH_KEY, END_QUORUM_EPOCH_KEY):
        endpoints = _endpoint_map(body.node_endpoints)
        part = _one_named(body.topics)
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
        part = _one_named(body.topics, "name") if body.topics else None
        if body.error_code != ErrorCode.NONE or part is None:
            return rpc.FetchSnapshotResponse(
                error_code=_code(body.error_code or ErrorCode.INVALID_REQUEST),
                node_endpoints=endpoints,
            )
        leader = None
        if part.current_leader.leader_epoch >= 0:
            leader = LeaderAndEpoch(
                _opt(part.current_leader.leader_id), part.current_leader.leader_epoch
            )
        return rpc.FetchSnapshotResponse(
            error_code=ErrorCode.NONE,
            partition_error_code=_code(part.error_code),
            snapshot_id=OffsetAndEpoch(part.snapshot_id.end_offset, part.snapshot_id.epoch),
            current_leader=leader,
            size=part.size,
            position=part.position,
            data=part.unaligned_records or b"",
            node_endpoints=endpoints,
        )
    raise DecodeError(f"unexpected answer for api key {api_key}")


def _one_fetch_partition(body: fe.FetchResponse) -> Any:
    if len(body.responses) != 1 or len(body.responses[0].partitions) != 1:
        raise DecodeError("fetch answer without exactly one partition")
    return body.responses[0].partitions[0]


def _code(value: int) -> ErrorCode:
    try:
        return ErrorCode(value)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR
