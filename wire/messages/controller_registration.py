"""ControllerRegistration (key 70), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ControllerRegistrationRequest(Message):
    API_KEY: ClassVar[int] = 70
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class Listener(Struct):
        name: str = f("string", "0+")
        host: str = f("string", "0+")
        port: int = f("uint16", "0+")
        security_protocol: int = f("int16", "0+")

    @dataclass(frozen=True)
    class Feature(Struct):
        name: str = f("string", "0+")
        min_supported_version: int = f("int16", "0+")
        max_supported_version: int = f("int16", "0+")

    controller_id: int = f("int32", "0+")
    incarnation_id: uuid.UUID = f("uuid", "0+")
    zk_migration_ready: bool = f("bool", "0+")
    listeners: list[Listener] = f([Listener], "0+")
    features: list[Feature] = f([Feature], "0+")


@dataclass(frozen=True)
class ControllerRegistrationResponse(Message):
    API_KEY: ClassVar[int] = 70
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+")
