"""Fetch (key 1) between raft replicas: a follower or observer fetches; the leader answers.

- Requests match our log by topic id from v13, by name before (RAFT-BRIEF §2.1); the fetcher's id
  is `ReplicaId` below v15 and `ReplicaState` from v15 (Kafka's `FetchRequest.replicaId`); an
  epoch above `EPOCH_MAX` makes a request not valid (`topic_partition_valid=False`).
- Answers carry NodeEndpoints from v17 (as Kafka's raft leader); a top-level error in v13+ goes
  with no partition (below v13 it is repeated in the partition, as Kafka does).
- Answers we get: records are scanned (headers only, CRC32C checked) into `Records`; a trailing
  partial batch is dropped, as Kafka's client does. Consumer-style Fetch is
  `kraft.shell.consumer`'s, not this module's.
"""

from __future__ import annotations

import dataclasses
import itertools

from kraft import rpc
from kraft.shell.apis.base import Context
from kraft.shell.apis.checks import (
    epochs_in_range,
    error_code,
    node_endpoints_to_core,
    top_level_error,
    valid_epoch,
)
from kraft.shell.apis.common import (
    current_leader_to_core,
    current_leader_to_wire,
    node_endpoints_to_wire,
    offset_and_epoch_to_core,
    offset_and_epoch_to_wire,
)
from kraft.shell.apis.sentinels import (
    directory_or_zero,
    optional,
    optional_directory,
    optional_high_watermark,
    or_sentinel,
)
from kraft.shell.identity import TopicIdentity
from kraft.types import NO_EPOCH, NO_OFFSET, BatchInfo, Records
from wire.errors import DecodeError, ErrorCode
from wire.messages.fetch import TOPIC_ID_MIN_VERSION, FetchRequest, FetchResponse
from wire.records.batch import CorruptBatchError, check_raft_batch_header, crc_ok, iter_batches
from wire.registry import METADATA_PARTITION

# The newest Fetch Kafka 4.x's raft client sends (v18 only adds the fetcher's HighWatermark).
OUTBOUND_VERSION = 17
# v15 moved the fetcher's id from `ReplicaId` into the tagged `ReplicaState`.
REPLICA_STATE_MIN_VERSION = 15
# Kafka's raft leader adds NodeEndpoints to Fetch answers only from this version on.
NODE_ENDPOINTS_MIN_VERSION = 17
# v18 adds the fetcher's HighWatermark (KIP-1166).
HIGH_WATERMARK_MIN_VERSION = 18
Partition = FetchRequest.FetchTopic.FetchPartition
AnswerPartition = FetchResponse.FetchableTopicResponse.PartitionData


def replica_id(version: int, body: FetchRequest) -> int:
    """Kafka's `FetchRequest.replicaId(data)`: ReplicaId below v15, ReplicaState from v15."""
    if version < REPLICA_STATE_MIN_VERSION:
        return body.replica_id
    return body.replica_state.replica_id


def _our_partition(version: int, body: FetchRequest, topic: TopicIdentity) -> Partition | None:
    if len(body.topics) != 1 or len(body.topics[0].partitions) != 1:
        return None
    wanted = body.topics[0]
    ours = (
        wanted.topic_id == topic.topic_id
        if version >= TOPIC_ID_MIN_VERSION
        else wanted.topic == topic.name
    )
    candidate = wanted.partitions[0]
    in_range = epochs_in_range(candidate.current_leader_epoch, candidate.last_fetched_epoch)
    return candidate if ours and candidate.partition == topic.partition and in_range else None


def request_to_core(version: int, body: FetchRequest, context: Context) -> rpc.FetchRequest:
    part = _our_partition(version, body, context.topic)
    high_watermark = None
    if part is not None and version >= HIGH_WATERMARK_MIN_VERSION:
        high_watermark = optional_high_watermark(part.high_watermark)
    return rpc.FetchRequest(
        cluster_id=body.cluster_id,
        topic_partition_valid=part is not None,
        replica_id=replica_id(version, body),
        max_wait_ms=body.max_wait_ms,
        fetch_offset=part.fetch_offset if part else 0,
        last_fetched_epoch=part.last_fetched_epoch if part else NO_EPOCH,
        current_leader_epoch=part.current_leader_epoch if part else NO_EPOCH,
        max_bytes=body.max_bytes,
        replica_directory_id=optional_directory(part.replica_directory_id) if part else None,
        high_watermark=high_watermark,
    )


