"""WriteShareGroupState (key 85), v0-1, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class WriteShareGroupStateRequest(Message):
    API_KEY: ClassVar[int] = 85
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class WriteStateData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            @dataclass(frozen=True)
            class StateBatch(Struct):
                first_offset: int = f("int64", "0+")
                last_offset: int = f("int64", "0+")
                delivery_state: int = f("int8", "0+")
                delivery_count: int = f("int16", "0+")

            partition: int = f("int32", "0+")
            state_epoch: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+")
            start_offset: int = f("int64", "0+")
            delivery_complete_count: int = f("int32", "1+", default=-1, ignorable=True)
            state_batches: list[StateBatch] = f([StateBatch], "0+")

        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[PartitionData] = f([PartitionData], "0+")

    group_id: str = f("string", "0+")
    topics: list[WriteStateData] = f([WriteStateData], "0+")


@dataclass(frozen=True)
class WriteShareGroupStateResponse(Message):
    API_KEY: ClassVar[int] = 85
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class WriteStateResult(Struct):
        @dataclass(frozen=True)
        class PartitionResult(Struct):
            partition: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+", default=None)

        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[PartitionResult] = f([PartitionResult], "0+")

    results: list[WriteStateResult] = f([WriteStateResult], "0+")
