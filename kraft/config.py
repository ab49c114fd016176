"""QuorumConfig: the Raft core's configuration, with Kafka's defaults (T24 `QuorumConfig.java`).

All durations are integer milliseconds with the unit last in the name. Validation happens once, in
`QuorumConfig.validate_local_id` (called by `RaftNode`), and fails with `ConfigError` carrying a
sentence a human can act on.

`injected_bugs` exists only so the simulator can prove it has teeth: each `InjectedBug` disables or
breaks exactly one rule at exactly one place in the core. It is empty by default and must stay empty
outside tests.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from kraft.types import Endpoint

MIB = 1024 * 1024


class ConfigError(ValueError):
    """A configuration (or configuration + local id + stored state) that cannot work."""


class InjectedBug(enum.Enum):
    """Known-wrong behaviours the simulator must catch (test-only switches)."""

    # Grant a second standard vote in the same epoch to a different candidate (handlers/vote.py).
    DOUBLE_VOTE = "double-vote"
    # Let the high watermark advance before the LeaderChange batch of the leader's epoch is
    # committed, i.e. accept candidate HW <= epoch start offset (quorum.py).
    HW_BEFORE_EPOCH_COMMIT = "hw-before-epoch-commit"
    # Ignore DivergingEpoch in a Fetch response: append without truncating (handlers/fetch.py).
    SKIP_TRUNCATION = "skip-truncation"
    # Let a node without a local id stand for election like a voter (election.py).
    IDLESS_OBSERVER_ELECTION = "idless-observer-election"


@dataclass(frozen=True, slots=True)
class QuorumConfig:
    """Static quorum configuration (kraft.version 0: voters come from here, not from the log)."""

    # controller.quorum.voters: id -> endpoint (None when the endpoint is not known/needed).
    voters: Mapping[int, Endpoint | None]
    cluster_id: str | None = None
    # controller.quorum.bootstrap.servers; empty = use the voters' endpoints.
    bootstrap_servers: tuple[Endpoint, ...] = ()
    election_timeout_ms: int = 1000
    fetch_timeout_ms: int = 2000
    election_backoff_ms_max: int = 1000
    append_linger_ms: int = 25
    request_timeout_ms: int = 2000
    retry_backoff_ms: int = 20
    # What this node asks for when it fetches (Kafka's MAX_FETCH_WAIT_MS / MAX_FETCH_SIZE_BYTES).
    fetch_wait_ms_max: int = 500
    fetch_bytes_max: int = 8 * MIB
    # Largest batch the leader's accumulator builds (Kafka's MAX_BATCH_SIZE_BYTES).
    batch_bytes_max: int = 8 * MIB
    # Bound on records proposed but not yet drained into the log (propose() answers BACKPRESSURE).
    accumulator_bytes_max: int = 64 * MIB
    # Bound on long-poll Fetch requests parked on the leader at once (oldest are answered early).
    parked_fetches_max: int = 1024
    # Observers with an id are forgotten after this long without a Fetch
    # (Kafka's OBSERVER_SESSION_TIMEOUT_MS).
    observer_session_timeout_ms: int = 300_000
    # Name of the listener carried in BeginQuorumEpoch/EndQuorumEpoch LeaderEndpoints.
    listener_name: str = "CONTROLLER"
    # Pre-vote (KIP-996): when False a timed-out voter goes straight to Candidate (T24 behaviour).
    pre_vote_enabled: bool = True
    injected_bugs: frozenset[InjectedBug] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in (
            "election_timeout_ms",
            "fetch_timeout_ms",
            "election_backoff_ms_max",
            "append_linger_ms",
            "request_timeout_ms",
            "retry_backoff_ms",
            "fetch_wait_ms_max",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in (
            "fetch_bytes_max",
            "batch_bytes_max",
            "accumulator_bytes_max",
            "parked_fetches_max",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        if not self.voters:
            raise ConfigError("the voter set (controller.quorum.voters) is empty")
        for voter_id in self.voters:
            if voter_id < 0:
                raise ConfigError(f"voter id {voter_id} is negative; voter ids must be >= 0")

    @property
    def voter_ids(self) -> frozenset[int]:
        return frozenset(self.voters)

    def has_bug(self, bug: InjectedBug) -> bool:
        return bug in self.injected_bugs

    def validate_local_id(self, local_id: int | None) -> None:
        """Reject a local id that cannot work with this voter set.

        With no local id the node is an observer; that always works. A negative id is never valid
        (negative ids mean "no replica" on the wire). An id not in the voter set makes an observer
        with an id (Kafka brokers); that is allowed.
        """
        if local_id is None:
            return
        if local_id < 0:
            raise ConfigError(
                f"local id {local_id} is negative; use no local id for an id-less observer"
            )
