"""JoinGroup (key 11), v0-9, flexible from v6."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class JoinGroupRequest(Message):
    API_KEY: ClassVar[int] = 11
    VERSIONS: ClassVar[Versions] = Versions(0, 9)
    FLEXIBLE: ClassVar[Versions] = Versions(6)

    @dataclass(frozen=True)
    class JoinGroupRequestProtocol(Struct):
        name: str = f("string", "0+")
        metadata: bytes = f("bytes", "0+")

    group_id: str = f("string", "0+")
    session_timeout_ms: int = f("int32", "0+")
    rebalance_timeout_ms: int = f("int32", "1+", default=-1, ignorable=True)
    member_id: str = f("string", "0+")
    group_instance_id: str | None = f("string", "5+", nullable="5+", default=None)
    protocol_type: str = f("string", "0+")
    protocols: list[JoinGroupRequestProtocol] = f([JoinGroupRequestProtocol], "0+")
    reason: str | None = f("string", "8+", nullable="8+", default=None, ignorable=True)


@dataclass(frozen=True)
class JoinGroupResponse(Message):
    API_KEY: ClassVar[int] = 11
    VERSIONS: ClassVar[Versions] = Versions(0, 9)
    FLEXIBLE: ClassVar[Versions] = Versions(6)

    @dataclass(frozen=True)
    class JoinGroupResponseMember(Struct):
        member_id: str = f("string", "0+")
        group_instance_id: str | None = f(
            "string", "5+", nullable="5+", default=None, ignorable=True
        )
        metadata: bytes = f("bytes", "0+")

    throttle_time_ms: int = f("int32", "2+", ignorable=True)
    error_code: int = f("int16", "0+")
    generation_id: int = f("int32", "0+", default=-1)
    protocol_type: str | None = f("string", "7+", nullable="7+", default=None, ignorable=True)
    protocol_name: str | None = f("string", "0+", nullable="7+")
    leader: str = f("string", "0+")
    skip_assignment: bool = f("bool", "9+")
    member_id: str = f("string", "0+")
    members: list[JoinGroupResponseMember] = f([JoinGroupResponseMember], "0+")
