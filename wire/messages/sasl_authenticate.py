"""SaslAuthenticate (key 36), v0-2, flexible from v2: one SASL token each way per round trip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class SaslAuthenticateRequest(Message):
    API_KEY: ClassVar[int] = 36
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    auth_bytes: bytes = f("bytes", "0+")


@dataclass(frozen=True)
class SaslAuthenticateResponse(Message):
    API_KEY: ClassVar[int] = 36
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+", default=None)
    auth_bytes: bytes = f("bytes", "0+")
    session_lifetime_ms: int = f("int64", "1+", ignorable=True)
