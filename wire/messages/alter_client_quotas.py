"""AlterClientQuotas (key 49), v0-1, flexible from v1."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class AlterClientQuotasRequest(Message):
    API_KEY: ClassVar[int] = 49
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class EntryData(Struct):
        @dataclass(frozen=True)
        class EntityData(Struct):
            entity_type: str = f("string", "0+")
            entity_name: str | None = f("string", "0+", nullable="0+")

        @dataclass(frozen=True)
        class OpData(Struct):
            key: str = f("string", "0+")
            value: float = f("float64", "0+")
            remove: bool = f("bool", "0+")

        entity: list[EntityData] = f([EntityData], "0+")
        ops: list[OpData] = f([OpData], "0+")

    entries: list[EntryData] = f([EntryData], "0+")
    validate_only: bool = f("bool", "0+")


@dataclass(frozen=True)
class AlterClientQuotasResponse(Message):
    API_KEY: ClassVar[int] = 49
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class EntryData(Struct):
        @dataclass(frozen=True)
        class EntityData(Struct):
            entity_type: str = f("string", "0+")
            entity_name: str | None = f("string", "0+", nullable="0+")

        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+")
        entity: list[EntityData] = f([EntityData], "0+")

    throttle_time_ms: int = f("int32", "0+")
    entries: list[EntryData] = f([EntryData], "0+")
