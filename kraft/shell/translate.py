"""Wire dataclasses ⇄ the core's RPC values (`kraft.rpc`), both as server and as client.

The core knows no versions, topic lists or -1 sentinels; this module is where they are decided:
- inbound requests: `request_to_core(api_key, version, body)` checks "exactly one topic with one
  partition and it is ours" (Fetch v13+ by topic id, everything else by name; RAFT-BRIEF §2.1)
  into `topic_partition_valid`, and maps -1/zero-UUID to None;
- our answers: `response_to_wire(api_key, version, response, records)` writes Kafka's -1 for None,
  fills `NodeEndpoints` only in versions that carry it (Fetch: v17+, as Kafka's raft leader), and
  for a top-level error in Fetch v13+ sends no partitions (below v13 the error is repeated per
  partition, as Kafka does);
- the client half (our requests, the answers we get) is `kraft.shell.translate_client`.

Remote values are validated here, where they enter (issue #12): nothing a peer or a client sends
may reach the core in a form that makes it raise, persist something it cannot read back, or echo
something it cannot encode. A request carrying a value out of range (an epoch above
`kraft.election.EPOCH_MAX`, which could not be incremented for the next election; a
LeaderEndpoint that is not a usable host and port, `valid_endpoint`) is flagged
`topic_partition_valid=False`, which the core answers with a top-level INVALID_REQUEST (never a
partition-level one: a Kafka peer halts on that). Negative offsets and epochs keep their Kafka
meaning and are judged by the core's handlers, exactly as Kafka's. FetchSnapshot requests carry no
value the core adopts (their epochs and positions are only compared), so they pass as they are.
Answers we receive are validated in `translate_client`.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Mapping
from typing import Any

import idna

from kraft import rpc
from kraft.election import EPOCH_MAX
from kraft.types import (
    NO_LEADER,
    ZERO_DIRECTORY_ID,
    Endpoint,
    LeaderAndEpoch,
    OffsetAndEpoch,
    ReplicaKey,
)
from wire.errors import ErrorCode
from wire.messages import begin_quorum_epoch as bqe
from wire.messages import describe_quorum as dq
from wire.messages import end_quorum_epoch as eqe
from wire.messages import fetch as fe
from wire.messages import fetch_snapshot as fs
from wire.messages import vote as vo
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
NO_TIMESTAMP = -1
# "no replica" in VoterId (Vote/BeginQuorumEpoch v1+) and ReplicaState.ReplicaEpoch.
NO_REPLICA_ID = -1
NO_REPLICA_EPOCH = -1
INT64_MAX = (1 << 63) - 1


# A DNS name: at most 253 characters (without a final dot), labels of 1..63 letters, digits,
# hyphens (not first or last) and underscores (Docker/Kubernetes service names).
HOST_CHARS_MAX = 253
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\Z")
PORT_MIN = 1  # port 0 cannot be connected to
PORT_MAX = 65535


def valid_epoch(epoch: int) -> bool:
    """An epoch this node may adopt: one it can still increment and encode."""
    return 0 <= epoch <= EPOCH_MAX


def valid_host(host: str) -> bool:
    """An IP literal, or a name `trio.open_tcp_stream` can look up: ASCII as it is, anything else
    through IDNA 2008 with UTS #46 mapping (what trio does; it raises `UnicodeError`, not
    `OSError`, for a name it cannot encode)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
    except (UnicodeError, idna.IDNAError):
        return False
    name = name.removesuffix(".")
    if not name or len(name) > HOST_CHARS_MAX:
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def valid_endpoint(host: str, port: int) -> bool:
    return PORT_MIN <= port <= PORT_MAX and valid_host(host)


def none_if_negative(value: int) -> int | None:
    return None if value < 0 else value


def or_sentinel(value: int | None) -> int:
    return NO_LEADER if value is None else value


def directory_or_none(value: uuid.UUID) -> uuid.UUID | None:
    return None if value == ZERO_DIRECTORY_ID else value


def directory_or_zero(value: uuid.UUID | None) -> uuid.UUID:
    return ZERO_DIRECTORY_ID if value is None else value


def our_partition(topics: list[Any], name_attr: str = "topic_name") -> Any | None:
    """The single partition of the single topic if it is ours, else None."""
    if len(topics) != 1 or getattr(topics[0], name_attr) != METADATA_TOPIC_NAME:
        return None
    if len(topics[0].partitions) != 1:
        return None
    partition = topics[0].partitions[0]
    # The partition's field is `PartitionIndex` in most messages, `Partition` in Fetch and
    # FetchSnapshot requests and `Index` in FetchSnapshot answers.
    for name in ("partition_index", "partition", "index"):
        index = getattr(partition, name, None)
        if index is not None:
            return partition if index == METADATA_PARTITION else None
    return None


# ------------------------------------------------------------------------- inbound requests


