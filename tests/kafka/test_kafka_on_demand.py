"""`bin/kafka` brings Apache Kafka's own raft: a one-voter TestRaftServer elects itself and honours
`--throughput` / `--record-size` (KAFKA-19618), so the jars pinned are the ones the suite needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.cluster import free_ports
from tests.kafka.kafka import TEST_RAFT_TOPIC, KafkaRaftServer, require_kafka, run_tool
from wire.records import iter_batches

pytestmark = pytest.mark.slow


def test_bin_kafka_is_idempotent_and_offline_once_cached() -> None:
    libs = require_kafka()
    jars = sorted(p.name for p in libs.glob("*.jar"))
    assert any(name.startswith("kafka_2.13-") for name in jars)
    assert any(name.startswith("kafka-tools-") for name in jars)
    assert any(name.startswith("kafka-shell-") for name in jars)
    assert any(name.startswith("log4j-slf4j") for name in jars), "Kafka's logs need a binding"
    # A second resolution is a no-op: same directory, nothing re-downloaded.
    assert require_kafka() == libs


def test_test_raft_server_honours_throughput_and_record_size(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    server = KafkaRaftServer(
        node_id=1,
        port=port,
        voters=f"1@127.0.0.1:{port}",
        directory=tmp_path / "kafka-1",
        throughput=500,
        record_size=100,
    )
    try:
        server.start()
        server.wait_for_output("Throughput (bytes/second)", timeout_s=60)
        assert server.alive and not server.fatal()
    finally:
        server.kill()
    line = server.throughput_lines()[0]
    assert re.match(r"Throughput \(bytes/second\): [\d.]+, Latency \(ms\): [\d.]+ p75", line)
    # Kafka's segment holds our record size: the first data batch's records are 100-byte values.
    segment = next((tmp_path / "kafka-1" / "logs" / f"{TEST_RAFT_TOPIC}-0").glob("*.log"))
    data = segment.read_bytes()
    data_batches = [h for _, h in iter_batches(data) if not h.is_control]
    assert data_batches, "the leader wrote no data batch"
    first = data_batches[0]
    # A 100-byte value record: attributes, varint deltas, null key, value length, no headers.
    per_record = (first.size_bytes - 61) / first.records_count
    assert 100 < per_record < 112, per_record


def test_kafka_tools_run() -> None:
    result = run_tool("org.apache.kafka.tools.MetadataQuorumCommand", "--help")
    assert "describe" in (result.stdout + result.stderr)
