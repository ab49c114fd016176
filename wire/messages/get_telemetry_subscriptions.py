"""GetTelemetrySubscriptions (key 71), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class GetTelemetrySubscriptionsRequest(Message):
    API_KEY: ClassVar[int] = 71
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    client_instance_id: uuid.UUID = f("uuid", "0+")


@dataclass(frozen=True)
class GetTelemetrySubscriptionsResponse(Message):
    API_KEY: ClassVar[int] = 71
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    client_instance_id: uuid.UUID = f("uuid", "0+")
    subscription_id: int = f("int32", "0+")
    accepted_compression_types: list[int] = f("[]int8", "0+")
    push_interval_ms: int = f("int32", "0+")
    telemetry_max_bytes: int = f("int32", "0+")
    delta_temporality: bool = f("bool", "0+")
    requested_metrics: list[str] = f("[]string", "0+")
