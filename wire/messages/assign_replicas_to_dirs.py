"""AssignReplicasToDirs (key 73), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class AssignReplicasToDirsRequest(Message):
    API_KEY: ClassVar[int] = 73
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DirectoryData(Struct):
        @dataclass(frozen=True)
        class TopicData(Struct):
            @dataclass(frozen=True)
            class PartitionData(Struct):
                partition_index: int = f("int32", "0+")

            topic_id: uuid.UUID = f("uuid", "0+")
            partitions: list[PartitionData] = f([PartitionData], "0+")

        id: uuid.UUID = f("uuid", "0+")
        topics: list[TopicData] = f([TopicData], "0+")

    broker_id: int = f("int32", "0+")
    broker_epoch: int = f("int64", "0+", default=-1)
    directories: list[DirectoryData] = f([DirectoryData], "0+")


@dataclass(frozen=True)
class AssignReplicasToDirsResponse(Message):
    API_KEY: ClassVar[int] = 73
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DirectoryData(Struct):
        @dataclass(frozen=True)
        class TopicData(Struct):
            @dataclass(frozen=True)
            class PartitionData(Struct):
                partition_index: int = f("int32", "0+")
                error_code: int = f("int16", "0+")

            topic_id: uuid.UUID = f("uuid", "0+")
            partitions: list[PartitionData] = f([PartitionData], "0+")

        id: uuid.UUID = f("uuid", "0+")
        topics: list[TopicData] = f([TopicData], "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    directories: list[DirectoryData] = f([DirectoryData], "0+")
