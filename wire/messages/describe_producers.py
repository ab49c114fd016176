"""DescribeProducers (key 61), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeProducersRequest(Message):
    API_KEY: ClassVar[int] = 61
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicRequest(Struct):
        name: str = f("string", "0+")
        partition_indexes: list[int] = f("[]int32", "0+")

    topics: list[TopicRequest] = f([TopicRequest], "0+")


@dataclass(frozen=True)
class DescribeProducersResponse(Message):
    API_KEY: ClassVar[int] = 61
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicResponse(Struct):
        @dataclass(frozen=True)
        class PartitionResponse(Struct):
            @dataclass(frozen=True)
            class ProducerState(Struct):
                producer_id: int = f("int64", "0+")
                producer_epoch: int = f("int32", "0+")
                last_sequence: int = f("int32", "0+", default=-1)
                last_timestamp: int = f("int64", "0+", default=-1)
                coordinator_epoch: int = f("int32", "0+")
                current_txn_start_offset: int = f("int64", "0+", default=-1)

            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+", default=None)
            active_producers: list[ProducerState] = f([ProducerState], "0+")

        name: str = f("string", "0+")
        partitions: list[PartitionResponse] = f([PartitionResponse], "0+")

    throttle_time_ms: int = f("int32", "0+")
    topics: list[TopicResponse] = f([TopicResponse], "0+")
