"""EndTxn (key 26), v0-5, flexible from v3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class EndTxnRequest(Message):
    API_KEY: ClassVar[int] = 26
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    transactional_id: str = f("string", "0+")
    producer_id: int = f("int64", "0+")
    producer_epoch: int = f("int16", "0+")
    committed: bool = f("bool", "0+")


@dataclass(frozen=True)
class EndTxnResponse(Message):
    API_KEY: ClassVar[int] = 26
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    producer_id: int = f("int64", "5+", default=-1, ignorable=True)
    producer_epoch: int = f("int16", "5+", default=-1, ignorable=True)
