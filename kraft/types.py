"""Small value types shared by the whole Raft core and its executors (shell, simulator).

Kafka's words are used throughout: *epoch* (the paper's term), *offset* (the paper's index),
*high watermark* (the paper's commit index), *voter*, *observer*, *replica id*, *directory id*.

Sentinels: inside the core "unknown" is `None`; Kafka's negative sentinels appear only where the
protocol itself gives them meaning (a negative *replica id* on a Fetch means "track nothing for this
fetcher", bootstrap servers have negative node ids). They are named here and never written as bare
numbers elsewhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

# Replica id an id-less observer (or any consumer-like fetcher) sends in Fetch / FetchSnapshot.
CONSUMER_REPLICA_ID = -1
# Kafka's "absent" for an id, epoch, offset or timestamp on the wire; the core uses None.
NO_LEADER = -1
NO_REPLICA_ID = -1  # VoterId (Vote/BeginQuorumEpoch v1+): the receiver's id is not known
NO_EPOCH = -1
NO_OFFSET = -1
NO_TIMESTAMP = -1
# The zero UUID: "directory id unknown" (Kafka's Uuid.ZERO_UUID).
ZERO_DIRECTORY_ID = uuid.UUID(int=0)
# Bootstrap server i (0-based, in configuration order) gets node id FIRST_BOOTSTRAP_NODE_ID - i,
# i.e. -2, -3, ... as upstream's `RequestManager`, so they never collide with real replica ids.
FIRST_BOOTSTRAP_NODE_ID = -2


@dataclass(frozen=True, slots=True)
class ReplicaKey:
    """A replica's identity: id plus, when known, its log directory id (KIP-853)."""

    id: int
    directory_id: uuid.UUID | None = None

    def matches(self, other: ReplicaKey) -> bool:
        """Same id, and same directory id when both sides know one (Kafka's voter-key match)."""
        if self.id != other.id:
            return False
        if self.directory_id is None or other.directory_id is None:
            return True
        if self.directory_id == ZERO_DIRECTORY_ID or other.directory_id == ZERO_DIRECTORY_ID:
            return True
        return self.directory_id == other.directory_id


@dataclass(frozen=True, slots=True, order=True)
class OffsetAndEpoch:
    """(offset, epoch): a snapshot id, a diverging-epoch answer, or a log position.

    Ordering compares the offset first; use `log_position_key` for up-to-dateness (epoch first).
    """

    offset: int
    epoch: int


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A listener address of a replica."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class ReplicaAddress:
    """Where an outbound request goes. `node_id` is the replica id, or -2, -3, ... for the
    bootstrap servers (see `FIRST_BOOTSTRAP_NODE_ID`)."""

    node_id: int
    host: str
    port: int

    @property
    def is_bootstrap(self) -> bool:
        return self.node_id <= FIRST_BOOTSTRAP_NODE_ID


@dataclass(frozen=True, slots=True)
class LeaderAndEpoch:
    """The leader a replica currently knows (None = unknown) in its current epoch."""

    leader_id: int | None
    epoch: int


@dataclass(frozen=True, slots=True)
class ElectionState:
    """The durable part of a replica's epoch state (Kafka's `ElectionState` / quorum-state file).

    `leader_id` and `voted_id` may both be set in one epoch (pre-vote era: a replica that voted and
    then learned the leader of that same epoch).
    """

    epoch: int
    leader_id: int | None = None
    voted_id: int | None = None
    voted_directory_id: uuid.UUID | None = None
    voters: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        assert self.epoch >= 0, self
        assert self.voted_directory_id is None or self.voted_id is not None, self


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """What the core needs to know about one stored record batch v2 (filled by the executor from
    the 61-byte batch header; the core never parses bytes)."""

    base_offset: int
    last_offset: int
    epoch: int
    size_bytes: int
    is_control: bool

    def __post_init__(self) -> None:
        assert self.base_offset >= 0 and self.last_offset >= self.base_offset, self
        assert self.epoch >= 0 and self.size_bytes > 0, self


@dataclass(frozen=True, slots=True)
class Records:
    """Whole record batches as bytes plus their parsed headers, in offset order, contiguous."""

    data: bytes
    batches: tuple[BatchInfo, ...]

    def __post_init__(self) -> None:
        assert sum(b.size_bytes for b in self.batches) == len(self.data), "batches must cover data"
        for prev, cur in zip(self.batches, self.batches[1:], strict=False):
            assert cur.base_offset == prev.last_offset + 1, "batches must be contiguous"

    @property
    def base_offset(self) -> int:
        assert self.batches, "empty Records has no base offset"
        return self.batches[0].base_offset

    @property
    def end_offset(self) -> int:
        """One past the last offset."""
        assert self.batches, "empty Records has no end offset"
        return self.batches[-1].last_offset + 1


class BatchCodec(Protocol):
    """Pure functions that build record batch v2 bytes (injected: the core never builds bytes).

    The shell and the simulator pass an implementation backed by `wire.records`; unit tests may pass
    a fake. Both builders return exactly one batch whose header carries `base_offset` and, as the
    partition leader epoch, `epoch`.
    """

    def build_data_batch(
        self, base_offset: int, epoch: int, timestamp_ms: int, values: list[bytes]
    ) -> bytes:
        """One data batch, compression none, one record per value, offsets base_offset...."""
        ...

    def build_leader_change_batch(
        self,
        base_offset: int,
        epoch: int,
        timestamp_ms: int,
        leader_id: int,
        voters: list[int],
        granting_voters: list[int],
    ) -> bytes:
        """One control batch holding one LeaderChange record (LeaderChangeMessage v0)."""
        ...
