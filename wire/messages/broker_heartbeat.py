"""BrokerHeartbeat (key 63), v0-2, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class BrokerHeartbeatRequest(Message):
    API_KEY: ClassVar[int] = 63
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    broker_id: int = f("int32", "0+")
    broker_epoch: int = f("int64", "0+", default=-1)
    current_metadata_offset: int = f("int64", "0+")
    want_fence: bool = f("bool", "0+")
    want_shut_down: bool = f("bool", "0+")
    offline_log_dirs: list[uuid.UUID] = f("[]uuid", "1+", tagged="1+", tag=0)
    cordoned_log_dirs: list[uuid.UUID] | None = f(
        "[]uuid", "2+", nullable="2+", tagged="2+", tag=1, default=None
    )


@dataclass(frozen=True)
class BrokerHeartbeatResponse(Message):
    API_KEY: ClassVar[int] = 63
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    is_caught_up: bool = f("bool", "0+")
    is_fenced: bool = f("bool", "0+", default=True)
    should_shut_down: bool = f("bool", "0+")
