"""Heartbeat (key 12), v0-4, flexible from v4."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class HeartbeatRequest(Message):
    API_KEY: ClassVar[int] = 12
    VERSIONS: ClassVar[Versions] = Versions(0, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    group_id: str = f("string", "0+")
    generation_id: int = f("int32", "0+")
    member_id: str = f("string", "0+")
    group_instance_id: str | None = f("string", "3+", nullable="3+", default=None)


@dataclass(frozen=True)
class HeartbeatResponse(Message):
    API_KEY: ClassVar[int] = 12
    VERSIONS: ClassVar[Versions] = Versions(0, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    error_code: int = f("int16", "0+")
