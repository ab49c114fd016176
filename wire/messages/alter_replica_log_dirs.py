"""AlterReplicaLogDirs (key 34), v1-2, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class AlterReplicaLogDirsRequest(Message):
    API_KEY: ClassVar[int] = 34
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class AlterReplicaLogDir(Struct):
        @dataclass(frozen=True)
        class AlterReplicaLogDirTopic(Struct):
            name: str = f("string", "0+")
            partitions: list[int] = f("[]int32", "0+")

        path: str = f("string", "0+")
        topics: list[AlterReplicaLogDirTopic] = f([AlterReplicaLogDirTopic], "0+")

    dirs: list[AlterReplicaLogDir] = f([AlterReplicaLogDir], "0+")


@dataclass(frozen=True)
class AlterReplicaLogDirsResponse(Message):
    API_KEY: ClassVar[int] = 34
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class AlterReplicaLogDirTopicResult(Struct):
        @dataclass(frozen=True)
        class AlterReplicaLogDirPartitionResult(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")

        topic_name: str = f("string", "0+")
        partitions: list[AlterReplicaLogDirPartitionResult] = f(
            [AlterReplicaLogDirPartitionResult], "0+"
        )

    throttle_time_ms: int = f("int32", "0+")
    results: list[AlterReplicaLogDirTopicResult] = f([AlterReplicaLogDirTopicResult], "0+")
