"""Core-owned Raft RPC values: what the semantics need, independent of wire versions.

The shell (and the simulator) translate between wire dataclasses and these. Conventions:

- `cluster_id`: the request's cluster id, None when the version has none or it was null (accepted).
- `topic_partition_valid`: the executor checked "exactly one topic with exactly one partition, and
  it is ours" (Fetch by topic id, the others by name; see RAFT-BRIEF §2.1). False -> INVALID_REQUEST
  (DescribeQuorum: UNKNOWN_TOPIC_OR_PARTITION).
- Errors: `error_code` is the top-level error, `partition_error_code` the partition-level one; a
  response with a top-level error carries no meaningful partition data.
- Unknown leader / epoch / high watermark are None here; the shell writes Kafka's -1.
- Replica ids keep Kafka's meaning: a negative `replica_id` on Fetch/FetchSnapshot means "do not
  track this fetcher" (id-less observers send `CONSUMER_REPLICA_ID`).
- `voter_key` (Vote/BeginQuorumEpoch v1+: VoterId + VoterDirectoryId, the *receiver's* key) is None
  for v0 requests, which carry none.
- `node_endpoints` maps replica id -> endpoint on the listener in use (v1+/v16+ NodeEndpoints); the
  shell drops it for versions without the field.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from kraft.types import Endpoint, LeaderAndEpoch, OffsetAndEpoch, Records, ReplicaKey
from wire.errors import ErrorCode


# --------------------------------------------------------------------------------------- Vote
@dataclass(frozen=True, slots=True)
class VoteRequest:
    cluster_id: str | None
    topic_partition_valid: bool
    candidate_key: ReplicaKey  # ReplicaId (CandidateId) + ReplicaDirectoryId
    candidate_epoch: int  # ReplicaEpoch (CandidateEpoch before v2)
    last_offset_epoch: int
    last_offset: int
    pre_vote: bool = False
    voter_key: ReplicaKey | None = None  # the receiver, v1+


@dataclass(frozen=True, slots=True)
class VoteResponse:
    error_code: ErrorCode
    partition_error_code: ErrorCode = ErrorCode.NONE
    leader_id: int | None = None
    leader_epoch: int | None = None
    vote_granted: bool = False
    node_endpoints: Mapping[int, Endpoint] = field(default_factory=dict)


# --------------------------------------------------------------------------- BeginQuorumEpoch
@dataclass(frozen=True, slots=True)
class BeginQuorumEpochRequest:
    cluster_id: str | None
    topic_partition_valid: bool
    leader_id: int
    leader_epoch: int
    leader_endpoint: Endpoint | None = None  # LeaderEndpoints (v1+) on our listener
    voter_key: ReplicaKey | None = None  # the receiver, v1+


@dataclass(frozen=True, slots=True)
class BeginQuorumEpochResponse:
    error_code: ErrorCode
    partition_error_code: ErrorCode = ErrorCode.NONE
    leader_id: int | None = None
    leader_epoch: int | None = None
    node_endpoints: Mapping[int, Endpoint] = field(default_factory=dict)


# ----------------------------------------------------------------------------- EndQuorumEpoch
@dataclass(frozen=True, slots=True)
class EndQuorumEpochRequest:
    cluster_id: str | None
    topic_partition_valid: bool
    leader_id: int
    leader_epoch: int
    # PreferredSuccessors (v0, ids only) / PreferredCandidates (v1+), most caught up first.
    preferred_candidates: tuple[ReplicaKey, ...] = ()
    leader_endpoint: Endpoint | None = None


@dataclass(frozen=True, slots=True)
class EndQuorumEpochResponse:
    error_code: ErrorCode
    partition_error_code: ErrorCode = ErrorCode.NONE
    leader_id: int | None = None
    leader_epoch: int | None = None
    node_endpoints: Mapping[int, Endpoint] = field(default_factory=dict)


# ------------------------------------------------------------------------------------- Fetch
@dataclass(frozen=True, slots=True)
class FetchRequest:
    cluster_id: str | None
    topic_partition_valid: bool
    replica_id: int  # negative: untracked fetcher (CONSUMER_REPLICA_ID)
    max_wait_ms: int
    fetch_offset: int
    last_fetched_epoch: int
    current_leader_epoch: int
    max_bytes: int
    replica_directory_id: uuid.UUID | None = None  # v17+
    # v18 HighWatermark: the fetcher's known HW (None: field absent / INT64_MAX).
    high_watermark: int | None = None


@dataclass(frozen=True, slots=True)
class LogRead:
    """Placeholder the executor replaces with bytes read from its log before sending.

    Read whole stored batches starting with the batch that contains `start_offset`, stopping before
    `end_offset_limit` (exclusive; batches crossing it are not included) and once `bytes_max` is
    reached, but always at least one batch if one starts below `end_offset_limit`. The result may be
    empty (no records). `end_offset_limit` is the leader's log end offset for raft fetchers, the
    high watermark for a consumer-style fetch.
    """

    start_offset: int
    bytes_max: int
    end_offset_limit: int


@dataclass(frozen=True, slots=True)
class FetchResponse:
    error_code: ErrorCode
    partition_error_code: ErrorCode = ErrorCode.NONE
    high_watermark: int | None = None
    log_start_offset: int = 0
    current_leader: LeaderAndEpoch | None = None
    diverging_epoch: OffsetAndEpoch | None = None  # (end offset, epoch)
    snapshot_id: OffsetAndEpoch | None = None  # (end offset, epoch)
    # Leader -> executor: LogRead. Executor -> core (received): Records, or None when empty.
    records: Records | LogRead | None = None
    node_endpoints: Mapping[int, Endpoint] = field(default_factory=dict)


# ----------------------------------------------------------------------------- FetchSnapshot
@dataclass(frozen=True, slots=True)
class FetchSnapshotRequest:
    cluster_id: str | None
    topic_partition_valid: bool
    replica_id: int
    current_leader_epoch: int
    snapshot_id: OffsetAndEpoch
    position: int
    max_bytes: int
    replica_directory_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class SnapshotRead:
    """Placeholder: bytes [position, position + bytes_max) of snapshot `snapshot_id`'s file."""

    snapshot_id: OffsetAndEpoch
    position: int
    bytes_max: int


