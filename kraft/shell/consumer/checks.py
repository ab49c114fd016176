"""Wire-side checks shared by the consumer APIs: the metadata log's identity, and Kafka's -1s.

The rules themselves (leader epochs, leadership, offset ranges, epoch end offsets) are the core's,
in `kraft.handlers.consumer`; this module applies them to a `NodeView` in Kafka's order (topic and
partition known, then the client's CurrentLeaderEpoch against ours, then leadership).
"""

from __future__ import annotations

import uuid

from kraft.handlers.consumer import partition_error
from kraft.shell.consumer.view import (
    METADATA_PARTITION,
    METADATA_TOPIC_ID,
    METADATA_TOPIC_NAME,
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
    known_epoch = (
        None if current_leader_epoch == UNKNOWN_CURRENT_LEADER_EPOCH else current_leader_epoch
    )
    # A leader shutting down answers "not the leader", which clients retry (refresh metadata, find
    # the next leader); BROKER_NOT_AVAILABLE is fatal to kafka-python's fetcher.
    return partition_error(
        view.epoch,
        known_epoch,
        is_leader=view.is_leader,
        shutting_down=view.shutting_down,
        require_leader=require_leader,
    )
