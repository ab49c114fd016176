"""ConsumerGroupDescribe (key 69), v0-1, flexible from v0.

`TopicPartitions`: upstream common structs used at more than one depth, so declared once at module
level.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ConsumerGroupDescribeRequest(Message):
    API_KEY: ClassVar[int] = 69
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    group_ids: list[str] = f("[]string", "0+")
    include_authorized_operations: bool = f("bool", "0+")


@dataclass(frozen=True)
class TopicPartitions(Struct):
    topic_id: uuid.UUID = f("uuid", "0+")
    topic_name: str = f("string", "0+")
    partitions: list[int] = f("[]int32", "0+")


@dataclass(frozen=True)
class ConsumerGroupDescribeResponse(Message):
    API_KEY: ClassVar[int] = 69
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DescribedGroup(Struct):
        @dataclass(frozen=True)
        class Member(Struct):
            @dataclass(frozen=True)
            class Assignment(Struct):
                topic_partitions: list[TopicPartitions] = f([TopicPartitions], "0+")

            member_id: str = f("string", "0+")
            instance_id: str | None = f("string", "0+", nullable="0+", default=None)
            rack_id: str | None = f("string", "0+", nullable="0+", default=None)
            member_epoch: int = f("int32", "0+")
            client_id: str = f("string", "0+")
            client_host: str = f("string", "0+")
            subscribed_topic_names: list[str] = f("[]string", "0+")
            subscribed_topic_regex: str | None = f("string", "0+", nullable="0+", default=None)
            assignment: Assignment = f(Assignment, "0+")
            target_assignment: Assignment = f(Assignment, "0+")
            member_type: int = f("int8", "1+", default=-1, ignorable=True)

        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+", default=None)
        group_id: str = f("string", "0+")
        group_state: str = f("string", "0+")
        group_epoch: int = f("int32", "0+")
        assignment_epoch: int = f("int32", "0+")
        assignor_name: str = f("string", "0+")
        members: list[Member] = f([Member], "0+")
        authorized_operations: int = f("int32", "0+", default=-2147483648)

    throttle_time_ms: int = f("int32", "0+")
    groups: list[DescribedGroup] = f([DescribedGroup], "0+")
