"""DescribeTopicPartitions (key 75), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeTopicPartitionsRequest(Message):
    API_KEY: ClassVar[int] = 75
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicRequest(Struct):
        name: str = f("string", "0+")

    @dataclass(frozen=True)
    class Cursor(Struct):
        topic_name: str = f("string", "0+")
        partition_index: int = f("int32", "0+")

    topics: list[TopicRequest] = f([TopicRequest], "0+")
    response_partition_limit: int = f("int32", "0+", default=2000)
    cursor: Cursor | None = f(Cursor, "0+", nullable="0+", default=None)


@dataclass(frozen=True)
class DescribeTopicPartitionsResponse(Message):
    API_KEY: ClassVar[int] = 75
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DescribeTopicPartitionsResponseTopic(Struct):
        @dataclass(frozen=True)
        class DescribeTopicPartitionsResponsePartition(Struct):
            error_code: int = f("int16", "0+")
            partition_index: int = f("int32", "0+")
            leader_id: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+", default=-1, ignorable=True)
            replica_nodes: list[int] = f("[]int32", "0+")
            isr_nodes: list[int] = f("[]int32", "0+")
            eligible_leader_replicas: list[int] | None = f(
                "[]int32", "0+", nullable="0+", default=None
            )
            last_known_elr: list[int] | None = f("[]int32", "0+", nullable="0+", default=None)
            offline_replicas: list[int] = f("[]int32", "0+", ignorable=True)

        error_code: int = f("int16", "0+")
        name: str | None = f("string", "0+", nullable="0+")
        topic_id: uuid.UUID = f("uuid", "0+", ignorable=True)
        is_internal: bool = f("bool", "0+", ignorable=True)
        partitions: list[DescribeTopicPartitionsResponsePartition] = f(
            [DescribeTopicPartitionsResponsePartition], "0+"
        )
        topic_authorized_operations: int = f("int32", "0+", default=-2147483648)

    @dataclass(frozen=True)
    class Cursor(Struct):
        topic_name: str = f("string", "0+")
        partition_index: int = f("int32", "0+")

    throttle_time_ms: int = f("int32", "0+", ignorable=True)
    topics: list[DescribeTopicPartitionsResponseTopic] = f(
        [DescribeTopicPartitionsResponseTopic], "0+"
    )
    next_cursor: Cursor | None = f(Cursor, "0+", nullable="0+", default=None)
