"""ListOffsets and OffsetForLeaderEpoch for consumers of `__cluster_metadata` partition 0.

ListOffsets (leader only, like a broker for a consumer): earliest (-2) and earliest-local (-4) are
the log start offset; latest (-1) is the high watermark for both isolation levels (no transactions,
so the last stable offset equals the high watermark); max-timestamp (-3) is the committed batch
with the largest timestamp; latest-tiered (-5) and earliest-pending-upload (-6) have no tiered
storage behind them and answer "no offset"; any other timestamp is a search for the first
committed batch whose max timestamp reaches it. Offsets never exceed the high watermark.

OffsetForLeaderEpoch (KIP-320): the end offset of the requested epoch from the leader's epoch
history, so a consumer can detect that its position lies past a truncation point.
"""

from __future__ import annotations

from kraft.handlers.consumer import epoch_end_offset, epoch_of_offset
from kraft.shell.consumer.checks import check_partition, is_metadata_topic
from kraft.shell.consumer.view import NO_EPOCH, NO_OFFSET, NO_TIMESTAMP, ConsumerPort, NodeView
from wire.errors import DecodeError, ErrorCode
from wire.messages.list_offsets import (
    EARLIEST_LOCAL_TIMESTAMP,
    EARLIEST_PENDING_UPLOAD_TIMESTAMP,
    EARLIEST_TIMESTAMP,
    LATEST_TIERED_TIMESTAMP,
    LATEST_TIMESTAMP,
    MAX_TIMESTAMP,
    ListOffsetsRequest,
    ListOffsetsResponse,
)
from wire.messages.offset_for_leader_epoch import (
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
)
from wire.records.batch import iter_batches

# Bytes read per step when searching the committed log by timestamp.
TIMESTAMP_SCAN_CHUNK_BYTES = 1024 * 1024

_LIST_OFFSETS_EPOCH_VERSION_MIN = 4
_PartitionResponse = ListOffsetsResponse.ListOffsetsTopicResponse.ListOffsetsPartitionResponse


async def _scan_committed(
    port: ConsumerPort, view: NodeView, target_timestamp: int | None
) -> tuple[int, int]:
    """(timestamp, offset) of the first committed batch reaching `target_timestamp`.

    With `target_timestamp=None`, the batch with the largest max timestamp (first of equals).
    """
    best: tuple[int, int] = (NO_TIMESTAMP, NO_OFFSET)
    position = view.log_start_offset
    end = view.committed_offset
    while position < end:
        chunk = await port.read_batches(position, end, TIMESTAMP_SCAN_CHUNK_BYTES)
        if not chunk:
            break
        try:
            headers = [header for _, header in iter_batches(chunk)]
        except DecodeError:
            break
        if not headers:
            break
        for header in headers:
            if target_timestamp is None:
                if header.max_timestamp > best[0]:
                    best = (header.max_timestamp, header.base_offset)
            elif header.max_timestamp >= target_timestamp:
                return header.max_timestamp, max(header.base_offset, view.log_start_offset)
        position = headers[-1].next_offset
    return best


async def _list_offset(
    port: ConsumerPort, view: NodeView, timestamp: int
) -> tuple[int, int]:  # (timestamp, offset)
    if timestamp in (EARLIEST_TIMESTAMP, EARLIEST_LOCAL_TIMESTAMP):
        return NO_TIMESTAMP, view.log_start_offset
    if timestamp == LATEST_TIMESTAMP:
        return NO_TIMESTAMP, view.committed_offset
    if timestamp in (LATEST_TIERED_TIMESTAMP, EARLIEST_PENDING_UPLOAD_TIMESTAMP):
        return NO_TIMESTAMP, NO_OFFSET
    if timestamp == MAX_TIMESTAMP:
        return await _scan_committed(port, view, None)
    return await _scan_committed(port, view, timestamp)


async def handle_list_offsets(
    request: ListOffsetsRequest, version: int, view: NodeView, port: ConsumerPort
) -> ListOffsetsResponse:
    topics = []
    for topic in request.topics:
        partitions = []
        for wanted in topic.partitions:
            if not is_metadata_topic(topic.name):
                error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            else:
                error = check_partition(view, wanted.partition_index, wanted.current_leader_epoch)
            if error != ErrorCode.NONE:
                partitions.append(
                    _PartitionResponse(partition_index=wanted.partition_index, error_code=error)
                )
                continue
            found_timestamp, offset = await _list_offset(port, view, wanted.timestamp)
            found_epoch = (
                None if offset == NO_OFFSET else epoch_of_offset(view.epoch_history, offset)
            )
            epoch = NO_EPOCH if found_epoch is None else found_epoch
            partitions.append(
                _PartitionResponse(
                    partition_index=wanted.partition_index,
                    error_code=ErrorCode.NONE,
                    timestamp=found_timestamp,
                    offset=offset,
                    # The field exists from v4 only (not ignorable).
                    leader_epoch=epoch if version >= _LIST_OFFSETS_EPOCH_VERSION_MIN else NO_EPOCH,
                )
            )
        topics.append(
            ListOffsetsResponse.ListOffsetsTopicResponse(name=topic.name, partitions=partitions)
        )
    return ListOffsetsResponse(topics=topics)


_EpochEndOffset = OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult.EpochEndOffset


def handle_offset_for_leader_epoch(
    request: OffsetForLeaderEpochRequest, version: int, view: NodeView
) -> OffsetForLeaderEpochResponse:
    topics = []
    for topic in request.topics:
        partitions = []
        for wanted in topic.partitions:
            if not is_metadata_topic(topic.topic):
                error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            else:
                error = check_partition(view, wanted.partition, wanted.current_leader_epoch)
            if error != ErrorCode.NONE:
                partitions.append(
                    _EpochEndOffset(
                        error_code=error,
                        partition=wanted.partition,
                        leader_epoch=NO_EPOCH,
                        end_offset=NO_OFFSET,
                    )
                )
                continue
            end = epoch_end_offset(view.epoch_history, wanted.leader_epoch, view.log_end_offset)
            partitions.append(
                _EpochEndOffset(
                    error_code=ErrorCode.NONE,
                    partition=wanted.partition,
                    leader_epoch=NO_EPOCH if end is None else end.epoch,
                    end_offset=NO_OFFSET if end is None else end.offset,
                )
            )
        topics.append(
            OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult(
                topic=topic.topic, partitions=partitions
            )
        )
    return OffsetForLeaderEpochResponse(topics=topics)
