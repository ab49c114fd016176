"""OffsetCommit (key 8), v2-10, flexible from v8."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class OffsetCommitRequest(Message):
    API_KEY: ClassVar[int] = 8
    VERSIONS: ClassVar[Versions] = Versions(2, 10)
    FLEXIBLE: ClassVar[Versions] = Versions(8)

    @dataclass(frozen=True)
    class OffsetCommitRequestTopic(Struct):
        @dataclass(frozen=True)
        class OffsetCommitRequestPartition(Struct):
            partition_index: int = f("int32", "0+")
            committed_offset: int = f("int64", "0+")
            committed_leader_epoch: int = f("int32", "6+", default=-1, ignorable=True)
            committed_metadata: str | None = f("string", "0+", nullable="0+")

        name: str = f("string", "0-9", ignorable=True)
        topic_id: uuid.UUID = f("uuid", "10+", ignorable=True)
        partitions: list[OffsetCommitRequestPartition] = f([OffsetCommitRequestPartition], "0+")

    group_id: str = f("string", "0+")
    generation_id_or_member_epoch: int = f("int32", "1+", default=-1, ignorable=True)
    member_id: str = f("string", "1+", ignorable=True)
    group_instance_id: str | None = f("string", "7+", nullable="7+", default=None)
    retention_time_ms: int = f("int64", "2-4", default=-1, ignorable=True)
    topics: list[OffsetCommitRequestTopic] = f([OffsetCommitRequestTopic], "0+")


@dataclass(frozen=True)
class OffsetCommitResponse(Message):
    API_KEY: ClassVar[int] = 8
    VERSIONS: ClassVar[Versions] = Versions(2, 10)
    FLEXIBLE: ClassVar[Versions] = Versions(8)

    @dataclass(frozen=True)
    class OffsetCommitResponseTopic(Struct):
        @dataclass(frozen=True)
        class OffsetCommitResponsePartition(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")

        name: str = f("string", "0-9", ignorable=True)
        topic_id: uuid.UUID = f("uuid", "10+", ignorable=True)
        partitions: list[OffsetCommitResponsePartition] = f([OffsetCommitResponsePartition], "0+")

    throttle_time_ms: int = f("int32", "3+", ignorable=True)
    topics: list[OffsetCommitResponseTopic] = f([OffsetCommitResponseTopic], "0+")
