"""AddRaftVoter (key 80), v0-1 (v1 = KIP-1186 `ack_when_committed`, Kafka 4.2)."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class AddRaftVoterRequest(Message):
    API_KEY: ClassVar[int] = 80
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class Listener(Struct):
        name: str = f("string", "0+")
        host: str = f("string", "0+")
        port: int = f("uint16", "0+")

    cluster_id: str | None = f("string", "0+", nullable="0+")
    timeout_ms: int = f("int32", "0+")
    voter_id: int = f("int32", "0+")
    voter_directory_id: uuid.UUID = f("uuid", "0+")
    listeners: list[Listener] = f([Listener], "0+")
    # v1 (KIP-1186, Kafka 4.2): not in the 4.0 schemas; declared from the later upstream range
    ack_when_committed: bool = f("bool", "1+", default=True)


@dataclass(frozen=True)
class AddRaftVoterResponse(Message):
    API_KEY: ClassVar[int] = 80
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    error_message: str | None = f("string", "0+", nullable="0+", ignorable=True)
