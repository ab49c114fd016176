"""The current epoch state of a replica: its role plus the per-role data and timers.

One mutable record instead of a class per role: every transition builds a fresh `EpochState`
(kraft/election.py), so data of the previous role never leaks into the next one. Timers are absolute
deadlines in ms (None = not running).

`election_state()` derives what the quorum-state store must hold for this state; Prospective and
Resigned are memory-only (Kafka never persists them), so for them it returns the state persisted
when the epoch was entered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kraft.quorum import LeaderState
from kraft.roles import RoleName
from kraft.types import ElectionState, ReplicaKey


@dataclass(slots=True)
class EpochState:
    role: RoleName
    epoch: int
    leader_id: int | None = None
    voted_key: ReplicaKey | None = None

    # Unattached/Voted/Prospective/Candidate/Resigned voters: when to stand (again) for election.
    election_deadline_ms: int | None = None
    # Follower: when the leader is considered gone (reset by each successful Fetch response).
    fetch_deadline_ms: int | None = None
    # Follower: fetched successfully from the leader in this epoch (no pre-votes granted after).
    has_fetched_in_epoch: bool = False

    # Prospective/Candidate: answers recorded in this election.
    granted: set[int] = field(default_factory=set)
    rejected: set[int] = field(default_factory=set)
    # Consecutive elections without a win (drives the backoff); carried Candidate<->Prospective.
    retries: int = 0
    # Candidate: lost or timed out; when the backoff ends (None: not backing off).
    backoff_deadline_ms: int | None = None

    # Leader only.
    leader: LeaderState | None = None

    # Resigned: voters that have not acknowledged EndQuorumEpoch yet, and whom to recommend.
    unacknowledged: set[int] = field(default_factory=set)
    preferred_successors: tuple[ReplicaKey, ...] = ()

    def leading(self) -> LeaderState:
        """The leader's bookkeeping: only a Leader has it (the one place that says so)."""
        assert self.role is RoleName.LEADER and self.leader is not None, self.role
        return self.leader

    def election_state(self, voters: frozenset[int], local_id: int | None) -> ElectionState:
        leader = self.leader_id
        if self.role is RoleName.LEADER:
            leader = local_id
        voted = self.voted_key
        return ElectionState(
            epoch=self.epoch,
            leader_id=leader,
            voted_id=None if voted is None else voted.id,
            voted_directory_id=None if voted is None else voted.directory_id,
            voters=voters,
        )
