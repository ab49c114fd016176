"""FindCoordinator (key 10), v0-6. Declared and decodable but NOT advertised (librdkafka starts
group coordination if it is, see the registry).
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class FindCoordinatorRequest(Message):
    API_KEY: ClassVar[int] = 10
    VERSIONS: ClassVar[Versions] = Versions(0, 6)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    key: str = f("string", "0-3")
    key_type: int = f("int8", "1+")
    coordinator_keys: list[str] = f("[]string", "4+")


@dataclass(frozen=True)
class FindCoordinatorResponse(Message):
    API_KEY: ClassVar[int] = 10
    VERSIONS: ClassVar[Versions] = Versions(0, 6)
    FLEXIBLE: ClassVar[Versions] = Versions(3)

    @dataclass(frozen=True)
    class Coordinator(Struct):
        key: str = f("string", "4+")
        node_id: int = f("int32", "4+")
        host: str = f("string", "4+")
        port: int = f("int32", "4+")
        error_code: int = f("int16", "4+")
        error_message: str | None = f("string", "4+", nullable="4+", ignorable=True)

    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    error_code: int = f("int16", "0-3")
    error_message: str | None = f("string", "1-3", nullable="1-3", ignorable=True)
    node_id: int = f("int32", "0-3")
    host: str = f("string", "0-3")
    port: int = f("int32", "0-3")
    coordinators: list[Coordinator] = f([Coordinator], "4+")
