"""FetchSnapshot (key 59), v0-1, flexible from v0. `cluster_id` is tagged 0;
`unaligned_records` are raw bytes (a slice of the snapshot file, not batch-aligned).
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class FetchSnapshotRequest(Message):
    API_KEY: ClassVar[int] = 59
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicSnapshot(Struct):
        @dataclass(frozen=True)
        class PartitionSnapshot(Struct):
            @dataclass(frozen=True)
            class SnapshotId(Struct):
                end_offset: int = f("int64", "0+")
                epoch: int = f("int32", "0+")

            partition: int = f("int32", "0+")
            current_leader_epoch: int = f("int32", "0+")
            snapshot_id: SnapshotId = f(SnapshotId, "0+")
            position: int = f("int64", "0+")
            replica_directory_id: uuid.UUID = f("uuid", "1+", tagged="1+", tag=0, ignorable=True)

        name: str = f("string", "0+")
        partitions: list[PartitionSnapshot] = f([PartitionSnapshot], "0+")

    cluster_id: str | None = f("string", "0+", nullable="0+", tagged="0+", tag=0, default=None)
    replica_id: int = f("int32", "0+", default=-1)
    max_bytes: int = f("int32", "0+", default=2147483647)
    topics: list[TopicSnapshot] = f([TopicSnapshot], "0+")


@dataclass(frozen=True)
class FetchSnapshotResponse(Message):
    API_KEY: ClassVar[int] = 59
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicSnapshot(Struct):
        @dataclass(frozen=True)
        class PartitionSnapshot(Struct):
            @dataclass(frozen=True)
            class SnapshotId(Struct):
                end_offset: int = f("int64", "0+")
                epoch: int = f("int32", "0+")

            @dataclass(frozen=True)
            class LeaderIdAndEpoch(Struct):
                leader_id: int = f("int32", "0+")
                leader_epoch: int = f("int32", "0+")

            index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            snapshot_id: SnapshotId = f(SnapshotId, "0+")
            current_leader: LeaderIdAndEpoch = f(LeaderIdAndEpoch, "0+", tagged="0+", tag=0)
            size: int = f("int64", "0+")
            position: int = f("int64", "0+")
            unaligned_records: bytes = f("records", "0+")

        name: str = f("string", "0+")
        partitions: list[PartitionSnapshot] = f([PartitionSnapshot], "0+")

    @dataclass(frozen=True)
    class NodeEndpoint(Struct):
        node_id: int = f("int32", "1+")
        host: str = f("string", "1+")
        port: int = f("uint16", "1+")

    throttle_time_ms: int = f("int32", "0+", ignorable=True)
    error_code: int = f("int16", "0+")
    topics: list[TopicSnapshot] = f([TopicSnapshot], "0+")
    node_endpoints: list[NodeEndpoint] = f([NodeEndpoint], "1+", tagged="1+", tag=0)
