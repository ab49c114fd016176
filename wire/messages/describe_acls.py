"""DescribeAcls (key 29), v1-3, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeAclsRequest(Message):
    API_KEY: ClassVar[int] = 29
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    resource_type_filter: int = f("int8", "0+")
    resource_name_filter: str | None = f("string", "0+", nullable="0+")
    pattern_type_filter: int = f("int8", "1+", default=3)
    principal_filter: str | None = f("string", "0+", nullable="0+")
    host_filter: str | None = f("string", "0+", nullable="0+")
    operation: int = f("int8", "0+")
    permission_type: int = f("int8", "0+")


@dataclass(frozen=True)
class DescribeAclsResponse(Message):
    API_KEY: ClassVar[int] = 29
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DescribeAclsResource(Struct):
        @dataclass(frozen=True)
        class AclDescription(Struct):
            principal: str = f("string", "0+")
            host: str = f("string", "0+")
            operation: int = f("int8", "0+")
            permission_type: int = f("int8", "0+")

        resource_type: int = f("int8", "0+")
        resource_name: str = f("string", "0+")
        pattern_type: int = f("int8", "1+", default=3)
        acls: list[AclDescription] = f([AclDescription], "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+")
    resources: list[DescribeAclsResource] = f([DescribeAclsResource], "0+")
