"""Each named invariant fails on a hand-made bad state (the checker is not a rubber stamp)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from kraft.ready import OutboundRequest
from kraft.roles import RoleName
from kraft.rpc import DescribeQuorumResponse, ReplicaDescription, VoteRequest
from kraft.sim.codec import WireBatchCodec, encode_counter
from kraft.sim.disk import SimLog, SimQuorumStore
from kraft.sim.invariants import InvariantChecker, InvariantViolation
from kraft.types import BatchInfo, ElectionState, ReplicaAddress, ReplicaKey
from wire.errors import ErrorCode

CODEC = WireBatchCodec()


@dataclass
class FakeRaft:
    role: RoleName = RoleName.FOLLOWER
    epoch: int = 1
    high_watermark: int | None = None
    voters_described: tuple[int, ...] = (1, 2, 3)
    observers_described: tuple[int, ...] = ()

    def describe_quorum(self, now_ms: int) -> DescribeQuorumResponse:
        def desc(i: int) -> ReplicaDescription:
            return ReplicaDescription(i, None, 0, now_ms, now_ms)

        return DescribeQuorumResponse(
            ErrorCode.NONE,
            voters=tuple(desc(i) for i in self.voters_described),
            observers=tuple(desc(i) for i in self.observers_described),
        )


@dataclass
class FakeNode:
    index: int
    replica_id: int | None
    is_voter: bool = True
    raft: Any = field(default_factory=FakeRaft)
    log: SimLog = field(default_factory=SimLog)
    store: SimQuorumStore = field(default_factory=SimQuorumStore)
    cluster_nodes: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"n{self.index}"


def append(node: FakeNode, epoch: int, values: list[int] | None) -> None:
    base = node.log.end_offset
    if values is None:
        data = CODEC.build_leader_change_batch(base, epoch, 0, 1, [1, 2, 3], [1])
        info = BatchInfo(base, base, epoch, len(data), True)
    else:
        data = CODEC.build_data_batch(base, epoch, 0, [encode_counter(v) for v in values])
        info = BatchInfo(base, base + len(values) - 1, epoch, len(data), False)
    node.log.append(data, info)


def cluster(n: int = 3) -> tuple[InvariantChecker, list[FakeNode]]:
    nodes: list[FakeNode] = []
    for i in range(n):
        nodes.append(FakeNode(i, i + 1, cluster_nodes=nodes))
    return InvariantChecker(frozenset(range(1, n + 1))), nodes


def expect(name: str, fn: Any, *args: Any) -> None:
    with pytest.raises(InvariantViolation) as info:
        fn(*args)
    assert info.value.name == name, info.value


def test_single_leader_in_memory_and_persisted() -> None:
    checker, (a, b, _) = cluster()
    a.raft.role = b.raft.role = RoleName.LEADER
    checker.after_step(a, 0)
    expect("SingleLeader", checker.after_step, b, 0)
    checker2, (a, b, _) = cluster()
    checker2.on_persist(a, ElectionState(2, leader_id=1))
    checker2.on_persist(b, ElectionState(2, leader_id=1))
    expect("SingleLeader", checker2.on_persist, b, ElectionState(2, leader_id=2))


def test_vote_once_per_epoch_survives_crash_but_not_wipe() -> None:
    checker, (a, _, _) = cluster()
    checker.on_persist(a, ElectionState(3, voted_id=2))
    checker.on_restart(a)
    checker.on_persist(a, ElectionState(3, voted_id=2))  # re-grant to the same candidate is fine
    expect("VoteOncePerEpoch", checker.on_persist, a, ElectionState(3, voted_id=3))
    checker.on_wipe(a)
    checker.on_persist(a, ElectionState(3, voted_id=3))


def test_monotonic_epoch_persisted_and_in_memory() -> None:
    checker, (a, _, _) = cluster()
    checker.on_persist(a, ElectionState(5))
    expect("MonotonicEpoch", checker.on_persist, a, ElectionState(4))
    checker, (a, _, _) = cluster()
    a.store.write(ElectionState(5))
    a.raft.epoch = 4
    expect("MonotonicEpoch", checker.after_step, a, 0)


def test_high_watermark_monotonic_and_within_log() -> None:
    checker, (a, _, _) = cluster()
    append(a, 1, [1, 2])
    a.raft.high_watermark = 2
    checker.after_step(a, 0)
    a.raft.high_watermark = 1
    expect("MonotonicHighWatermark", checker.after_step, a, 0)
    checker.on_restart(a)  # the HW is in-memory: a new incarnation starts over
    checker.after_step(a, 0)
    a.raft.high_watermark = 9
    expect("HighWatermarkWithinLog", checker.after_step, a, 0)


def test_committed_prefix_must_match_across_voters_and_observers() -> None:
    checker, (a, b, c) = cluster()
    c.is_voter = False
    for node in (a, b, c):
        append(node, 1, None)
    append(a, 1, [1, 2])
    append(b, 1, [1, 2])
    append(c, 2, [1, 2])  # same offsets, different epoch: diverged
    for node in (a, b, c):
        node.raft.high_watermark = 3
    checker.after_step(a, 0)
    checker.after_step(b, 0)
    expect("ObserverCommittedPrefix", checker.after_step, c, 0)
    c.is_voter = True
    checker.on_restart(c)
    expect("CommittedPrefixIdentical", checker.after_step, c, 0)


def test_committed_counter_must_count_by_one() -> None:
    checker, (a, _, _) = cluster()
    append(a, 1, [1, 2])
    append(a, 1, [4])
    a.raft.high_watermark = 3
    expect("CommittedCounterSequence", checker.after_step, a, 0)


def test_leader_completeness() -> None:
    checker, (a, b, _) = cluster()
    append(a, 1, [1])
    a.raft.high_watermark = 1
    checker.after_step(a, 0)
    b.raft.role = RoleName.LEADER
    b.raft.epoch = 2
    expect("LeaderCompleteness", checker.after_step, b, 0)


def test_leader_high_watermark_after_epoch_start_and_majority() -> None:
    checker, nodes = cluster()
    for node in nodes:
        append(node, 1, [1, 2])
        node.log.flush()
    a = nodes[0]
    append(a, 2, None)  # LeaderChange of epoch 2 at offset 2
    a.log.flush()
    a.raft.role = RoleName.LEADER
    a.raft.epoch = 2
    checker.after_step(a, 0)
    a.raft.high_watermark = 2  # not past the epoch start
    expect("LeaderHighWatermarkAfterEpochStart", checker.after_step, a, 0)
    checker, nodes = cluster()
    a = nodes[0]
    append(a, 1, None)
    append(a, 1, [1])
    a.log.flush()
    a.raft.role = RoleName.LEADER
    a.raft.high_watermark = 2  # only the leader has offset 1 durably
    expect("MajorityReachedHighWatermark", checker.after_step, a, 0)


def test_observers_never_elect_and_idless_stays_passive() -> None:
    checker, (a, b, _) = cluster()
    a.is_voter = False
    a.raft.role = RoleName.CANDIDATE
    expect("ObserverNeverElects", checker.after_step, a, 0)
    b.is_voter = False
    b.replica_id = None
    b.raft.role = RoleName.PROSPECTIVE
    expect("IdlessObserverPassive", checker.after_step, b, 0)
    vote = VoteRequest(None, True, ReplicaKey(-1), 1, 0, 0)
    message = OutboundRequest(1, ReplicaAddress(1, "sim", 9000), vote, 100)
    expect("IdlessObserverPassive", checker.on_send, b, message)
    expect("IdlessObserverPassive", checker.on_persist, b, ElectionState(1, voted_id=1))


def test_describe_quorum_membership() -> None:
    checker, (a, _, _) = cluster()
    a.raft.role = RoleName.LEADER
    a.raft.observers_described = (4,)
    checker.check_describe_quorum(a, frozenset({4}), 0)
    a.raft.observers_described = (4, -1)
    expect("DescribeQuorumMembership", checker.check_describe_quorum, a, frozenset({4}), 0)
    a.raft.observers_described = ()
    a.raft.voters_described = (1, 2)
    expect("DescribeQuorumMembership", checker.check_describe_quorum, a, frozenset({4}), 0)


def test_disabled_invariants_are_not_reported() -> None:
    checker = InvariantChecker(frozenset({1, 2, 3}), disabled=frozenset({"VoteOncePerEpoch"}))
    node = FakeNode(0, 1)
    checker.on_persist(node, ElectionState(3, voted_id=2))
    checker.on_persist(node, ElectionState(3, voted_id=3))


def test_granted_votes_are_unique_per_epoch_and_persisted_first() -> None:
    from kraft.rpc import VoteResponse

    checker, (a, _, _) = cluster()
    granted = VoteResponse(ErrorCode.NONE, leader_epoch=4, vote_granted=True)

    def vote(candidate: int, pre_vote: bool = False) -> VoteRequest:
        return VoteRequest(None, True, ReplicaKey(candidate), 4, 0, 0, pre_vote=pre_vote)

    expect("VotePersistedBeforeGrant", checker.on_answer, a, vote(2), granted)
    a.store.write(ElectionState(4, voted_id=2))
    checker.on_answer(a, vote(2), granted)
    checker.on_answer(a, vote(3, pre_vote=True), granted)  # pre-votes are not votes
    expect("VoteOncePerEpoch", checker.on_answer, a, vote(3), granted)


def test_truncation_rules() -> None:
    checker, (a, _, _) = cluster()
    append(a, 1, [1])
    append(a, 1, [2])
    a.raft.high_watermark = 2
    checker.after_step(a, 0)
    expect("TruncateAboveHighWatermark", checker.on_truncate, a, 1)
    checker.on_truncate(a, 2)  # at the HW (and at the log end): fine
    a.raft.role = RoleName.LEADER
    expect("LeaderAppendOnly", checker.on_truncate, a, 1)


def test_snapshots_must_hold_exactly_the_committed_prefix() -> None:
    from kraft.types import OffsetAndEpoch

    checker, (a, b, _) = cluster()
    append(a, 1, None)
    append(a, 1, [1])
    a.raft.high_watermark = 2
    checker.after_step(a, 0)
    good = a.log.snapshot_content(2)
    assert good is not None
    checker.on_snapshot(a, OffsetAndEpoch(2, 1), good, installed=False)
    expect(
        "SnapshotMatchesCommitted", checker.on_snapshot, b, OffsetAndEpoch(2, 1), good[:-1], True
    )
    expect("SnapshotMatchesCommitted", checker.on_snapshot, b, OffsetAndEpoch(2, 7), good, True)
    expect("SnapshotMatchesCommitted", checker.on_snapshot, b, OffsetAndEpoch(5, 1), good, True)
    b.raft.role = RoleName.LEADER
    expect("LeaderNeverInstallsSnapshot", checker.on_snapshot, b, OffsetAndEpoch(2, 1), good, True)
