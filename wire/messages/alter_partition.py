"""AlterPartition (key 56), v2-3, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class AlterPartitionRequest(Message):
    API_KEY: ClassVar[int] = 56
    VERSIONS: ClassVar[Versions] = Versions(2, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            @dataclass(frozen=True)
            class BrokerState(Struct):
                broker_id: int = f("int32", "3+")
                broker_epoch: int = f("int64", "3+", default=-1)

            partition_index: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+")
            new_isr: list[int] = f("[]int32", "0-2")
            new_isr_with_epochs: list[BrokerState] = f([BrokerState], "3+")
            leader_recovery_state: int = f("int8", "1+")
            partition_epoch: int = f("int32", "0+")

        topic_id: uuid.UUID = f("uuid", "2+", ignorable=True)
        partitions: list[PartitionData] = f([PartitionData], "0+")

    broker_id: int = f("int32", "0+")
    broker_epoch: int = f("int64", "0+", default=-1)
    topics: list[TopicData] = f([TopicData], "0+")


@dataclass(frozen=True)
class AlterPartitionResponse(Message):
    API_KEY: ClassVar[int] = 56
    VERSIONS: ClassVar[Versions] = Versions(2, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            leader_id: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+")
            isr: list[int] = f("[]int32", "0+")
            leader_recovery_state: int = f("int8", "1+", ignorable=True)
            partition_epoch: int = f("int32", "0+")

        topic_id: uuid.UUID = f("uuid", "2+", ignorable=True)
        partitions: list[PartitionData] = f([PartitionData], "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    topics: list[TopicData] = f([TopicData], "0+")
