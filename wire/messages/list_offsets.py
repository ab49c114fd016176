"""ListOffsets (key 2), v1-11 (v11, a 4.x addition, only adds a timestamp sentinel)."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f

# ListOffsetsPartition.timestamp: a timestamp in ms asks for the first offset whose batch has a
# timestamp at or after it; these negative values ask for a position instead (Kafka's
# ListOffsetsRequest constants, same names). The protocol defines them: every user imports them.
LATEST_TIMESTAMP = -1  # the log end a consumer may read (the high watermark)
EARLIEST_TIMESTAMP = -2  # the log start
MAX_TIMESTAMP = -3  # the record with the largest timestamp (v7+)
EARLIEST_LOCAL_TIMESTAMP = -4  # the start of the local log, below any tiered part (v8+)
LATEST_TIERED_TIMESTAMP = -5  # the end of the tiered part of the log (v9+)
EARLIEST_PENDING_UPLOAD_TIMESTAMP = -6  # the first offset not yet uploaded to tiered storage (v11)


@dataclass(frozen=True)
class ListOffsetsRequest(Message):
    API_KEY: ClassVar[int] = 2
    VERSIONS: ClassVar[Versions] = Versions(1, 11)
    FLEXIBLE: ClassVar[Versions] = Versions(6)

    @dataclass(frozen=True)
    class ListOffsetsTopic(Struct):
        @dataclass(frozen=True)
        class ListOffsetsPartition(Struct):
            partition_index: int = f("int32", "0+")
            current_leader_epoch: int = f("int32", "4+", default=-1, ignorable=True)
            timestamp: int = f("int64", "0+")

        name: str = f("string", "0+")
        partitions: list[ListOffsetsPartition] = f([ListOffsetsPartition], "0+")

    replica_id: int = f("int32", "0+")
    isolation_level: int = f("int8", "2+")
    topics: list[ListOffsetsTopic] = f([ListOffsetsTopic], "0+")
    timeout_ms: int = f("int32", "10+", ignorable=True)


@dataclass(frozen=True)
class ListOffsetsResponse(Message):
    API_KEY: ClassVar[int] = 2
    VERSIONS: ClassVar[Versions] = Versions(1, 11)
    FLEXIBLE: ClassVar[Versions] = Versions(6)

    @dataclass(frozen=True)
    class ListOffsetsTopicResponse(Struct):
        @dataclass(frozen=True)
        class ListOffsetsPartitionResponse(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            timestamp: int = f("int64", "1+", default=-1)
            offset: int = f("int64", "1+", default=-1)
            leader_epoch: int = f("int32", "4+", default=-1)

        name: str = f("string", "0+")
        partitions: list[ListOffsetsPartitionResponse] = f([ListOffsetsPartitionResponse], "0+")

    throttle_time_ms: int = f("int32", "2+", ignorable=True)
    topics: list[ListOffsetsTopicResponse] = f([ListOffsetsTopicResponse], "0+")
