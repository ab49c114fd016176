"""AlterPartitionReassignments (key 45), v0-1, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class AlterPartitionReassignmentsRequest(Message):
    API_KEY: ClassVar[int] = 45
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ReassignableTopic(Struct):
        @dataclass(frozen=True)
        class ReassignablePartition(Struct):
            partition_index: int = f("int32", "0+")
            replicas: list[int] | None = f("[]int32", "0+", nullable="0+", default=None)

        name: str = f("string", "0+")
        partitions: list[ReassignablePartition] = f([ReassignablePartition], "0+")

    timeout_ms: int = f("int32", "0+", default=60000)
    allow_replication_factor_change: bool = f("bool", "1+", default=True)
    topics: list[ReassignableTopic] = f([ReassignableTopic], "0+")


@dataclass(frozen=True)
class AlterPartitionReassignmentsResponse(Message):
    API_KEY: ClassVar[int] = 45
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ReassignableTopicResponse(Struct):
        @dataclass(frozen=True)
        class ReassignablePartitionResponse(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+")

        name: str = f("string", "0+")
        partitions: list[ReassignablePartitionResponse] = f([ReassignablePartitionResponse], "0+")

    throttle_time_ms: int = f("int32", "0+")
    allow_replication_factor_change: bool = f("bool", "1+", default=True, ignorable=True)
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+")
    responses: list[ReassignableTopicResponse] = f([ReassignableTopicResponse], "0+")
