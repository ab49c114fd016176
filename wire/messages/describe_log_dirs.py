"""DescribeLogDirs (key 35), v1-5, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeLogDirsRequest(Message):
    API_KEY: ClassVar[int] = 35
    VERSIONS: ClassVar[Versions] = Versions(1, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DescribableLogDirTopic(Struct):
        topic: str = f("string", "0+")
        partitions: list[int] = f("[]int32", "0+")

    topics: list[DescribableLogDirTopic] | None = f([DescribableLogDirTopic], "0+", nullable="0+")


@dataclass(frozen=True)
class DescribeLogDirsResponse(Message):
    API_KEY: ClassVar[int] = 35
    VERSIONS: ClassVar[Versions] = Versions(1, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DescribeLogDirsResult(Struct):
        @dataclass(frozen=True)
        class DescribeLogDirsTopic(Struct):
            @dataclass(frozen=True)
            class DescribeLogDirsPartition(Struct):
                partition_index: int = f("int32", "0+")
                partition_size: int = f("int64", "0+")
                offset_lag: int = f("int64", "0+")
                is_future_key: bool = f("bool", "0+")

            name: str = f("string", "0+")
            partitions: list[DescribeLogDirsPartition] = f([DescribeLogDirsPartition], "0+")

        error_code: int = f("int16", "0+")
        log_dir: str = f("string", "0+")
        topics: list[DescribeLogDirsTopic] = f([DescribeLogDirsTopic], "0+")
        total_bytes: int = f("int64", "4+", default=-1, ignorable=True)
        usable_bytes: int = f("int64", "4+", default=-1, ignorable=True)
        is_cordoned: bool = f("bool", "5+", ignorable=True)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "3+", ignorable=True)
    results: list[DescribeLogDirsResult] = f([DescribeLogDirsResult], "0+")
