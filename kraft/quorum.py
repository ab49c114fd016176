"""Quorum math and the leader's bookkeeping: replica states, high watermark, check-quorum.

High watermark rules (Kafka's `LeaderState.maybeUpdateHighWatermark`, KAFKA-12619):
- Only voters count. Sort the voters' known end offsets descending (unknown last); the candidate
  HW is the entry at index len(voters) // 2, i.e. the largest offset a majority has reached.
- The leader's own end offset counts only up to what is flushed (`update_local_end_offset` is fed
  the flushed end offset).
- The candidate is adopted only if it is > the epoch start offset (so the LeaderChange batch of
  this epoch is committed) and > the current HW. The HW never moves backwards; a lower candidate is
  ignored. A new leader starts with no HW.
- Fetchers with a negative replica id are never tracked. Observers with an id are tracked (and
  listed by DescribeQuorum) but never affect the HW or check-quorum.

Check-quorum: within every window of 1.5 x fetch_timeout_ms a majority of voters (the leader counts
implicitly) must fetch; otherwise the leader resigns. A single-voter quorum never expires.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from kraft.config import InjectedBug, QuorumConfig
from kraft.rpc import ReplicaDescription

# Bound on observers with an id tracked at once (a flood of made-up ids cannot grow memory).
OBSERVERS_MAX = 4096


def majority_of(voter_count: int) -> int:
    """THE majority formula: more than half of the voters."""
    return voter_count // 2 + 1


@dataclass(slots=True)
class ReplicaState:
    replica_id: int
    directory_id: uuid.UUID | None = None
    end_offset: int | None = None
    last_fetch_ms: int | None = None
    last_caught_up_ms: int | None = None
    # Leader's log end at this replica's previous fetch (Kafka's caught-up bookkeeping).
    previous_fetch_ms: int | None = None
    previous_leader_end_offset: int | None = None
    # Acknowledged our leadership (BeginQuorumEpoch answered or fetched in this epoch).
    acknowledged: bool = False

    def describe(self) -> ReplicaDescription:
        return ReplicaDescription(
            replica_id=self.replica_id,
            directory_id=self.directory_id,
            log_end_offset=self.end_offset,
            last_fetch_timestamp_ms=self.last_fetch_ms,
            last_caught_up_timestamp_ms=self.last_caught_up_ms,
        )


@dataclass(slots=True)
class LeaderState:
    local_id: int
    epoch: int
    epoch_start_offset: int
    voters: frozenset[int]
    config: QuorumConfig
    check_quorum_deadline_ms: int
    begin_quorum_deadline_ms: int = 0
    high_watermark: int | None = None
    granting_voters: frozenset[int] = frozenset()
    voter_states: dict[int, ReplicaState] = field(default_factory=dict)
    observer_states: dict[int, ReplicaState] = field(default_factory=dict)
    # Voters that fetched in the current check-quorum window.
    fetched_in_window: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        assert self.local_id in self.voters, "only a voter can lead"
        for voter in self.voters:
            self.voter_states.setdefault(voter, ReplicaState(voter))
        self.voter_states[self.local_id].acknowledged = True

    @classmethod
    def start(
        cls,
        local_id: int,
        epoch: int,
        epoch_start_offset: int,
        config: QuorumConfig,
        granting_voters: frozenset[int],
        now_ms: int,
    ) -> LeaderState:
        return cls(
            local_id=local_id,
            epoch=epoch,
            epoch_start_offset=epoch_start_offset,
            voters=config.voter_ids,
            config=config,
            check_quorum_deadline_ms=now_ms + check_quorum_timeout_ms(config),
            granting_voters=granting_voters,
        )

    # ------------------------------------------------------------------ high watermark
    def update_local_end_offset(self, flushed_end_offset: int, now_ms: int) -> bool:
        """The leader's own durable end moved; True when the HW moved."""
        state = self.voter_states[self.local_id]
        assert state.end_offset is None or flushed_end_offset >= state.end_offset, (
            "leader log shrank"
        )
        state.end_offset = flushed_end_offset
        state.last_fetch_ms = now_ms
        state.last_caught_up_ms = now_ms
        return self._maybe_update_high_watermark()

    def update_replica(
        self,
        replica_id: int,
        directory_id: uuid.UUID | None,
        fetch_offset: int,
        leader_end_offset: int,
        now_ms: int,
    ) -> bool:
        """Record a valid Fetch from `replica_id`; True when the HW moved.

        Negative ids are never tracked (id-less observers and consumers).
        """
        if replica_id < 0 or replica_id == self.local_id:
            # Negative ids are never tracked; our own id from a peer is bogus (only our flushed
            # log end speaks for us).
            return False
        is_voter = replica_id in self.voters
        if is_voter:
            state = self.voter_states[replica_id]
        else:
            if replica_id not in self.observer_states:
                if len(self.observer_states) >= OBSERVERS_MAX:
                    self.expire_observers(now_ms)
                if len(self.observer_states) >= OBSERVERS_MAX:
                    return False  # served, but not tracked
                self.observer_states[replica_id] = ReplicaState(replica_id)
            state = self.observer_states[replica_id]
        # Static voters (kraft.version 0) are known by id alone: as Kafka, the voter set keeps no
        # directory id for them, so DescribeQuorum shows the zero Uuid; observers keep theirs.
        if directory_id is not None and not is_voter:
            state.directory_id = directory_id
        # Caught-up times, as Kafka's ReplicaState.updateFollowerState.
        if fetch_offset >= leader_end_offset:
            state.last_caught_up_ms = now_ms
        elif (
            state.previous_leader_end_offset is not None
            and fetch_offset >= state.previous_leader_end_offset
            and state.previous_fetch_ms is not None
        ):
            state.last_caught_up_ms = max(state.last_caught_up_ms or 0, state.previous_fetch_ms)
        state.previous_leader_end_offset = leader_end_offset
        state.previous_fetch_ms = now_ms
        state.last_fetch_ms = now_ms
        state.acknowledged = True
        # A replica's end offset goes backwards only if it lost unflushed data; accept the fact.
        state.end_offset = fetch_offset
        if not is_voter:
            return False
        self.fetched_in_window.add(replica_id)
        return self._maybe_update_high_watermark()

    def _maybe_update_high_watermark(self) -> bool:
        offsets = sorted(
            (s.end_offset for s in self.voter_states.values() if s.end_offset is not None),
            reverse=True,
        )
        # The largest offset a majority has reached: the majority-th highest.
        index = majority_of(len(self.voters)) - 1
        if index >= len(offsets):
            return False
        candidate = offsets[index]
        # The LeaderChange batch at epoch_start_offset must be on a majority first (KAFKA-12619).
        # Injected bug HW_BEFORE_EPOCH_COMMIT: the only place this rule is (not) enforced.
        if self.config.has_bug(InjectedBug.HW_BEFORE_EPOCH_COMMIT):
            epoch_committed = True
        else:
            epoch_committed = candidate > self.epoch_start_offset
        if not epoch_committed:
            return False
        if self.high_watermark is not None and candidate <= self.high_watermark:
            return False
        self.high_watermark = candidate
        return True

    # ------------------------------------------------------------------ check-quorum
    def poll_check_quorum(self, now_ms: int) -> bool:
        """True when the check-quorum window expired without a majority of voters fetching."""
        if len(self.voters) == 1:
            return False
        if len(self.fetched_in_window) + 1 >= majority_of(len(self.voters)):
            self.fetched_in_window.clear()
            self.check_quorum_deadline_ms = now_ms + check_quorum_timeout_ms(self.config)
            return False
        return now_ms >= self.check_quorum_deadline_ms

    def check_quorum_deadline(self) -> int | None:
        return None if len(self.voters) == 1 else self.check_quorum_deadline_ms

    # ------------------------------------------------------------------ observers, successors
    def expire_observers(self, now_ms: int) -> None:
        timeout_ms = self.config.observer_session_timeout_ms
        for replica_id, state in list(self.observer_states.items()):
            if state.last_fetch_ms is None or now_ms - state.last_fetch_ms >= timeout_ms:
                del self.observer_states[replica_id]

    def preferred_successors(self) -> list[ReplicaState]:
        """Other voters, most caught up first (unknown end offsets last; ties by id)."""
        others = [s for v, s in self.voter_states.items() if v != self.local_id]
        return sorted(
            others,
            key=lambda s: (s.end_offset is None, -(s.end_offset or 0), s.replica_id),
        )

    def describe(self, now_ms: int) -> tuple[tuple[ReplicaDescription, ...], ...]:
        self.expire_observers(now_ms)
        local = self.voter_states[self.local_id]
        local.last_fetch_ms = now_ms
        local.last_caught_up_ms = now_ms
        voters = tuple(self.voter_states[v].describe() for v in sorted(self.voters))
        observers = tuple(self.observer_states[o].describe() for o in sorted(self.observer_states))
        return voters, observers


def check_quorum_timeout_ms(config: QuorumConfig) -> int:
    return config.fetch_timeout_ms * 3 // 2
