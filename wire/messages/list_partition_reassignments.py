"""ListPartitionReassignments (key 46), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ListPartitionReassignmentsRequest(Message):
    API_KEY: ClassVar[int] = 46
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ListPartitionReassignmentsTopics(Struct):
        name: str = f("string", "0+")
        partition_indexes: list[int] = f("[]int32", "0+")

    timeout_ms: int = f("int32", "0+", default=60000)
    topics: list[ListPartitionReassignmentsTopics] | None = f(
        [ListPartitionReassignmentsTopics], "0+", nullable="0+", default=None
    )


@dataclass(frozen=True)
class ListPartitionReassignmentsResponse(Message):
    API_KEY: ClassVar[int] = 46
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class OngoingTopicReassignment(Struct):
        @dataclass(frozen=True)
        class OngoingPartitionReassignment(Struct):
            partition_index: int = f("int32", "0+")
            replicas: list[int] = f("[]int32", "0+")
            adding_replicas: list[int] = f("[]int32", "0+")
            removing_replicas: list[int] = f("[]int32", "0+")

        name: str = f("string", "0+")
        partitions: list[OngoingPartitionReassignment] = f([OngoingPartitionReassignment], "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+")
    topics: list[OngoingTopicReassignment] = f([OngoingTopicReassignment], "0+")
