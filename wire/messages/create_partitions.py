"""CreatePartitions (key 37), v0-3, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class CreatePartitionsRequest(Message):
    API_KEY: ClassVar[int] = 37
    VERSIONS: ClassVar[Versions] = Versions(0, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class CreatePartitionsTopic(Struct):
        @dataclass(frozen=True)
        class CreatePartitionsAssignment(Struct):
            broker_ids: list[int] = f("[]int32", "0+")

        name: str = f("string", "0+")
        count: int = f("int32", "0+")
        assignments: list[CreatePartitionsAssignment] | None = f(
            [CreatePartitionsAssignment], "0+", nullable="0+"
        )

    topics: list[CreatePartitionsTopic] = f([CreatePartitionsTopic], "0+")
    timeout_ms: int = f("int32", "0+")
    validate_only: bool = f("bool", "0+")


@dataclass(frozen=True)
class CreatePartitionsResponse(Message):
    API_KEY: ClassVar[int] = 37
    VERSIONS: ClassVar[Versions] = Versions(0, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class CreatePartitionsTopicResult(Struct):
        name: str = f("string", "0+")
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+", default=None)

    throttle_time_ms: int = f("int32", "0+")
    results: list[CreatePartitionsTopicResult] = f([CreatePartitionsTopicResult], "0+")
