"""A node whose `node.id` is not a voter runs as an observer with that id (real processes).

Started after the voters elected a leader, with no `controller.quorum.bootstrap.servers` (the
voters are its bootstrap servers, as in Kafka), it must find the leader, follow it (role
`follower`, leader known, never a candidate) and keep replicating: its log end offset grows.
"""

from __future__ import annotations

import pytest

from tests.e2e.cluster import FAST
from tests.e2e.conftest import MakeCluster

pytestmark = pytest.mark.slow


def test_late_observer_with_an_id_finds_the_leader_and_replicates(
    make_cluster: MakeCluster,
) -> None:
    cluster = make_cluster(3, extra_properties=FAST, observers=1, args=["--throughput", "500"])
    voters = [cluster.nodes[i] for i in (1, 2, 3)]
    observer = cluster.nodes[4]
    for voter in voters:
        voter.start()
    leader = cluster.wait_for(cluster.leader, 30, "a leader")
    observer.start()

    def following() -> dict[str, object] | None:
        last = observer.last()
        if last and last["role"] == "follower" and last["leader_id"] == leader.node_id:
            return last
        return None

    first = cluster.wait_for(following, 30, "the observer to follow the leader")
    cluster.wait_for(
        lambda: (observer.last() or {})["log_end_offset"] > first["log_end_offset"] + 500,
        30,
        "the observer's log end to grow",
    )
    roles = {s["role"] for s in observer.stats()}
    assert roles <= {"unattached", "follower"}, roles
    assert observer.terminate() == 0
