"""BeginQuorumEpoch (key 53), v0-1; v0 is classic (not flexible), v1 flexible."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class BeginQuorumEpochRequest(Message):
    API_KEY: ClassVar[int] = 53
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class TopicData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            partition_index: int = f("int32", "0+")
            voter_directory_id: uuid.UUID = f("uuid", "1+", ignorable=True)
            leader_id: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+")

        topic_name: str = f("string", "0+")
        partitions: list[PartitionData] = f([PartitionData], "0+")

    @dataclass(frozen=True)
    class LeaderEndpoint(Struct):
        name: str = f("string", "1+")
        host: str = f("string", "1+")
        port: int = f("uint16", "1+")

    cluster_id: str | None = f("string", "0+", nullable="0+", default=None)
    voter_id: int = f("int32", "1+", default=-1, ignorable=True)
    topics: list[TopicData] = f([TopicData], "0+")
    leader_endpoints: list[LeaderEndpoint] = f([LeaderEndpoint], "1+", ignorable=True)


@dataclass(frozen=True)
class BeginQuorumEpochResponse(Message):
    API_KEY: ClassVar[int] = 53
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class TopicData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            leader_id: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+")

        topic_name: str = f("string", "0+")
        partitions: list[PartitionData] = f([PartitionData], "0+")

    @dataclass(frozen=True)
    class NodeEndpoint(Struct):
        node_id: int = f("int32", "1+")
        host: str = f("string", "1+")
        port: int = f("uint16", "1+")

    error_code: int = f("int16", "0+")
    topics: list[TopicData] = f([TopicData], "0+")
    node_endpoints: list[NodeEndpoint] = f([NodeEndpoint], "1+", tagged="1+", tag=0)
