"""DescribeClientQuotas (key 48), v0-1, flexible from v1."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeClientQuotasRequest(Message):
    API_KEY: ClassVar[int] = 48
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class ComponentData(Struct):
        entity_type: str = f("string", "0+")
        match_type: int = f("int8", "0+")
        match: str | None = f("string", "0+", nullable="0+")

    components: list[ComponentData] = f([ComponentData], "0+")
    strict: bool = f("bool", "0+")


@dataclass(frozen=True)
class DescribeClientQuotasResponse(Message):
    API_KEY: ClassVar[int] = 48
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class EntryData(Struct):
        @dataclass(frozen=True)
        class EntityData(Struct):
            entity_type: str = f("string", "0+")
            entity_name: str | None = f("string", "0+", nullable="0+")

        @dataclass(frozen=True)
        class ValueData(Struct):
            key: str = f("string", "0+")
            value: float = f("float64", "0+")

        entity: list[EntityData] = f([EntityData], "0+")
        values: list[ValueData] = f([ValueData], "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+")
    entries: list[EntryData] | None = f([EntryData], "0+", nullable="0+")
