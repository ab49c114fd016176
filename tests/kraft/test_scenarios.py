"""Readable scenarios: a few in-memory nodes driven through elections, replication and failures."""

from __future__ import annotations

from kraft.ready import SnapshotChunk
from tests.kraft.harness import Cluster


def test_single_voter_elects_itself_and_commits() -> None:
    cluster = Cluster([1])
    cluster.run_until(lambda: cluster.members["1"].node.role == "leader", 100)
    node = cluster.members["1"].node
    assert node.epoch == 1
    cluster.run_until(lambda: node.high_watermark == 1, 100)  # the LeaderChange batch
    last = cluster.propose([b"a", b"b"])
    cluster.run_until(lambda: (node.high_watermark or 0) > last, 200)
    assert cluster.members["1"].log.values() == [b"a", b"b"]


def test_three_voters_elect_one_leader_and_replicate() -> None:
    cluster = Cluster([1, 2, 3], seed=7)
    cluster.run_until(lambda: len(cluster.leaders()) == 1, 10_000)
    leader = cluster.leader()
    last = cluster.propose([b"x", b"y", b"z"])
    cluster.run_until(
        lambda: all((m.node.high_watermark or 0) > last for m in cluster.members.values()),
        5_000,
    )
    for member in cluster.members.values():
        assert member.log.values() == [b"x", b"y", b"z"]
        assert member.node.epoch == leader.node.epoch


def test_leader_isolated_new_leader_elected_old_one_follows_after_heal() -> None:
    cluster = Cluster([1, 2, 3], seed=3)
    cluster.run_until(lambda: len(cluster.leaders()) == 1, 10_000)
    old = cluster.leader()
    cluster.propose([b"before"])
    cluster.run_for(500)
    cluster.isolate(old.key)
    cluster.run_until(
        lambda: any(m.node.role == "leader" and m is not old for m in cluster.members.values()),
        20_000,
    )
    # The isolated leader resigns by check-quorum.
    cluster.run_until(lambda: old.node.role != "leader", 20_000)
    cluster.heal()
    new = next(m for m in cluster.members.values() if m.node.role == "leader")
    last = cluster.propose([b"after"])
    cluster.run_until(
        lambda: all((m.node.high_watermark or 0) > last for m in cluster.members.values()),
        20_000,
    )
    assert old.node.leader_id == new.local_id
    for member in cluster.members.values():
        assert member.log.values() == [b"before", b"after"]


def test_idless_observer_follows_the_log_and_leader_changes() -> None:
    cluster = Cluster([1, 2, 3], observers=[None], seed=11)
    cluster.run_until(lambda: len(cluster.leaders()) == 1, 10_000)
    observer = cluster.members["x0"]
    last = cluster.propose([b"one"])
    cluster.run_until(lambda: (observer.node.high_watermark or 0) > last, 10_000)
    assert observer.log.values() == [b"one"]
    assert observer.node.role == "follower"
    leader = cluster.leader()
    # The leader keeps nothing for it.
    description = leader.node.describe_quorum(cluster.now_ms)
    assert description.observers == ()
    # Leader change: the observer follows the new leader.
    cluster.isolate(leader.key)
    cluster.blocked.discard((leader.key, "x0"))
    cluster.blocked.discard(("x0", leader.key))
    cluster.run_until(
        lambda: any(m.node.role == "leader" and m is not leader for m in cluster.members.values()),
        20_000,
    )
    new_leader = next(
        m for m in cluster.members.values() if m.node.role == "leader" and m is not leader
    )
    # The isolated leader resigns by check-quorum before proposals go to the one leader.
    cluster.run_until(lambda: leader.node.role != "leader", 20_000)
    cluster.heal()
    last = cluster.propose([b"two"])
    cluster.run_until(lambda: (observer.node.high_watermark or 0) > last, 20_000)
    assert observer.node.leader_id == new_leader.local_id
    assert observer.log.values() == [b"one", b"two"]
    assert all(r.role_change in (None, "follower", "unattached") for r in observer.readies)


def test_follower_behind_the_log_start_downloads_and_installs_the_snapshot() -> None:
    cluster = Cluster([1, 2, 3], observers=[None], seed=5, fetch_bytes_max=64)
    cluster.run_until(lambda: len(cluster.leaders()) == 1, 10_000)
    cluster.run_for(100)
    leader = cluster.leader()
    lagging = next(m for m in cluster.members.values() if m.local_id and m is not leader)
    cluster.kill(lagging.key)
    for i in range(6):
        last = cluster.propose([f"value-{i}".encode() * 4])
        cluster.run_for(30)
    cluster.run_until(lambda: (leader.node.high_watermark or 0) > last, 5_000)
    # The leader's executor snapshots the committed log and deletes it.
    snapshot_id = cluster.snapshot(leader.key, last + 1)
    assert leader.node.log_epoch_history == ((leader.node.epoch, last + 1),)
    # A voter that lost its disk and an empty id-less observer must both start from the snapshot.
    back = cluster.wipe(lagging.key)
    observer = cluster.wipe("x0")
    tail = cluster.propose([b"tail"])
    cluster.run_until(
        lambda: all((m.node.high_watermark or 0) > tail for m in cluster.members.values()),
        10_000,
    )
    expected = [f"value-{i}".encode() * 4 for i in range(6)] + [b"tail"]
    assert leader.log.values() == expected
    for member in (back, observer):
        assert member.log.snapshot is not None and member.log.snapshot[0] == snapshot_id
        assert member.log.start_offset == snapshot_id.offset
        assert member.log.values() == expected
        # fetch_bytes_max=64: the download took several FetchSnapshot round trips.
        chunks = [op for r in member.readies for op in r.log_ops if isinstance(op, SnapshotChunk)]
        assert len(chunks) > 1


def test_followers_whose_fetch_timeouts_end_together_elect_in_one_election() -> None:
    """The failover race: both followers fetched together (equal logs, the same millisecond), so
    both turn Prospective when the dead leader's fetch timeout ends. Granting each other's
    pre-vote made both Candidates of one epoch and the vote split until an election timeout
    (1-2 s) ended it; the equal-log tie-break (kraft/handlers/vote.py `_outranks`) lets only the
    lower id through."""
    cluster = Cluster([1, 2, 3], seed=5)
    cluster.run_until(lambda: len(cluster.leaders()) == 1, 10_000)
    for _round in range(3):
        old = cluster.leader()
        last = cluster.propose([b"v"])
        cluster.run_until(
            lambda last=last: all(
                (m.node.high_watermark or 0) > last for m in cluster.members.values()
            ),
            5_000,
        )
        followers = [m for m in cluster.members.values() if m is not old]
        assert len({m.log.end_offset for m in followers}) == 1
        killed_ms = cluster.now_ms
        cluster.kill(old.key)
        cluster.run_until(lambda: len(cluster.leaders()) == 1, 10_000)
        new = cluster.leader()
        assert new.node.epoch == old.node.epoch + 1, "a second election was needed"
        # The fetch timeout (2 s) plus a few message hops, not an election timeout more.
        assert cluster.now_ms - killed_ms < 2_100
        assert new.local_id == min(m.local_id or 0 for m in followers)
        cluster.members[old.key] = cluster.dead.pop(old.key)
        back = cluster.restart(old.key)
        cluster.run_until(lambda b=back, n=new: b.node.leader_id == n.local_id, 10_000)
