"""ListConfigResources (key 74), v0-1, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class ListConfigResourcesRequest(Message):
    API_KEY: ClassVar[int] = 74
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    resource_types: list[int] = f("[]int8", "1+")


@dataclass(frozen=True)
class ListConfigResourcesResponse(Message):
    API_KEY: ClassVar[int] = 74
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ConfigResource(Struct):
        resource_name: str = f("string", "0+")
        resource_type: int = f("int8", "1+", default=16, ignorable=True)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    config_resources: list[ConfigResource] = f([ConfigResource], "0+")
