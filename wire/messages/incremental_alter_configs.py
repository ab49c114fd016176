"""IncrementalAlterConfigs (key 44), v0-1, flexible from v1."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class IncrementalAlterConfigsRequest(Message):
    API_KEY: ClassVar[int] = 44
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class AlterConfigsResource(Struct):
        @dataclass(frozen=True)
        class AlterableConfig(Struct):
            name: str = f("string", "0+")
            config_operation: int = f("int8", "0+")
            value: str | None = f("string", "0+", nullable="0+")

        resource_type: int = f("int8", "0+")
        resource_name: str = f("string", "0+")
        configs: list[AlterableConfig] = f([AlterableConfig], "0+")

    resources: list[AlterConfigsResource] = f([AlterConfigsResource], "0+")
    validate_only: bool = f("bool", "0+")


@dataclass(frozen=True)
class IncrementalAlterConfigsResponse(Message):
    API_KEY: ClassVar[int] = 44
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    @dataclass(frozen=True)
    class AlterConfigsResourceResponse(Struct):
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+")
        resource_type: int = f("int8", "0+")
        resource_name: str = f("string", "0+")

    throttle_time_ms: int = f("int32", "0+")
    responses: list[AlterConfigsResourceResponse] = f([AlterConfigsResourceResponse], "0+")