@dataclass(frozen=True, slots=True)
class FetchSnapshotResponse:
    error_code: ErrorCode
    partition_error_code: ErrorCode = ErrorCode.NONE
    snapshot_id: OffsetAndEpoch | None = None
    current_leader: LeaderAndEpoch | None = None
    size: int = 0
    position: int = 0
    data: bytes | SnapshotRead = b""
    node_endpoints: Mapping[int, Endpoint] = field(default_factory=dict)


# ---------------------------------------------------------------------------- DescribeQuorum
@dataclass(frozen=True, slots=True)
class DescribeQuorumRequest:
    topic_partition_valid: bool


@dataclass(frozen=True, slots=True)
class ReplicaDescription:
    """One voter or observer as DescribeQuorum reports it (None = -1 on the wire)."""

    replica_id: int
    directory_id: uuid.UUID | None
    log_end_offset: int | None
    last_fetch_timestamp_ms: int | None
    last_caught_up_timestamp_ms: int | None


@dataclass(frozen=True, slots=True)
class DescribeQuorumResponse:
    error_code: ErrorCode
    partition_error_code: ErrorCode = ErrorCode.NONE
    leader_id: int | None = None
    leader_epoch: int | None = None
    high_watermark: int | None = None
    voters: tuple[ReplicaDescription, ...] = ()
    observers: tuple[ReplicaDescription, ...] = ()
    nodes: Mapping[int, Endpoint] = field(default_factory=dict)  # v2+: the voters' listeners


Request = (
    VoteRequest
    | BeginQuorumEpochRequest
    | EndQuorumEpochRequest
    | FetchRequest
    | FetchSnapshotRequest
    | DescribeQuorumRequest
)
Response = (
    VoteResponse
    | BeginQuorumEpochResponse
    | EndQuorumEpochResponse
    | FetchResponse
    | FetchSnapshotResponse
    | DescribeQuorumResponse
)
