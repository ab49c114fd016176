"""RaftNode: the façade of the pure Raft core (Kafka's KRaft, KIP-595 + KIP-996 pre-vote, with the
optional local id of KAFKA-12161).

Theory of operation: the node is a deterministic state machine. Time enters only as `now_ms`,
randomness only through the injected seeded `random.Random`, bytes only as opaque `Records` built
by the injected `BatchCodec`. Every entry point (`handle`, `poll`, `propose`, `shutdown`) returns a
`Ready` (kraft/ready.py) that the executor runs with `ordered_steps`; see ready.py for the
persistence contract. The same inputs in the same order always give the same outputs.

Start-up: construct, then call `poll(now_ms)` at once; its Ready persists the chosen start state and
a sole voter starts its election right there.

Roles and transitions: kraft/roles.py; elections and epoch changes: kraft/election.py; leader
bookkeeping and the high watermark: kraft/quorum.py; per-API handlers: kraft/handlers/.
"""

from __future__ import annotations

import enum
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from kraft.config import QuorumConfig
from kraft.events import Event
from kraft.log import LogState
from kraft.ready import ElectionState, Ready
from kraft.roles import RoleName
from kraft.rpc import DescribeQuorumResponse
from kraft.types import BatchCodec


class ProposeError(enum.Enum):
    NONE = "none"
    NOT_LEADER = "not-leader"  # not the leader, or resigning: retry on the new leader
    TOO_LARGE = "too-large"  # one call's records exceed batch_size_max_bytes
    BACKPRESSURE = "backpressure"  # accumulator_bytes_max reached: retry after the next poll


@dataclass(frozen=True, slots=True)
class ProposeResult:
    """Offsets `base_offset..last_offset` (inclusive) the proposed records got in `epoch`.

    They are committed once the high watermark passes `last_offset`, and lost if another leader's
    log wins.
    """

    error: ProposeError
    epoch: int = 0
    base_offset: int = 0
    last_offset: int = 0


class RaftNode:
    """One KRaft replica: voter, observer with an id, or id-less observer (`local_id=None`)."""

    def __init__(
        self,
        config: QuorumConfig,
        local_id: int | None,
        local_directory_id: uuid.UUID,
        persisted_election_state: ElectionState | None,
        log_state: LogState,
        codec: BatchCodec,
        rng: random.Random,
        now_ms: int,
    ) -> None:
        """Raises `ConfigError` for a local id / voter set / stored state that cannot work
        (negative id, stored vote without a local id, stored voters differing from the config)."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------- inputs
    def handle(self, event: Event, now_ms: int) -> Ready:
        """Feed one event (kraft/events.py). Also runs due timers, like `poll`."""
        raise NotImplementedError

    def poll(self, now_ms: int) -> Ready:
        """Run timers due at `now_ms` (elections, fetches, request timeouts, long-poll expiry,
        accumulator drain). Call it by `Ready.deadline_ms` at the latest."""
        raise NotImplementedError

    def propose(self, values: Sequence[bytes], now_ms: int) -> ProposeResult:
        """Leader only: queue records (all of one call in one batch). They are appended on a poll
        after `append_linger_ms` (0: the next poll), or at once when a batch is full."""
        raise NotImplementedError

    def shutdown(self, now_ms: int) -> Ready:
        """Graceful shutdown. A leader resigns: pending fetches are answered, EndQuorumEpoch with
        preferred successors goes to the other voters until acknowledged (or request timeout);
        then `Ready.shutdown_complete`. Other roles complete at once."""
        raise NotImplementedError

    def resign(self, epoch: int, now_ms: int) -> Ready:
        """Leader of `epoch` steps down without shutting down (Kafka's `resign(epoch)`)."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------- queries
    def describe_quorum(self, now_ms: int) -> DescribeQuorumResponse:
        """What DescribeQuorum answers right now (NOT_LEADER_OR_FOLLOWER unless leader)."""
        raise NotImplementedError

    @property
    def role(self) -> RoleName:
        raise NotImplementedError

    @property
    def epoch(self) -> int:
        raise NotImplementedError

    @property
    def leader_id(self) -> int | None:
        raise NotImplementedError

    @property
    def high_watermark(self) -> int | None:
        raise NotImplementedError

    @property
    def log_end_offset(self) -> int:
        raise NotImplementedError

    @property
    def voters(self) -> frozenset[int]:
        raise NotImplementedError

    @property
    def local_id(self) -> int | None:
        raise NotImplementedError

    @property
    def election_state(self) -> ElectionState:
        """The election state as it will be (or was) persisted for the current epoch state."""
        raise NotImplementedError
