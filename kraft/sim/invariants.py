"""Named safety invariants, checked after every simulated event.

Theory of operation: `InvariantChecker` is told about every node step (`after_step`), every
quorum-state write (`on_persist`), every message a node sends (`on_send`) and every crash,
restart and wipe. Each invariant is a small method that raises `InvariantViolation(name, detail)`.
Checks are incremental (cursors per node), so the cost per event is O(new data), not O(log).

The *committed log* is the longest prefix any node has reported below its high watermark: a list
of whole batches from offset 0. Every batch entering it is decoded once and its counter values must
continue the sequence 1, 2, 3, ... (the replicated-counter check). Each committed batch remembers
the smallest epoch in which a node had it below its HW (`commit_epoch`): Raft's leader completeness
says every leader of a later epoch holds it.

Invariants (names are what a failure reports):
- SingleLeader: per epoch at most one replica is leader, and all persisted election states of that
  epoch that name a leader name the same one.
- VoteOncePerEpoch: a replica's persisted vote in an epoch never changes to another candidate,
  and it never grants standard votes to two candidates in one epoch (seen on the wire).
- VotePersistedBeforeGrant: a granted standard vote is in the quorum-state before it is sent.
- MonotonicEpoch: a replica's persisted epoch never decreases (across crashes; reset by a wipe),
  and after each step its in-memory epoch equals the persisted one.
- MonotonicHighWatermark: within one incarnation a replica's high watermark never decreases.
- HighWatermarkWithinLog: a replica's high watermark never exceeds its log end offset.
- CommittedPrefixIdentical: every voter's log below its high watermark equals the committed log.
- ObserverCommittedPrefix: the same for observers (with and without id).
- CommittedCounterSequence: committed data values are exactly previous + 1, from 1.
- LeaderCompleteness: a leader of epoch e holds every batch committed in an epoch < e.
- LeaderHighWatermarkAfterEpochStart: a leader only moves its high watermark past the start of its
  epoch (the LeaderChange batch of its epoch committed first; KAFKA-12619).
- MajorityReachedHighWatermark: a majority of voters have a durable log end >= a leader's HW.
- ObserverNeverElects / IdlessObserverPassive: observers stay Unattached/Follower; an id-less
  observer never votes, never sends Vote/BeginQuorumEpoch/EndQuorumEpoch.
- DescribeQuorumMembership: the leader's DescribeQuorum lists exactly the voters and only observers
  that have an id (never the id-less ones).
- LeaderAppendOnly: a leader never truncates its log.
- TruncateAboveHighWatermark: no replica truncates below the high watermark it reported.
- SnapshotMatchesCommitted: a snapshot (created or installed) is byte for byte the committed
  batches below its end offset, and its epoch is that of the last of them.
- LeaderNeverInstallsSnapshot: a leader never loads a snapshot (Kafka's LeaderNeverLoadSnapshot).
- BatchHeaderMatchesInfo: appended bytes carry the base offset/epoch/size the core claims.
- CoreCrashed: the core raised (assertions are kept on); reported by the cluster.
- ReadyContract: a Ready asked the executor for something impossible (truncation inside a batch,
  a non-contiguous append, an out-of-order snapshot chunk); reported by the cluster.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kraft.node import RaftNode
from kraft.quorum import majority_of
from kraft.ready import Outbound, OutboundRequest
from kraft.roles import OBSERVER_ROLES, RoleName
from kraft.rpc import (
    BeginQuorumEpochRequest,
    EndQuorumEpochRequest,
    Request,
    Response,
    VoteRequest,
    VoteResponse,
)
from kraft.sim.codec import counter_values
from kraft.sim.disk import SimLog, SimQuorumStore, StoredBatch
from kraft.types import ElectionState, OffsetAndEpoch


class CheckedNode(Protocol):
    """What the checker reads of a simulated replica (`kraft.sim.cluster.SimNode` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def index(self) -> int: ...
    @property
    def replica_id(self) -> int | None: ...
    @property
    def is_voter(self) -> bool: ...
    @property
    def log(self) -> SimLog: ...
    @property
    def store(self) -> SimQuorumStore: ...
    @property
    def raft(self) -> RaftNode | None: ...
    @property
    def cluster_nodes(self) -> Sequence[CheckedNode]: ...


ALL_INVARIANTS = (
    "SingleLeader",
    "VoteOncePerEpoch",
    "VotePersistedBeforeGrant",
    "MonotonicEpoch",
    "MonotonicHighWatermark",
    "HighWatermarkWithinLog",
    "CommittedPrefixIdentical",
    "ObserverCommittedPrefix",
    "CommittedCounterSequence",
    "LeaderCompleteness",
    "LeaderHighWatermarkAfterEpochStart",
    "MajorityReachedHighWatermark",
    "ObserverNeverElects",
    "IdlessObserverPassive",
    "DescribeQuorumMembership",
    "LeaderAppendOnly",
    "TruncateAboveHighWatermark",
    "SnapshotMatchesCommitted",
    "LeaderNeverInstallsSnapshot",
    "BatchHeaderMatchesInfo",
    "CoreCrashed",
    "ReadyContract",
    "Liveness",
)
# A voter that loses its disk loses its copy of committed records, so a majority may no longer
# hold the high watermark (Kafka's disk-loss simulation drops this check too). Its vote and epoch
# history are forgotten with the disk (the checker resets them on wipe), so the rest still holds
# as long as the rest of the cluster keeps its data (the voter-wipe scenario ensures that).
VOTER_WIPE_RELAXED = frozenset({"MajorityReachedHighWatermark"})


class InvariantViolation(Exception):
    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.detail = detail


@dataclass(slots=True)
class CommittedBatch:
    stored: StoredBatch
    commit_epoch: int


@dataclass(slots=True)
class NodeCursor:
    """Per-node incremental state; reset on restart (in-memory parts) or wipe (durable parts)."""

    high_watermark: int | None = None
    epoch: int = 0
    checked_offset: int = 0
    leader_epoch: int | None = None
    completeness_checked: int = 0
    leader_hw_at_start: int | None = None
    leader_epoch_start: int | None = None
    # Durable history (survives crashes, not wipes).
    persisted_epoch: int = 0
    votes: dict[int, int] = field(default_factory=dict)


class InvariantChecker:
    def __init__(self, voter_ids: frozenset[int], disabled: frozenset[str] = frozenset()) -> None:
        self.voter_ids = voter_ids
        self.majority = majority_of(len(voter_ids))
        self.disabled = disabled
        self.committed: list[CommittedBatch] = []
        self.committed_end_offset = 0
        self.committed_index: dict[int, int] = {}  # base offset -> index in `committed`
        self.committed_bytes = bytearray()  # the committed batches, concatenated
        self.committed_bytes_at: dict[int, int] = {0: 0}  # end offset -> bytes up to it
        self.last_counter = 0
        self.leaders_by_epoch: dict[int, int] = {}
        self.cursors: dict[int, NodeCursor] = {}
        self.checks = 0

    def fail(self, name: str, detail: str) -> None:
        if name not in self.disabled:
            raise InvariantViolation(name, detail)

    def cursor(self, node: CheckedNode) -> NodeCursor:
        c = self.cursors.get(node.index)
        if c is None:
            c = self.cursors[node.index] = NodeCursor()
        return c

    # --------------------------------------------------------------------- life cycle
    def on_restart(self, node: CheckedNode) -> None:
        c = self.cursor(node)
        c.high_watermark = None
        c.epoch = 0
        c.checked_offset = 0
        c.leader_epoch = None
        c.completeness_checked = 0

    def on_wipe(self, node: CheckedNode) -> None:
        self.cursors[node.index] = NodeCursor()

    # --------------------------------------------------------------------- hooks
    def on_persist(self, node: CheckedNode, state: ElectionState) -> None:
        c = self.cursor(node)
        if state.epoch < c.persisted_epoch:
            self.fail(
                "MonotonicEpoch",
                f"{node.name} persisted epoch {state.epoch} after {c.persisted_epoch}",
            )
        c.persisted_epoch = max(c.persisted_epoch, state.epoch)
        if state.voted_id is not None:
            if node.replica_id is None:
                self.fail("IdlessObserverPassive", f"{node.name} persisted a vote: {state}")
            previous = c.votes.setdefault(state.epoch, state.voted_id)
            if previous != state.voted_id:
                self.fail(
                    "VoteOncePerEpoch",
                    f"{node.name} voted for {previous} and then {state.voted_id} "
                    f"in epoch {state.epoch}",
                )
        if state.leader_id is not None:
            known = self.leaders_by_epoch.setdefault(state.epoch, state.leader_id)
            if known != state.leader_id:
                self.fail(
                    "SingleLeader",
                    f"epoch {state.epoch}: {node.name} persisted leader {state.leader_id}, "
                    f"but {known} was leader",
                )

    def on_send(self, node: CheckedNode, message: Outbound) -> None:
        if node.replica_id is None and isinstance(message, OutboundRequest):
            request = message.request
            if isinstance(request, VoteRequest | BeginQuorumEpochRequest | EndQuorumEpochRequest):
                self.fail(
                    "IdlessObserverPassive",
                    f"{node.name} sent {type(request).__name__} to {message.destination.node_id}",
                )

    def on_answer(self, node: CheckedNode, request: Request, response: Response) -> None:
        """A granted standard vote: one candidate per epoch, and durable before it is sent."""
        if not (
            isinstance(request, VoteRequest)
            and isinstance(response, VoteResponse)
            and response.vote_granted
            and not request.pre_vote
        ):
            return
        epoch = request.candidate_epoch
        candidate = request.candidate_key.id
        c = self.cursor(node)
        previous = c.votes.setdefault(epoch, candidate)
        if previous != candidate:
            self.fail(
                "VoteOncePerEpoch",
                f"{node.name} granted its epoch {epoch} vote to {previous} and then to {candidate}",
            )
        stored = node.store.state
        if stored is None or stored.epoch != epoch or stored.voted_id != candidate:
            self.fail(
                "VotePersistedBeforeGrant",
                f"{node.name} granted epoch {epoch} vote to {candidate}, quorum-state is {stored}",
            )

    def on_truncate(self, node: CheckedNode, end_offset: int) -> None:
        raft = node.raft
        if raft is None or end_offset >= node.log.end_offset:
            return
        if raft.role is RoleName.LEADER:
            self.fail("LeaderAppendOnly", f"{node.name} truncates to {end_offset} while leader")
        hw = self.cursor(node).high_watermark
        if hw is not None and end_offset < hw:
            self.fail(
                "TruncateAboveHighWatermark",
                f"{node.name} truncates to {end_offset} below its high watermark {hw}",
            )

    def on_append(self, node: CheckedNode, detail: str | None) -> None:
        if detail is not None:
            self.fail("BatchHeaderMatchesInfo", f"{node.name}: {detail}")

    # --------------------------------------------------------------------- per step
    def after_step(self, node: CheckedNode, now_ms: int) -> None:
        raft = node.raft
        if raft is None:
            return
        self.checks += 1
        c = self.cursor(node)
        role = raft.role
        epoch = raft.epoch
        # Roles
        if not node.is_voter and role not in OBSERVER_ROLES:
            name = "ObserverNeverElects" if node.replica_id is not None else "IdlessObserverPassive"
            self.fail(name, f"{node.name} (not a voter) became {role} in epoch {epoch}")
        if role is RoleName.LEADER:
            me = -1 if node.replica_id is None else node.replica_id
            known = self.leaders_by_epoch.setdefault(epoch, me)
            if known != node.replica_id:
                self.fail("SingleLeader", f"epoch {epoch}: {node.name} and replica {known} lead")
        # Epochs
        if epoch < c.epoch:
            self.fail("MonotonicEpoch", f"{node.name} epoch went {c.epoch} -> {epoch}")
        c.epoch = epoch
        stored = node.store.state
        if stored is not None and stored.epoch != epoch:
            self.fail(
                "MonotonicEpoch",
                f"{node.name} in-memory epoch {epoch} != persisted epoch {stored.epoch}",
            )
        # High watermark
        hw = raft.high_watermark
        if hw is not None:
            if c.high_watermark is not None and hw < c.high_watermark:
                self.fail(
                    "MonotonicHighWatermark",
                    f"{node.name} high watermark went {c.high_watermark} -> {hw}",
                )
            if hw > node.log.end_offset:
                self.fail(
                    "HighWatermarkWithinLog",
                    f"{node.name} high watermark {hw} > log end {node.log.end_offset}",
                )
            if role is RoleName.LEADER:
                self._check_leader_hw(node, c, epoch, hw)
            if hw != c.high_watermark:
                self._check_committed(node, c, hw, epoch)
            c.high_watermark = hw
        if role is RoleName.LEADER:
            self._check_completeness(node, c, epoch)
        else:
            c.leader_epoch = None

    def _check_leader_hw(self, node: CheckedNode, c: NodeCursor, epoch: int, hw: int) -> None:
        if c.leader_epoch != epoch:
            c.leader_epoch = epoch
            c.completeness_checked = 0
            c.leader_hw_at_start = c.high_watermark
            c.leader_epoch_start = None
        if hw != c.leader_hw_at_start:
            if c.leader_epoch_start is None:
                c.leader_epoch_start = epoch_start_offset(node, epoch)
            start = c.leader_epoch_start
            if start is not None and hw <= start:
                self.fail(
                    "LeaderHighWatermarkAfterEpochStart",
                    f"{node.name} leader of epoch {epoch} moved HW to {hw} <= epoch start {start}",
                )
        durable = sum(
            1 for n in node.cluster_nodes if n.is_voter and n.log.durable_end_offset >= hw
        )
        if durable < self.majority:
            self.fail(
                "MajorityReachedHighWatermark",
                f"{node.name} leader HW {hw} but only {durable} voters have it durably",
            )

    def _check_committed(self, node: CheckedNode, c: NodeCursor, hw: int, epoch: int) -> None:
        """Compare the node's batches below its HW with the committed log, by offset (a log that
        starts at a snapshot has no batches below its log start: the snapshot was checked)."""
        name = "CommittedPrefixIdentical" if node.is_voter else "ObserverCommittedPrefix"
        log = node.log
        batches = log.batches
        committed = self.committed
        index = self.committed_index
        i = bisect_left(log.base_offsets, max(c.checked_offset, log.log_start_offset))
        while i < len(batches) and batches[i].info.base_offset < hw:
            mine = batches[i]
            j = index.get(mine.info.base_offset)
            if j is not None:
                entry = committed[j]
                theirs = entry.stored
                if mine.info != theirs.info or mine.data != theirs.data:
                    self.fail(
                        name,
                        f"{node.name} batch {mine.info} below HW {hw} differs from committed "
                        f"{theirs.info}",
                    )
                if epoch < entry.commit_epoch:
                    entry.commit_epoch = epoch
            elif mine.info.base_offset == self.committed_end_offset:
                self._extend_committed(node, mine, epoch)
            else:
                self.fail(
                    name,
                    f"{node.name} batch {mine.info} below HW {hw} does not line up with the "
                    f"committed log (committed end {self.committed_end_offset})",
                )
            c.checked_offset = mine.info.last_offset + 1
            i += 1

    def _extend_committed(self, node: CheckedNode, batch: StoredBatch, epoch: int) -> None:
        assert batch.info.base_offset == self.committed_end_offset
        self.committed_index[batch.info.base_offset] = len(self.committed)
        self.committed.append(CommittedBatch(batch, epoch))
        self.committed_end_offset = batch.info.last_offset + 1
        self.committed_bytes += batch.data
        self.committed_bytes_at[self.committed_end_offset] = len(self.committed_bytes)
        for value in counter_values(batch.data, batch.info):
            if value != self.last_counter + 1:
                self.fail(
                    "CommittedCounterSequence",
                    f"committed value {value} after {self.last_counter} "
                    f"(batch {batch.info}, first seen on {node.name})",
                )
            self.last_counter = value

    def _check_completeness(self, node: CheckedNode, c: NodeCursor, epoch: int) -> None:
        if c.leader_epoch != epoch:
            c.leader_epoch = epoch
            c.completeness_checked = 0
            c.leader_hw_at_start = c.high_watermark
            c.leader_epoch_start = None
        committed = self.committed
        if c.completeness_checked == len(committed):
            return
        log = node.log
        for i in range(c.completeness_checked, len(committed)):
            entry = committed[i]
            if entry.commit_epoch >= epoch or entry.stored.info.last_offset < log.log_start_offset:
                continue  # below the log start: held by the (checked) snapshot there
            k = log.batch_index(entry.stored.info.base_offset)
            if k is None or log.batches[k].info != entry.stored.info:
                self.fail(
                    "LeaderCompleteness",
                    f"{node.name} leads epoch {epoch} without batch {entry.stored.info} "
                    f"committed in epoch {entry.commit_epoch}",
                )
        c.completeness_checked = len(committed)

    def on_snapshot(
        self, node: CheckedNode, snapshot_id: OffsetAndEpoch, content: bytes, installed: bool
    ) -> None:
        """A snapshot holds exactly the committed batches below its end offset; leaders never
        install one (Kafka's LeaderNeverLoadSnapshot)."""
        if installed and node.raft is not None and node.raft.role is RoleName.LEADER:
            self.fail("LeaderNeverInstallsSnapshot", f"{node.name} installed {snapshot_id}")
        size = self.committed_bytes_at.get(snapshot_id.offset)
        if size is None or content != self.committed_bytes[:size]:
            self.fail(
                "SnapshotMatchesCommitted",
                f"{node.name} snapshot {snapshot_id} ({len(content)} bytes) is not the committed "
                f"log below {snapshot_id.offset} (committed end {self.committed_end_offset})",
            )
            return
        last = self.committed[self.committed_index[_base_of_end(self, snapshot_id.offset)]]
        if last.stored.info.epoch != snapshot_id.epoch:
            self.fail(
                "SnapshotMatchesCommitted",
                f"{node.name} snapshot {snapshot_id} but the batch ending there has epoch "
                f"{last.stored.info.epoch}",
            )

    # --------------------------------------------------------------------- periodic
    def check_describe_quorum(
        self, node: CheckedNode, observer_ids: frozenset[int], now_ms: int, complete: bool = False
    ) -> None:
        """Voters exactly; observers only with an id, and (`complete`) all of them."""
        raft = node.raft
        if raft is None or raft.role is not RoleName.LEADER:
            return
        answer = raft.describe_quorum(now_ms)
        voters = {r.replica_id for r in answer.voters}
        observers = {r.replica_id for r in answer.observers}
        if voters != set(self.voter_ids):
            self.fail(
                "DescribeQuorumMembership", f"voters {sorted(voters)} != {sorted(self.voter_ids)}"
            )
        if complete and observers != observer_ids:
            self.fail(
                "DescribeQuorumMembership",
                f"observers {sorted(observers)} != observers with an id {sorted(observer_ids)}",
            )
        if not observers <= observer_ids:
            self.fail(
                "DescribeQuorumMembership",
                f"observers {sorted(observers)} include replicas that are not observers with an id",
            )


def epoch_start_offset(node: CheckedNode, epoch: int) -> int | None:
    """Base offset of the first batch of `epoch` in the node's log (its LeaderChange batch)."""
    start = None
    for batch in reversed(node.log.batches):
        if batch.info.epoch < epoch:
            break
        if batch.info.epoch == epoch:
            start = batch.info.base_offset
    return start


def _base_of_end(checker: InvariantChecker, end_offset: int) -> int:
    """Base offset of the committed batch that ends at `end_offset`."""
    i = bisect_left(checker.committed, end_offset, key=lambda b: b.stored.info.last_offset + 1)
    return checker.committed[i].stored.info.base_offset
