"""DescribeQuorum (key 55), v0-2, flexible from v0. `ReplicaState` serves both `current_voters` and
`observers` (upstream's common struct, declared once).
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeQuorumRequest(Message):
    API_KEY: ClassVar[int] = 55
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            partition_index: int = f("int32", "0+")

        topic_name: str = f("string", "0+")
        partitions: list[PartitionData] = f([PartitionData], "0+")

    topics: list[TopicData] = f([TopicData], "0+")


@dataclass(frozen=True)
class DescribeQuorumResponse(Message):
    API_KEY: ClassVar[int] = 55
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            @dataclass(frozen=True)
            class ReplicaState(Struct):
                replica_id: int = f("int32", "0+")
                replica_directory_id: uuid.UUID = f("uuid", "2+")
                log_end_offset: int = f("int64", "0+")
                last_fetch_timestamp: int = f("int64", "1+", default=-1, ignorable=True)
                last_caught_up_timestamp: int = f("int64", "1+", default=-1, ignorable=True)

            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "2+", nullable="2+", ignorable=True)
            leader_id: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+")
            high_watermark: int = f("int64", "0+")
            current_voters: list[ReplicaState] = f([ReplicaState], "0+")
            observers: list[ReplicaState] = f([ReplicaState], "0+")

        topic_name: str = f("string", "0+")
        partitions: list[PartitionData] = f([PartitionData], "0+")

    @dataclass(frozen=True)
    class Node(Struct):
        @dataclass(frozen=True)
        class Listener(Struct):
            name: str = f("string", "2+")
            host: str = f("string", "2+")
            port: int = f("uint16", "2+")

        node_id: int = f("int32", "2+")
        listeners: list[Listener] = f([Listener], "2+")

    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "2+", nullable="2+", ignorable=True)
    topics: list[TopicData] = f([TopicData], "0+")
    nodes: list[Node] = f([Node], "2+")
