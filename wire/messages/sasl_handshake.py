"""SaslHandshake (key 17), v0-1, never flexible.

v0: after the answer the client sends raw SASL tokens, each a 4-byte size then the token (no
request header); v1: tokens travel in SaslAuthenticate requests (key 36).
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import VERSION_MAX, Message, Versions, f


@dataclass(frozen=True)
class SaslHandshakeRequest(Message):
    API_KEY: ClassVar[int] = 17
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(VERSION_MAX + 1)

    mechanism: str = f("string", "0+")


@dataclass(frozen=True)
class SaslHandshakeResponse(Message):
    API_KEY: ClassVar[int] = 17
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(VERSION_MAX + 1)

    error_code: int = f("int16", "0+")
    mechanisms: list[str] = f("[]string", "0+")
