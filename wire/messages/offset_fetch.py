"""OffsetFetch (key 9), v1-10, flexible from v6."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class OffsetFetchRequest(Message):
    API_KEY: ClassVar[int] = 9
    VERSIONS: ClassVar[Versions] = Versions(1, 10)
    FLEXIBLE: ClassVar[Versions] = Versions(6)

    @dataclass(frozen=True)
    class OffsetFetchRequestTopic(Struct):
        name: str = f("string", "0-7")
        partition_indexes: list[int] = f("[]int32", "0-7")

    @dataclass(frozen=True)
    class OffsetFetchRequestGroup(Struct):
        @dataclass(frozen=True)
        class OffsetFetchRequestTopics(Struct):
            name: str = f("string", "8-9", ignorable=True)
            topic_id: uuid.UUID = f("uuid", "10+", ignorable=True)
            partition_indexes: list[int] = f("[]int32", "8+")

        group_id: str = f("string", "8+")
        member_id: str | None = f("string", "9+", nullable="9+", default=None, ignorable=True)
        member_epoch: int = f("int32", "9+", default=-1, ignorable=True)
        topics: list[OffsetFetchRequestTopics] | None = f(
            [OffsetFetchRequestTopics], "8+", nullable="8+"
        )

    group_id: str = f("string", "0-7")
    topics: list[OffsetFetchRequestTopic] | None = f(
        [OffsetFetchRequestTopic], "0-7", nullable="2-7"
    )
    groups: list[OffsetFetchRequestGroup] = f([OffsetFetchRequestGroup], "8+")
    require_stable: bool = f("bool", "7+")


@dataclass(frozen=True)
class OffsetFetchResponse(Message):
    API_KEY: ClassVar[int] = 9
    VERSIONS: ClassVar[Versions] = Versions(1, 10)
    FLEXIBLE: ClassVar[Versions] = Versions(6)

    @dataclass(frozen=True)
    class OffsetFetchResponseTopic(Struct):
        @dataclass(frozen=True)
        class OffsetFetchResponsePartition(Struct):
            partition_index: int = f("int32", "0-7")
            committed_offset: int = f("int64", "0-7")
            committed_leader_epoch: int = f("int32", "5-7", default=-1, ignorable=True)
            metadata: str | None = f("string", "0-7", nullable="0-7")
            error_code: int = f("int16", "0-7")

        name: str = f("string", "0-7")
        partitions: list[OffsetFetchResponsePartition] = f([OffsetFetchResponsePartition], "0-7")

    @dataclass(frozen=True)
    class OffsetFetchResponseGroup(Struct):
        @dataclass(frozen=True)
        class OffsetFetchResponseTopics(Struct):
            @dataclass(frozen=True)
            class OffsetFetchResponsePartitions(Struct):
                partition_index: int = f("int32", "8+")
                committed_offset: int = f("int64", "8+")
                committed_leader_epoch: int = f("int32", "8+", default=-1, ignorable=True)
                metadata: str | None = f("string", "8+", nullable="8+")
                error_code: int = f("int16", "8+")

            name: str = f("string", "8-9", ignorable=True)
            topic_id: uuid.UUID = f("uuid", "10+", ignorable=True)
            partitions: list[OffsetFetchResponsePartitions] = f(
                [OffsetFetchResponsePartitions], "8+"
            )

        group_id: str = f("string", "8+")
        topics: list[OffsetFetchResponseTopics] = f([OffsetFetchResponseTopics], "8+")
        error_code: int = f("int16", "8+")

    throttle_time_ms: int = f("int32", "3+", ignorable=True)
    topics: list[OffsetFetchResponseTopic] = f([OffsetFetchResponseTopic], "0-7")
    error_code: int = f("int16", "2-7", ignorable=True)
    groups: list[OffsetFetchResponseGroup] = f([OffsetFetchResponseGroup], "8+")
