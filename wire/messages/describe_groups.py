"""DescribeGroups (key 15), v0-6, flexible from v5."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeGroupsRequest(Message):
    API_KEY: ClassVar[int] = 15
    VERSIONS: ClassVar[Versions] = Versions(0, 6)
    FLEXIBLE: ClassVar[Versions] = Versions(5)

    groups: list[str] = f("[]string", "0+")
    include_authorized_operations: bool = f("bool", "3+")


@dataclass(frozen=True)
class DescribeGroupsResponse(Message):
    API_KEY: ClassVar[int] = 15
    VERSIONS: ClassVar[Versions] = Versions(0, 6)
    FLEXIBLE: ClassVar[Versions] = Versions(5)

    @dataclass(frozen=True)
    class DescribedGroup(Struct):
        @dataclass(frozen=True)
        class DescribedGroupMember(Struct):
            member_id: str = f("string", "0+")
            group_instance_id: str | None = f(
                "string", "4+", nullable="4+", default=None, ignorable=True
            )
            client_id: str = f("string", "0+")
            client_host: str = f("string", "0+")
            member_metadata: bytes = f("bytes", "0+")
            member_assignment: bytes = f("bytes", "0+")

        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "6+", nullable="6+", default=None)
        group_id: str = f("string", "0+")
        group_state: str = f("string", "0+")
        protocol_type: str = f("string", "0+")
        protocol_data: str = f("string", "0+")
        members: list[DescribedGroupMember] = f([DescribedGroupMember], "0+")
        authorized_operations: int = f("int32", "3+", default=-2147483648)

    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    groups: list[DescribedGroup] = f([DescribedGroup], "0+")
