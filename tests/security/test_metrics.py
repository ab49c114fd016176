"""`kraft.shell.metrics.RaftMetrics`: Kafka's raft metrics computed from Readys (no I/O)."""

from __future__ import annotations

import math

from kraft.ready import LogAppend, LogTruncate, Ready
from kraft.shell.metrics import NodeFacts, RaftMetrics, _Collector
from kraft.types import BatchInfo, LeaderAndEpoch, Records

FACTS = NodeFacts("leader", 1, 3, 10, 3, 8)


def append(base: int, count: int) -> LogAppend:
    batch = BatchInfo(base, base + count - 1, 3, 100, False)
    return LogAppend(Records(b"x" * 100, (batch,)))


def test_commit_latency_is_append_to_high_watermark_on_the_leader() -> None:
    metrics = RaftMetrics(0)
    metrics.on_ready(Ready(role_change="leader"), 0)
    metrics.on_ready(Ready(log_ops=[append(0, 5)]), 1000)  # offsets 0-4
    metrics.on_ready(Ready(log_ops=[append(5, 5)]), 1010)  # offsets 5-9
    metrics.on_ready(Ready(log_ops=[append(10, 5), LogTruncate(12)]), 1015)  # 10-11 survive
    metrics.on_ready(Ready(high_watermark=5), 1030)  # the first batch: 30 ms
    metrics.on_ready(Ready(high_watermark=12), 1060)  # the second (50 ms) and the cut third
    metrics.publish(2000, FACTS, {})
    assert metrics.published["commit_latency_max"] == 50
    assert metrics.published["commit_latency_avg"] == 40
    assert metrics.published["append_records_rate"] == 15 / 2  # 15 records in 2 s since start
    assert metrics.published["fetch_records_rate"] == 0


def test_a_follower_counts_fetched_records_and_no_commit_latency() -> None:
    metrics = RaftMetrics(0)
    metrics.on_ready(Ready(role_change="follower"), 0)
    metrics.on_ready(Ready(log_ops=[append(0, 40)], high_watermark=40), 500)
    metrics.publish(1000, FACTS, {})
    assert metrics.published["fetch_records_rate"] == 40
    assert math.isnan(metrics.published["commit_latency_avg"])


def test_election_latency_from_standing_until_a_leader_is_known() -> None:
    metrics = RaftMetrics(0)
    metrics.on_ready(Ready(role_change="prospective"), 100)
    metrics.on_ready(Ready(role_change="candidate"), 150)  # the same election goes on
    metrics.on_ready(Ready(leader_change=LeaderAndEpoch(None, 1)), 200)
    metrics.on_ready(Ready(role_change="leader", leader_change=LeaderAndEpoch(2, 1)), 340)
    metrics.publish(1000, FACTS, {})
    assert metrics.published["election_latency_avg"] == 240
    # Samples leave the 30 s window.
    metrics.publish(31_000, FACTS, {})
    assert math.isnan(metrics.published["election_latency_max"])


def test_poll_idle_ratio() -> None:
    metrics = RaftMetrics(0)
    metrics.sample_idle(0.0, 10.0)
    metrics.sample_idle(0.75, 11.0)
    assert metrics.poll_idle_ratio == 0.75


def test_the_collector_names_and_unknowns() -> None:
    metrics = RaftMetrics(0)
    assert list(_Collector(metrics).collect()) == []  # nothing published yet: nothing shown
    metrics.publish(10, NodeFacts("unattached", None, 0, 0, 0, None), {"refused_connections": 3})
    samples = {
        (s.name, tuple(s.labels.items())): s.value
        for family in _Collector(metrics).collect()
        for s in family.samples
    }
    prefix = "kafka_server_raft_metrics_"
    assert samples[(prefix + "current_state", (("state", "unattached"),))] == 1
    assert samples[(prefix + "current_leader", ())] == -1
    assert samples[(prefix + "high_watermark", ())] == -1
    assert samples[(prefix + "number_unknown_voter_connections", ())] == 0
    assert samples[("pykraft_refused_connections_total", ())] == 3


def test_a_metrics_port_in_use_is_a_startup_error() -> None:
    import dataclasses
    import socket

    import pytest

    from kraft.shell.config import parse_config
    from kraft.shell.server import StartupError, _start_metrics

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = parse_config(
            {
                "node.id": "1",
                "listeners": "PLAINTEXT://127.0.0.1:9092",
                "controller.quorum.voters": "1@127.0.0.1:9092",
                "log.dirs": "/tmp/unused",
                "metrics.port": str(port),
            }
        )
        with pytest.raises(StartupError, match=rf"metrics.port: cannot listen on 127.0.0.1:{port}"):
            _start_metrics(config, RaftMetrics(0))
    free = _start_metrics(dataclasses.replace(config, metrics_port=0), RaftMetrics(0))
    assert free is not None and free.port > 0
    free.stop()
