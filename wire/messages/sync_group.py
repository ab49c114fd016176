"""SyncGroup (key 14), v0-5, flexible from v4."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class SyncGroupRequest(Message):
    API_KEY: ClassVar[int] = 14
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    @dataclass(frozen=True)
    class SyncGroupRequestAssignment(Struct):
        member_id: str = f("string", "0+")
        assignment: bytes = f("bytes", "0+")

    group_id: str = f("string", "0+")
    generation_id: int = f("int32", "0+")
    member_id: str = f("string", "0+")
    group_instance_id: str | None = f("string", "3+", nullable="3+", default=None)
    protocol_type: str | None = f("string", "5+", nullable="5+", default=None, ignorable=True)
    protocol_name: str | None = f("string", "5+", nullable="5+", default=None, ignorable=True)
    assignments: list[SyncGroupRequestAssignment] = f([SyncGroupRequestAssignment], "0+")


@dataclass(frozen=True)
class SyncGroupResponse(Message):
    API_KEY: ClassVar[int] = 14
    VERSIONS: ClassVar[Versions] = Versions(0, 5)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    error_code: int = f("int16", "0+")
    protocol_type: str | None = f("string", "5+", nullable="5+", default=None, ignorable=True)
    protocol_name: str | None = f("string", "5+", nullable="5+", default=None, ignorable=True)
    assignment: bytes = f("bytes", "0+")
