"""LeaveGroup (key 13), v0-5, flexible from v4."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class LeaveGroupRequest(Message):
    API_KEY: ClassVar[int] = 13
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    @dataclass(frozen=True)
    class MemberIdentity(Struct):
        member_id: str = f("string", "3+")
        group_instance_id: str | None = f("string", "3+", nullable="3+", default=None)
        reason: str | None = f("string", "5+", nullable="5+", default=None, ignorable=True)

    group_id: str = f("string", "0+")
    member_id: str = f("string", "0-2")
    members: list[MemberIdentity] = f([MemberIdentity], "3+")


@dataclass(frozen=True)
class LeaveGroupResponse(Message):
    API_KEY: ClassVar[int] = 13
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    @dataclass(frozen=True)
    class MemberResponse(Struct):
        member_id: str = f("string", "3+")
        group_instance_id: str | None = f("string", "3+", nullable="3+")
        error_code: int = f("int16", "3+")

    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    error_code: int = f("int16", "0+")
    members: list[MemberResponse] = f([MemberResponse], "3+")
