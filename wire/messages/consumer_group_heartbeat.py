"""ConsumerGroupHeartbeat (key 68), v0-1, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ConsumerGroupHeartbeatRequest(Message):
    API_KEY: ClassVar[int] = 68
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicPartitions(Struct):
        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[int] = f("[]int32", "0+")

    group_id: str = f("string", "0+")
    member_id: str = f("string", "0+")
    member_epoch: int = f("int32", "0+")
    instance_id: str | None = f("string", "0+", nullable="0+", default=None)
    rack_id: str | None = f("string", "0+", nullable="0+", default=None)
    rebalance_timeout_ms: int = f("int32", "0+", default=-1)
    subscribed_topic_names: list[str] | None = f("[]string", "0+", nullable="0+", default=None)
    subscribed_topic_regex: str | None = f("string", "1+", nullable="1+", default=None)
    server_assignor: str | None = f("string", "0+", nullable="0+", default=None)
    topic_partitions: list[TopicPartitions] | None = f(
        [TopicPartitions], "0+", nullable="0+", default=None
    )


@dataclass(frozen=True)
class ConsumerGroupHeartbeatResponse(Message):
    API_KEY: ClassVar[int] = 68
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class Assignment(Struct):
        @dataclass(frozen=True)
        class TopicPartitions(Struct):
            topic_id: uuid.UUID = f("uuid", "0+")
            partitions: list[int] = f("[]int32", "0+")

        topic_partitions: list[TopicPartitions] = f([TopicPartitions], "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+", default=None)
    member_id: str | None = f("string", "0+", nullable="0+", default=None)
    member_epoch: int = f("int32", "0+")
    heartbeat_interval_ms: int = f("int32", "0+")
    assignment: Assignment | None = f(Assignment, "0+", nullable="0+", default=None)
