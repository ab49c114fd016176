"""OffsetForLeaderEpoch (key 23), v2-4, flexible from v4."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class OffsetForLeaderEpochRequest(Message):
    API_KEY: ClassVar[int] = 23
    VERSIONS: ClassVar[Versions] = Versions(2, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    @dataclass(frozen=True)
    class OffsetForLeaderTopic(Struct):
        @dataclass(frozen=True)
        class OffsetForLeaderPartition(Struct):
            partition: int = f("int32", "0+")
            current_leader_epoch: int = f("int32", "2+", default=-1, ignorable=True)
            leader_epoch: int = f("int32", "0+")

        topic: str = f("string", "0+")
        partitions: list[OffsetForLeaderPartition] = f([OffsetForLeaderPartition], "0+")

    replica_id: int = f("int32", "3+", default=-2, ignorable=True)
    topics: list[OffsetForLeaderTopic] = f([OffsetForLeaderTopic], "0+")


@dataclass(frozen=True)
class OffsetForLeaderEpochResponse(Message):
    API_KEY: ClassVar[int] = 23
    VERSIONS: ClassVar[Versions] = Versions(2, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    @dataclass(frozen=True)
    class OffsetForLeaderTopicResult(Struct):
        @dataclass(frozen=True)
        class EpochEndOffset(Struct):
            error_code: int = f("int16", "0+")
            partition: int = f("int32", "0+")
            leader_epoch: int = f("int32", "1+", default=-1, ignorable=True)
            end_offset: int = f("int64", "0+", default=-1)

        topic: str = f("string", "0+")
        partitions: list[EpochEndOffset] = f([EpochEndOffset], "0+")

    throttle_time_ms: int = f("int32", "2+", ignorable=True)
    topics: list[OffsetForLeaderTopicResult] = f([OffsetForLeaderTopicResult], "0+")
