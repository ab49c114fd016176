"""Three voters of Kafka's raft test server, pykraft's, or a mix, on 127.0.0.1, read alike.

Theory of operation: `MixedQuorum(kinds="kkk" | "ppp" | "kkp" | ...)` starts one voter per letter
(k: Kafka's `kafka.tools.TestRaftServer` through `bin/kafka`; p: pykraft's
`bin/test-kraft-server-start.sh`), with the launchers of `bench.servers` (the ones the tests
use): same cluster id, topic, ports scheme, record size, `--throughput`, timeouts (both defaults)
and `controller.quorum.append.linger.ms`. Both kinds flush their log as they always do (fsync on
every append the leader counts; pykraft never turns it off, nor does the bench for Kafka).

Figures are read the same way for every kind: from the leader's periodic line in Kafka's format,
`Throughput (bytes/second): B, Latency (ms): P75 p75 P99 p99 P999 p999` (Kafka's TestRaftServer
prints it on stdout; pykraft prints the same line with `--status-format kafka`, and its stats
file the same figures and more). Committed records/s = payload bytes/s / record size. Kafka's
figures are over its metrics window (2 samples of 30 s: a line printed after `KAFKA_CLEAN_S` of
leadership covers only the last 30-60 s, not the start-up or JIT warm-up); pykraft's are exact
over its report interval, set to fall inside the measured window. (Kafka's TestRaftServer answers
neither DescribeQuorum, "Unsupported api key", nor a consumer's Fetch v4, so the high watermark
cannot be read from outside alike.) Roles and epochs come from Kafka's log ("Completed
transition to ...") and pykraft's stats lines. CPU and RSS of each voter come from /proc
(`bench.proc.Sampler`) over the measured window. `measure_rate` (one step of the stepped
saturation, `bench.ladder`) reads only the voters' logs: the median log end offset's advance
over its window (`LogEndReader`), the one throughput measure both kinds allow.

Invariant: every process started is killed and reaped, and the temp dir removed, when the `with`
block exits (exceptions included).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.options import BenchOptions, ScenarioUnavailable
from bench.proc import Sampler, free_ports
from bench.servers import KafkaRaftServer, PykraftRaftServer, fetch_kafka, kafka_role

KAFKA = "k"
PYKRAFT = "p"
LINGER_PROPERTY = "controller.quorum.append.linger.ms"
STARTUP_S_MAX = 120.0
POLL_S = 0.05
# How often a ladder step checks that the leader has not changed.
STEP_POLL_S = 0.25
# Kafka's metrics window is 2 samples of 30 s: after this much leadership its line covers only the
# last 30+ s; the measured window (CPU) is the last `KAFKA_WINDOW_S` of it.
KAFKA_CLEAN_S = 62.0
KAFKA_WINDOW_S = 30.0
KAFKA_LINE_EVERY_S = 5.0
# Kafka's periodic line: payload bytes/s, then p75, p99, p999 in ms.
KAFKA_LINE = re.compile(
    r"^Throughput \(bytes/second\): ([\d.]+), Latency \(ms\): ([\d.]+) p75 ([\d.]+) p99 "
    r"([\d.]+) p999$"
)
_kafka_checked: list[tuple[bool, str]] = []


def require_kafka() -> None:
    if not _kafka_checked:
        _kafka_checked.append(fetch_kafka())
    ok, why = _kafka_checked[0]
    if not ok:
        raise ScenarioUnavailable(f"Kafka cannot run here: {why}")


def kafka_lines(text: str) -> list[dict[str, float]]:
    """Kafka's periodic lines (from a Kafka or a pykraft `--status-format kafka` stdout)."""
    out = []
    for line in text.splitlines():
        match = KAFKA_LINE.match(line.strip())
        if match:
            b, p75, p99, p999 = (float(g) for g in match.groups())
            out.append({"payload_bytes_per_s": b, "p75_ms": p75, "p99_ms": p99, "p999_ms": p999})
    return out


Server = KafkaRaftServer | PykraftRaftServer


