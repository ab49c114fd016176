"""Kafka's own processes and tools for the tests, from the jars `bin/kafka` resolves with Maven.

- `require_kafka()`: the jars, resolved once per session (cached under ~/.cache/pykraft); a machine
  without Java or Maven skips with the reason, CI (`PYKRAFT_REQUIRE_CLIENTS=1`) fails instead.
- `KafkaRaftServer`: one `kafka.tools.TestRaftServer` process (Kafka's raft with its test workload)
  on a free port and a temporary log dir; `fatal()` tells whether Kafka halted on something it
  received ("Encountered fatal fault"), the oracle REAL-KAFKA.md §3 names. The launcher itself
  (and `PykraftRaftServer`, `kafka_role`) lives in `bench.servers`, shared with `bin/bench`; this
  module adds the skip-or-fail check of the jars before a JVM starts.
- `run_tool(main_class, *args)`: a Kafka command-line tool, its output captured.
- `kafka_env(heap)`: the environment every test JVM gets from `bin/kafka`: the heap plus
  `TEST_JVM_OPTS` (C1 only; the tests never measure Kafka's speed, only its answers).

Kafka's TestRaftServer identity (REAL-KAFKA.md §1): cluster id `AAAAAAAAAAAAAAAAAAAAAA` (the zero
Uuid), topic `__raft_performance_test` with topic id `AAAAAAAAAAAAAAAAAAAAAg`, data under
`<log.dirs>/__raft_performance_test-0/`.
"""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench import servers
from bench.servers import (
    BIN_KAFKA,
    DIRECTORY_IDS,
    FATAL_FAULT,
    LEADER_CHANGE_TYPE,
    TEST_RAFT_CLUSTER_ID,
    TEST_RAFT_SERVER,
    TEST_RAFT_TOPIC,
    TEST_RAFT_TOPIC_ID,
    PykraftRaftServer,
    _env,
    kafka_role,
    kafka_transitions,
)
from tests.interop.clients import _missing

__all__ = [
    "BIN_KAFKA",
    "DIRECTORY_IDS",
    "FATAL_FAULT",
    "LEADER_CHANGE_TYPE",
    "TEST_JVM_OPTS",
    "TEST_RAFT_CLUSTER_ID",
    "TEST_RAFT_SERVER",
    "TEST_RAFT_TOPIC",
    "TEST_RAFT_TOPIC_ID",
    "KafkaRaftServer",
    "PykraftRaftServer",
    "kafka_env",
    "kafka_role",
    "kafka_transitions",
    "require_kafka",
    "run_tool",
]

# The C1 compiler alone: a tool's JVM (StorageTool, MetadataQuorumCommand, TopicCommand, polled
# many times per test) spends half its start-up CPU in C2 compiler threads it exits before they
# pay off (StorageTool format: 4.4 s -> 2.1 s wall, 1.8 s -> 1.1 s CPU, on a loaded 2-core box).
# A 3-controller quorum plus broker, started and given 3 topics: 62 -> 33 s of JVM CPU. The
# serde harnesses (`java File.java` compiles first) gain too; no test measures Kafka's speed.
TEST_JVM_OPTS = "-XX:TieredStopAtLevel=1"
# bin/kafka's own default heap.
TOOL_HEAP_OPTS = "-Xmx512m"


def kafka_env(heap_opts: str = TOOL_HEAP_OPTS) -> dict[str, str]:
    """The environment of a test JVM started through bin/kafka (which splits KAFKA_HEAP_OPTS
    into java options): the caller's environment, `heap_opts` and `TEST_JVM_OPTS`."""
    return {**_env(), "KAFKA_HEAP_OPTS": f"{heap_opts} {TEST_JVM_OPTS}"}


@functools.cache
def _fetch() -> tuple[bool, str]:
    return servers.fetch_kafka()


def require_kafka() -> Path:
    """The directory of Kafka's jars; skips (or fails in CI) when they cannot be had."""
    ok, detail = _fetch()
    if not ok:
        _missing(detail)
    return Path(detail)


