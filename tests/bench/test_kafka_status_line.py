"""The test server's Kafka-format status line (issue #16): Kafka TestRaftServer's `Throughput
(bytes/second): B, Latency (ms): P75 p75 P99 p99 P999 p999`, with payload bytes, printed only by a
leader that committed records of its workload in the interval."""

from __future__ import annotations

import re

from kraft.shell.stats import NodeFigures, Stats, kafka_status_line

# Kafka's format string, as Kafka 4.3.1's TestRaftServer prints it (checked in bench/servers.py).
KAFKA_LINE = re.compile(
    r"^Throughput \(bytes/second\): (\d+\.\d\d), "
    r"Latency \(ms\): (\d+\.\d) p75 (\d+\.\d) p99 (\d+\.\d) p999$"
)
RECORD_SIZE = 256


def figures(role: str, latencies: list[tuple[int, int]]) -> dict[str, object]:
    stats = Stats(start_ms=0)
    for latency_ms, records in latencies:
        stats.record_latency(latency_ms, records, records * RECORD_SIZE)
    return stats.take_interval(
        2000, NodeFigures(1, role, 1, 3, log_end_offset=10, high_watermark=10)
    )


def test_a_leader_prints_kafkas_line_with_payload_bytes_and_p75_p99_p999() -> None:
    # 1,000 records over 2 s: 750 at 2 ms, 240 at 5 ms, 9 at 30 ms, 1 at 90 ms.
    line = kafka_status_line(figures("leader", [(2, 750), (5, 240), (30, 9), (90, 1)]))
    assert line is not None
    match = KAFKA_LINE.match(line)
    assert match, line
    assert float(match.group(1)) == 1000 * RECORD_SIZE / 2
    # Nearest rank: p75 is the 750th record, p99 the 990th, p999 the 999th.
    assert [float(g) for g in match.groups()[1:]] == [2.0, 5.0, 30.0]


def test_followers_and_idle_leaders_print_nothing_as_kafka() -> None:
    assert kafka_status_line(figures("follower", [])) is None
    assert kafka_status_line(figures("leader", [])) is None
