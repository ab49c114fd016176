"""Produce (key 0), v3-13, flexible from v9 (v13, 4.x: topics by id instead of name)."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ProduceRequest(Message):
    API_KEY: ClassVar[int] = 0
    VERSIONS: ClassVar[Versions] = Versions(3, 13)
    FLEXIBLE: ClassVar[Versions] = Versions(9)

    @dataclass(frozen=True)
    class TopicProduceData(Struct):
        @dataclass(frozen=True)
        class PartitionProduceData(Struct):
            index: int = f("int32", "0+")
            records: bytes | None = f("records", "0+", nullable="0+", default=None)

        name: str = f("string", "0-12", ignorable=True)
        topic_id: uuid.UUID = f("uuid", "13+", ignorable=True)
        partition_data: list[PartitionProduceData] = f([PartitionProduceData], "0+")

    transactional_id: str | None = f("string", "3+", nullable="3+", default=None)
    acks: int = f("int16", "0+")
    timeout_ms: int = f("int32", "0+")
    topic_data: list[TopicProduceData] = f([TopicProduceData], "0+")


@dataclass(frozen=True)
class ProduceResponse(Message):
    API_KEY: ClassVar[int] = 0
    VERSIONS: ClassVar[Versions] = Versions(3, 13)
    FLEXIBLE: ClassVar[Versions] = Versions(9)

    @dataclass(frozen=True)
    class TopicProduceResponse(Struct):
        @dataclass(frozen=True)
        class PartitionProduceResponse(Struct):
            @dataclass(frozen=True)
            class BatchIndexAndErrorMessage(Struct):
                batch_index: int = f("int32", "8+")
                batch_index_error_message: str | None = f(
                    "string", "8+", nullable="8+", default=None
                )

            @dataclass(frozen=True)
            class LeaderIdAndEpoch(Struct):
                leader_id: int = f("int32", "10+", default=-1)
                leader_epoch: int = f("int32", "10+", default=-1)

            index: int = f("int32", "0+")
            error_code: int = f("int16", "0+")
            base_offset: int = f("int64", "0+")
            log_append_time_ms: int = f("int64", "2+", default=-1, ignorable=True)
            log_start_offset: int = f("int64", "5+", default=-1, ignorable=True)
            record_errors: list[BatchIndexAndErrorMessage] = f(
                [BatchIndexAndErrorMessage], "8+", ignorable=True
            )
            error_message: str | None = f(
                "string", "8+", nullable="8+", default=None, ignorable=True
            )
            current_leader: LeaderIdAndEpoch = f(LeaderIdAndEpoch, "10+", tagged="10+", tag=0)

        name: str = f("string", "0-12", ignorable=True)
        topic_id: uuid.UUID = f("uuid", "13+", ignorable=True)
        partition_responses: list[PartitionProduceResponse] = f([PartitionProduceResponse], "0+")

    @dataclass(frozen=True)
    class NodeEndpoint(Struct):
        node_id: int = f("int32", "10+")
        host: str = f("string", "10+")
        port: int = f("int32", "10+")
        rack: str | None = f("string", "10+", nullable="10+", default=None)

    responses: list[TopicProduceResponse] = f([TopicProduceResponse], "0+")
    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    node_endpoints: list[NodeEndpoint] = f([NodeEndpoint], "10+", tagged="10+", tag=0)
