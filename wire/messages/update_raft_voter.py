"""UpdateRaftVoter (key 82), v0."""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class UpdateRaftVoterRequest(Message):
    API_KEY: ClassVar[int] = 82
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class Listener(Struct):
        name: str = f("string", "0+")
        host: str = f("string", "0+")
        port: int = f("uint16", "0+")

    @dataclass(frozen=True)
    class KRaftVersionFeature(Struct):
        min_supported_version: int = f("int16", "0+")
        max_supported_version: int = f("int16", "0+")

    cluster_id: str | None = f("string", "0+", nullable="0+")
    current_leader_epoch: int = f("int32", "0+")
    voter_id: int = f("int32", "0+")
    voter_directory_id: uuid.UUID = f("uuid", "0+")
    listeners: list[Listener] = f([Listener], "0+")
    k_raft_version_feature: KRaftVersionFeature = f(KRaftVersionFeature, "0+")


@dataclass(frozen=True)
class UpdateRaftVoterResponse(Message):
    API_KEY: ClassVar[int] = 82
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class CurrentLeader(Struct):
        leader_id: int = f("int32", "0+", default=-1)
        leader_epoch: int = f("int32", "0+", default=-1)
        host: str = f("string", "0+")
        port: int = f("int32", "0+")

    throttle_time_ms: int = f("int32", "0+")
    error_code: int = f("int16", "0+")
    current_leader: CurrentLeader = f(CurrentLeader, "0+", tagged="0+", tag=0)