class LogEndReader:
    """The end offset of the complete batches in one voter's last non-empty segment, read from
    its log directory the same way for both kinds (a killed or live node may leave preallocated
    zeros or a torn batch after them). Incremental: it hops from batch header to batch header
    (`os.pread` of 61 bytes each) and remembers where it stopped, so reading a log that grows by
    hundreds of MB during a measured window costs milliseconds, not a second of CPU in the
    window."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.path: Path | None = None
        self.position = 0
        self.end_offset = 0

    def read(self) -> int:
        from wire.errors import DecodeError
        from wire.records import BATCH_HEADER_BYTES, read_batch_header

        for path in sorted(self.log_dir.glob("*.log"), reverse=True):
            position, end = (self.position, self.end_offset) if path == self.path else (0, 0)
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:  # deleted between the listing and here
                continue
            try:
                size = os.fstat(fd).st_size
                if position > size:  # truncated (a follower after a leader change)
                    position, end = 0, 0
                while position + BATCH_HEADER_BYTES <= size:
                    try:
                        header = read_batch_header(os.pread(fd, BATCH_HEADER_BYTES, position))
                    except DecodeError:
                        break
                    if position + header.size_bytes > size:
                        break
                    position += header.size_bytes
                    end = header.next_offset
            finally:
                os.close(fd)
            if end:
                self.path, self.position, self.end_offset = path, position, end
                return end
        return 0


def log_end_offset(server: Server) -> int:
    """The end offset of the complete batches in the voter's last segment (0 if none)."""
    return LogEndReader(server.log_dir).read()


