"""DescribeTransactions (key 65), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeTransactionsRequest(Message):
    API_KEY: ClassVar[int] = 65
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    transactional_ids: list[str] = f("[]string", "0+")


@dataclass(frozen=True)
class DescribeTransactionsResponse(Message):
    API_KEY: ClassVar[int] = 65
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class TransactionState(Struct):
        @dataclass(frozen=True)
        class TopicData(Struct):
            topic: str = f("string", "0+")
            partitions: list[int] = f("[]int32", "0+")

        error_code: int = f("int16", "0+")
        transactional_id: str = f("string", "0+")
        transaction_state: str = f("string", "0+")
        transaction_timeout_ms: int = f("int32", "0+")
        transaction_start_time_ms: int = f("int64", "0+")
        producer_id: int = f("int64", "0+")
        producer_epoch: int = f("int16", "0+")
        topics: list[TopicData] = f([TopicData], "0+")

    throttle_time_ms: int = f("int32", "0+")
    transaction_states: list[TransactionState] = f([TransactionState], "0+")
