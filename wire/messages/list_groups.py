"""ListGroups (key 16), v0-5, flexible from v3."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ListGroupsRequest(Message):
    API_KEY: ClassVar[int] = 16
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    states_filter: list[str] = f("[]string", "4+")
    types_filter: list[str] = f("[]string", "5+")


@dataclass(frozen=True)
class ListGroupsResponse(Message):
    API_KEY: ClassVar[int] = 16
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    @dataclass(frozen=True)
    class ListedGroup(Struct):
        group_id: str = f("string", "0+")
        protocol_type: str = f("string", "0+")
        group_state: str = f("string", "4+", ignorable=True)
        group_type: str = f("string", "5+", ignorable=True)

    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    error_code: int = f("int16", "0+")
    groups: list[ListedGroup] = f([ListedGroup], "0+")