def committed_offset(servers: list[Server], readers: list[LogEndReader] | None = None) -> int:
    """The median log end offset of the voters: what a majority holds (about the high watermark;
    Kafka's TestRaftServer does not tell its high watermark to an outside client)."""
    readers = readers or [LogEndReader(s.log_dir) for s in servers]
    ends = sorted(r.read() for r in readers)
    return ends[len(ends) // 2]


@dataclass
class MixedQuorum:
    options: BenchOptions
    kinds: str
    throughput: int
    record_size: int
    append_linger_ms: int | None = None
    # pykraft's stats interval (its latency window); Kafka's is fixed (5 s lines, ~30-60 s window).
    report_interval_ms: int = 1000
    # How long the quorum may take to elect its first leader (a ladder step gives up sooner).
    startup_s_max: float = STARTUP_S_MAX
    servers: list[Server] = field(default_factory=list)
    readers: list[LogEndReader] = field(default_factory=list)
    tmp: Path | None = None
    sampler: Sampler | None = None
    leader_since: float = 0.0

    def __enter__(self) -> MixedQuorum:
        if KAFKA in self.kinds:
            require_kafka()
        self.tmp = Path(tempfile.mkdtemp(prefix="pykraft-bench-mixed-", dir=self.options.workdir))
        ports = free_ports(len(self.kinds))
        voters = ",".join(f"{i + 1}@127.0.0.1:{p}" for i, p in enumerate(ports))
        extra = {}
        if self.append_linger_ms is not None:
            extra[LINGER_PROPERTY] = str(self.append_linger_ms)
        try:
            for index, (kind, port) in enumerate(zip(self.kinds, ports, strict=True)):
                node_id = index + 1
                directory = self.tmp / f"{kind}{node_id}"
                server: Server
                if kind == KAFKA:
                    server = KafkaRaftServer(
                        node_id, port, voters, directory, self.throughput, self.record_size,
                        dict(extra),
                    )  # fmt: skip
                else:
                    server = PykraftRaftServer(
                        node_id, port, voters, directory, self.throughput, self.record_size,
                        dict(extra), report_interval_ms=self.report_interval_ms,
                    )  # fmt: skip
                self.servers.append(server)
            self.readers = [LogEndReader(s.log_dir) for s in self.servers]
            for server in self.servers:
                server.start()
            self.sampler = Sampler([self.pid(s) for s in self.servers]).start()
            self.wait_leader(self.startup_s_max)
            self.leader_since = time.monotonic()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.sampler is not None:
            self.sampler.stop()
        for server in self.servers:
            server.kill()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def pid(server: Server) -> int:
        assert server.process is not None
        return server.process.pid

    def kind(self, node_id: int) -> str:
        return self.kinds[node_id - 1]

    def server(self, node_id: int) -> Server:
        return self.servers[node_id - 1]

    def check_alive(self, allowed_dead: frozenset[int] = frozenset()) -> None:
        for server in self.servers:
            if server.node_id not in allowed_dead and not server.alive:
                tail = server.stderr_text()[-1500:]
                raise ScenarioUnavailable(
                    f"{self.kind(server.node_id)} voter {server.node_id} exited:\n{tail}"
                )

    def leader(self, allowed_dead: frozenset[int] = frozenset()) -> tuple[int, int] | None:
        """(node id, epoch) of the live voter that says it leads the highest epoch."""
        best: tuple[int, int] | None = None
        for server in self.servers:
            if server.node_id in allowed_dead or not server.alive:
                continue
            role = kafka_role(server) if isinstance(server, KafkaRaftServer) else server.role()
            leads = role is not None and role[0].lower() == "leader"
            if role is not None and leads and (best is None or role[1] > best[1]):
                best = (server.node_id, role[1])
        return best

    def role(self, node_id: int) -> tuple[str, int] | None:
        server = self.server(node_id)
        role = kafka_role(server) if isinstance(server, KafkaRaftServer) else server.role()
        return (role[0].lower(), role[1]) if role is not None else None

    def wait_leader(
        self, timeout_s: float, allowed_dead: frozenset[int] = frozenset(), epoch_above: int = -1
    ) -> tuple[int, int]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive(allowed_dead)
            found = self.leader(allowed_dead)
            if found is not None and found[1] > epoch_above:
                return found
            time.sleep(POLL_S)
        raise ScenarioUnavailable(f"{self.kinds}: no leader within {timeout_s:.0f} s")

    def lines(self, node_id: int) -> list[dict[str, Any]]:
        """The node's Kafka-format lines (Kafka: stdout; pykraft: the same figures from its
        stats file, exact, with their interval)."""
        server = self.server(node_id)
        if isinstance(server, KafkaRaftServer):
            return list(kafka_lines(server.stdout_text()))
        out = []
        for s in server.stats():
            if s.get("role") != "leader" or s.get("commit_latency_ms_p75") is None:
                continue
            out.append(
                {
                    "payload_bytes_per_s": s["committed_payload_bytes_per_s"],
                    "p50_ms": s["commit_latency_ms_p50"],
                    "p75_ms": s["commit_latency_ms_p75"],
                    "p99_ms": s["commit_latency_ms_p99"],
                    "p999_ms": s["commit_latency_ms_p999"],
                    "max_ms": s["commit_latency_ms_max"],
                    "interval_ms": s["interval_ms"],
                    "time_ms": s["time_ms"],
                    "epoch": s["epoch"],
                }
            )
        return out

    def measure(self, pykraft_warmup_s: float, pykraft_window_s: float) -> dict[str, Any]:
        """The leader's figures over a clean window, CPU and RSS per voter over the same."""
        assert self.sampler is not None
        node_id, epoch = self.wait_leader(STARTUP_S_MAX)
        kafka_led = self.kind(node_id) == KAFKA
        if kafka_led:
            quick = self.options.quick
            clean_s = 20.0 if quick else KAFKA_CLEAN_S
            window_s = 10.0 if quick else KAFKA_WINDOW_S
            time.sleep(max(self.leader_since + clean_s - window_s - time.monotonic(), 0))
            self.sampler.mark()
            started = time.monotonic()
            offset_at_start = committed_offset(self.servers, self.readers)
            time.sleep(window_s)
            offset_at_end = committed_offset(self.servers, self.readers)
            ended = time.monotonic()
            seen = len(self.lines(node_id))
            deadline = time.monotonic() + KAFKA_LINE_EVERY_S * 2
            while len(self.lines(node_id)) <= seen and time.monotonic() < deadline:
                self.check_alive()
                time.sleep(0.2)
            lines = self.lines(node_id)
            # No new line: Kafka's leader lost its leadership (it prints only on its commits).
            line = (
                {**lines[-1], "window": "Kafka's metrics window (last 30-60 s), 0.25 ms buckets"}
                if len(lines) > seen
                else None
            )
        else:
            time.sleep(pykraft_warmup_s)
            self.sampler.mark()
            started = time.monotonic()
            offset_at_start = committed_offset(self.servers, self.readers)
            time.sleep(pykraft_window_s)
            offset_at_end = committed_offset(self.servers, self.readers)
            ended = time.monotonic()
            full = [
                s
                for s in self.lines(node_id)
                if s["interval_ms"] >= 0.9 * self.report_interval_ms and s["epoch"] == epoch
            ]
            if not full:
                raise ScenarioUnavailable(f"{self.kinds}: no full interval from pykraft's leader")
            line = {**full[-1], "window": f"exact over {full[-1]['interval_ms'] / 1000:g} s"}
        elapsed_s = time.monotonic() - started
        self.check_alive()
        now_leader = self.leader()
        usage = {s.node_id: self.sampler.usage(self.pid(s)) for s in self.servers}
        log_records_per_s = (offset_at_end - offset_at_start) / (ended - started)
        records_per_s = (
            line["payload_bytes_per_s"] / self.record_size if line else log_records_per_s
        )
        cpu = {n: round(u.cpu_cores, 3) for n, u in usage.items()}
        return {
            "kinds": self.kinds,
            "leader_id": node_id,
            "leader_kind": self.kind(node_id),
            "leader_epoch": epoch,
            "leader_at_end": now_leader,
            "leadership_changed": now_leader != (node_id, epoch),
            "committed_records_per_s": records_per_s,
            # The same window read from the voters' logs (median log end offset), for both kinds.
            "log_records_per_s": log_records_per_s,
            "committed_mb_per_s": records_per_s * self.record_size / 1e6,
            "line": line,
            "cpu_window_s": round(elapsed_s, 2),
            "cpu_cores_per_node": cpu,
            "cpu_cores_total": round(sum(cpu.values()), 3),
            "rss_mib_peak_per_node": {n: round(u.rss_mib_peak, 1) for n, u in usage.items()},
            "leader_cpu_us_per_record": cpu[node_id] * 1e6 / records_per_s
            if records_per_s > 0
            else float("nan"),
            "quorum_cpu_us_per_record": sum(cpu.values()) * 1e6 / records_per_s
            if records_per_s > 0
            else float("nan"),
        }

    def measure_rate(self, warmup_s: float, window_s: float) -> dict[str, Any]:
        """Committed records/s over `window_s` after `warmup_s` of leadership, read from the
        voters' logs (median log end offset), the same way for every kind; one step of the
        stepped saturation (`bench.ladder`). The leader is watched throughout: a change of
        leader or epoch, or a voter that exits, ends the step early (it is then not sustained;
        `leadership_changed` says so)."""
        assert self.sampler is not None
        node_id, epoch = self.wait_leader(self.startup_s_max)

        def unsteady_before(until: float) -> bool:
            while time.monotonic() < until:
                if self.leader() != (node_id, epoch) or not all(s.alive for s in self.servers):
                    return True
                time.sleep(STEP_POLL_S)
            return False

        changed = unsteady_before(time.monotonic() + warmup_s)
        self.sampler.mark()
        started = time.monotonic()
        offset_at_start = committed_offset(self.servers, self.readers)
        if not changed:
            changed = unsteady_before(started + window_s)
        offset_at_end = committed_offset(self.servers, self.readers)
        ended = time.monotonic()
        records_per_s = (offset_at_end - offset_at_start) / max(ended - started, 1e-3)
        usage = {s.node_id: self.sampler.usage(self.pid(s)) for s in self.servers}
        cpu = {n: round(u.cpu_cores, 3) for n, u in usage.items()}
        return {
            "kinds": self.kinds,
            "offered_records_per_s": self.throughput,
            "record_size_bytes": self.record_size,
            "leader_id": node_id,
            "leader_kind": self.kind(node_id),
            "leader_epoch": epoch,
            "leader_at_end": self.leader(),
            "leadership_changed": changed,
            "voters_alive": [s.alive for s in self.servers],
            "committed_records_per_s": records_per_s,
            "window_s": round(ended - started, 2),
            "cpu_cores_per_node": cpu,
            "rss_mib_peak_per_node": {n: round(u.rss_mib_peak, 1) for n, u in usage.items()},
            "quorum_cpu_us_per_record": sum(cpu.values()) * 1e6 / records_per_s
            if records_per_s > 0
            else float("nan"),
        }
