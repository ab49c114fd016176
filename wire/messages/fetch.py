"""Fetch (key 1), v4-18, flexible from v12.

Raft traps: `replica_id` exists only up to v14; from v15 the fetcher's identity is the tagged
`replica_state` (tag 1), absent for consumers. `cluster_id` is tagged 0 (v12+). Topics are
addressed by name up to v12 and by `topic_id` from v13. `FetchPartition.replica_directory_id` is
tagged 0 (v17+),
`FetchPartition.high_watermark` tagged 1 (v18, KIP-1166, 4.x). In the response, `diverging_epoch`,
`current_leader` and `snapshot_id` are tagged 0/1/2 (v12+) and `node_endpoints` tagged 0 (v16+).
`records` stay raw bytes: batches are served as stored, never re-encoded.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f

# Fetch names topics by id (TopicId) from version 13 on, by name before; Raft matches Fetch by
# topic id, so no lower version can carry a replica's request.
TOPIC_ID_MIN_VERSION = 13


@dataclass(frozen=True)
class FetchRequest(Message):
    API_KEY: ClassVar[int] = 1
    VERSIONS: ClassVar[Versions] = Versions(4, 18)
    FLEXIBLE: ClassVar[Versions] = Versions(12)

    @dataclass(frozen=True)
    class ReplicaState(Struct):
        replica_id: int = f("int32", "15+", default=-1)
        replica_epoch: int = f("int64", "15+", default=-1)

    @dataclass(frozen=True)
    class FetchTopic(Struct):
        @dataclass(frozen=True)
        class FetchPartition(Struct):
            partition: int = f("int32", "0+")
            current_leader_epoch: int = f("int32", "9+", default=-1, ignorable=True)
            fetch_offset: int = f("int64", "0+")
            last_fetched_epoch: int = f("int32", "12+", default=-1)
            log_start_offset: int = f("int64", "5+", default=-1, ignorable=True)
            partition_max_bytes: int = f("int32", "0+")
            replica_directory_id: uuid.UUID = f("uuid", "17+", tagged="17+", tag=0, ignorable=True)
            high_watermark: int = f(
                "int64", "18+", tagged="18+", tag=1, default=9223372036854775807, ignorable=True
            )

        topic: str = f("string", "0-12", ignorable=True)
        topic_id: uuid.UUID = f("uuid", "13+", ignorable=True)
        partitions: list[FetchPartition] = f([FetchPartition], "0+")

    @dataclass(frozen=True)
    class ForgottenTopic(Struct):
        topic: str = f("string", "7-12", ignorable=True)
        topic_id: uuid.UUID = f("uuid", "13+", ignorable=True)
        partitions: list[int] = f("[]int32", "7+")

    cluster_id: str | None = f(
        "string", "12+", nullable="12+", tagged="12+", tag=0, default=None, ignorable=True
    )
    replica_id: int = f("int32", "0-14", default=-1)
    replica_state: ReplicaState = f(ReplicaState, "15+", tagged="15+", tag=1)
    max_wait_ms: int = f("int32", "0+")
    min_bytes: int = f("int32", "0+")
    max_bytes: int = f("int32", "3+", default=2147483647, ignorable=True)
    isolation_level: int = f("int8", "4+", ignorable=True)
    session_id: int = f("int32", "7+", ignorable=True)
    session_epoch: int = f("int32", "7+", default=-1, ignorable=True)
    topics: list[FetchTopic] = f([FetchTopic], "0+")
    forgotten_topics_data: list[ForgottenTopic] = f([ForgottenTopic], "7+")
    rack_id: str = f("string", "11+", ignorable=True)


@dataclass(frozen=True)
class FetchResponse(Message):
    API_KEY: ClassVar[int] = 1
    VERSIONS: ClassVar[Versions] = Versions(4, 18)
    FLEXIBLE: ClassVar[Versions] = Versions(12)

    @dataclass(frozen=True)
    class FetchableTopicResponse(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            @dataclass(frozen=True)
            class EpochEndOffset(Struct):
                epoch: int = f("int32", "12+", default=-1)
                end_offset: int = f("int64", "12+", default=-1)

            @dataclass(frozen=True)
            class LeaderIdAndEpoch(Struct):
                leader_id: int = f("int32", "12+", default=-1)
                leader_epoch: int = f("int32", "12+", default=-1)

            @dataclass(frozen=True)
            class SnapshotId(Struct):
                end_offset: int = f("int64", "0+", default=-1)
                epoch: int = f("int32", "0+", default=-1)

            @dataclass(frozen=True)
            class AbortedTransaction(Struct):
                producer_id: int = f("int64", "4+")
                first_offset: int = f("int64", "4+")

            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            high_watermark: int = f("int64", "0+")
            last_stable_offset: int = f("int64", "4+", default=-1, ignorable=True)
            log_start_offset: int = f("int64", "5+", default=-1, ignorable=True)
            diverging_epoch: EpochEndOffset = f(EpochEndOffset, "12+", tagged="12+", tag=0)
            current_leader: LeaderIdAndEpoch = f(LeaderIdAndEpoch, "12+", tagged="12+", tag=1)
            snapshot_id: SnapshotId = f(SnapshotId, "12+", tagged="12+", tag=2)
            aborted_transactions: list[AbortedTransaction] | None = f(
                [AbortedTransaction], "4+", nullable="4+", ignorable=True
            )
            preferred_read_replica: int = f("int32", "11+", default=-1)
            records: bytes | None = f("records", "0+", nullable="0+", default=None)

        topic: str = f("string", "0-12", ignorable=True)
        topic_id: uuid.UUID = f("uuid", "13+", ignorable=True)
        partitions: list[PartitionData] = f([PartitionData], "0+")

    @dataclass(frozen=True)
    class NodeEndpoint(Struct):
        node_id: int = f("int32", "16+")
        host: str = f("string", "16+")
        port: int = f("int32", "16+")
        rack: str | None = f("string", "16+", nullable="16+", default=None)

    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    error_code: int = f("int16", "7+", ignorable=True)
    session_id: int = f("int32", "7+")
    responses: list[FetchableTopicResponse] = f([FetchableTopicResponse], "0+")
    node_endpoints: list[NodeEndpoint] = f([NodeEndpoint], "16+", tagged="16+", tag=0)
