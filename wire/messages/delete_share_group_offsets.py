"""DeleteShareGroupOffsets (key 92), v0, flexible from v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DeleteShareGroupOffsetsRequest(Message):
    API_KEY: ClassVar[int] = 92
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DeleteShareGroupOffsetsRequestTopic(Struct):
        topic_name: str = f("string", "0+")

    group_id: str = f("string", "0+")
    topics: list[DeleteShareGroupOffsetsRequestTopic] = f(
        [DeleteShareGroupOffsetsRequestTopic], "0+"
    )


@dataclass(frozen=True)
class DeleteShareGroupOffsetsResponse(Message):
    API_KEY: ClassVar[int] = 92
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class DeleteShareGroupOffsetsResponseTopic(Struct):
        topic_name: str = f("string", "0+")
        topic_id: uuid.UUID = f("uuid", "0+")
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "0+", nullable="0+", default=None)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+", default=None)
    responses: list[DeleteShareGroupOffsetsResponseTopic] = f(
        [DeleteShareGroupOffsetsResponseTopic], "0+"
    )
