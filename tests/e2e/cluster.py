"""Real node processes for end-to-end tests: free ports, temp log dirs, stats files.

The one home of the node-process helpers that tests/e2e, tests/faults (each node in its own
network namespace), tests/client, tests/interop, tests/security and tests/kafka share. Each
`NodeProcess` runs `python -m kraft.cli server` with `--stats-file` and a short report interval;
tests read the JSON lines to learn roles, epochs and high watermarks. `Quorum` holds the waits and
questions about a set of them (`wait_for`, `leader`, `wait_leader`, `describe`); `Cluster` is a
quorum on 127.0.0.1, `tests.faults.harness.FaultCluster` one in network namespaces. `close()`
(called by the fixtures' teardown) kills every process that is still running.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wire.errors import DecodeError
from wire.records import iter_batches
from wire.records.batch import read_batch_header

ROOT = Path(__file__).resolve().parents[2]
REPORT_INTERVAL_MS = 100
# Short timeouts keep failover tests quick; the fetch timeout equals the election timeout so a
# follower notices a dead leader within one election timeout.
FAST = {
    "controller.quorum.election.timeout.ms": "1000",
    "controller.quorum.fetch.timeout.ms": "1000",
    "controller.quorum.election.backoff.max.ms": "200",
    "controller.quorum.request.timeout.ms": "1000",
}


def write_properties(path: Path, properties: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))


def controller_properties(
    node_id: int, host: str, port: int, voters: str, log_dirs: Path
) -> dict[str, str]:
    """The properties every test controller starts from (one PLAINTEXT listener)."""
    return {
        "node.id": str(node_id),
        "process.roles": "controller",
        "listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "PLAINTEXT",
        "controller.quorum.voters": voters,
        "log.dirs": str(log_dirs),
    }


def kill_process(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL `process` if it still runs, and reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(10)


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class NodeProcess:
    node_id: int
    directory: Path
    config_path: Path
    port: int
    args: list[str]
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0
    stdout_paths: list[Path] = field(default_factory=list)
    # Runs the node through this (e.g. `ip netns exec NS`: a host of tests/faults/net.py).
    command_prefix: list[str] = field(default_factory=list)

    @property
    def stats_path(self) -> Path:
        return self.directory / "stats.jsonl"

    @property
    def log_dir(self) -> Path:
        return self.directory / "logs" / "__cluster_metadata-0"

    def start(
        self,
        *,
        via_script: bool = False,
        module: str = "kraft.cli",
        env: dict[str, str] | None = None,
    ) -> None:
        """Run the node (`module` replaces `kraft.cli` for a test wrapper; `env` adds to ours)."""
        assert self.process is None or self.process.poll() is not None
        self.runs += 1
        out = self.directory / f"stdout-{self.runs}.txt"
        err = self.directory / f"stderr-{self.runs}.txt"
        self.stdout_paths.append(out)
        if via_script:
            command = [str(ROOT / "bin" / "test-raft-server-start.sh")]
        else:
            command = [sys.executable, "-m", module, "server"]
        command = [*self.command_prefix, *command]
        command += [
            "--config",
            str(self.config_path),
            "--stats-file",
            str(self.stats_path),
            "--report-interval-ms",
            str(REPORT_INTERVAL_MS),
            *self.args,
        ]
        with out.open("wb") as stdout, err.open("wb") as stderr:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=stdout,
                stderr=stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            )

    def stderr_text(self) -> str:
        return "".join(
            (self.directory / f"stderr-{n}.txt").read_text(errors="replace")
            for n in range(1, self.runs + 1)
        )

    def kill(self) -> None:
        if self.process is not None:
            kill_process(self.process)

    def terminate(self, timeout_s: float = 15) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout_s)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stats(self) -> list[dict[str, Any]]:
        if not self.stats_path.exists():
            return []
        lines = self.stats_path.read_text().splitlines()
        out = []
        for line in lines:
            with contextlib.suppress(ValueError):  # a line being written right now
                out.append(json.loads(line))
        return out

    def last(self) -> dict[str, Any] | None:
        stats = self.stats()
        return stats[-1] if stats else None

    def high_watermark(self) -> int:
        """The high watermark of its latest stats line (0 before any)."""
        last = self.last()
        return int(last["high_watermark"] or 0) if last else 0

    def caught_up(self, *, epoch_min: int, log_end_offset: int) -> bool:
        """It runs and follows a leader of epoch >= `epoch_min` with its log up to the offset."""
        last = self.last()
        return bool(
            self.alive
            and last
            and last["role"] == "follower"
            and last["epoch"] >= epoch_min
            and last["log_end_offset"] >= log_end_offset
        )

    def log_bytes(self) -> bytes:
        """The whole batches of its on-disk log, in offset order."""
        return b"".join(segment_data(p) for p in sorted(self.log_dir.glob("*.log")))

    def batches(self) -> list[bytes]:
        """Every complete batch of the on-disk log, in offset order (as bytes)."""
        data = self.log_bytes()
        return [data[at : at + header.size_bytes] for at, header in iter_batches(data)]


def segment_data(path: Path) -> bytes:
    """The whole batches of a segment file, without the zeros a live (or killed) node has
    preallocated after them, and without a torn last batch."""
    data = path.read_bytes()
    position = 0
    while position < len(data):
        try:
            header = read_batch_header(data, position)
        except DecodeError:
            break
        if position + header.size_bytes > len(data):
            break
        position += header.size_bytes
    return data[:position]


def committed_prefix(batches: list[bytes], high_watermark: int) -> list[bytes]:
    """The batches wholly below `high_watermark`."""
    out = []
    for data in batches:
        for _, header in iter_batches(data):
            if header.last_offset < high_watermark:
                out.append(data)
    return out


class Quorum:
    """Waits and questions about a set of node processes (`nodes`, by id)."""

    nodes: dict[int, NodeProcess]

    def wait_for(self, predicate: Any, timeout_s: float, what: str) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what}: {self.describe()}")

    def leader(self, *, epoch_min: int = 0, exclude: int | None = None) -> NodeProcess | None:
        """The live node whose latest stats say it leads an epoch >= epoch_min."""
        for node in self.nodes.values():
            if node.node_id == exclude or not node.alive:
                continue
            last = node.last()
            if last and last["role"] == "leader" and last["epoch"] >= epoch_min:
                return node
        return None

    def wait_leader(
        self, *, epoch_min: int = 0, exclude: int | None = None, timeout_s: float = 30
    ) -> NodeProcess:
        node: NodeProcess = self.wait_for(
            lambda: self.leader(epoch_min=epoch_min, exclude=exclude),
            timeout_s,
            f"a leader of epoch >= {epoch_min}" + (f" other than {exclude}" if exclude else ""),
        )
        return node

    def describe(self) -> str:
        parts = []
        for node in self.nodes.values():
            last = node.last()
            state = (
                f"{last['role']} e{last['epoch']} leo {last['log_end_offset']} "
                f"hw {last['high_watermark']}"
                if last
                else "no stats"
            )
            parts.append(f"node {node.node_id} ({'up' if node.alive else 'down'}): {state}")
        return "; ".join(parts)


class Cluster(Quorum):
    """A quorum of node processes on 127.0.0.1, with free ports and a directory each."""

    def __init__(
        self,
        base: Path,
        size: int,
        *,
        extra_properties: dict[str, str] | None = None,
        args: list[str] | None = None,
        observers: int = 0,
    ) -> None:
        """`size` voters with ids 1..size, then `observers` non-voters (ids size+1, ...)."""
        self.nodes: dict[int, NodeProcess] = {}
        ports = free_ports(size + observers)
        ids = list(range(1, size + observers + 1))
        voters = ",".join(f"{i}@127.0.0.1:{p}" for i, p in zip(ids[:size], ports, strict=False))
        for node_id, port in zip(ids, ports, strict=True):
            directory = base / f"node-{node_id}"
            directory.mkdir(parents=True)
            properties = controller_properties(
                node_id, "127.0.0.1", port, voters, directory / "logs"
            )
            config_path = directory / "server.properties"
            write_properties(config_path, {**properties, **(extra_properties or {})})
            self.nodes[node_id] = NodeProcess(node_id, directory, config_path, port, args or [])

    def start(self, *, via_script: bool = False) -> None:
        for node in self.nodes.values():
            node.start(via_script=via_script)

    def close(self) -> None:
        for node in self.nodes.values():
            node.kill()
