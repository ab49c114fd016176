"""The side-by-side harness's readers (bench.mixed): Kafka's periodic line, and the log end
offset read from a voter's segment (the one throughput measure both implementations allow)."""

from __future__ import annotations

from pathlib import Path

from bench.mixed import LogEndReader, committed_offset, kafka_lines
from bench.servers import TEST_RAFT_TOPIC, PykraftRaftServer
from kraft.shell.stats import kafka_status_line
from wire.records import build_data_batch


def test_kafka_lines_reads_kafkas_line_and_pykrafts_kafka_format() -> None:
    kafka = "Throughput (bytes/second): 1280512.33, Latency (ms): 24.8 p75 26.5 p99 30.0 p999"
    ours = kafka_status_line(
        {
            "role": "leader",
            "committed_payload_bytes_per_s": 1280000.0,
            "commit_latency_ms_p75": 2,
            "commit_latency_ms_p99": 3,
            "commit_latency_ms_p999": 5,
        }
    )
    assert ours is not None
    text = f"[log] noise\n{kafka}\nother\n{ours}\n"
    assert kafka_lines(text) == [
        {"payload_bytes_per_s": 1280512.33, "p75_ms": 24.8, "p99_ms": 26.5, "p999_ms": 30.0},
        {"payload_bytes_per_s": 1280000.0, "p75_ms": 2.0, "p99_ms": 3.0, "p999_ms": 5.0},
    ]


def _voter(tmp_path: Path, node_id: int, batches: list[int], torn: bool) -> PykraftRaftServer:
    server = PykraftRaftServer(node_id, 0, "", tmp_path / f"n{node_id}")
    server.log_dir.mkdir(parents=True)
    assert server.log_dir.name == f"{TEST_RAFT_TOPIC}-0"
    data, base = b"", 0
    for count in batches:
        data += build_data_batch(base, 1, 0, [b"x" * 10] * count)
        base += count
    # A batch being written (torn at the file end) or preallocated zeros do not count.
    tail = build_data_batch(base, 1, 0, [b"y"] * 3)[:70] if torn else bytes(4096)
    (server.log_dir / "00000000000000000000.log").write_bytes(data + tail)
    return server


def test_committed_offset_is_the_median_log_end(tmp_path: Path) -> None:
    voters = [
        _voter(tmp_path, 1, [5, 5, 5], torn=True),
        _voter(tmp_path, 2, [5, 5], torn=False),
        _voter(tmp_path, 3, [5, 5, 5, 5], torn=False),
    ]
    assert committed_offset(voters) == 15  # type: ignore[arg-type]


def test_the_log_end_reader_follows_a_growing_log_and_a_truncated_one(tmp_path: Path) -> None:
    voter = _voter(tmp_path, 1, [5, 5], torn=True)
    segment = voter.log_dir / "00000000000000000000.log"
    reader = LogEndReader(voter.log_dir)
    assert reader.read() == 10
    # The torn batch completes and another follows: read on from where it stopped.
    data = segment.read_bytes()
    complete = build_data_batch(10, 1, 0, [b"y"] * 3)
    cut = data.index(complete[:70])
    segment.write_bytes(data[:cut] + complete + build_data_batch(13, 1, 0, [b"z"] * 2))
    assert reader.read() == 15
    assert reader.position == segment.stat().st_size
    # Truncated below where it stopped (a follower after a leader change): read again from 0.
    segment.write_bytes(build_data_batch(0, 2, 0, [b"w"] * 4))
    assert reader.read() == 4
    # A new, still empty segment: the last non-empty one counts.
    (voter.log_dir / "00000000000000000004.log").write_bytes(b"")
    assert reader.read() == 4
