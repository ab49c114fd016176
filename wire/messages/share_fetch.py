"""ShareFetch (key 78), v1-2, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ShareFetchRequest(Message):
    API_KEY: ClassVar[int] = 78
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class FetchTopic(Struct):
        @dataclass(frozen=True)
        class FetchPartition(Struct):
            @dataclass(frozen=True)
            class AcknowledgementBatch(Struct):
                first_offset: int = f("int64", "0+")
                last_offset: int = f("int64", "0+")
                acknowledge_types: list[int] = f("[]int8", "0+")

            partition_index: int = f("int32", "0+")
            partition_max_bytes: int = f("int32", "0")
            acknowledgement_batches: list[AcknowledgementBatch] = f([AcknowledgementBatch], "0+")

        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[FetchPartition] = f([FetchPartition], "0+")

    @dataclass(frozen=True)
    class ForgottenTopic(Struct):
        topic_id: uuid.UUID = f("uuid", "0+")
        partitions: list[int] = f("[]int32", "0+")

    group_id: str | None = f("string", "0+", nullable="0+", default=None)
    member_id: str | None = f("string", "0+", nullable="0+")
    share_session_epoch: int = f("int32", "0+")
    max_wait_ms: int = f("int32", "0+")
    min_bytes: int = f("int32", "0+")
    max_bytes: int = f("int32", "0+", default=2147483647)
    max_records: int = f("int32", "1+")
    batch_size: int = f("int32", "1+")
    share_acquire_mode: int = f("int8", "2+", ignorable=True)
    is_renew_ack: bool = f("bool", "2+")
    topics: list[FetchTopic] = f([FetchTopic], "0+")
    forgotten_topics_data: list[ForgottenTopic] = f([ForgottenTopic], "0+")


@dataclass(frozen=True)
class ShareFetchResponse(Message):
    API_KEY: ClassVar[int] = 78
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ShareFetchableTopicResponse(Struct):
        @dataclass(frozen=True)
        class PartitionData(Struct):
            @dataclass(frozen=True)
            class LeaderIdAndEpoch(Struct):
                leader_id: int = f("int32", "0+")
                leader_epoch: int = f("int32", "0+")

            @dataclass(frozen=True)
            class AcquiredRecords(Struct):
                first_offset: int = f("int64", "0+")
                last_offset: int = f("int64", "0+")
                delivery_count: int = f("int16", "0+")

            partition_index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+", default=None)
            acknowledge_error_code: int = f("int16", "0+")
            acknowledge_error_message: str | None = f("string", "0+", nullable="0+", default=None)
            current_leader: LeaderIdAndEpoch = f(LeaderIdAndEpoch, "0+")
            records: bytes | None = f("records", "0+", nullable="0", default=None)
            acquired_records: list[AcquiredRecords] = f([AcquiredRecords], "0+")

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
    acquisition_lock_timeout_ms: int = f("int32", "1+")
    responses: list[ShareFetchableTopicResponse] = f([ShareFetchableTopicResponse], "0+")
    node_endpoints: list[NodeEndpoint] = f([NodeEndpoint], "0+")
