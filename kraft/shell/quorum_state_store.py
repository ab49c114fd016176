"""The `quorum-state` file: Kafka's durable election state (`FileQuorumStateStore`).

Format (RAFT-BRIEF §6): one line of compact JSON, no trailing newline, Kafka's field order, e.g.
`{"clusterId":"","leaderId":1,"leaderEpoch":5,"votedId":-1,"appliedOffset":0,"currentVoters":
[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}`. pykraft writes data version 0
(kraft.version 0: static voters) and reads versions 0 and 1, requiring every field of the version.

Writes are atomic: `quorum-state.tmp` is written and fsynced, renamed over `quorum-state`, and the
directory is fsynced, so after a crash the file holds the old or the new state, never a mix.
A file that cannot be parsed is an error (`QuorumStateError`, one line): silently forgetting a
vote could let this replica vote twice in one epoch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kraft.ready import QUORUM_STATE_DATA_VERSIONS, ElectionState
from kraft.shell.disk_log import write_file_atomically

QUORUM_STATE_FILE = "quorum-state"
WRITE_DATA_VERSION = 0

_REQUIRED: dict[int, dict[str, type]] = {
    0: {
        "clusterId": str,
        "leaderId": int,
        "leaderEpoch": int,
        "votedId": int,
        "appliedOffset": int,
        "currentVoters": list,
    },
    1: {"leaderId": int, "leaderEpoch": int, "votedId": int, "votedDirectoryId": str},
}


class QuorumStateError(Exception):
    """The quorum-state file exists but cannot be used; the message is one line."""


def encode_quorum_state(state: ElectionState, data_version: int = WRITE_DATA_VERSION) -> bytes:
    """Kafka's exact bytes for `state` (compact JSON, field order as Kafka writes it)."""
    return json.dumps(state.to_quorum_state_dict(data_version), separators=(",", ":")).encode()


def decode_quorum_state(data: bytes, *, source: str = QUORUM_STATE_FILE) -> ElectionState:
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise QuorumStateError(f"{source}: not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise QuorumStateError(f"{source}: expected a JSON object")
    version = obj.get("data_version")
    if type(version) is not int or version not in QUORUM_STATE_DATA_VERSIONS:
        raise QuorumStateError(f"{source}: unsupported data_version {version!r}")
    for key, kind in _REQUIRED[version].items():
        value: Any = obj.get(key)
        if type(value) is not kind:
            raise QuorumStateError(f"{source}: field {key!r} missing or not a {kind.__name__}")
    if obj["leaderEpoch"] < 0:
        raise QuorumStateError(f"{source}: negative leaderEpoch {obj['leaderEpoch']}")
    if version == 0:
        for voter in obj["currentVoters"]:
            if not isinstance(voter, dict) or type(voter.get("voterId")) is not int:
                raise QuorumStateError(f"{source}: currentVoters entry {voter!r} has no voterId")
    try:
        return ElectionState.from_quorum_state_dict(obj)
    except (ValueError, AssertionError) as exc:
        raise QuorumStateError(f"{source}: invalid election state ({exc})") from None


class QuorumStateStore:
    """Reads and atomically rewrites `<partition dir>/quorum-state`. Blocking: use off the loop."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / QUORUM_STATE_FILE

    def read(self) -> ElectionState | None:
        """The stored state, or None when no file exists (a fresh replica: epoch 0)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise QuorumStateError(f"{self.path}: cannot read ({exc.strerror})") from None
        return decode_quorum_state(data, source=str(self.path))

    def write(self, state: ElectionState) -> None:
        write_file_atomically(self.path, encode_quorum_state(state))
