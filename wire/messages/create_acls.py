"""CreateAcls (key 30), v1-3, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class CreateAclsRequest(Message):
    API_KEY: ClassVar[int] = 30
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class AclCreation(Struct):
        resource_type: int = f("int8", "0+")
        resource_name: str = f("string", "0+")
        resource_pattern_type: int = f("int8", "1+", default=3)
        principal: str = f("string", "0+")
        host: str = f("string", "0+")
        operation: int = f("int8", "0+")
        permission_type: int = f("int8", "0+")

    creations: list[AclCreation] = f([AclCreation], "0+")


@dataclass(frozen=True)
class CreateAclsResponse(Message):
    API_KEY: ClassVar[int] = 30
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class AclCreationResult(Struct):
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+")

    throttle_time_ms: int = f("int32", "0+")
    results: list[AclCreationResult] = f([AclCreationResult], "0+")
