"""WriteTxnMarkers (key 27), v1-2, flexible from v1."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class WriteTxnMarkersRequest(Message):
    API_KEY: ClassVar[int] = 27
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class WritableTxnMarker(Struct):
        @dataclass(frozen=True)
        class WritableTxnMarkerTopic(Struct):
            name: str = f("string", "0+")
            partition_indexes: list[int] = f("[]int32", "0+")

        producer_id: int = f("int64", "0+")
        producer_epoch: int = f("int16", "0+")
        transaction_result: bool = f("bool", "0+")
        topics: list[WritableTxnMarkerTopic] = f([WritableTxnMarkerTopic], "0+")
        coordinator_epoch: int = f("int32", "0+")
        transaction_version: int = f("int8", "2+", ignorable=True)

    markers: list[WritableTxnMarker] = f([WritableTxnMarker], "0+")


@dataclass(frozen=True)
class WriteTxnMarkersResponse(Message):
    API_KEY: ClassVar[int] = 27
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class WritableTxnMarkerResult(Struct):
        @dataclass(frozen=True)
        class WritableTxnMarkerTopicResult(Struct):
            @dataclass(frozen=True)
            class WritableTxnMarkerPartitionResult(Struct):
                partition_index: int = f("int32", "0+")
                error_code: int = f("int16", "0+")

            name: str = f("string", "0+")
            partitions: list[WritableTxnMarkerPartitionResult] = f(
                [WritableTxnMarkerPartitionResult], "0+"
            )

        producer_id: int = f("int64", "0+")
        topics: list[WritableTxnMarkerTopicResult] = f([WritableTxnMarkerTopicResult], "0+")

    markers: list[WritableTxnMarkerResult] = f([WritableTxnMarkerResult], "0+")
