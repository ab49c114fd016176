"""DescribeConfigs (key 32), v1-4, flexible from v4."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DescribeConfigsRequest(Message):
    API_KEY: ClassVar[int] = 32
    VERSIONS: ClassVar[Versions] = Versions(1, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    @dataclass(frozen=True)
    class DescribeConfigsResource(Struct):
        resource_type: int = f("int8", "0+")
        resource_name: str = f("string", "0+")
        configuration_keys: list[str] | None = f("[]string", "0+", nullable="0+")

    resources: list[DescribeConfigsResource] = f([DescribeConfigsResource], "0+")
    include_synonyms: bool = f("bool", "1+")
    include_documentation: bool = f("bool", "3+")


@dataclass(frozen=True)
class DescribeConfigsResponse(Message):
    API_KEY: ClassVar[int] = 32
    VERSIONS: ClassVar[Versions] = Versions(1, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    @dataclass(frozen=True)
    class DescribeConfigsResult(Struct):
        @dataclass(frozen=True)
        class DescribeConfigsResourceResult(Struct):
            @dataclass(frozen=True)
            class DescribeConfigsSynonym(Struct):
                name: str = f("string", "1+")
                value: str | None = f("string", "1+", nullable="0+")
                source: int = f("int8", "1+")

            name: str = f("string", "0+")
            value: str | None = f("string", "0+", nullable="0+")
            read_only: bool = f("bool", "0+")
            config_source: int = f("int8", "1+", default=-1, ignorable=True)
            is_sensitive: bool = f("bool", "0+")
            synonyms: list[DescribeConfigsSynonym] = f(
                [DescribeConfigsSynonym], "1+", ignorable=True
            )
            config_type: int = f("int8", "3+", ignorable=True)
            documentation: str | None = f("string", "3+", nullable="0+", ignorable=True)

        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+")
        resource_type: int = f("int8", "0+")
        resource_name: str = f("string", "0+")
        configs: list[DescribeConfigsResourceResult] = f([DescribeConfigsResourceResult], "0+")

    throttle_time_ms: int = f("int32", "0+")
    results: list[DescribeConfigsResult] = f([DescribeConfigsResult], "0+")
