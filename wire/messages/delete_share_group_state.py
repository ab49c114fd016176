"""DeleteShareGroupState (key 86), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DeleteShareGroupStateRequest(Message):
    API_KEY: ClassVar[int] = 86
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DeleteStateData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            partition: int = f("int32", "0+")

        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[PartitionData] = f([PartitionData], "0+")

    group_id: str = f("string", "0+")
    topics: list[DeleteStateData] = f([DeleteStateData], "0+")


@dataclass(frozen=True)
class DeleteShareGroupStateResponse(Message):
    API_KEY: ClassVar[int] = 86
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DeleteStateResult(Struct):
        @dataclass(frozen=True)
        class PartitionResult(Struct):
            partition: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+", default=None)

        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[PartitionResult] = f([PartitionResult], "0+")

    results: list[DeleteStateResult] = f([DeleteStateResult], "0+")
