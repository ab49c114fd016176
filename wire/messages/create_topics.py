"""CreateTopics (key 19), v2-7, flexible from v5."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class CreateTopicsRequest(Message):
    API_KEY: ClassVar[int] = 19
    VERSIONS: ClassVar[Versions] = Versions(2, 7)
    FLEXIBLE: ClassVar[Versions] = Versions(5)

    @dataclass(frozen=True)
    class CreatableTopic(Struct):
        @dataclass(frozen=True)
        class CreatableReplicaAssignment(Struct):
            partition_index: int = f("int32", "0+")
            broker_ids: list[int] = f("[]int32", "0+")

        @dataclass(frozen=True)
        class CreatableTopicConfig(Struct):
            name: str = f("string", "0+")
            value: str | None = f("string", "0+", nullable="0+")

        name: str = f("string", "0+")
        num_partitions: int = f("int32", "0+")
        replication_factor: int = f("int16", "0+")
        assignments: list[CreatableReplicaAssignment] = f([CreatableReplicaAssignment], "0+")
        configs: list[CreatableTopicConfig] = f([CreatableTopicConfig], "0+")

    topics: list[CreatableTopic] = f([CreatableTopic], "0+")
    timeout_ms: int = f("int32", "0+", default=60000)
    validate_only: bool = f("bool", "1+")


@dataclass(frozen=True)
class CreateTopicsResponse(Message):
    API_KEY: ClassVar[int] = 19
    VERSIONS: ClassVar[Versions] = Versions(2, 7)
    FLEXIBLE: ClassVar[Versions] = Versions(5)

    @dataclass(frozen=True)
    class CreatableTopicResult(Struct):
        @dataclass(frozen=True)
        class CreatableTopicConfigs(Struct):
            name: str = f("string", "5+")
            value: str | None = f("string", "5+", nullable="5+")
            read_only: bool = f("bool", "5+")
            config_source: int = f("int8", "5+", default=-1, ignorable=True)
            is_sensitive: bool = f("bool", "5+")

        name: str = f("string", "0+")
        topic_id: uuid.UUID = f("uuid", "7+", ignorable=True)
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "1+", nullable="0+", ignorable=True)
        topic_config_error_code: int = f("int16", "5+", tagged="5+", tag=0, ignorable=True)
        num_partitions: int = f("int32", "5+", default=-1, ignorable=True)
        replication_factor: int = f("int16", "5+", default=-1, ignorable=True)
        configs: list[CreatableTopicConfigs] | None = f(
            [CreatableTopicConfigs], "5+", nullable="5+", ignorable=True
        )

    throttle_time_ms: int = f("int32", "2+", ignorable=True)
    topics: list[CreatableTopicResult] = f([CreatableTopicResult], "0+")
