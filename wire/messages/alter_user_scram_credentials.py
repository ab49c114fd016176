"""AlterUserScramCredentials (key 51), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class AlterUserScramCredentialsRequest(Message):
    API_KEY: ClassVar[int] = 51
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ScramCredentialDeletion(Struct):
        name: str = f("string", "0+")
        mechanism: int = f("int8", "0+")

    @dataclass(frozen=True)
    class ScramCredentialUpsertion(Struct):
        name: str = f("string", "0+")
        mechanism: int = f("int8", "0+")
        iterations: int = f("int32", "0+")
        salt: bytes = f("bytes", "0+")
        salted_password: bytes = f("bytes", "0+")

    deletions: list[ScramCredentialDeletion] = f([ScramCredentialDeletion], "0+")
    upsertions: list[ScramCredentialUpsertion] = f([ScramCredentialUpsertion], "0+")


@dataclass(frozen=True)
class AlterUserScramCredentialsResponse(Message):
    API_KEY: ClassVar[int] = 51
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class AlterUserScramCredentialsResult(Struct):
        user: str = f("string", "0+")
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+")

    throttle_time_ms: int = f("int32", "0+")
    results: list[AlterUserScramCredentialsResult] = f([AlterUserScramCredentialsResult], "0+")
