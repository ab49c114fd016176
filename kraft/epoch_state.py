"""The current epoch state of a replica: one class per role, each holding only its own data.

Every transition builds a fresh state (kraft/election.py), so data of the previous role never
leaks into the next one; code that needs a role's data gets it by matching the state's type
(`isinstance(state, Leader)` gives `state.leader`), which mypy checks. Timers are absolute
deadlines in ms (None = not running).

The common part (`EpochState`) is what every role has: the epoch, the leader known in it (None
unless following or remembering one) and the vote cast in it. `election_state()` derives what the
quorum-state store must hold; Prospective and Resigned are memory-only (Kafka never persists
them), so for them it returns the state persisted when the epoch was entered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from kraft.quorum import LeaderState
from kraft.roles import RoleName
from kraft.types import ElectionState, LeaderAndEpoch, ReplicaKey


@dataclass(slots=True, kw_only=True)
class EpochState:
    role: ClassVar[RoleName]
    epoch: int
    leader_id: int | None = None
    voted_key: ReplicaKey | None = None

    def leader_and_epoch(self, local_id: int | None) -> LeaderAndEpoch:
        """The leader of this epoch as this replica knows it (itself when leading)."""
        return LeaderAndEpoch(self.leader_id, self.epoch)

    def election_state(self, voters: frozenset[int], local_id: int | None) -> ElectionState:
        leader = self.leader_and_epoch(local_id).leader_id
        voted = self.voted_key
        return ElectionState(
            epoch=self.epoch,
            leader_id=leader,
            voted_id=None if voted is None else voted.id,
            voted_directory_id=None if voted is None else voted.directory_id,
            voters=voters,
        )


@dataclass(slots=True, kw_only=True)
class Unattached(EpochState):
    """Epoch known, no leader known, not voted (observers live here while searching)."""

    role: ClassVar[RoleName] = RoleName.UNATTACHED
    # Voters: when to stand for election (observers have none).
    election_deadline_ms: int | None = None


@dataclass(slots=True, kw_only=True)
class Voted(EpochState):
    """Unattached after granting a standard vote in this epoch (persisted)."""

    role: ClassVar[RoleName] = RoleName.VOTED
    election_deadline_ms: int | None = None


@dataclass(slots=True, kw_only=True)
class Election(EpochState):
    """What Prospective and Candidate share: the answers of this election and its retries."""

    election_deadline_ms: int | None = None
    granted: set[int] = field(default_factory=set)
    rejected: set[int] = field(default_factory=set)
    # Consecutive elections without a win (drives the backoff); carried Candidate<->Prospective.
    retries: int = 0


@dataclass(slots=True, kw_only=True)
class Prospective(Election):
    """Pre-vote in the current epoch; memory-only. Remembers the leader it followed, if any."""

    role: ClassVar[RoleName] = RoleName.PROSPECTIVE


@dataclass(slots=True, kw_only=True)
class Candidate(Election):
    """Epoch + 1, voted for itself (persisted), collecting votes."""

    role: ClassVar[RoleName] = RoleName.CANDIDATE
    # Lost or timed out: when the backoff ends (None: not backing off).
    backoff_deadline_ms: int | None = None


@dataclass(slots=True, kw_only=True)
class Leader(EpochState):
    """Won the election of its epoch (persisted)."""

    role: ClassVar[RoleName] = RoleName.LEADER
    leader: LeaderState

    def leader_and_epoch(self, local_id: int | None) -> LeaderAndEpoch:
        return LeaderAndEpoch(local_id, self.epoch)


@dataclass(slots=True, kw_only=True)
class Follower(EpochState):
    """Knows the leader of its epoch (persisted), fetching from it."""

    role: ClassVar[RoleName] = RoleName.FOLLOWER
    leader_id: int
    # When the leader is considered gone (reset by each successful Fetch response).
    fetch_deadline_ms: int
    # Fetched successfully from the leader in this epoch (no pre-votes granted after).
    has_fetched_in_epoch: bool = False


@dataclass(slots=True, kw_only=True)
class Resigned(EpochState):
    """Former leader of its epoch, shutting down or fenced by check-quorum; memory-only."""

    role: ClassVar[RoleName] = RoleName.RESIGNED
    election_deadline_ms: int | None = None
    # Voters that have not acknowledged EndQuorumEpoch yet, and whom to recommend.
    unacknowledged: set[int] = field(default_factory=set)
    preferred_successors: tuple[ReplicaKey, ...] = ()
