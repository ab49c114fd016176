"""InitProducerId (key 22), v0-6, flexible from v2.

v6 is marked unstable in Kafka 4.3.1 (a broker serves it only with
`unstable.api.versions.enable`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class InitProducerIdRequest(Message):
    API_KEY: ClassVar[int] = 22
    VERSIONS: ClassVar[Versions] = Versions(0, 6)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    transactional_id: str | None = f("string", "0+", nullable="0+")
    transaction_timeout_ms: int = f("int32", "0+")
    producer_id: int = f("int64", "3+", default=-1)
    producer_epoch: int = f("int16", "3+", default=-1)
    enable2_pc: bool = f("bool", "6+")
    keep_prepared_txn: bool = f("bool", "6+")


@dataclass(frozen=True)
class InitProducerIdResponse(Message):
    API_KEY: ClassVar[int] = 22
    VERSIONS: ClassVar[Versions] = Versions(0, 6)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    throttle_time_ms: int = f("int32", "0+", ignorable=True)
    error_code: int = f("int16", "0+")
    producer_id: int = f("int64", "0+", default=-1)
    producer_epoch: int = f("int16", "0+")
    ongoing_txn_producer_id: int = f("int64", "6+", default=-1)
    ongoing_txn_producer_epoch: int = f("int16", "6+", default=-1)
