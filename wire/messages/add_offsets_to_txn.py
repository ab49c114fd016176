"""AddOffsetsToTxn (key 25), v0-4, flexible from v3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class AddOffsetsToTxnRequest(Message):
    API_KEY: ClassVar[int] = 25
    VERSIONS: ClassVar[Versions] = Versions(0, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    transactional_id: str = f("string", "0+")
    producer_id: int = f("int64", "0+")
    producer_epoch: int = f("int16", "0+")
    group_id: str = f("string", "0+")


@dataclass(frozen=True)
class AddOffsetsToTxnResponse(Message):
    API_KEY: ClassVar[int] = 25
    VERSIONS: ClassVar[Versions] = Versions(0, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