def response_to_wire(version: int, response: rpc.FetchResponse, context: Context) -> FetchResponse:
    """`context.records`: the bytes the answer's `LogRead` resolved to."""
    node_endpoints = node_endpoints_to_wire(
        FetchResponse.NodeEndpoint,
        response.node_endpoints,
        version >= NODE_ENDPOINTS_MIN_VERSION,
    )
    if response.error_code != ErrorCode.NONE and version >= TOPIC_ID_MIN_VERSION:
        return FetchResponse(
            error_code=response.error_code, responses=[], node_endpoints=node_endpoints
        )
    partition_error = response.partition_error_code
    if response.error_code != ErrorCode.NONE:
        partition_error = response.error_code
    partition = AnswerPartition(
        partition_index=METADATA_PARTITION,
        error_code=partition_error,
        high_watermark=or_sentinel(response.high_watermark, NO_OFFSET),
        log_start_offset=response.log_start_offset,
        diverging_epoch=offset_and_epoch_to_wire(
            AnswerPartition.EpochEndOffset, response.diverging_epoch
        ),
        current_leader=current_leader_to_wire(
            AnswerPartition.LeaderIdAndEpoch, response.current_leader
        ),
        snapshot_id=offset_and_epoch_to_wire(AnswerPartition.SnapshotId, response.snapshot_id),
        records=context.records,
    )
    topic = context.topic
    answer = FetchResponse.FetchableTopicResponse(
        topic=topic.name if version < TOPIC_ID_MIN_VERSION else "",
        topic_id=topic.topic_id,
        partitions=[partition],
    )
    return FetchResponse(
        error_code=response.error_code, responses=[answer], node_endpoints=node_endpoints
    )


def request_to_wire(version: int, request: rpc.FetchRequest, context: Context) -> FetchRequest:
    part = Partition(
        partition=METADATA_PARTITION,
        current_leader_epoch=request.current_leader_epoch,
        fetch_offset=request.fetch_offset,
        last_fetched_epoch=request.last_fetched_epoch,
        log_start_offset=NO_OFFSET,
        partition_max_bytes=request.max_bytes,
        replica_directory_id=directory_or_zero(request.replica_directory_id),
    )
    body = FetchRequest(
        cluster_id=request.cluster_id,
        max_wait_ms=request.max_wait_ms,
        min_bytes=0,
        max_bytes=request.max_bytes,
        topics=[FetchRequest.FetchTopic(topic_id=context.topic.topic_id, partitions=[part])],
    )
    if version < REPLICA_STATE_MIN_VERSION:
        return dataclasses.replace(body, replica_id=request.replica_id)
    state = FetchRequest.ReplicaState(replica_id=request.replica_id, replica_epoch=NO_EPOCH)
    return dataclasses.replace(body, replica_state=state)


def response_to_core(version: int, body: FetchResponse, context: Context) -> rpc.FetchResponse:
    if body.error_code != ErrorCode.NONE or not body.responses:
        return rpc.FetchResponse(error_code=top_level_error(body.error_code))
    if len(body.responses) != 1 or len(body.responses[0].partitions) != 1:
        raise DecodeError("fetch answer without exactly one partition")
    part = body.responses[0].partitions[0]
    return rpc.FetchResponse(
        error_code=ErrorCode.NONE,
        partition_error_code=error_code(part.error_code),
        high_watermark=optional(part.high_watermark),
        log_start_offset=max(part.log_start_offset, 0),
        current_leader=current_leader_to_core(part.current_leader),
        diverging_epoch=offset_and_epoch_to_core(
            part.diverging_epoch.end_offset, part.diverging_epoch.epoch, "diverging epoch"
        ),
        snapshot_id=offset_and_epoch_to_core(
            part.snapshot_id.end_offset, part.snapshot_id.epoch, "snapshot id"
        ),
        records=scan_records(part.records),
        node_endpoints=node_endpoints_to_core(body.node_endpoints),
    )


def scan_records(data: bytes | None) -> Records | None:
    """Complete batches of a Fetch answer as `Records` (CRC checked, headers sane, contiguous,
    epochs in range); None when there are none. A trailing partial batch is dropped."""
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


def request_floor(request: rpc.FetchRequest) -> int:
    return TOPIC_ID_MIN_VERSION


# What the registry reads (`kraft.shell.apis.base.RaftApi`).
WIRE_REQUEST = FetchRequest
CORE_REQUEST, CORE_RESPONSE = rpc.FetchRequest, rpc.FetchResponse
