"""A quorum of real node processes, each in its own network namespace, with consumers and faults.

`FaultCluster(base, size)` makes the hosts (`tests.faults.net`), writes each node's properties
(listener on its host's 10.200.0.x address, port 9092: every host has its own stack) and, with
`small_disks=True`, mounts a tmpfs under each node's log dir (`tests.faults.disk`). Readers
(`tests.faults.reader`) run in a client namespace on the same switch, so a cut of a node's link
leaves them connected to the rest of the quorum, as a real client would be.

The fault primitives (`kill`, `pause`/`resume`, `cut`/`heal`, `impair`, `fill_disk`/`free_disk`)
act on one node; `acknowledge(node, what)` notes the committed prefix a leader holds at that
moment (its high watermark from its stats, the digest of its log below it) so the final check can
prove that prefix survived. `finish()` stops the readers, waits until every node's log reaches
everything any reader read, stops the nodes gracefully and runs `tests.faults.verify.verify`.
`close()` (always called, also on failure) kills every process, unmounts, deletes namespaces.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.cluster import (
    FAST,
    ROOT,
    NodeProcess,
    Quorum,
    controller_properties,
    kill_process,
    write_properties,
)
from tests.faults import net
from tests.faults.disk import SmallDisk
from tests.faults.verify import Acknowledged, Verified, parse_log, prefix_digest, verify

PORT = 9092
CLIENT = "client"
SMALL_DISK_BYTES = 64 * 1024 * 1024
EXIT_LOG_DIR_FAILURE = 3
LEADER_ATTEMPTS = 5


class FaultCluster(Quorum):
    def __init__(
        self,
        base: Path,
        size: int,
        *,
        throughput: int = 2000,
        record_size: int = 64,
        small_disks: bool = False,
        disk_bytes: int = SMALL_DISK_BYTES,
        readers: tuple[str, ...] = ("raft", "consumer"),
        properties: dict[str, str] | None = None,
        seed: int = 1,
    ) -> None:
        self.base = base
        self.reader_modes = readers
        self.acknowledged: list[Acknowledged] = []
        self.readers: dict[str, subprocess.Popen[bytes]] = {}
        self.reader_files: dict[str, Path] = {}
        self.nodes: dict[int, NodeProcess] = {}
        self.disks: dict[int, SmallDisk] = {}
        self.net = net.Namespaces()
        net.purge_stale()
        try:
            self.net.open()
            addresses = {i: self.net.add_host(f"n{i}") for i in range(1, size + 1)}
            self.net.add_host(CLIENT)
            voters = ",".join(f"{i}@{a}:{PORT}" for i, a in addresses.items())
            self.bootstrap = ",".join(f"{a}:{PORT}" for a in addresses.values())
            for node_id, address in addresses.items():
                directory = base / f"node-{node_id}"
                directory.mkdir(parents=True)
                if small_disks:
                    disk = SmallDisk(directory / "logs", disk_bytes)
                    disk.mount()
                    self.disks[node_id] = disk
                config = controller_properties(node_id, address, PORT, voters, directory / "logs")
                config_path = directory / "server.properties"
                write_properties(config_path, {**config, **FAST, **(properties or {})})
                args = ["--throughput", str(throughput), "--record-size", str(record_size)]
                args += ["--seed", str(seed * 10 + node_id)]
                self.nodes[node_id] = NodeProcess(
                    node_id,
                    directory,
                    config_path,
                    PORT,
                    args,
                    command_prefix=self.net.exec_prefix(f"n{node_id}"),
                )
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        for node in self.nodes.values():
            node.start()
        for mode in self.reader_modes:
            self.start_reader(mode)

    def start_reader(self, mode: str, name: str | None = None) -> None:
        """Start a reader of `mode` from the log's start (`name`: for a second one of a mode)."""
        name = name or mode
        out = self.base / f"reader-{name}.txt"
        err = self.base / f"reader-{name}.err"
        command = [
            *self.net.exec_prefix(CLIENT),
            sys.executable, "-m", "tests.faults.reader",
            "--bootstrap", self.bootstrap, "--mode", mode, "--out", str(out),
        ]  # fmt: skip
        if mode == "raft":
            command += ["--log-dir", str(self.base / f"reader-{name}-log")]
        with err.open("ab") as stderr:
            self.readers[name] = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr
            )
        self.reader_files[name] = out

    def close(self) -> None:
        for reader in self.readers.values():
            _kill(reader)
        for node in self.nodes.values():
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGKILL)
                node.process.send_signal(signal.SIGCONT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.kill()
        for disk in self.disks.values():
            disk.close()
        self.net.close()

    # ------------------------------------------------------------------ observation

    def steady_leader(self, records: int) -> tuple[NodeProcess, int]:
        """A leader that committed `records` more offsets without losing its epoch, and the epoch.

        A fault aimed at "the leader" must hit the node that leads right now: on a loaded machine
        an early election can move the leadership between `wait_leader` and the fault.
        """
        for _ in range(LEADER_ATTEMPTS):
            leader = self.wait_leader()
            epoch = epoch_of(leader)
            self.wait_progress(leader, records)
            last = latest(leader)
            if last["role"] == "leader" and last["epoch"] == epoch:
                return leader, epoch
        raise AssertionError(f"the leadership kept changing: {self.describe()}")

    def still_leads(self, node: NodeProcess, epoch: int) -> bool:
        last = latest(node)
        return bool(node.alive and last["role"] == "leader" and last["epoch"] == epoch)

    def wait_progress(self, node: NodeProcess, records: int, timeout_s: float = 30) -> None:
        """Until `node` (the leader) commits `records` more offsets."""
        start = node.high_watermark()
        self.wait_for(lambda: node.high_watermark() >= start + records, timeout_s, "progress")

    def wait_caught_up(self, node: NodeProcess, *, epoch_min: int, timeout_s: float = 30) -> None:
        """Until `node` follows a leader of epoch >= epoch_min and has its high watermark."""
        leader = self.wait_leader(epoch_min=epoch_min, exclude=node.node_id)
        target = leader.high_watermark()
        self.wait_for(
            lambda: node.caught_up(epoch_min=epoch_min, log_end_offset=target),
            timeout_s,
            f"node {node.node_id} to catch up to {target}",
        )

    def acknowledge(self, node: NodeProcess, what: str) -> Acknowledged:
        """Note the committed prefix `node` (a leader, or a node just killed) holds now."""
        hw = node.high_watermark()
        batches = parse_log(node.log_bytes(), f"node {node.node_id}", hw)
        ack = Acknowledged(what, hw, prefix_digest(batches, hw))
        self.acknowledged.append(ack)
        return ack

    # ------------------------------------------------------------------ faults

    def pause(self, node: NodeProcess) -> None:
        assert node.process is not None
        node.process.send_signal(signal.SIGSTOP)

    def resume(self, node: NodeProcess) -> None:
        assert node.process is not None
        node.process.send_signal(signal.SIGCONT)

    def cut(self, node: NodeProcess) -> None:
        self.net.cut(f"n{node.node_id}")

    def heal(self, node: NodeProcess) -> None:
        self.net.heal(f"n{node.node_id}")

    def impair(
        self, node: NodeProcess, *, delay_ms: int, jitter_ms: int, loss: float, rate_kbit: int
    ) -> str:
        """netem delay+loss on `node`'s link, else a tbf link of `rate_kbit` (see net.py)."""
        return self.net.impair(
            f"n{node.node_id}",
            delay_ms=delay_ms,
            jitter_ms=jitter_ms,
            loss_percent=loss,
            fallback_rate_kbit=rate_kbit,
        )

    def dropped_packets(self, node: NodeProcess) -> int:
        return self.net.dropped_packets(f"n{node.node_id}")

    def clear_impairment(self, node: NodeProcess) -> None:
        self.net.clear_impairment(f"n{node.node_id}")

    def check_readers(self) -> None:
        """Every reader still runs (one that stopped found a bad batch or gave up)."""
        for mode, reader in self.readers.items():
            if reader.poll() is not None:
                err = (self.base / f"reader-{mode}.err").read_text(errors="replace")
                raise AssertionError(
                    f"reader {mode} exited with {reader.returncode}: {err[-2000:]}"
                )

    def check_nodes(self, down: frozenset[int] = frozenset()) -> None:
        """Every node not in `down` still runs (no crash)."""
        for node in self.nodes.values():
            if node.node_id not in down and not node.alive:
                status = node.process.returncode if node.process else None
                raise AssertionError(
                    f"node {node.node_id} exited with {status}: {node.stderr_text()[-2000:]}"
                )

    # ------------------------------------------------------------------ the end

    def finish(self, *, records_min: int = 1) -> Verified:
        """Stop readers and nodes, then check everything (see module docstring)."""
        leader = self.wait_leader()
        target = leader.high_watermark()
        self.check_readers()
        for mode in self.readers:
            self.wait_for(
                lambda mode=mode: reader_end(self.reader_files[mode]) >= target,
                60,
                f"reader {mode} to read up to {target}",
            )
        for reader in self.readers.values():
            _kill(reader)
        committed = max((reader_end(path) for path in self.reader_files.values()), default=0)
        committed = max([committed, *(a.high_watermark for a in self.acknowledged)])
        for node in self.nodes.values():
            self.wait_for(
                lambda node=node: (node.last() or {}).get("log_end_offset", 0) >= committed,
                60,
                f"node {node.node_id} to hold everything read ({committed})",
            )
        for node in self.nodes.values():
            assert node.terminate() == 0, node.stderr_text()[-2000:]
        logs = {f"node {n.node_id}": n.log_bytes() for n in self.nodes.values()}
        result = verify(logs, self.reader_files, self.acknowledged)
        assert result.committed_end >= committed
        for mode, count in result.per_reader.items():
            assert count >= records_min, f"reader {mode} verified only {count} records"
        return result


def epoch_of(node: NodeProcess) -> int:
    last = node.last()
    assert last is not None, f"node {node.node_id} has written no stats yet"
    return int(last["epoch"])


def latest(node: NodeProcess) -> dict[str, Any]:
    last = node.last()
    assert last is not None, f"node {node.node_id} has written no stats yet"
    return last


def reader_end(path: Path) -> int:
    """The offset after the last thing a reader noted (0: nothing yet)."""
    if not path.exists():
        return 0
    lines = path.read_text().splitlines()
    for line in reversed(lines):
        fields = line.split()
        if fields and fields[0] == "B" and len(fields) == 6:
            return int(fields[2]) + 1
        if fields and fields[0] == "R" and len(fields) == 3:
            return int(fields[1]) + 1
    return 0


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        kill_process(process)
