"""DeleteTopics (key 20), v1-6, flexible from v4."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class DeleteTopicsRequest(Message):
    API_KEY: ClassVar[int] = 20
    VERSIONS: ClassVar[Versions] = Versions(1, 6)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    @dataclass(frozen=True)
    class DeleteTopicState(Struct):
        name: str | None = f("string", "6+", nullable="6+", default=None)
        topic_id: uuid.UUID = f("uuid", "6+")

    topics: list[DeleteTopicState] = f([DeleteTopicState], "6+")
    topic_names: list[str] = f("[]string", "0-5", ignorable=True)
    timeout_ms: int = f("int32", "0+")


@dataclass(frozen=True)
class DeleteTopicsResponse(Message):
    API_KEY: ClassVar[int] = 20
    VERSIONS: ClassVar[Versions] = Versions(1, 6)
    FLEXIBLE: ClassVar[Versions] = Versions(4)

    @dataclass(frozen=True)
    class DeletableTopicResult(Struct):
        name: str | None = f("string", "0+", nullable="6+")
        topic_id: uuid.UUID = f("uuid", "6+", ignorable=True)
        error_code: int = f("int16", "0+")
        error_message: str | None = f("string", "5+", nullable="5+", default=None, ignorable=True)

    throttle_time_ms: int = f("int32", "1+", ignorable=True)
    responses: list[DeletableTopicResult] = f([DeletableTopicResult], "0+")