def run_tool(
    main_class: str, *args: str, timeout_s: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run one of Kafka's command-line tools (`org.apache.kafka.tools.MetadataQuorumCommand`)."""
    require_kafka()
    return subprocess.run(
        [str(BIN_KAFKA), main_class, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
        env={"KAFKA_LOG_LEVEL": "WARN", **kafka_env()},
    )


class KafkaRaftServer(servers.KafkaRaftServer):
    """`bench.servers.KafkaRaftServer` that skips (or fails in CI) without Kafka's jars."""

    def start(self) -> None:
        require_kafka()
        super().start()

    def environment(self) -> dict[str, str]:
        return kafka_env()


@dataclass(frozen=True)
class LoggedRecord:
    """One record as both readers report it (DumpLogSegments' fields)."""

    offset: int
    epoch: int
    batch_crc: int
    is_control: bool
    timestamp: int
    key_size: int
    value_size: int


def read_records(partition_dir: Path) -> list[LoggedRecord]:
    """pykraft's reader over a log directory's segments (Kafka's or pykraft's), complete batches
    only (a killed node may leave a torn tail or preallocated zeros)."""
    from tests.e2e.cluster import segment_data
    from wire.records import decode_records, iter_batches

    out = []
    for path in sorted(partition_dir.glob("*.log")):
        data = segment_data(path)
        for at, header in iter_batches(data):
            for record in decode_records(data, at, header):
                out.append(
                    LoggedRecord(
                        offset=record.offset,
                        epoch=header.partition_leader_epoch,
                        batch_crc=header.crc,
                        is_control=header.is_control,
                        timestamp=record.timestamp,
                        key_size=-1 if record.key is None else len(record.key),
                        value_size=-1 if record.value is None else len(record.value),
                    )
                )
    return out


_DUMP_BATCH = re.compile(
    r"^baseOffset: \d+ .*partitionLeaderEpoch: (-?\d+) .*isControl: (true|false) .*"
    r"crc: (\d+) isvalid: (true|false)"
)
_DUMP_RECORD = re.compile(
    r"^\| offset: (\d+) CreateTime: (-?\d+) keySize: (-?\d+) valueSize: (-?\d+) "
)


def dump_records(files: list[Path]) -> tuple[list[LoggedRecord], str]:
    """Kafka's DumpLogSegments (`--deep-iteration`) over segment files: its records, and its
    whole output (for messages). A batch it finds invalid fails the caller's comparison."""
    result = run_tool(
        "org.apache.kafka.tools.DumpLogSegments",
        "--deep-iteration",
        "--files",
        ",".join(str(f) for f in files),
        timeout_s=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out: list[LoggedRecord] = []
    epoch, control, crc = -1, False, -1
    for line in result.stdout.splitlines():
        batch = _DUMP_BATCH.match(line)
        if batch:
            assert batch.group(4) == "true", line
            epoch, control, crc = int(batch.group(1)), batch.group(2) == "true", int(batch.group(3))
            continue
        record = _DUMP_RECORD.match(line)
        if record:
            out.append(
                LoggedRecord(
                    offset=int(record.group(1)),
                    epoch=epoch,
                    batch_crc=crc,
                    is_control=control,
                    timestamp=int(record.group(2)),
                    key_size=int(record.group(3)),
                    value_size=int(record.group(4)),
                )
            )
    return out, result.stdout


def leaders_by_epoch(partition_dir: Path) -> dict[int, int]:
    """Epoch -> leader id, from the LeaderChange records of a log (Kafka's or pykraft's)."""
    from tests.e2e.cluster import segment_data
    from wire.records import decode_control_record, decode_records, iter_batches

    out: dict[int, int] = {}
    for path in sorted(partition_dir.glob("*.log")):
        data = segment_data(path)
        for at, header in iter_batches(data):
            if not header.is_control:
                continue
            for record in decode_records(data, at, header):
                kind, value = decode_control_record(record)
                if int(kind) == LEADER_CHANGE_TYPE and value is not None:
                    out[header.partition_leader_epoch] = value.leader_id  # type: ignore[attr-defined]
    return out
