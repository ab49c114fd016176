"""DeleteGroups (key 42), v0-2, flexible from v2."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DeleteGroupsRequest(Message):
    API_KEY: ClassVar[int] = 42
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    groups_names: list[str] = f("[]string", "0+")


@dataclass(frozen=True)
class DeleteGroupsResponse(Message):
    API_KEY: ClassVar[int] = 42
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    @dataclass(frozen=True)
    class DeletableGroupResult(Struct):
        group_id: str = f("string", "0+")
        error_code: int = f("int16", "0+")

    throttle_time_ms: int = f("int32", "0+")
    results: list[DeletableGroupResult] = f([DeletableGroupResult], "0+")
