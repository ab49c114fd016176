"""AddPartitionsToTxn (key 24), v0-5, flexible from v3.

`AddPartitionsToTxnPartitionResult`, `AddPartitionsToTxnTopic`, `AddPartitionsToTxnTopicResult`:
upstream common structs used at more than one depth, so declared once at module level.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class AddPartitionsToTxnTopic(Struct):
    name: str = f("string", "0+")
    partitions: list[int] = f("[]int32", "0+")


@dataclass(frozen=True)
class AddPartitionsToTxnRequest(Message):
    API_KEY: ClassVar[int] = 24
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    @dataclass(frozen=True)
    class AddPartitionsToTxnTransaction(Struct):
        transactional_id: str = f("string", "4+")
        producer_id: int = f("int64", "4+")
        producer_epoch: int = f("int16", "4+")
        verify_only: bool = f("bool", "4+")
        topics: list[AddPartitionsToTxnTopic] = f([AddPartitionsToTxnTopic], "4+")

    transactions: list[AddPartitionsToTxnTransaction] = f([AddPartitionsToTxnTransaction], "4+")
    v3_and_below_transactional_id: str = f("string", "0-3")
    v3_and_below_producer_id: int = f("int64", "0-3")
    v3_and_below_producer_epoch: int = f("int16", "0-3")
    v3_and_below_topics: list[AddPartitionsToTxnTopic] = f([AddPartitionsToTxnTopic], "0-3")


@dataclass(frozen=True)
class AddPartitionsToTxnPartitionResult(Struct):
    partition_index: int = f("int32", "0+")
    partition_error_code: int = f("int16", "0+")


@dataclass(frozen=True)
class AddPartitionsToTxnTopicResult(Struct):
    name: str = f("string", "0+")
    results_by_partition: list[AddPartitionsToTxnPartitionResult] = f(
        [AddPartitionsToTxnPartitionResult], "0+"
    )


@dataclass(frozen=True)
class AddPartitionsToTxnResponse(Message):
    API_KEY: ClassVar[int] = 24
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    @dataclass(frozen=True)
    class AddPartitionsToTxnResult(Struct):
        transactional_id: str = f("string", "4+")
        topic_results: list[AddPartitionsToTxnTopicResult] = f(
            [AddPartitionsToTxnTopicResult], "4+"
        )

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "4+", ignorable=True)
    results_by_transaction: list[AddPartitionsToTxnResult] = f([AddPartitionsToTxnResult], "4+")
    results_by_topic_v3_and_below: list[AddPartitionsToTxnTopicResult] = f(
        [AddPartitionsToTxnTopicResult], "0-3"
    )
