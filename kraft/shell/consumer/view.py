"""What the consumer-facing handlers see of a node: one frozen snapshot and a batch reader.

The node owns its Raft state; the consumer APIs only ever read it. At the start of each request
(and again each time a parked fetch wakes up) the node hands over a `NodeView`, an immutable copy
of the few facts the Kafka consumer APIs expose, plus a `ConsumerPort` that reads stored batches
as bytes and lets a long-poll fetch wait for the high watermark (or the leadership) to move. The
leadership and log facts of a view are the core's own (`RaftNode.consumer_view()`,
kraft/handlers/consumer.py, the log view raft Fetch is answered from); the shell adds only the
cluster id, the listeners and its own shutdown.

Invariants the handlers rely on (the core guarantees them):
- `log_start_offset <= high_watermark <= log_end_offset` whenever `high_watermark` is known, and
  the high watermark handed over never moves backwards within one node process.
- `epoch_history` lists `(epoch, start_offset)` of the local log in ascending order of both.
- `read_batches` returns whole batches exactly as stored (CRC intact, never re-encoded), taken
  from the page cache at once or read on a thread that may block: it never blocks the trio thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kraft.handlers.consumer import committed_offset

# Kafka's wire sentinels, named once in `kraft.types`.
from kraft.types import (
    CONSUMER_REPLICA_ID,
    NO_EPOCH,
    NO_LEADER,
    NO_OFFSET,
    NO_TIMESTAMP,
    ReplicaAddress,
)

# Kafka's fixed identity of the metadata log (`Topic.CLUSTER_METADATA_TOPIC_*`, KAFKA-12457).
from wire import METADATA_PARTITION, METADATA_TOPIC_ID, METADATA_TOPIC_NAME

__all__ = [
    "CONSUMER_REPLICA_ID",
    "METADATA_PARTITION",
    "METADATA_TOPIC_ID",
    "METADATA_TOPIC_NAME",
    "NO_EPOCH",
    "NO_LEADER",
    "NO_OFFSET",
    "NO_TIMESTAMP",
]


@dataclass(frozen=True, slots=True)
class NodeView:
    """A read-only snapshot of one node, taken by the node when a consumer request arrives.

    `high_watermark` is the committed end known to this node (`None` while unknown, e.g. a fresh
    leader of a restarted node before it commits in its epoch); consumers never see past it.
    `leader_id` is `NO_LEADER` while no leader is known in `epoch`.
    """

    cluster_id: str
    local_id: int | None
    leader_id: int
    epoch: int
    is_leader: bool
    high_watermark: int | None
    log_start_offset: int
    log_end_offset: int
    epoch_history: tuple[tuple[int, int], ...]
    # Each voter and the address clients reach it at (its advertised listener).
    voters: tuple[ReplicaAddress, ...]
    listener: ReplicaAddress | None = None
    shutting_down: bool = False

    @property
    def committed_offset(self) -> int:
        """The offset consumers may read up to (exclusive): the high watermark, or the log start."""
        return committed_offset(self.high_watermark, self.log_start_offset)

    @property
    def voter_ids(self) -> list[int]:
        return [voter.node_id for voter in self.voters]

    def endpoint_of(self, node_id: int) -> ReplicaAddress | None:
        for voter in self.voters:
            if voter.node_id == node_id:
                return voter
        return None


class ConsumerPort(Protocol):
    """What the node provides to the consumer APIs (implemented by the node shell)."""

    def view(self) -> NodeView:
        """A fresh snapshot of the node's state."""
        ...

    async def read_batches(self, start_offset: int, end_offset: int, bytes_max: int) -> bytes:
        """Stored batches: the first contains `start_offset`, none reaches `end_offset`.

        At least one whole batch is returned when one fits the range, even above `bytes_max`;
        further batches only while the total stays within `bytes_max`. Empty when a truncation
        or a reset of the log raced the read (the log changed under it): ask again.
        """
        ...

    async def wait_for_change(self, timeout_ms: int) -> None:
        """Return when the high watermark, epoch or leader may have moved, or at the timeout."""
        ...
