"""StreamsGroupHeartbeat (key 88), v0, flexible from v0.

`KeyValue`: upstream common structs used at more than one depth, so declared once at module level.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class KeyValue(Struct):
    key: str = f("string", "0+")
    value: str = f("string", "0+")


@dataclass(frozen=True)
class StreamsGroupHeartbeatRequest(Message):
    API_KEY: ClassVar[int] = 88
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TaskIds(Struct):
        subtopology_id: str = f("string", "0+")
        partitions: list[int] = f("[]int32", "0+")

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
    class Topology(Struct):
        @dataclass(frozen=True)
        class Subtopology(Struct):
            @dataclass(frozen=True)
            class TopicInfo(Struct):
                name: str = f("string", "0+")
                partitions: int = f("int32", "0+")
                replication_factor: int = f("int16", "0+")
                topic_configs: list[KeyValue] = f([KeyValue], "0+")

            @dataclass(frozen=True)
            class CopartitionGroup(Struct):
                source_topics: list[int] = f("[]int16", "0+")
                source_topic_regex: list[int] = f("[]int16", "0+")
                repartition_source_topics: list[int] = f("[]int16", "0+")

            subtopology_id: str = f("string", "0+")
            source_topics: list[str] = f("[]string", "0+")
            source_topic_regex: list[str] = f("[]string", "0+")
            state_changelog_topics: list[TopicInfo] = f([TopicInfo], "0+")
            repartition_sink_topics: list[str] = f("[]string", "0+")
            repartition_source_topics: list[TopicInfo] = f([TopicInfo], "0+")
            copartition_groups: list[CopartitionGroup] = f([CopartitionGroup], "0+")

        epoch: int = f("int32", "0+")
        subtopologies: list[Subtopology] = f([Subtopology], "0+")

    group_id: str = f("string", "0+")
    member_id: str = f("string", "0+")
    member_epoch: int = f("int32", "0+")
    endpoint_information_epoch: int = f("int32", "0+")
    instance_id: str | None = f("string", "0+", nullable="0+", default=None)
    rack_id: str | None = f("string", "0+", nullable="0+", default=None)
    rebalance_timeout_ms: int = f("int32", "0+", default=-1)
    topology: Topology | None = f(Topology, "0+", nullable="0+", default=None)
    active_tasks: list[TaskIds] | None = f([TaskIds], "0+", nullable="0+", default=None)
    standby_tasks: list[TaskIds] | None = f([TaskIds], "0+", nullable="0+", default=None)
    warmup_tasks: list[TaskIds] | None = f([TaskIds], "0+", nullable="0+", default=None)
    process_id: str | None = f("string", "0+", nullable="0+", default=None)
    user_endpoint: Endpoint | None = f(Endpoint, "0+", nullable="0+", default=None)
    client_tags: list[KeyValue] | None = f([KeyValue], "0+", nullable="0+", default=None)
    task_offsets: list[TaskOffset] | None = f([TaskOffset], "0+", nullable="0+", default=None)
    task_end_offsets: list[TaskOffset] | None = f([TaskOffset], "0+", nullable="0+", default=None)
    shutdown_application: bool = f("bool", "0+")


@dataclass(frozen=True)
class StreamsGroupHeartbeatResponse(Message):
    API_KEY: ClassVar[int] = 88
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class Status(Struct):
        status_code: int = f("int8", "0+")
        status_detail: str = f("string", "0+")

    @dataclass(frozen=True)
    class TaskIds(Struct):
        subtopology_id: str = f("string", "0+")
        partitions: list[int] = f("[]int32", "0+")

    @dataclass(frozen=True)
    class EndpointToPartitions(Struct):
        @dataclass(frozen=True)
        class Endpoint(Struct):
            host: str = f("string", "0+")
            port: int = f("uint16", "0+")

        @dataclass(frozen=True)
        class TopicPartition(Struct):
            topic: str = f("string", "0+")
            partitions: list[int] = f("[]int32", "0+")

        user_endpoint: Endpoint = f(Endpoint, "0+")
        active_partitions: list[TopicPartition] = f([TopicPartition], "0+")
        standby_partitions: list[TopicPartition] = f([TopicPartition], "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+", default=None)
    member_id: str = f("string", "0+")
    member_epoch: int = f("int32", "0+")
    heartbeat_interval_ms: int = f("int32", "0+")
    acceptable_recovery_lag: int = f("int32", "0+")
    task_offset_interval_ms: int = f("int32", "0+")
    status: list[Status] | None = f([Status], "0+", nullable="0+")
    active_tasks: list[TaskIds] | None = f([TaskIds], "0+", nullable="0+", default=None)
    standby_tasks: list[TaskIds] | None = f([TaskIds], "0+", nullable="0+", default=None)
    warmup_tasks: list[TaskIds] | None = f([TaskIds], "0+", nullable="0+", default=None)
    endpoint_information_epoch: int = f("int32", "0+")
    partitions_by_user_endpoint: list[EndpointToPartitions] | None = f(
        [EndpointToPartitions], "0+", nullable="0+", default=None
    )
