"""CreateDelegationToken (key 38), v1-3, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class CreateDelegationTokenRequest(Message):
    API_KEY: ClassVar[int] = 38
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class CreatableRenewers(Struct):
        principal_type: str = f("string", "0+")
        principal_name: str = f("string", "0+")

    owner_principal_type: str | None = f("string", "3+", nullable="3+")
    owner_principal_name: str | None = f("string", "3+", nullable="3+")
    renewers: list[CreatableRenewers] = f([CreatableRenewers], "0+")
    max_lifetime_ms: int = f("int64", "0+")


@dataclass(frozen=True)
class CreateDelegationTokenResponse(Message):
    API_KEY: ClassVar[int] = 38
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    error_code: int = f("int16", "0+")
    principal_type: str = f("string", "0+")
    principal_name: str = f("string", "0+")
    token_requester_principal_type: str = f("string", "3+")
    token_requester_principal_name: str = f("string", "3+")
    issue_timestamp_ms: int = f("int64", "0+")
    expiry_timestamp_ms: int = f("int64", "0+")
    max_timestamp_ms: int = f("int64", "0+")
    token_id: str = f("string", "0+")
    hmac: bytes = f("bytes", "0+")
    throttle_time_ms: int = f("int32", "0+")
