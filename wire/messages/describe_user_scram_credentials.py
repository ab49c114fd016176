"""DescribeUserScramCredentials (key 50), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeUserScramCredentialsRequest(Message):
    API_KEY: ClassVar[int] = 50
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class UserName(Struct):
        name: str = f("string", "0+")

    users: list[UserName] | None = f([UserName], "0+", nullable="0+")


@dataclass(frozen=True)
class DescribeUserScramCredentialsResponse(Message):
    API_KEY: ClassVar[int] = 50
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DescribeUserScramCredentialsResult(Struct):
        @dataclass(frozen=True)
        class CredentialInfo(Struct):
            mechanism: int = f("int8", "0+")
            iterations: int = f("int32", "0+")

        user: str = f("string", "0+")
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+")
        credential_infos: list[CredentialInfo] = f([CredentialInfo], "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+")
    results: list[DescribeUserScramCredentialsResult] = f(
        [DescribeUserScramCredentialsResult], "0+"
    )
