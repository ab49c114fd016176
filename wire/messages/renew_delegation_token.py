"""RenewDelegationToken (key 39), v1-2, flexible from v2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class RenewDelegationTokenRequest(Message):
    API_KEY: ClassVar[int] = 39
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    hmac: bytes = f("bytes", "0+")
    renew_period_ms: int = f("int64", "0+")


@dataclass(frozen=True)
class RenewDelegationTokenResponse(Message):
    API_KEY: ClassVar[int] = 39
    VERSIONS: ClassVar[Versions] = Versions(1, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    error_code: int = f("int16", "0+")
    expiry_timestamp_ms: int = f("int64", "0+")
    throttle_time_ms: int = f("int32", "0+")
