"""Readable scenarios: a few in-memory nodes driven through elections, replication and failures."""

from __future__ import annotations

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
    new_leader = next(m for m in cluster.members.values() if m.node.role == "leader")
    cluster.heal()
    last = cluster.propose([b"two"])
    cluster.run_until(lambda: (observer.node.high_watermark or 0) > last, 20_000)
    assert observer.node.leader_id == new_leader.local_id
    assert observer.log.values() == [b"one", b"two"]
    assert all(r.role_change in (None, "follower", "unattached") for r in observer.readies)
