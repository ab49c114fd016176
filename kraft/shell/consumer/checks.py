"""Pure decisions shared by the consumer APIs: partition identity, leader-epoch checks, epoch math.

These follow what a Kafka broker answers a consumer for one partition it leads (in Kafka's order:
topic/partition known, then the client's CurrentLeaderEpoch against ours, then leadership), with
the Raft epoch in the role of the partition leader epoch.
"""

from __future__ import annotations

import uuid

from kraft.shell.consumer.view import (
    METADATA_PARTITION,
    METADATA_TOPIC_ID,
    METADATA_TOPIC_NAME,
    NO_EPOCH,
    NO_OFFSET,
    NodeView,
)
from wire.errors import ErrorCode

# The client's "I do not know the leader epoch" (KIP-320 CurrentLeaderEpoch default).
UNKNOWN_CURRENT_LEADER_EPOCH = -1


def is_metadata_topic(name: str | None) -> bool:
    return name == METADATA_TOPIC_NAME


def is_metadata_topic_id(topic_id: uuid.UUID) -> bool:
    return topic_id == METADATA_TOPIC_ID


def check_partition(
    view: NodeView, partition: int, current_leader_epoch: int, *, require_leader: bool = True
) -> ErrorCode:
    """The error a broker gives a consumer for (partition, CurrentLeaderEpoch) of the metadata log.

    The topic itself is checked by the caller (by name or id, whose error codes differ).
    """
    if partition != METADATA_PARTITION:
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    if current_leader_epoch != UNKNOWN_CURRENT_LEADER_EPOCH:
        if current_leader_epoch < view.epoch:
            return ErrorCode.FENCED_LEADER_EPOCH
        if current_leader_epoch > view.epoch:
            return ErrorCode.UNKNOWN_LEADER_EPOCH
    # A leader shutting down is handing its leadership over, as a broker in a controlled shutdown
    # moves its partitions away: "not the leader" is what clients retry (refresh metadata, find
    # the next leader). BROKER_NOT_AVAILABLE is fatal to kafka-python's fetcher.
    if require_leader and (not view.is_leader or view.shutting_down):
        return ErrorCode.NOT_LEADER_OR_FOLLOWER
    return ErrorCode.NONE


def end_offset_for_epoch(
    epoch_history: tuple[tuple[int, int], ...], requested_epoch: int, log_end_offset: int
) -> tuple[int, int]:
    """(epoch, end offset) that answers OffsetForLeaderEpoch for `requested_epoch` (KIP-101/320).

    The end offset of an epoch is the start offset of the first larger epoch in the log, or the
    log end for the latest epoch. The epoch returned is the largest one <= the requested epoch
    (the requested one if it precedes the whole history). An epoch newer than the log's latest,
    or an empty history, is unknown: (NO_EPOCH, NO_OFFSET).
    """
    if requested_epoch < 0 or not epoch_history:
        return NO_EPOCH, NO_OFFSET
    latest_epoch = epoch_history[-1][0]
    if requested_epoch == latest_epoch:
        return latest_epoch, log_end_offset
    floor_epoch: int | None = None
    for epoch, start_offset in epoch_history:
        if epoch > requested_epoch:
            return (requested_epoch if floor_epoch is None else floor_epoch), start_offset
        floor_epoch = epoch
    return NO_EPOCH, NO_OFFSET


def epoch_for_offset(epoch_history: tuple[tuple[int, int], ...], offset: int) -> int:
    """The epoch of the record at `offset` (or of the next record appended there)."""
    found = NO_EPOCH
    for epoch, start_offset in epoch_history:
        if start_offset > offset:
            break
        found = epoch
    return found
