"""StreamsGroupDescribe (key 89), v0, flexible from v0.

`KeyValue`, `TaskIds`: upstream common structs used at more than one depth, so declared once at
module level.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class StreamsGroupDescribeRequest(Message):
    API_KEY: ClassVar[int] = 89
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    group_ids: list[str] = f("[]string", "0+")
    include_authorized_operations: bool = f("bool", "0+")


@dataclass(frozen=True)
class KeyValue(Struct):
    key: str = f("string", "0+")
    value: str = f("string", "0+")


@dataclass(frozen=True)
class TaskIds(Struct):
    subtopology_id: str = f("string", "0+")
    partitions: list[int] = f("[]int32", "0+")


@dataclass(frozen=True)
class StreamsGroupDescribeResponse(Message):
    API_KEY: ClassVar[int] = 89
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DescribedGroup(Struct):
        @dataclass(frozen=True)
        class Topology(Struct):
            @dataclass(frozen=True)
            class Subtopology(Struct):
                @dataclass(frozen=True)
                class TopicInfo(Struct):
                    name: str = f("string", "0+")
                    partitions: int = f("int32", "0+")
                    replication_factor: int = f("int16", "0+")
                    topic_configs: list[KeyValue] = f([KeyValue], "0+")

                subtopology_id: str = f("string", "0+")
                source_topics: list[str] = f("[]string", "0+")
                repartition_sink_topics: list[str] = f("[]string", "0+")
                state_changelog_topics: list[TopicInfo] = f([TopicInfo], "0+")
                repartition_source_topics: list[TopicInfo] = f([TopicInfo], "0+")

            epoch: int = f("int32", "0+")
            subtopologies: list[Subtopology] | None = f(
                [Subtopology], "0+", nullable="0+", default=None
            )

        @dataclass(frozen=True)
        class Member(Struct):
            @dataclass(frozen=True)
            class Endpoint(Struct):
                host: str = f("string", "0+")
                port: int = f("uint16", "0+")

            @dataclass(frozen=True)
            class TaskOffset(Struct):
                subtopology_id: str = f("string", "0+")
                partition: int = f("int32", "0+")
                offset: int = f("int64", "0+")

            @dataclass(frozen=True)
            class Assignment(Struct):
                active_tasks: list[TaskIds] = f([TaskIds], "0+")
                standby_tasks: list[TaskIds] = f([TaskIds], "0+")
                warmup_tasks: list[TaskIds] = f([TaskIds], "0+")

            member_id: str = f("string", "0+")
            member_epoch: int = f("int32", "0+")
            instance_id: str | None = f("string", "0+", nullable="0+", default=None)
            rack_id: str | None = f("string", "0+", nullable="0+", default=None)
            client_id: str = f("string", "0+")
            client_host: str = f("string", "0+")
            topology_epoch: int = f("int32", "0+")
            process_id: str = f("string", "0+")
            user_endpoint: Endpoint | None = f(Endpoint, "0+", nullable="0+", default=None)
            client_tags: list[KeyValue] = f([KeyValue], "0+")
            task_offsets: list[TaskOffset] = f([TaskOffset], "0+")
            task_end_offsets: list[TaskOffset] = f([TaskOffset], "0+")
            assignment: Assignment = f(Assignment, "0+")
            target_assignment: Assignment = f(Assignment, "0+")
            is_classic: bool = f("bool", "0+")

        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+", default=None)
        group_id: str = f("string", "0+")
        group_state: str = f("string", "0+")
        group_epoch: int = f("int32", "0+")
        assignment_epoch: int = f("int32", "0+")
        topology: Topology | None = f(Topology, "0+", nullable="0+", default=None)
        members: list[Member] = f([Member], "0+")
        authorized_operations: int = f("int32", "0+", default=-2147483648)

    throttle_time_ms: int = f("int32", "0+")
    groups: list[DescribedGroup] = f([DescribedGroup], "0+")
