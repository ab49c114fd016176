"""The simulator runs the production plan (`kraft.ready.plan_ready`, as the node loop does): a
leader's Fetch answers leave before its appends are written, and a crash in between leaves the
followers holding batches the leader lost, without breaking any invariant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kraft.rpc import FetchResponse, LogRead
from kraft.sim import network
from kraft.sim.cluster import ClusterSpec, SimCluster, SimNode
from kraft.sim.codec import encode_counter
from kraft.sim.scheduler import Scheduler, Trace
from kraft.sim.workload import Workload, last_counter_value

STEP_MS = 10


def started(seed: int, workload: bool) -> tuple[SimCluster, Scheduler]:
    scheduler = Scheduler()
    cluster = SimCluster(seed, ClusterSpec(3, 0, 0), scheduler, Trace())
    for node in cluster.nodes:
        scheduler.at(0, cluster.start, node)
    if workload:
        load = Workload(cluster, cluster.workload_rng)

        def tick(_arg: object) -> None:
            load.tick()
            scheduler.after(50, tick)

        scheduler.at(100, tick)
    return cluster, scheduler


def run_until(scheduler: Scheduler, done: Callable[[], bool], max_ms: int = 20_000) -> None:
    limit = scheduler.now_ms + max_ms
    while not done():
        assert scheduler.now_ms < limit, "condition not reached"
        scheduler.run_until(scheduler.now_ms + STEP_MS)


def committing_leader(cluster: SimCluster) -> SimNode | None:
    leader = cluster.current_leader()
    if leader is None or leader.raft is None or not leader.raft.high_watermark:
        return None
    return leader


def test_leader_fetch_answers_leave_before_its_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails on a simulator that writes before it answers (the order production never uses)."""
    answered_unwritten: list[int] = []
    send = SimCluster.send

    def recording_send(self: SimCluster, node: SimNode, message: Any, *rest: Any) -> None:
        response = getattr(message, "response", None)
        records = response.records if isinstance(response, FetchResponse) else None
        if isinstance(records, LogRead) and records.start_offset >= node.log.end_offset:
            answered_unwritten.append(records.start_offset)
        send(self, node, message, *rest)

    monkeypatch.setattr(SimCluster, "send", recording_send)
    cluster, scheduler = started(seed=7, workload=True)
    run_until(scheduler, lambda: cluster.checker.committed_end_offset > 30)
    assert answered_unwritten, "no Fetch answer left before the leader wrote what it serves"


def test_crash_after_the_answers_left_loses_only_the_leaders_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the leader sent before it crashed arrives (the network model's other outcome is a
    # reset connection).
    monkeypatch.setattr(network, "SENT_BEFORE_CRASH_ARRIVES", 1.0)
    cluster, scheduler = started(seed=3, workload=False)
    run_until(scheduler, lambda: committing_leader(cluster) is not None)
    scheduler.run_until(scheduler.now_ms + 200)  # the followers' fetches are parked again
    leader = committing_leader(cluster)
    assert leader is not None and leader.raft is not None
    now = scheduler.now_ms
    value = last_counter_value(leader.log) + 1
    leader.raft.propose([encode_counter(value)], now)
    ready = cluster.call(leader, lambda r: r.poll(now))
    answers = ready.send_now + ready.send_after_append
    assert ready.election_state is None and ready.log_ops and ready.flush
    assert ready.send_after_append, "no parked Fetch to answer with the new batch"
    durable_end = leader.log.durable_end_offset
    leader_hw = leader.raft.high_watermark
    epoch = leader.raft.epoch
    # Crash right after the answers left: before the write and the fsync of the disk hop.
    cluster.arm_mid_ready_crash(leader, len(answers))
    cluster.run_ready(leader, ready)
    assert leader.raft is None and leader.log.end_offset == durable_end
    assert cluster.faults["crash-answered-before-fsync"] == 1
    scheduler.run_until(now + 50)
    followers = [n for n in cluster.voters if n is not leader]
    assert any(n.log.end_offset > durable_end for n in followers), "the answers carried the batch"
    # The leader never counted its copy: nothing it lost was committed.
    assert cluster.checker.committed_end_offset <= durable_end
    assert leader_hw is not None and leader_hw <= durable_end
    # It restarts without the batch; a later epoch commits past it (invariants are checked at
    # every step: the followers' extra batch is committed or truncated consistently).
    cluster.start(leader)

    def later_epoch_commits() -> bool:
        new = committing_leader(cluster)
        return (
            new is not None
            and new.raft is not None
            and new.raft.epoch > epoch
            and cluster.checker.committed_end_offset > durable_end
        )

    run_until(scheduler, later_epoch_commits)
