"""UnregisterBroker (key 64), v0, flexible from v0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class UnregisterBrokerRequest(Message):
    API_KEY: ClassVar[int] = 64
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    broker_id: int = f("int32", "0+")


@dataclass(frozen=True)
class UnregisterBrokerResponse(Message):
    API_KEY: ClassVar[int] = 64
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+")
