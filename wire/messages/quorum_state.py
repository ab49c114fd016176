"""QuorumStateData: the content of the `quorum-state` file (Kafka's `FileQuorumStateStore`).

Also a flexible binary message (declared like the others, so round-trip tests cover it), but on
disk Kafka writes it as ONE line of compact JSON, fields in schema order, upstream camelCase names,
uuids in URL-safe base64 without padding, then `"data_version"`; no trailing newline.
v0 (kraft.version 0): clusterId (always ""), leaderId, leaderEpoch, votedId, appliedOffset
(always 0), currentVoters.
v1: leaderId, leaderEpoch, votedId, votedDirectoryId. `from_json` requires every field of the
version it reads (as Kafka's reader does) and raises `DecodeError` otherwise.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.errors import DecodeError
from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class QuorumStateData(Message):
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class Voter(Struct):
        voter_id: int = f("int32", "0")

    cluster_id: str = f("string", "0")
    leader_id: int = f("int32", "0+", default=-1)
    leader_epoch: int = f("int32", "0+", default=-1)
    voted_id: int = f("int32", "0+", default=-1)
    voted_directory_id: uuid.UUID = f("uuid", "1+")
    applied_offset: int = f("int64", "0")
    current_voters: list[Voter] | None = f([Voter], "0", nullable="0")


DATA_VERSION_MAX = 1


def uuid_to_base64(value: uuid.UUID) -> str:
    """Kafka's `Uuid.toString()`: URL-safe base64 of the 16 bytes, no padding."""
    return base64.urlsafe_b64encode(value.bytes).rstrip(b"=").decode("ascii")


def uuid_from_base64(text: str) -> uuid.UUID:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 16:
        raise ValueError(f"not a 16-byte uuid: {text!r}")
    return uuid.UUID(bytes=raw)


def to_json(state: QuorumStateData, data_version: int) -> str:
    """Kafka's exact one-line JSON for `state` at `data_version` (0 or 1)."""
    doc: dict[str, object] = {}
    if data_version == 0:
        doc["clusterId"] = state.cluster_id
    elif data_version != 1:
        raise ValueError(f"unknown quorum-state data_version {data_version}")
    doc["leaderId"] = state.leader_id
    doc["leaderEpoch"] = state.leader_epoch
    doc["votedId"] = state.voted_id
    if data_version == 0:
        doc["appliedOffset"] = state.applied_offset
        voters = state.current_voters
        doc["currentVoters"] = None if voters is None else [{"voterId": v.voter_id} for v in voters]
    else:
        doc["votedDirectoryId"] = uuid_to_base64(state.voted_directory_id)
    doc["data_version"] = data_version
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def from_json(text: str | bytes) -> tuple[QuorumStateData, int]:
    """Parse a quorum-state file: (state, data_version). Bad content raises `DecodeError`."""
    try:
        doc = json.loads(text)
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DecodeError(f"quorum-state is not JSON ({e})") from None
    try:
        if not isinstance(doc, dict):
            raise DecodeError("quorum-state is not a JSON object")
        data_version = doc["data_version"]
        if type(data_version) is not int or not 0 <= data_version <= DATA_VERSION_MAX:
            raise DecodeError(f"unsupported quorum-state data_version {data_version!r}")

        def integer(name: str) -> int:
            value = doc[name]
            if type(value) is not int:
                raise DecodeError(f"quorum-state field {name} is not an integer", field=name)
            return value

        if data_version == 0:
            cluster_id = doc["clusterId"]
            if not isinstance(cluster_id, str):
                raise DecodeError("quorum-state clusterId is not a string", field="clusterId")
            raw_voters = doc["currentVoters"]
            voters: list[QuorumStateData.Voter] | None = None
            if raw_voters is not None:
                voters = []
                for item in raw_voters:
                    voter_id = item["voterId"]
                    if type(voter_id) is not int:
                        raise DecodeError("voterId is not an integer", field="currentVoters")
                    voters.append(QuorumStateData.Voter(voter_id=voter_id))
            state = QuorumStateData(
                cluster_id=cluster_id,
                leader_id=integer("leaderId"),
                leader_epoch=integer("leaderEpoch"),
                voted_id=integer("votedId"),
                applied_offset=integer("appliedOffset"),
                current_voters=voters,
            )
        else:
            directory = doc["votedDirectoryId"]
            if not isinstance(directory, str):
                raise DecodeError("votedDirectoryId is not a string", field="votedDirectoryId")
            state = QuorumStateData(
                leader_id=integer("leaderId"),
                leader_epoch=integer("leaderEpoch"),
                voted_id=integer("votedId"),
                voted_directory_id=uuid_from_base64(directory),
                current_voters=[],
            )
    except DecodeError:
        raise
    except KeyError as e:
        raise DecodeError(f"quorum-state lacks field {e.args[0]}", field=str(e.args[0])) from None
    except (ValueError, TypeError) as e:  # JSONDecodeError is a ValueError
        raise DecodeError(f"bad quorum-state: {e}") from None
    return state, data_version
