"""Kafka's raft test server and pykraft's Kafka-mode test server as processes: one launcher,
shared by `bin/bench` (the side-by-side scenario, `bench.scenarios.kafka`) and the tests
(`tests/kafka/kafka.py` re-exports these classes, adding the skip-or-fail jar check).

- `RaftServerProcess`: what both launchers share (properties, flags, per-run output files,
  kill/terminate); its two kinds:
- `KafkaRaftServer`: one `kafka.tools.TestRaftServer` process (Kafka's raft with its test workload)
  run by `bin/kafka` on a given port and log dir; its periodic line `Throughput (bytes/second): B,
  Latency (ms): P75 p75 P99 p99 P999 p999` goes to stdout, its log (state transitions, "High
  watermark set ... for the first time for epoch N", fatal faults) to stderr.
- `PykraftRaftServer`: a pykraft node in the Kafka test server mode
  (`bin/test-kraft-server-start.sh`, same flags, cluster id and topic), so either kind can be a
  voter beside the other.
- `kafka_transitions()` / `kafka_role()`: Kafka raft's state changes read from its log.

Kafka's TestRaftServer identity (REAL-KAFKA.md §1): cluster id `AAAAAAAAAAAAAAAAAAAAAA` (the zero
Uuid), topic `__raft_performance_test` with topic id `AAAAAAAAAAAAAAAAAAAAAg`, data under
`<log.dirs>/__raft_performance_test-0/`.

Invariant: a server writes only under its `directory`; `kill()`/`terminate()` always reap it.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN_KAFKA = ROOT / "bin" / "kafka"
TEST_RAFT_SERVER = "kafka.tools.TestRaftServer"
TEST_RAFT_TOPIC = "__raft_performance_test"
TEST_RAFT_CLUSTER_ID = "AAAAAAAAAAAAAAAAAAAAAA"
TEST_RAFT_TOPIC_ID = "AAAAAAAAAAAAAAAAAAAAAg"
FATAL_FAULT = "Encountered fatal fault"
LEADER_CHANGE_TYPE = 2
# Directory ids Kafka's raft README gives its three test voters (any non-zero Uuid works).
DIRECTORY_IDS = {
    0: "b8tRS7h4TJ2Vt43Dp85v2A",
    1: "b8tRS7h4TJ2Vt43Dp85v2A",
    2: "Nkij_D9XRiYKNb41SiJo7Q",
    3: "4-e97nI7eHPYKfEDtW8rtQ",
}


def _env() -> dict[str, str]:
    return dict(os.environ)


def fetch_kafka(timeout_s: float = 900) -> tuple[bool, str]:
    """(True, the jar directory) once `bin/kafka --fetch` has the jars; else (False, why)."""
    import shutil

    if shutil.which("java") is None:
        return False, "java is not installed (Apache Kafka's jars need a JDK 17+)"
    if shutil.which("mvn") is None:
        return False, "mvn is not installed (bin/kafka resolves Apache Kafka with Maven)"
    result = subprocess.run(
        [str(BIN_KAFKA), "--fetch"], capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if result.returncode != 0:
        return False, f"bin/kafka --fetch failed: {result.stderr.strip().splitlines()[-1:]}"
    return True, result.stdout.strip()


# Kafka logs "[2026-12-03 19:24:21,849] INFO ...", pykraft "2026-12-03 19:24:21,849 INFO ...".
_LOG_TIME = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\b")
# Kafka's LeaderState line ("... for the first time for epoch N based on ...": its FollowerState
# logs the same words without "based on"); a pykraft leader's says "... epoch N as leader"
# (kraft/shell/server.py).
_FIRST_COMMIT = re.compile(
    r"High watermark set to .* for the first time for epoch (\d+) (?:based on|as leader)"
)


def leader_first_commit_ms(log_text: str, epoch_above: int) -> tuple[int, int] | None:
    """(epoch, wall-clock ms) of a leader's log line "High watermark set to ... for the first time
    for epoch N" for an epoch above `epoch_above`: when a new leader first committed, the same
    moment read the same way for both implementations (ms timestamps; None if not logged yet)."""
    for line in log_text.splitlines():
        found = _FIRST_COMMIT.search(line)
        stamp = _LOG_TIME.match(line)
        if found and stamp and int(found.group(1)) > epoch_above:
            # Both log in the machine's local time zone, as `datetime` reads it.
            at = datetime.datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
            return int(found.group(1)), int(at * 1000) + int(stamp.group(2))
    return None


@dataclass
class RaftServerProcess:
    """What both kinds of test server share: voter `node_id` of `voters` (`id@host:port,...`)
    on `port`, its properties file, the workload flags, and one stdout/stderr file pair per
    run (`stdout-<run>.txt`, `stderr-<run>.txt`) under `directory`. A subclass names its
    properties file and its command line (`command()`)."""

    node_id: int
    port: int
    voters: str
    directory: Path
    throughput: int = 1000
    record_size: int = 256
    extra_properties: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0
    exit_codes: list[int] = field(default_factory=list)
    # Wall-clock ms of the latest start (pykraft's stats lines of this run come after it).
    started_ms: int = 0

    CONFIG_NAME = "server.properties"

    @property
    def config_path(self) -> Path:
        return self.directory / self.CONFIG_NAME

    @property
    def log_dir(self) -> Path:
        return self.directory / "logs" / f"{TEST_RAFT_TOPIC}-0"

    def write_config(self) -> None:
        properties = {
            "node.id": str(self.node_id),
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "PLAINTEXT",
            "controller.quorum.voters": self.voters,
            "log.dirs": str(self.directory / "logs"),
            **self.extra_properties,
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))

    def command(self) -> list[str]:
        raise NotImplementedError

    def workload_flags(self) -> list[str]:
        """The flags both test servers take (Kafka's TestRaftServer's names)."""
        return [
            "--config",
            str(self.config_path),
            "--replica-directory-id",
            DIRECTORY_IDS.get(self.node_id, DIRECTORY_IDS[1]),
            "--throughput",
            str(self.throughput),
            "--record-size",
            str(self.record_size),
        ]

    def environment(self) -> dict[str, str]:
        return _env()

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        self.write_config()
        self.runs += 1
        self.started_ms = int(time.time() * 1000)
        with (
            (self.directory / f"stdout-{self.runs}.txt").open("wb") as out,
            (self.directory / f"stderr-{self.runs}.txt").open("wb") as err,
        ):
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=err, env=self.environment()
            )

    def _texts(self, kind: str) -> str:
        return "".join(
            (self.directory / f"{kind}-{n}.txt").read_text(errors="replace")
            for n in range(1, self.runs + 1)
            if (self.directory / f"{kind}-{n}.txt").exists()
        )

    def stdout_text(self) -> str:
        return self._texts("stdout")

    def stderr_text(self) -> str:
        return self._texts("stderr")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.exit_codes.append(self.process.wait(10))

    def terminate(self, timeout_s: float = 20) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.exit_codes.append(code)
        return code


@dataclass
class KafkaRaftServer(RaftServerProcess):
    """Kafka's TestRaftServer (run by `bin/kafka`; the caller has made sure the jars are there:
    `fetch_kafka()`)."""

    CONFIG_NAME = "kafka.properties"

    def command(self) -> list[str]:
        return [str(BIN_KAFKA), TEST_RAFT_SERVER, *self.workload_flags()]

    def fatal(self) -> bool:
        """Did Kafka halt on something it received (its fault handler's log line)?"""
        return FATAL_FAULT in self.stderr_text()

    def throughput_lines(self) -> list[str]:
        """The leader's periodic figures, `Throughput (bytes/second): ..., Latency (ms): ...`."""
        return [line for line in self.stdout_text().splitlines() if line.startswith("Throughput")]

    def wait_for_output(self, needle: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if needle in self.stdout_text() or needle in self.stderr_text():
                return
            if not self.alive:
                break
            time.sleep(0.1)
        raise AssertionError(
            f"Kafka node {self.node_id} did not print {needle!r} within {timeout_s} s "
            f"(alive={self.alive}); stderr tail: {self.stderr_text()[-2000:]}"
        )


# ------------------------------------------------------------------ mixed quorums (issue #10)

_TRANSITION = re.compile(r"Completed transition to (\w+?)(?:State)?\((.*)")
_EPOCH = re.compile(r"\bepoch=(\d+)")


def kafka_transitions(stderr_text: str) -> list[tuple[str, int]]:
    """Kafka raft's state changes from its log: ("Leader" | "Follower" | "Unattached" | ...,
    epoch), in order (QuorumState's "Completed transition to ..." lines)."""
    out = []
    for line in stderr_text.splitlines():
        match = _TRANSITION.search(line)
        if match is None:
            continue
        epoch = _EPOCH.search(match.group(2))
        out.append((match.group(1), int(epoch.group(1)) if epoch else -1))
    return out


def kafka_role(server: KafkaRaftServer) -> tuple[str, int] | None:
    """The latest (state, epoch) a live Kafka node logged in its current run; None when dead
    or nothing yet."""
    if not server.alive:
        return None
    current = server.directory / f"stderr-{server.runs}.txt"
    transitions = kafka_transitions(current.read_text(errors="replace"))
    return transitions[-1] if transitions else None


@dataclass
class PykraftRaftServer(RaftServerProcess):
    """A pykraft node in the Kafka test server mode, started with Kafka's script name
    (`bin/test-kraft-server-start.sh`) and flags, beside Kafka TestRaftServers; its figures also
    go to a JSON-lines stats file every `report_interval_ms`."""

    report_interval_ms: int = 200

    CONFIG_NAME = "pykraft.properties"

    @property
    def stats_path(self) -> Path:
        return self.directory / "stats.jsonl"

    def command(self) -> list[str]:
        return [
            str(ROOT / "bin" / "test-kraft-server-start.sh"),
            *self.workload_flags(),
            "--stats-file",
            str(self.stats_path),
            "--report-interval-ms",
            str(self.report_interval_ms),
            # Kafka's own status line on stdout, so both kinds of voter print the same figures.
            "--status-format",
            "kafka",
        ]

    def environment(self) -> dict[str, str]:
        return {**_env(), "PYTHONUNBUFFERED": "1"}

    def stats(self) -> list[dict[str, Any]]:
        if not self.stats_path.exists():
            return []
        out = []
        for line in self.stats_path.read_text().splitlines():
            with contextlib.suppress(ValueError):  # a line being written
                out.append(json.loads(line))
        return out

    def current_stats(self) -> list[dict[str, Any]]:
        """The stats lines of the current run."""
        return [s for s in self.stats() if s["time_ms"] >= self.started_ms]

    def role(self) -> tuple[str, int] | None:
        """(role, epoch) from the latest stats line of this run; None when dead or none yet."""
        if not self.alive:
            return None
        stats = self.current_stats()
        return (stats[-1]["role"], stats[-1]["epoch"]) if stats else None
