"""Consumer Fetch (v4-v18): committed batches only, Kafka broker semantics, no per-consumer state.

Telling consumers from Raft fetchers (`is_consumer_fetch`): a Fetch is Raft replication when it
names a replica (ReplicaId >= 0 up to v14, ReplicaState.ReplicaId >= 0 from v15) or carries a
ClusterId (v12+): every Raft fetcher, voter or observer with or without an id, sends the cluster
id, and no Kafka consumer does. LastFetchedEpoch cannot decide: kafka-python sends a real one.

Serving a consumer, per partition, in a broker's order: unknown topic (by name up to v12,
UNKNOWN_TOPIC_OR_PARTITION; by id from v13, UNKNOWN_TOPIC_ID) or partition; CurrentLeaderEpoch
older (FENCED_LEADER_EPOCH) or newer (UNKNOWN_LEADER_EPOCH) than ours; not the leader
(NOT_LEADER_OR_FOLLOWER, with CurrentLeader and the leader's endpoint from v16 so clients move
at once, KIP-951); an offset below the log start or past the log end (OFFSET_OUT_OF_RANGE); then
whole stored batches from the one containing the fetch offset, **never past the high watermark**
(a consumer must not see a record that a later leader could truncate), empty between the high
watermark and the log end. Control batches are served as stored; clients skip them. A partition
with an error carries an empty (zero-length, never null) record set, as Kafka's does.

Fetch sessions (KIP-227): the node declines every session (SessionId 0 in each answer), which the
protocol allows and every client handles by sending full fetches. A SessionId we never handed out
is FETCH_SESSION_ID_NOT_FOUND; SessionId 0 with a positive epoch is INVALID_FETCH_SESSION_EPOCH.
Session errors are top-level and carry no partitions, as in Kafka.

Long poll: an answer with no records for anyone waits (`serve_fetch`) until the node reports a
change (high watermark, epoch or leader) or MaxWaitMs elapses, then is recomputed from a fresh
view, as a broker's delayed fetch does. MinBytes <= 0 answers at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import trio

from kraft.handlers.consumer import offset_error
from kraft.shell.apis.fetch import replica_id
from kraft.shell.consumer.checks import check_partition, is_metadata_topic, is_metadata_topic_id
from kraft.shell.consumer.view import (
    CONSUMER_REPLICA_ID,
    METADATA_TOPIC_ID,
    NO_LEADER,
    NO_OFFSET,
    ConsumerPort,
    NodeView,
)
from wire.errors import ErrorCode
from wire.messages.fetch import TOPIC_ID_MIN_VERSION, FetchRequest, FetchResponse
from wire.messages.produce import ProduceRequest, ProduceResponse

# One consumer answer carries at most this much record data, whatever MaxBytes says (a client
# asking for 2 GiB gets a normal answer, and still at least one whole batch).
FETCH_RESPONSE_BYTES_MAX = 8 * 1024 * 1024
# Upper bound on a parked fetch, whatever MaxWaitMs says (clients send 500).
FETCH_WAIT_MS_MAX = 30_000
FETCH_SESSION_NONE = 0
FETCH_SESSION_EPOCH_INITIAL = 0
FETCH_SESSION_EPOCH_FINAL = -1
FETCH_NODE_ENDPOINTS_VERSION_MIN = 16
# CurrentLeader is a tagged field from v12; older versions cannot carry the hint.
FETCH_CURRENT_LEADER_VERSION_MIN = 12

# Every partition answer carries a record set, empty ones included (error partitions too), as a
# Kafka broker's does: a null one (length -1) is a protocol error to librdkafka ("invalid
# MessageSetSize -1"), which then retries the same fetch at once, forever.
NO_RECORDS = b""

_Topic = FetchResponse.FetchableTopicResponse
_Partition = FetchResponse.FetchableTopicResponse.PartitionData


def is_consumer_fetch(request: FetchRequest, version: int) -> bool:
    """True for an ordinary Kafka consumer, False for a Raft replica or observer (see docstring)."""
    if replica_id(version, request) != CONSUMER_REPLICA_ID:
        return False
    return not (version >= 12 and request.cluster_id is not None)


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """A computed answer, and whether it is the kind a broker parks (nothing to return yet)."""

    response: FetchResponse
    parkable: bool


def _leader_hint(view: NodeView) -> int:
    """The leader to point a refused consumer at: none while this leader shuts down (pointing at
    itself would bring the client straight back)."""
    return NO_LEADER if view.shutting_down and view.is_leader else view.leader_id


def _current_leader(view: NodeView) -> _Partition.LeaderIdAndEpoch:
    return _Partition.LeaderIdAndEpoch(leader_id=_leader_hint(view), leader_epoch=view.epoch)


def _session_error(request: FetchRequest) -> ErrorCode:
    if request.session_id != FETCH_SESSION_NONE:
        return ErrorCode.FETCH_SESSION_ID_NOT_FOUND
    if request.session_epoch not in (FETCH_SESSION_EPOCH_INITIAL, FETCH_SESSION_EPOCH_FINAL):
        return ErrorCode.INVALID_FETCH_SESSION_EPOCH
    return ErrorCode.NONE


async def plan_fetch(
    request: FetchRequest, version: int, view: NodeView, port: ConsumerPort
) -> FetchPlan:
    """The consumer answer for `request` given `view` (pure apart from reading batches)."""
    session_error = _session_error(request)
    if session_error != ErrorCode.NONE:
        response = FetchResponse(error_code=session_error, session_id=FETCH_SESSION_NONE)
        return FetchPlan(response, parkable=False)
    by_id = version >= TOPIC_ID_MIN_VERSION
    budget_bytes = min(max(request.max_bytes, 0), FETCH_RESPONSE_BYTES_MAX)
    any_records = False
    any_error = False
    leader_hint = False
    topics = []
    for topic in request.topics:
        known = is_metadata_topic_id(topic.topic_id) if by_id else is_metadata_topic(topic.topic)
        partitions = []
        for wanted in topic.partitions:
            if not known:
                error = (
                    ErrorCode.UNKNOWN_TOPIC_ID if by_id else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                )
            else:
                error = check_partition(view, wanted.partition, wanted.current_leader_epoch)
            if error != ErrorCode.NONE:
                any_error = True
                hint = error in (
                    ErrorCode.NOT_LEADER_OR_FOLLOWER,
                    ErrorCode.FENCED_LEADER_EPOCH,
                    ErrorCode.UNKNOWN_LEADER_EPOCH,
                )
                leader_hint = leader_hint or hint
                partitions.append(
                    _Partition(
                        partition_index=wanted.partition,
                        error_code=error,
                        high_watermark=NO_OFFSET,
                        current_leader=_current_leader(view)
                        if hint and version >= FETCH_CURRENT_LEADER_VERSION_MIN
                        else _Partition.LeaderIdAndEpoch(),
                        records=NO_RECORDS,
                    )
                )
                continue
            partition, size = await _read_partition(wanted, view, port, budget_bytes, any_records)
            budget_bytes = max(budget_bytes - size, 0)
            any_records = any_records or size > 0
            any_error = any_error or partition.error_code != ErrorCode.NONE
            partitions.append(partition)
        topics.append(
            _Topic(
                topic=topic.topic if not by_id else "",
                topic_id=topic.topic_id if by_id else METADATA_TOPIC_ID,
                partitions=partitions,
            )
        )
    node_endpoints = []
    if (
        leader_hint
        and version >= FETCH_NODE_ENDPOINTS_VERSION_MIN
        and _leader_hint(view) != NO_LEADER
    ):
        leader = view.endpoint_of(view.leader_id)
        if leader is not None:
            node_endpoints.append(
                FetchResponse.NodeEndpoint(
                    node_id=leader.node_id, host=leader.host, port=leader.port
                )
            )
    response = FetchResponse(
        error_code=ErrorCode.NONE,
        session_id=FETCH_SESSION_NONE,
        responses=topics,
        node_endpoints=node_endpoints,
    )
    parkable = not any_records and not any_error and request.min_bytes > 0 and bool(topics)
    return FetchPlan(response, parkable=parkable)


async def _read_partition(
    wanted: FetchRequest.FetchTopic.FetchPartition,
    view: NodeView,
    port: ConsumerPort,
    budget_bytes: int,
    have_records: bool,
) -> tuple[_Partition, int]:
    high_watermark = view.committed_offset
    offset = wanted.fetch_offset
    error = offset_error(offset, view.log_start_offset, view.log_end_offset)
    records = NO_RECORDS
    if error == ErrorCode.NONE and offset < high_watermark:
        partition_budget = min(max(wanted.partition_max_bytes, 0), budget_bytes)
        # KIP-74: the first partition with data returns at least one whole batch.
        if partition_budget > 0 or not have_records:
            records = await port.read_batches(offset, high_watermark, partition_budget)
    partition = _Partition(
        partition_index=wanted.partition,
        error_code=error,
        high_watermark=high_watermark,
        last_stable_offset=high_watermark,
        log_start_offset=view.log_start_offset,
        aborted_transactions=[],
        records=records,
    )
    return partition, len(records)


async def serve_fetch(request: FetchRequest, version: int, port: ConsumerPort) -> FetchResponse:
    """Answer a consumer Fetch, parking it while there is nothing to return (long poll)."""
    wait_ms = min(max(request.max_wait_ms, 0), FETCH_WAIT_MS_MAX)
    deadline = trio.current_time() + wait_ms / 1000
    while True:
        plan = await plan_fetch(request, version, port.view(), port)
        remaining_ms = int((deadline - trio.current_time()) * 1000)
        if not plan.parkable or remaining_ms <= 0:
            return plan.response
        await port.wait_for_change(remaining_ms)


# Kafka refuses client appends to an internal topic with INVALID_TOPIC_EXCEPTION; the metadata
# log is written only by its Raft leader.
_PRODUCE_METADATA_TOPIC_ERROR = ErrorCode.INVALID_TOPIC_EXCEPTION
_ACKS_NONE = 0


def handle_produce(request: ProduceRequest, version: int, view: NodeView) -> ProduceResponse | None:
    """Refuse every append with a Kafka error code; None (no answer at all) for acks=0."""
    if request.acks == _ACKS_NONE:
        return None
    by_id = version >= TOPIC_ID_MIN_VERSION
    _Resp = ProduceResponse.TopicProduceResponse.PartitionProduceResponse
    topics = []
    for topic in request.topic_data:
        known = is_metadata_topic_id(topic.topic_id) if by_id else is_metadata_topic(topic.name)
        if not known:
            error = ErrorCode.UNKNOWN_TOPIC_ID if by_id else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        else:
            error = _PRODUCE_METADATA_TOPIC_ERROR
        partitions = [
            _Resp(
                index=p.index,
                error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                if known and p.index != 0
                else error,
                base_offset=NO_OFFSET,
            )
            for p in topic.partition_data
        ]
        topics.append(
            ProduceResponse.TopicProduceResponse(
                name=topic.name, topic_id=topic.topic_id, partition_responses=partitions
            )
        )
    return ProduceResponse(responses=topics)
