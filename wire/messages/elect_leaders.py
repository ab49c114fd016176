"""ElectLeaders (key 43), v0-2, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ElectLeadersRequest(Message):
    API_KEY: ClassVar[int] = 43
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class TopicPartitions(Struct):
        topic: str = f("string", "0+")
        partitions: list[int] = f("[]int32", "0+")

    election_type: int = f("int8", "1+")
    topic_partitions: list[TopicPartitions] | None = f([TopicPartitions], "0+", nullable="0+")
    timeout_ms: int = f("int32", "0+", default=60000)


@dataclass(frozen=True)
class ElectLeadersResponse(Message):
    API_KEY: ClassVar[int] = 43
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class ReplicaElectionResult(Struct):
        @dataclass(frozen=True)
        class PartitionResult(Struct):
            partition_id: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+")

        topic: str = f("string", "0+")
        partition_result: list[PartitionResult] = f([PartitionResult], "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "1+")
    replica_election_results: list[ReplicaElectionResult] = f([ReplicaElectionResult], "0+")
