"""PushTelemetry (key 72), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class PushTelemetryRequest(Message):
    API_KEY: ClassVar[int] = 72
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    client_instance_id: uuid.UUID = f("uuid", "0+")
    subscription_id: int = f("int32", "0+")
    terminating: bool = f("bool", "0+")
    compression_type: int = f("int8", "0+")
    metrics: bytes = f("bytes", "0+")


@dataclass(frozen=True)
class PushTelemetryResponse(Message):
    API_KEY: ClassVar[int] = 72
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
