"""Faults on real node processes in network namespaces (issue #12 item 9), kept short.

Each test runs a 3-voter quorum (one network namespace per node, a client namespace for the
readers: the observer library as a Raft observer and as a consumer), injects one fault, heals it,
and ends with `FaultCluster.finish()`: every node holds the same committed prefix, every prefix a
leader had acknowledged survived, and the readers read exactly the committed sequence (see
`tests.faults.verify`). The long campaign is `python -m tests.faults.campaign`.

Needs root, `ip` and `tc` (CI runs as root); elsewhere the tests skip with the reason.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.cluster import FAST
from tests.faults.conftest import MakeFaultCluster
from tests.faults.harness import EXIT_LOG_DIR_FAILURE, latest

pytestmark = pytest.mark.slow

FETCH_TIMEOUT_S = int(FAST["controller.quorum.fetch.timeout.ms"]) / 1000


def test_partitioned_leader_is_replaced_and_rejoins(make_fault_cluster: MakeFaultCluster) -> None:
    cluster = make_fault_cluster()
    cluster.start()
    leader, epoch = cluster.steady_leader(2000)
    cluster.cut(leader)
    cluster.acknowledge(leader, "leader at the cut")
    successor = cluster.wait_leader(epoch_min=epoch + 1, exclude=leader.node_id)
    cluster.wait_progress(successor, 2000)
    # The cut-off leader kept appending what it could never commit: a tail it must drop.
    isolated = latest(leader)
    assert isolated["log_end_offset"] > isolated["high_watermark"], isolated
    cluster.heal(leader)
    cluster.wait_caught_up(leader, epoch_min=epoch + 1)
    # finish() proves the truncation: the old leader's log must equal the others' below the
    # committed end, which lies past the tail it wrote alone.
    result = cluster.finish(records_min=2000)
    print(result)
    assert result.committed_end > 4000


def test_delay_and_loss_slow_but_do_not_stop_progress(make_fault_cluster: MakeFaultCluster) -> None:
    # Without netem, the tbf fallback's rate must stay above what the leader's link carries (two
    # followers and two readers at ~100 KB/s each): a link slower than the workload never lets
    # followers catch up, and a fetch that outlasts the fetch timeout means elections forever.
    cluster = make_fault_cluster(throughput=1000)
    cluster.start()
    leader = cluster.wait_leader()
    cluster.wait_progress(leader, 1000)
    try:
        kinds = {
            cluster.impair(node, delay_ms=40, jitter_ms=10, loss=3, rate_kbit=4000)
            for node in cluster.nodes.values()
        }
    except RuntimeError as exc:  # neither netem nor tbf in this kernel
        pytest.skip(str(exc))
    start = leader.high_watermark()
    # A reader that starts now catches up on the whole log through the impaired links: a burst no
    # short tbf queue passes whole, so the token bucket drops packets whatever shape the steady
    # replication traffic has (a leader answering every Fetch at once sends small, even answers
    # that may fit under the bucket for seconds). netem loses packets at random anyway.
    cluster.start_reader("consumer", name="late-consumer")
    time.sleep(3)
    # Still committing (the leader may even have changed, which is allowed under loss).
    current = cluster.wait_leader()
    cluster.wait_progress(current, 1000, timeout_s=30)
    assert current.high_watermark() > start
    dropped = sum(cluster.dropped_packets(node) for node in cluster.nodes.values())
    print("impairment:", kinds, "dropped packets:", dropped, cluster.describe())
    assert dropped > 0  # the links really lost packets
    for node in cluster.nodes.values():
        cluster.clear_impairment(node)
    print(cluster.finish(records_min=2000))


def test_paused_leader_steps_down_after_resume(make_fault_cluster: MakeFaultCluster) -> None:
    cluster = make_fault_cluster()
    cluster.start()
    leader, epoch = cluster.steady_leader(2000)
    cluster.pause(leader)
    cluster.acknowledge(leader, "leader when paused")
    successor = cluster.wait_leader(epoch_min=epoch + 1, exclude=leader.node_id)
    time.sleep(FETCH_TIMEOUT_S)  # paused well past the fetch timeout
    cluster.wait_progress(successor, 1000)
    cluster.resume(leader)
    cluster.wait_caught_up(leader, epoch_min=epoch + 1)
    # Stepped down: it follows a later epoch (checked above) and does not lead. (The successor
    # itself may have lost an election since, on a loaded machine: that is allowed.)
    assert cluster.wait_leader(epoch_min=epoch + 1) is not leader
    print(cluster.finish(records_min=2000))


@pytest.mark.parametrize("victim", ["follower", "leader"])
def test_full_disk_stops_the_node_cleanly_and_it_recovers(
    make_fault_cluster: MakeFaultCluster, victim: str
) -> None:
    cluster = make_fault_cluster(small_disks=True)
    cluster.start()
    leader, epoch = cluster.steady_leader(2000)
    node = (
        leader if victim == "leader" else next(n for n in cluster.nodes.values() if n is not leader)
    )
    disk = cluster.disks[node.node_id]
    if victim == "leader":
        cluster.acknowledge(leader, "leader before its disk filled")
    disk.fill()
    assert node.process is not None
    status = node.process.wait(30)
    stderr = node.stderr_text()
    # One line that names the failure and what to do, no traceback; Kafka halts too.
    assert status == EXIT_LOG_DIR_FAILURE, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "No space left on device" in stderr.splitlines()[-1], stderr[-3000:]
    # The others go on (a new leader if the leader's disk filled).
    current = cluster.wait_leader(epoch_min=epoch, exclude=node.node_id)
    cluster.wait_progress(current, 2000)
    disk.free()
    node.start()
    cluster.wait_caught_up(node, epoch_min=epoch)
    print(cluster.finish(records_min=4000))
