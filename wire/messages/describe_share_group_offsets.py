"""DescribeShareGroupOffsets (key 90), v0-1, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeShareGroupOffsetsRequest(Message):
    API_KEY: ClassVar[int] = 90
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DescribeShareGroupOffsetsRequestGroup(Struct):
        @dataclass(frozen=True)
        class DescribeShareGroupOffsetsRequestTopic(Struct):
            topic_name: str = f("string", "0+")
            partitions: list[int] = f("[]int32", "0+")

        group_id: str = f("string", "0+")
        topics: list[DescribeShareGroupOffsetsRequestTopic] | None = f(
            [DescribeShareGroupOffsetsRequestTopic], "0+", nullable="0+"
        )

    groups: list[DescribeShareGroupOffsetsRequestGroup] = f(
        [DescribeShareGroupOffsetsRequestGroup], "0+"
    )


@dataclass(frozen=True)
class DescribeShareGroupOffsetsResponse(Message):
    API_KEY: ClassVar[int] = 90
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DescribeShareGroupOffsetsResponseGroup(Struct):
        @dataclass(frozen=True)
        class DescribeShareGroupOffsetsResponseTopic(Struct):
            @dataclass(frozen=True)
            class DescribeShareGroupOffsetsResponsePartition(Struct):
                partition_index: int = f("int32", "0+")
                start_offset: int = f("int64", "0+")
                leader_epoch: int = f("int32", "0+")
                lag: int = f("int64", "1+", default=-1, ignorable=True)
                error_code: int = f("int16", "0+")
                error_message: str | None = f("string", "0+", nullable="0+", default=None)

            topic_name: str = f("string", "0+")
            topic_id: uuid.UUID = f("uuid", "0+")
            partitions: list[DescribeShareGroupOffsetsResponsePartition] = f(
                [DescribeShareGroupOffsetsResponsePartition], "0+"
            )

        group_id: str = f("string", "0+")
        topics: list[DescribeShareGroupOffsetsResponseTopic] = f(
            [DescribeShareGroupOffsetsResponseTopic], "0+"
        )
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+", default=None)

    throttle_time_ms: int = f("int32", "0+")
    groups: list[DescribeShareGroupOffsetsResponseGroup] = f(
        [DescribeShareGroupOffsetsResponseGroup], "0+"
    )
