"""ShareAcknowledge (key 79), v1-2, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ShareAcknowledgeRequest(Message):
    API_KEY: ClassVar[int] = 79
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class AcknowledgeTopic(Struct):
        @dataclass(frozen=True)
        class AcknowledgePartition(Struct):
            @dataclass(frozen=True)
            class AcknowledgementBatch(Struct):
                first_offset: int = f("int64", "0+")
                last_offset: int = f("int64", "0+")
                acknowledge_types: list[int] = f("[]int8", "0+")

            partition_index: int = f("int32", "0+")
            acknowledgement_batches: list[AcknowledgementBatch] = f([AcknowledgementBatch], "0+")

        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[AcknowledgePartition] = f([AcknowledgePartition], "0+")

    group_id: str | None = f("string", "0+", nullable="0+", default=None)
    member_id: str | None = f("string", "0+", nullable="0+")
    share_session_epoch: int = f("int32", "0+")
    is_renew_ack: bool = f("bool", "2+")
    topics: list[AcknowledgeTopic] = f([AcknowledgeTopic], "0+")


@dataclass(frozen=True)
class ShareAcknowledgeResponse(Message):
    API_KEY: ClassVar[int] = 79
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ShareAcknowledgeTopicResponse(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            @dataclass(frozen=True)
            class LeaderIdAndEpoch(Struct):
                leader_id: int = f("int32", "0+")
                leader_epoch: int = f("int32", "0+")

            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+", default=None)
            current_leader: LeaderIdAndEpoch = f(LeaderIdAndEpoch, "0+")

        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[PartitionData] = f([PartitionData], "0+")

    @dataclass(frozen=True)
    class NodeEndpoint(Struct):
        node_id: int = f("int32", "0+")
        host: str = f("string", "0+")
        port: int = f("int32", "0+")
        rack: str | None = f("string", "0+", nullable="0+", default=None)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+", default=None)
    acquisition_lock_timeout_ms: int = f("int32", "2+", ignorable=True)
    responses: list[ShareAcknowledgeTopicResponse] = f([ShareAcknowledgeTopicResponse], "0+")
    node_endpoints: list[NodeEndpoint] = f([NodeEndpoint], "0+")