def request_to_core(api_key: int, version: int, body: Any) -> rpc.Request:
    """A decoded raft request → the core's value. `api_key` must be in `RAFT_API_KEYS`."""
    if api_key == FETCH_KEY:
        return _fetch_request_to_core(version, body)
    if api_key == VOTE_KEY:
        part = our_partition(body.topics)
        voter_key = None
        if version >= 1 and body.voter_id >= 0:
            voter_key = ReplicaKey(
                body.voter_id, directory_or_none(part.voter_directory_id) if part else None
            )
        if part is None or not (
            part.replica_epoch <= EPOCH_MAX and part.last_offset_epoch <= EPOCH_MAX
        ):
            return rpc.VoteRequest(body.cluster_id, False, ReplicaKey(NO_LEADER), 0, 0, 0)
        return rpc.VoteRequest(
            cluster_id=body.cluster_id,
            topic_partition_valid=True,
            candidate_key=ReplicaKey(part.replica_id, directory_or_none(part.replica_directory_id)),
            candidate_epoch=part.replica_epoch,
            last_offset_epoch=part.last_offset_epoch,
            last_offset=part.last_offset,
            pre_vote=part.pre_vote,
            voter_key=voter_key,
        )
    if api_key == BEGIN_QUORUM_EPOCH_KEY:
        part = our_partition(body.topics)
        if part is None or not _epoch_request_values_valid(part, body.leader_endpoints):
            return rpc.BeginQuorumEpochRequest(body.cluster_id, False, NO_LEADER, 0)
        voter_key = None
        if version >= 1 and body.voter_id >= 0:
            voter_key = ReplicaKey(body.voter_id, directory_or_none(part.voter_directory_id))
        return rpc.BeginQuorumEpochRequest(
            cluster_id=body.cluster_id,
            topic_partition_valid=True,
            leader_id=part.leader_id,
            leader_epoch=part.leader_epoch,
            leader_endpoint=_leader_endpoint(body.leader_endpoints),
            voter_key=voter_key,
        )
    if api_key == END_QUORUM_EPOCH_KEY:
        part = our_partition(body.topics)
        if part is None or not _epoch_request_values_valid(part, body.leader_endpoints):
            return rpc.EndQuorumEpochRequest(body.cluster_id, False, NO_LEADER, 0)
        if version == 0:
            candidates = tuple(ReplicaKey(i) for i in part.preferred_successors)
        else:
            candidates = tuple(
                ReplicaKey(c.candidate_id, directory_or_none(c.candidate_directory_id))
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
        return rpc.DescribeQuorumRequest(our_partition(body.topics) is not None)
    if api_key == FETCH_SNAPSHOT_KEY:
        part = our_partition(body.topics, "name")
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
            replica_directory_id=directory_or_none(part.replica_directory_id),
        )
    raise AssertionError(f"api key {api_key} is not a raft api")


def _epoch_request_values_valid(part: Any, leader_endpoints: list[Any]) -> bool:
    """BeginQuorumEpoch/EndQuorumEpoch: an epoch we could adopt, endpoints we could connect to."""
    return part.leader_epoch <= EPOCH_MAX and all(
        valid_endpoint(e.host, e.port) for e in leader_endpoints
    )


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
        candidate = topic.partitions[0]
        in_range = (
            candidate.current_leader_epoch <= EPOCH_MAX
            and candidate.last_fetched_epoch <= EPOCH_MAX
        )
        if ours and candidate.partition == METADATA_PARTITION and in_range:
            part = candidate
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
        replica_directory_id=directory_or_none(part.replica_directory_id) if part else None,
        high_watermark=high_watermark,
    )


# ---------------------------------------------------------------------------- our answers


def _endpoints(cls: Any, endpoints: Mapping[int, Endpoint]) -> list[Any]:
    return [cls(node_id=i, host=e.host, port=e.port) for i, e in sorted(endpoints.items())]


def _leader_fields(response: Any) -> tuple[int, int]:
    return or_sentinel(response.leader_id), NO_EPOCH if response.leader_epoch is None else (
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
                leader_id=or_sentinel(leader.leader_id), leader_epoch=leader.epoch
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
        high_watermark=or_sentinel(response.high_watermark),
        log_start_offset=response.log_start_offset,
        diverging_epoch=p.EpochEndOffset(epoch=diverging.epoch, end_offset=diverging.offset)
        if diverging
        else p.EpochEndOffset(),
        current_leader=p.LeaderIdAndEpoch(
            leader_id=or_sentinel(leader.leader_id), leader_epoch=leader.epoch
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
            replica_directory_id=directory_or_zero(d.directory_id),
            log_end_offset=NO_OFFSET if d.log_end_offset is None else d.log_end_offset,
            last_fetch_timestamp=NO_TIMESTAMP
            if d.last_fetch_timestamp_ms is None
            else d.last_fetch_timestamp_ms,
            last_caught_up_timestamp=NO_TIMESTAMP
            if d.last_caught_up_timestamp_ms is None
            else d.last_caught_up_timestamp_ms,
        )

    if response.error_code != ErrorCode.NONE:
        return r(error_code=response.error_code, topics=[])
    partition = p(
        partition_index=METADATA_PARTITION,
        error_code=response.partition_error_code,
        leader_id=or_sentinel(response.leader_id),
        leader_epoch=NO_EPOCH if response.leader_epoch is None else response.leader_epoch,
        high_watermark=or_sentinel(response.high_watermark),
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
