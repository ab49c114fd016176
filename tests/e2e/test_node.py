"""End to end: real node processes on 127.0.0.1 replicate the workload (issue #4 proofs)."""

from __future__ import annotations

import signal
import socket
import time
from typing import Any

import pytest

from tests.e2e.cluster import FAST, committed_prefix
from tests.e2e.conftest import MakeCluster
from wire.framing import FrameDecoder
from wire.headers import decode_response, encode_request
from wire.messages.describe_quorum import DescribeQuorumRequest

pytestmark = pytest.mark.slow

STATS_FIELDS = {
    "time_ms",
    "node_id",
    "role",
    "leader_id",
    "epoch",
    "log_end_offset",
    "high_watermark",
    "committed_records_per_s",
    "committed_bytes_per_s",
    "commit_latency_ms_p50",
    "commit_latency_ms_p99",
    "commit_latency_ms_max",
}


def test_single_node_commits_workload_and_reports(make_cluster: MakeCluster) -> None:
    cluster = make_cluster(1, args=["--throughput", "2000", "--record-size", "100"])
    cluster.start(via_script=True)
    node = cluster.nodes[1]
    cluster.wait_for(lambda: cluster.leader(), 30, "a leader")
    cluster.wait_for(
        lambda: ((node.last() or {}).get("high_watermark") or 0) > 4000, 20, "4000 committed"
    )
    node.process.send_signal(signal.SIGINT)  # type: ignore[union-attr]
    assert node.process.wait(15) == 0  # type: ignore[union-attr]
    stats = node.stats()
    assert all(line.keys() >= STATS_FIELDS for line in stats)
    leading = [s for s in stats if s["role"] == "leader" and s["commit_latency_ms_p50"] is not None]
    assert len(leading) >= 5
    steady = leading[2:-1] or leading
    rates = sorted(s["committed_records_per_s"] for s in steady)
    median_rate = rates[len(rates) // 2]
    assert 1500 <= median_rate <= 2600, rates
    # A 100-byte payload stores as ~110 bytes of batch: the byte rate follows the record rate.
    bytes_per_record = sorted(
        s["committed_bytes_per_s"] / s["committed_records_per_s"]
        for s in steady
        if s["committed_records_per_s"]
    )
    assert 100 <= bytes_per_record[len(bytes_per_record) // 2] <= 140
    for s in leading:
        assert 0 <= s["commit_latency_ms_p50"] <= s["commit_latency_ms_p99"]
        assert s["commit_latency_ms_p99"] <= s["commit_latency_ms_max"] < 2000
        assert s["log_end_offset"] >= s["high_watermark"] > 0
    # The status line went to stdout.
    out = node.stdout_paths[-1].read_text()
    assert "node 1 leader (leader 1, epoch 1)" in out
    assert "records/s" in out and "commit latency p50" in out
    # Every committed record is on disk, in Kafka batches.
    final_hw = max(s["high_watermark"] or 0 for s in stats)
    batches = node.batches()
    assert committed_prefix(batches, final_hw)
    assert (node.log_dir / "quorum-state").read_text().startswith('{"clusterId":"","leaderId":1')


def describe_quorum(port: int) -> Any:
    request = DescribeQuorumRequest(
        topics=[
            DescribeQuorumRequest.TopicData(
                topic_name="__cluster_metadata",
                partitions=[DescribeQuorumRequest.TopicData.PartitionData(partition_index=0)],
            )
        ]
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(encode_request(DescribeQuorumRequest.API_KEY, 2, 9, "test", request))
        decoder = FrameDecoder()
        frames: list[bytes] = []
        while not frames:
            data = sock.recv(65536)
            assert data, "connection closed"
            frames = decoder.feed(data)
    correlation_id, body = decode_response(DescribeQuorumRequest.API_KEY, 2, frames[0])
    assert correlation_id == 9 and body.error_code == 0
    return body.topics[0].partitions[0]


def _identical_committed_prefix(cluster: object) -> int:
    nodes = list(cluster.nodes.values())  # type: ignore[attr-defined]
    hws = [max(s["high_watermark"] or 0 for s in n.stats()) for n in nodes]
    low = min(hws)
    prefixes = [committed_prefix(n.batches(), low) for n in nodes]
    assert prefixes[0], "nothing committed"
    assert all(p == prefixes[0] for p in prefixes), "committed prefixes differ"
    return low


def test_three_nodes_replicate_byte_identical(make_cluster: MakeCluster) -> None:
    cluster = make_cluster(3, extra_properties=FAST, args=["--throughput", "3000"])
    cluster.start()
    leader = cluster.wait_for(lambda: cluster.leader(), 30, "a leader")
    others = [n for n in cluster.nodes.values() if n is not leader]
    cluster.wait_for(
        lambda: all(((n.last() or {}).get("high_watermark") or 0) > 6000 for n in others),
        30,
        "followers to learn 6000 committed",
    )
    leaders = {
        (s["epoch"], s["node_id"])
        for n in cluster.nodes.values()
        for s in n.stats()
        if s["role"] == "leader"
    }
    assert len(leaders) == 1, leaders
    # DescribeQuorum works against any node: followers forward it to the leader.
    for node in cluster.nodes.values():
        partition = describe_quorum(node.port)
        assert partition.error_code == 0
        assert partition.leader_id == leader.node_id
        assert sorted(v.replica_id for v in partition.current_voters) == [1, 2, 3]
        assert all(v.log_end_offset > 0 for v in partition.current_voters)
        assert partition.high_watermark > 6000
    for node in cluster.nodes.values():
        assert node.terminate() == 0
    committed = _identical_committed_prefix(cluster)
    assert committed > 6000


def test_graceful_shutdown_hands_over_faster_than_election_timeout(
    make_cluster: MakeCluster,
) -> None:
    slow_election = {**FAST, "controller.quorum.election.timeout.ms": "3000"}
    cluster = make_cluster(3, extra_properties=slow_election)
    cluster.start()
    leader = cluster.wait_for(lambda: cluster.leader(), 30, "a leader")
    epoch = leader.last()["epoch"]
    cluster.wait_for(
        lambda: all(
            (n.last() or {}).get("role") == "follower"
            for n in cluster.nodes.values()
            if n is not leader
        ),
        20,
        "two followers",
    )
    started = time.monotonic()
    leader.process.send_signal(signal.SIGTERM)
    successor = cluster.wait_for(
        lambda: cluster.leader(epoch_min=epoch + 1, exclude=leader.node_id), 10, "a new leader"
    )
    handover_s = time.monotonic() - started
    assert leader.process.wait(15) == 0
    # Includes up to one stats interval (100 ms) of reporting delay.
    assert handover_s < 1.0, handover_s
    assert successor.node_id != leader.node_id


def test_observer_with_id_follows_without_voting(make_cluster: MakeCluster) -> None:
    cluster = make_cluster(3, extra_properties=FAST, observers=1)
    cluster.start()
    observer = cluster.nodes[4]
    leader = cluster.wait_for(lambda: cluster.leader(), 30, "a leader")
    cluster.wait_for(
        lambda: ((observer.last() or {}).get("high_watermark") or 0) > 3000,
        30,
        "the observer to learn 3000 committed",
    )
    assert {s["role"] for s in observer.stats()} <= {"unattached", "follower"}
    partition = describe_quorum(leader.port)
    assert sorted(v.replica_id for v in partition.current_voters) == [1, 2, 3]
    assert [o.replica_id for o in partition.observers] == [4]
    # The observer stops first: stopping the leader first would let a new leader commit a
    # LeaderChange batch the old leader's log never gets, while the observer still follows.
    assert observer.terminate() == 0
    for node in cluster.nodes.values():
        if node is not observer:
            assert node.terminate() == 0
    hw = max(s["high_watermark"] or 0 for s in observer.stats())
    assert committed_prefix(observer.batches(), hw) == committed_prefix(leader.batches(), hw)
