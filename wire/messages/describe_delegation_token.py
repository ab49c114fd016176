"""DescribeDelegationToken (key 41), v1-3, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeDelegationTokenRequest(Message):
    API_KEY: ClassVar[int] = 41
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DescribeDelegationTokenOwner(Struct):
        principal_type: str = f("string", "0+")
        principal_name: str = f("string", "0+")

    owners: list[DescribeDelegationTokenOwner] | None = f(
        [DescribeDelegationTokenOwner], "0+", nullable="0+"
    )


@dataclass(frozen=True)
class DescribeDelegationTokenResponse(Message):
    API_KEY: ClassVar[int] = 41
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DescribedDelegationToken(Struct):
        @dataclass(frozen=True)
        class DescribedDelegationTokenRenewer(Struct):
            principal_type: str = f("string", "0+")
            principal_name: str = f("string", "0+")

        principal_type: str = f("string", "0+")
        principal_name: str = f("string", "0+")
        token_requester_principal_type: str = f("string", "3+")
        token_requester_principal_name: str = f("string", "3+")
        issue_timestamp: int = f("int64", "0+")
        expiry_timestamp: int = f("int64", "0+")
        max_timestamp: int = f("int64", "0+")
        token_id: str = f("string", "0+")
        hmac: bytes = f("bytes", "0+")
        renewers: list[DescribedDelegationTokenRenewer] = f([DescribedDelegationTokenRenewer], "0+")

    error_code: int = f("int16", "0+")
    tokens: list[DescribedDelegationToken] = f([DescribedDelegationToken], "0+")
    throttle_time_ms: int = f("int32", "0+")
