"""OffsetDelete (key 47), v0, never flexible."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class OffsetDeleteRequest(Message):
    API_KEY: ClassVar[int] = 47
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions.NONE

    @dataclass(frozen=True)
    class OffsetDeleteRequestTopic(Struct):
        @dataclass(frozen=True)
        class OffsetDeleteRequestPartition(Struct):
            partition_index: int = f("int32", "0+")

        name: str = f("string", "0+")
        partitions: list[OffsetDeleteRequestPartition] = f([OffsetDeleteRequestPartition], "0+")

    group_id: str = f("string", "0+")
    topics: list[OffsetDeleteRequestTopic] = f([OffsetDeleteRequestTopic], "0+")


@dataclass(frozen=True)
class OffsetDeleteResponse(Message):
    API_KEY: ClassVar[int] = 47
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions.NONE

    @dataclass(frozen=True)
    class OffsetDeleteResponseTopic(Struct):
        @dataclass(frozen=True)
        class OffsetDeleteResponsePartition(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")

        name: str = f("string", "0+")
        partitions: list[OffsetDeleteResponsePartition] = f([OffsetDeleteResponsePartition], "0+")

    error_code: int = f("int16", "0+")
    throttle_time_ms: int = f("int32", "0+", ignorable=True)
    topics: list[OffsetDeleteResponseTopic] = f([OffsetDeleteResponseTopic], "0+")
