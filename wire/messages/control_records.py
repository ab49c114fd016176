"""Values of the Raft control records.

The record KEY (int16 version + int16 type) belongs to `wire.records`; this module declares values.

Each value starts with its own int16 `version` field; all five are flexible from v0. Control types:
2 LeaderChangeMessage, 3 SnapshotHeaderRecord, 4 SnapshotFooterRecord, 5 KRaftVersionRecord,
6 VotersRecord (`CONTROL_RECORD_TYPES`). Decode with `wire.decode(cls, value, version)`.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class LeaderChangeMessage(Message):
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class Voter(Struct):
        voter_id: int = f("int32", "0+")
        voter_directory_id: uuid.UUID = f("uuid", "1+")

    version: int = f("int16", "0+")
    leader_id: int = f("int32", "0+")
    voters: list[Voter] = f([Voter], "0+")
    granting_voters: list[Voter] = f([Voter], "0+")


@dataclass(frozen=True)
class SnapshotHeaderRecord(Message):
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    version: int = f("int16", "0+")
    last_contained_log_timestamp: int = f("int64", "0+")


@dataclass(frozen=True)
class SnapshotFooterRecord(Message):
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    version: int = f("int16", "0+")


@dataclass(frozen=True)
class KRaftVersionRecord(Message):
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    version: int = f("int16", "0+")
    k_raft_version: int = f("int16", "0+")


@dataclass(frozen=True)
class VotersRecord(Message):
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class Voter(Struct):
        @dataclass(frozen=True)
        class Endpoint(Struct):
            name: str = f("string", "0+")
            host: str = f("string", "0+")
            port: int = f("uint16", "0+")

        @dataclass(frozen=True)
        class KRaftVersionFeature(Struct):
            min_supported_version: int = f("int16", "0+")
            max_supported_version: int = f("int16", "0+")

        voter_id: int = f("int32", "0+")
        voter_directory_id: uuid.UUID = f("uuid", "0+")
        endpoints: list[Endpoint] = f([Endpoint], "0+")
        k_raft_version_feature: KRaftVersionFeature = f(KRaftVersionFeature, "0+")

    version: int = f("int16", "0+")
    voters: list[Voter] = f([Voter], "0+")


# control record type (the int16 in the record key) -> value class
CONTROL_RECORD_TYPES: dict[int, type[Message]] = {
    2: LeaderChangeMessage,
    3: SnapshotHeaderRecord,
    4: SnapshotFooterRecord,
    5: KRaftVersionRecord,
    6: VotersRecord,
}
