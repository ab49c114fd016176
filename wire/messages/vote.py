"""Vote (key 52), v0-2, flexible from v0 (v2 adds `pre_vote`, KIP-996).

`voter_id` and `voter_directory_id` identify the RECEIVER (v1+); `replica_*` the candidate.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class VoteRequest(Message):
    API_KEY: ClassVar[int] = 52
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            partition_index: int = f("int32", "0+")
            replica_epoch: int = f("int32", "0+")
            replica_id: int = f("int32", "0+")
            replica_directory_id: uuid.UUID = f("uuid", "1+", ignorable=True)
            voter_directory_id: uuid.UUID = f("uuid", "1+", ignorable=True)
            last_offset_epoch: int = f("int32", "0+")
            last_offset: int = f("int64", "0+")
            pre_vote: bool = f("bool", "2+")

        topic_name: str = f("string", "0+")
        partitions: list[PartitionData] = f([PartitionData], "0+")

    cluster_id: str | None = f("string", "0+", nullable="0+", default=None)
    voter_id: int = f("int32", "1+", default=-1, ignorable=True)
    topics: list[TopicData] = f([TopicData], "0+")


@dataclass(frozen=True)
class VoteResponse(Message):
    API_KEY: ClassVar[int] = 52
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TopicData(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            leader_id: int = f("int32", "0+")
            leader_epoch: int = f("int32", "0+")
            vote_granted: bool = f("bool", "0+")

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
