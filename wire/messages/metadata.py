"""Metadata (key 3), v0-13 (the 4.x range: v0-3 are listed again after Kafka 4.0's 4-13).

Topics is nullable from v1 (null = all topics, empty = none); at v0 an empty array means all.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class MetadataRequest(Message):
    API_KEY: ClassVar[int] = 3
    VERSIONS: ClassVar[Versions] = Versions(0, 13)
    FLEXIBLE: ClassVar[Versions] = Versions(9)

    @dataclass(frozen=True)
    class MetadataRequestTopic(Struct):
        topic_id: uuid.UUID = f("uuid", "10+", ignorable=True)
        name: str | None = f("string", "0+", nullable="10+")

    topics: list[MetadataRequestTopic] | None = f([MetadataRequestTopic], "0+", nullable="1+")
    allow_auto_topic_creation: bool = f("bool", "4+", default=True)
    include_cluster_authorized_operations: bool = f("bool", "8-10")
    include_topic_authorized_operations: bool = f("bool", "8+")


@dataclass(frozen=True)
class MetadataResponse(Message):
    API_KEY: ClassVar[int] = 3
    VERSIONS: ClassVar[Versions] = Versions(0, 13)
    FLEXIBLE: ClassVar[Versions] = Versions(9)

    @dataclass(frozen=True)
    class MetadataResponseBroker(Struct):
        node_id: int = f("int32", "0+")
        host: str = f("string", "0+")
        port: int = f("int32", "0+")
        rack: str | None = f("string", "1+", nullable="1+", default=None, ignorable=True)

    @dataclass(frozen=True)
    class MetadataResponseTopic(Struct):
        @dataclass(frozen=True)
        class MetadataResponsePartition(Struct):
            error_code: int = f("int16", "0+")
            partition_index: int = f("int32", "0+")
            leader_id: int = f("int32", "0+")
            leader_epoch: int = f("int32", "7+", default=-1, ignorable=True)
            replica_nodes: list[int] = f("[]int32", "0+")
            isr_nodes: list[int] = f("[]int32", "0+")
            offline_replicas: list[int] = f("[]int32", "5+", ignorable=True)

        error_code: int = f("int16", "0+")
        name: str | None = f("string", "0+", nullable="12+")
        topic_id: uuid.UUID = f("uuid", "10+", ignorable=True)
        is_internal: bool = f("bool", "1+", ignorable=True)
        partitions: list[MetadataResponsePartition] = f([MetadataResponsePartition], "0+")
        topic_authorized_operations: int = f("int32", "8+", default=-2147483648)

    throttle_time_ms: int = f("int32", "3+", ignorable=True)
    brokers: list[MetadataResponseBroker] = f([MetadataResponseBroker], "0+")
    cluster_id: str | None = f("string", "2+", nullable="2+", default=None, ignorable=True)
    controller_id: int = f("int32", "1+", default=-1, ignorable=True)
    topics: list[MetadataResponseTopic] = f([MetadataResponseTopic], "0+")
    cluster_authorized_operations: int = f("int32", "8-10", default=-2147483648)
    error_code: int = f("int16", "13+", ignorable=True)
