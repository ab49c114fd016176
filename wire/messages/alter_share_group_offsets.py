"""AlterShareGroupOffsets (key 91), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class AlterShareGroupOffsetsRequest(Message):
    API_KEY: ClassVar[int] = 91
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class AlterShareGroupOffsetsRequestTopic(Struct):
        @dataclass(frozen=True)
        class AlterShareGroupOffsetsRequestPartition(Struct):
            partition_index: int = f("int32", "0+")
            start_offset: int = f("int64", "0+")

        topic_name: str = f("string", "0+")
        partitions: list[AlterShareGroupOffsetsRequestPartition] = f(
            [AlterShareGroupOffsetsRequestPartition], "0+"
        )

    group_id: str = f("string", "0+")
    topics: list[AlterShareGroupOffsetsRequestTopic] = f([AlterShareGroupOffsetsRequestTopic], "0+")


@dataclass(frozen=True)
class AlterShareGroupOffsetsResponse(Message):
    API_KEY: ClassVar[int] = 91
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class AlterShareGroupOffsetsResponseTopic(Struct):
        @dataclass(frozen=True)
        class AlterShareGroupOffsetsResponsePartition(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+", default=None)

        topic_name: str = f("string", "0+")
        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[AlterShareGroupOffsetsResponsePartition] = f(
            [AlterShareGroupOffsetsResponsePartition], "0+"
        )

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+", default=None)
    responses: list[AlterShareGroupOffsetsResponseTopic] = f(
        [AlterShareGroupOffsetsResponseTopic], "0+"
    )
