"""Envelope (key 58), v0, flexible from v0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class EnvelopeRequest(Message):
    API_KEY: ClassVar[int] = 58
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    request_data: bytes = f("bytes", "0+")
    request_principal: bytes | None = f("bytes", "0+", nullable="0+")
    client_host_address: bytes = f("bytes", "0+")


@dataclass(frozen=True)
class EnvelopeResponse(Message):
    API_KEY: ClassVar[int] = 58
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    response_data: bytes | None = f("bytes", "0+", nullable="0+", default=None)
    error_code: int = f("int16", "0+")
