"""DeleteAcls (key 31), v1-3, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DeleteAclsRequest(Message):
    API_KEY: ClassVar[int] = 31
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DeleteAclsFilter(Struct):
        resource_type_filter: int = f("int8", "0+")
        resource_name_filter: str | None = f("string", "0+", nullable="0+")
        pattern_type_filter: int = f("int8", "1+", default=3)
        principal_filter: str | None = f("string", "0+", nullable="0+")
        host_filter: str | None = f("string", "0+", nullable="0+")
        operation: int = f("int8", "0+")
        permission_type: int = f("int8", "0+")

    filters: list[DeleteAclsFilter] = f([DeleteAclsFilter], "0+")


@dataclass(frozen=True)
class DeleteAclsResponse(Message):
    API_KEY: ClassVar[int] = 31
    VERSIONS: ClassVar[Versions] = Versions(1, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DeleteAclsFilterResult(Struct):
        @dataclass(frozen=True)
        class DeleteAclsMatchingAcl(Struct):
            error_code: int = f("int16", "0+")
            error_message: str | None = f("string", "0+", nullable="0+")
            resource_type: int = f("int8", "0+")
            resource_name: str = f("string", "0+")
            pattern_type: int = f("int8", "1+", default=3)
            principal: str = f("string", "0+")
            host: str = f("string", "0+")
            operation: int = f("int8", "0+")
            permission_type: int = f("int8", "0+")

        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+")
        matching_acls: list[DeleteAclsMatchingAcl] = f([DeleteAclsMatchingAcl], "0+")

    throttle_time_ms: int = f("int32", "0+")
    filter_results: list[DeleteAclsFilterResult] = f([DeleteAclsFilterResult], "0+")
