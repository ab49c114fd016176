"""The `quorum-state` file: Kafka's durable election state (`FileQuorumStateStore`).

Format (RAFT-BRIEF §6): one line of compact JSON, no trailing newline, Kafka's field order, e.g.
`{"clusterId":"","leaderId":1,"leaderEpoch":5,"votedId":-1,"appliedOffset":0,"currentVoters":
[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}`. pykraft writes data version 0
(kraft.version 0: static voters) and reads versions 0 and 1, requiring every field of the version.

Writes are atomic: `quorum-state.tmp` is written and fsynced, renamed over `quorum-state`, and the
directory is fsynced, so after a crash the file holds the old or the new state, never a mix.
A file that cannot be parsed is an error (`QuorumStateError`, one line): silently forgetting a
vote could let this replica vote twice in one epoch. So is a value out of range (an epoch above
`kraft.election.EPOCH_MAX`, an id that is no int32): the node could never encode it again, and
would fail on its first request after every restart. For the same reason `write` refuses such
a state (the core never produces one: kraft.shell.apis refuses those epochs from peers).
"""

from __future__ import annotations

from pathlib import Path

from kraft.election import EPOCH_MAX
from kraft.shell.durable_files import write_file_atomically
from kraft.types import NO_LEADER, ZERO_DIRECTORY_ID, ElectionState
from wire.errors import DecodeError
from wire.messages.quorum_state import QuorumStateData, from_json, to_json

QUORUM_STATE_FILE = "quorum-state"
WRITE_DATA_VERSION = 0


class QuorumStateError(Exception):
    """The quorum-state file exists but cannot be used; the message is one line."""


INT32_MAX = (1 << 31) - 1


def _out_of_range(state: ElectionState) -> str | None:
    """What in `state` this node could not encode on the wire, or None."""
    if not 0 <= state.epoch <= EPOCH_MAX:
        return f"leaderEpoch {state.epoch} out of range 0..{EPOCH_MAX}"
    for name, value in (("leaderId", state.leader_id), ("votedId", state.voted_id)):
        if value is not None and not 0 <= value <= INT32_MAX:
            return f"{name} {value} out of range 0..{INT32_MAX}"
    for voter in sorted(state.voters):
        if not 0 <= voter <= INT32_MAX:
            return f"voterId {voter} out of range 0..{INT32_MAX}"
    return None


def encode_quorum_state(state: ElectionState, data_version: int = WRITE_DATA_VERSION) -> bytes:
    """Kafka's exact bytes for `state` (the JSON itself is `wire.messages.quorum_state`'s)."""
    problem = _out_of_range(state)
    if problem is not None:
        raise QuorumStateError(f"refusing to store {problem}")
    voters = [QuorumStateData.Voter(voter_id=v) for v in sorted(state.voters)]
    data = QuorumStateData(
        leader_id=NO_LEADER if state.leader_id is None else state.leader_id,
        leader_epoch=state.epoch,
        voted_id=NO_LEADER if state.voted_id is None else state.voted_id,
        voted_directory_id=state.voted_directory_id or ZERO_DIRECTORY_ID,
        current_voters=voters,
    )
    return to_json(data, data_version).encode()


def decode_quorum_state(data: bytes, *, source: str = QUORUM_STATE_FILE) -> ElectionState:
    try:
        stored, _ = from_json(data)
    except DecodeError as exc:
        raise QuorumStateError(f"{source}: {exc}") from None
    if stored.leader_epoch < 0:
        raise QuorumStateError(f"{source}: negative leaderEpoch {stored.leader_epoch}")
    voted = None if stored.voted_id < 0 else stored.voted_id
    directory = stored.voted_directory_id
    try:
        state = ElectionState(
            epoch=stored.leader_epoch,
            leader_id=None if stored.leader_id < 0 else stored.leader_id,
            voted_id=voted,
            voted_directory_id=None
            if directory == ZERO_DIRECTORY_ID or voted is None
            else directory,
            voters=frozenset(v.voter_id for v in stored.current_voters or []),
        )
    except AssertionError as exc:
        raise QuorumStateError(f"{source}: invalid election state ({exc})") from None
    problem = _out_of_range(state)
    if problem is not None:
        raise QuorumStateError(f"{source}: {problem}")
    return state


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
