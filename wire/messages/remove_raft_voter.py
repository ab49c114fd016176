"""RemoveRaftVoter (key 81), v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Versions, f


@dataclass(frozen=True)
class RemoveRaftVoterRequest(Message):
    API_KEY: ClassVar[int] = 81
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    cluster_id: str | None = f("string", "0+", nullable="0+")
    voter_id: int = f("int32", "0+")
    voter_directory_id: uuid.UUID = f("uuid", "0+")


@dataclass(frozen=True)
class RemoveRaftVoterResponse(Message):
    API_KEY: ClassVar[int] = 81
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+", ignorable=True)
