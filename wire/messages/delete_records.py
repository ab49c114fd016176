"""DeleteRecords (key 21), v0-2, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DeleteRecordsRequest(Message):
    API_KEY: ClassVar[int] = 21
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DeleteRecordsTopic(Struct):
        @dataclass(frozen=True)
        class DeleteRecordsPartition(Struct):
            partition_index: int = f("int32", "0+")
            offset: int = f("int64", "0+")

        name: str = f("string", "0+")
        partitions: list[DeleteRecordsPartition] = f([DeleteRecordsPartition], "0+")

    topics: list[DeleteRecordsTopic] = f([DeleteRecordsTopic], "0+")
    timeout_ms: int = f("int32", "0+")


@dataclass(frozen=True)
class DeleteRecordsResponse(Message):
    API_KEY: ClassVar[int] = 21
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DeleteRecordsTopicResult(Struct):
        @dataclass(frozen=True)
        class DeleteRecordsPartitionResult(Struct):
            partition_index: int = f("int32", "0+")
            low_watermark: int = f("int64", "0+")
            error_code: int = f("int16", "0+")

        name: str = f("string", "0+")
        partitions: list[DeleteRecordsPartitionResult] = f([DeleteRecordsPartitionResult], "0+")

    throttle_time_ms: int = f("int32", "0+")
    topics: list[DeleteRecordsTopicResult] = f([DeleteRecordsTopicResult], "0+")
