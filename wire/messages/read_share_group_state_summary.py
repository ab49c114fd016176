"""ReadShareGroupStateSummary (key 87), v0-1, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ReadShareGroupStateSummaryRequest(Message):
    API_KEY: ClassVar[int] = 87
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ReadStateSummaryData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            partition: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+")

        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[PartitionData] = f([PartitionData], "0+")

    group_id: str = f("string", "0+")
    topics: list[ReadStateSummaryData] = f([ReadStateSummaryData], "0+")


@dataclass(frozen=True)
class ReadShareGroupStateSummaryResponse(Message):
    API_KEY: ClassVar[int] = 87
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ReadStateSummaryResult(Struct):
        @dataclass(frozen=True)
        class PartitionResult(Struct):
            partition: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+", default=None)
            state_epoch: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+")
            start_offset: int = f("int64", "0+")
            delivery_complete_count: int = f("int32", "1+", default=-1, ignorable=True)

        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[PartitionResult] = f([PartitionResult], "0+")

    results: list[ReadStateSummaryResult] = f([ReadStateSummaryResult], "0+")
