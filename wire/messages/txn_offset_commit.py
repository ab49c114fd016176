"""TxnOffsetCommit (key 28), v0-5, flexible from v3."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class TxnOffsetCommitRequest(Message):
    API_KEY: ClassVar[int] = 28
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    @dataclass(frozen=True)
    class TxnOffsetCommitRequestTopic(Struct):
        @dataclass(frozen=True)
        class TxnOffsetCommitRequestPartition(Struct):
            partition_index: int = f("int32", "0+")
            committed_offset: int = f("int64", "0+")
            committed_leader_epoch: int = f("int32", "2+", default=-1, ignorable=True)
            committed_metadata: str | None = f("string", "0+", nullable="0+")

        name: str = f("string", "0+")
        partitions: list[TxnOffsetCommitRequestPartition] = f(
            [TxnOffsetCommitRequestPartition], "0+"
        )

    transactional_id: str = f("string", "0+")
    group_id: str = f("string", "0+")
    producer_id: int = f("int64", "0+")
    producer_epoch: int = f("int16", "0+")
    generation_id: int = f("int32", "3+", default=-1)
    member_id: str = f("string", "3+")
    group_instance_id: str | None = f("string", "3+", nullable="3+", default=None)
    topics: list[TxnOffsetCommitRequestTopic] = f([TxnOffsetCommitRequestTopic], "0+")


@dataclass(frozen=True)
class TxnOffsetCommitResponse(Message):
    API_KEY: ClassVar[int] = 28
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    @dataclass(frozen=True)
    class TxnOffsetCommitResponseTopic(Struct):
        @dataclass(frozen=True)
        class TxnOffsetCommitResponsePartition(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")

        name: str = f("string", "0+")
        partitions: list[TxnOffsetCommitResponsePartition] = f(
            [TxnOffsetCommitResponsePartition], "0+"
        )

    throttle_time_ms: int = f("int32", "0+")
    topics: list[TxnOffsetCommitResponseTopic] = f([TxnOffsetCommitResponseTopic], "0+")
