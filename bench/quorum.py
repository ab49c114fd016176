"""A quorum of real pykraft test raft server processes on 127.0.0.1, for the node scenarios.

Theory of operation: `Quorum` writes one `.properties` file per voter (free loopback ports, a
fresh log directory under a temp dir, optional `controller.quorum.append.linger.ms`), starts each
voter with `bin/test-raft-server-start.sh --config F --throughput N --record-size B --stats-file S`
in its own process group, and reads the stats files the nodes append to (one JSON object per
interval: time_ms, node_id, role, leader_id, epoch, log_end_offset, high_watermark,
committed_records_per_s, committed_bytes_per_s, commit_latency_ms_p50/p99/max). fsync stays on:
the bench never sets anything that would turn it off.

Invariants: every process started is stopped and every temp dir removed when the `with` block
exits (exceptions included); a node that cannot start yields `ScenarioUnavailable` carrying the
tail of its log, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import profile
from bench.options import BenchOptions, LeadershipChanged, ScenarioUnavailable, log
from bench.proc import Child, Sampler, free_ports, spawn

NODE_SCRIPT = "bin/test-raft-server-start.sh"
LEADER_ROLE = "leader"
STARTUP_S_MAX = 60.0
POLL_S = 0.05
_help_cache: dict[Path, str] = {}


def node_script(options: BenchOptions) -> Path:
    script = options.root / NODE_SCRIPT
    if not script.is_file():
        raise ScenarioUnavailable(f"node not runnable yet: {NODE_SCRIPT} does not exist")
    return script


def node_help(options: BenchOptions) -> str:
    """The node's `--help` text (cached), used to pass optional flags only when supported."""
    script = node_script(options)
    if script not in _help_cache:
        try:
            out = subprocess.run(
                [str(script), "--help"], capture_output=True, text=True, timeout=120
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ScenarioUnavailable(
                f"node not runnable yet: {NODE_SCRIPT} --help: {exc}"
            ) from exc
        text = out.stdout + out.stderr
        if "--stats-file" not in text:
            tail = "\n".join(text.splitlines()[-5:])
            raise ScenarioUnavailable(
                f"node not runnable yet: {NODE_SCRIPT} --help does not offer --stats-file:\n{tail}"
            )
        _help_cache[script] = text
    return _help_cache[script]


def read_stats(path: Path) -> list[dict[str, Any]]:
    """All complete JSON lines of a stats file (a line being written is skipped)."""
    try:
        text = path.read_text()
    except OSError:
        return []
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        with contextlib.suppress(json.JSONDecodeError):
            lines.append(json.loads(line))
    return lines


@dataclass
class Voter:
    node_id: int
    port: int
    config_path: Path
    stats_path: Path
    log_path: Path
    child: Child | None = None

    def stats(self) -> list[dict[str, Any]]:
        return read_stats(self.stats_path)

    def last(self) -> dict[str, Any] | None:
        lines = self.stats()
        return lines[-1] if lines else None


@dataclass
class Quorum:
    """Three (or `voter_count`) voters; use as a context manager."""

    options: BenchOptions
    throughput: int
    record_size: int
    append_linger_ms: int | None = None
    voter_count: int = 3
    report_interval_ms: int | None = None
    # More `key=value` lines for every voter's properties (e.g. retention for a reader from 0).
    extra_properties: tuple[str, ...] = ()
    voters: list[Voter] = field(default_factory=list)
    tmp: Path | None = None
    sampler: Sampler | None = None
    profile_tag: str = "quorum"
    profile_paths: dict[int, Path] = field(default_factory=dict)

    def __enter__(self) -> Quorum:
        node_help(self.options)  # fails early, with a sentence, if the node cannot run
        self.tmp = Path(tempfile.mkdtemp(prefix="pykraft-bench-", dir=self.options.workdir))
        ports = free_ports(self.voter_count)
        voters_prop = ",".join(f"{i + 1}@127.0.0.1:{p}" for i, p in enumerate(ports))
        try:
            for index, port in enumerate(ports):
                node_id = index + 1
                voter = Voter(
                    node_id=node_id,
                    port=port,
                    config_path=self.tmp / f"node-{node_id}.properties",
                    stats_path=self.tmp / f"node-{node_id}.stats.jsonl",
                    log_path=self.tmp / f"node-{node_id}.log",
                )
                props = [
                    f"node.id={node_id}",
                    "process.roles=controller",
                    f"listeners=PLAINTEXT://127.0.0.1:{port}",
                    "controller.listener.names=PLAINTEXT",
                    f"controller.quorum.voters={voters_prop}",
                    f"log.dirs={self.tmp / f'log-{node_id}'}",
                ]
                if self.append_linger_ms is not None:
                    props.append(f"controller.quorum.append.linger.ms={self.append_linger_ms}")
                props.extend(self.extra_properties)
                voter.config_path.write_text("\n".join(props) + "\n")
                self.voters.append(voter)
            for voter in self.voters:
                self.spawn(voter)
            self.sampler = Sampler([self.child(v).pid for v in self.voters]).start()
            try:
                self.wait_committing(STARTUP_S_MAX)
            except ScenarioUnavailable as exc:
                raise ScenarioUnavailable(f"node not runnable yet: {exc}") from exc
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.sampler is not None:
            self.sampler.stop()
        for voter in self.voters:
            if voter.child is not None:
                voter.child.stop()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def spawn(self, voter: Voter) -> None:
        """(Re)start one voter with the quorum's current workload settings and its own log dir."""
        argv = [
            str(node_script(self.options)), "--config", str(voter.config_path),
            "--throughput", str(self.throughput),
            "--record-size", str(self.record_size),
            "--stats-file", str(voter.stats_path),
        ]  # fmt: skip
        if self.report_interval_ms is not None:
            if "--report-interval-ms" not in node_help(self.options):
                raise ScenarioUnavailable("the node has no --report-interval-ms option yet")
            argv += ["--report-interval-ms", str(self.report_interval_ms)]
        if self.options.profile_dir is not None:
            self.profile_paths[voter.node_id] = profile.path_for(
                self.options.profile_dir, self.profile_tag, voter.node_id
            )
            argv = profile.wrap(
                argv, self.profile_paths[voter.node_id], idle=self.options.profile_idle
            )
        voter.child = spawn(f"node-{voter.node_id}", argv, voter.log_path)
        if self.options.profile_dir is not None:
            voter.child.stop_signal = signal.SIGINT

    def restart_all(self, throughput: int) -> None:
        """Stop every voter (SIGTERM), then start them again on the same logs with `throughput`."""
        assert self.sampler is not None
        self.sampler.stop()
        for voter in self.voters:
            self.child(voter).stop()
        self.throughput = throughput
        for voter in self.voters:
            self.spawn(voter)
        self.sampler = Sampler([self.child(v).pid for v in self.voters]).start()

    @staticmethod
    def child(voter: Voter) -> Child:
        assert voter.child is not None
        return voter.child

    def check_alive(self, allowed_dead: frozenset[int] = frozenset()) -> None:
        for voter in self.voters:
            child = self.child(voter)
            if voter.node_id not in allowed_dead and not child.alive():
                raise ScenarioUnavailable(
                    f"node not runnable yet: node {voter.node_id} exited with code "
                    f"{child.popen.returncode}:\n{child.log_tail()}"
                )

    def leader(self, allowed_dead: frozenset[int] = frozenset()) -> Voter | None:
        """The live voter whose latest stats line says it leads the highest epoch seen."""
        best: tuple[int, Voter] | None = None
        for voter in self.voters:
            if voter.node_id in allowed_dead:
                continue
            last = voter.last()
            if (
                last
                and last.get("role") == LEADER_ROLE
                and (best is None or last["epoch"] > best[0])
            ):
                best = (last["epoch"], voter)
        return best[1] if best else None

    def wait_committing(
        self, timeout_s: float, allowed_dead: frozenset[int] = frozenset(), epoch_above: int = -1
    ) -> tuple[Voter, dict[str, Any]]:
        """Wait for a leader (epoch > `epoch_above`) whose stats show committed records.

        Returns that voter and its *earliest* stats line as leader of that epoch with commits.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive(allowed_dead)
            for voter in self.voters:
                if voter.node_id in allowed_dead:
                    continue
                for line in voter.stats():
                    if (
                        line.get("epoch", -1) > epoch_above
                        and line.get("role") == LEADER_ROLE
                        and (line.get("committed_records_per_s") or 0) > 0
                        # A line written as the epoch began may count commits of the last
                        # interval before this leader learnt its high watermark.
                        and line.get("high_watermark") is not None
                    ):
                        return voter, line
            time.sleep(POLL_S)
        tails = "\n".join(f"node {v.node_id}: {v.last()}" for v in self.voters)
        raise ScenarioUnavailable(f"no leader committing within {timeout_s:.0f} s\n{tails}")

    def wait_all_in_epoch(self, epoch: int, timeout_s: float) -> bool:
        """True once every voter's latest stats line is in `epoch` (leader or follower)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            lasts = [v.last() for v in self.voters]
            if all(last is not None and last.get("epoch") == epoch for last in lasts):
                return True
            time.sleep(POLL_S)
        return False

    def window(self, voter: Voter, start_ms: float, end_ms: float) -> list[dict[str, Any]]:
        """Stats lines of `voter` as leader with time_ms in [start_ms, end_ms]."""
        return [
            line
            for line in voter.stats()
            if start_ms <= line["time_ms"] <= end_ms and line.get("role") == LEADER_ROLE
        ]

    def measure(self, warmup_s: float, duration_s: float) -> tuple[Voter, list[dict[str, Any]]]:
        """Sleep through warm-up and the window; return the leader and its stats lines in it."""
        self.check_alive()
        time.sleep(warmup_s)
        assert self.sampler is not None
        self.sampler.mark()
        start_ms = time.time() * 1000
        leader_at_start = self.leader()
        time.sleep(duration_s)
        self.check_alive()
        # The interval ending just after the window still describes the window's last part.
        interval_slack_ms = 1500
        end_ms = time.time() * 1000 + interval_slack_ms
        deadline = time.monotonic() + interval_slack_ms / 1000 + 1.0
        leader = self.leader()
        if leader is None or leader is not leader_at_start:
            raise LeadershipChanged(
                "leadership changed during the measured window (the node is unstable under load)"
            )
        while time.monotonic() < deadline:
            last = leader.last()
            if last is not None and last["time_ms"] >= end_ms - interval_slack_ms:
                break
            time.sleep(POLL_S)
        log(self.options, f"leader {leader.node_id}: {leader.last()}")
        lines = self.window(leader, start_ms, end_ms)
        if len({line["epoch"] for line in lines}) > 1:
            raise LeadershipChanged("the leader lost and regained leadership in the window")
        return leader, lines


@contextlib.contextmanager
def quorum(options: BenchOptions, **kwargs: Any) -> Iterator[Quorum]:
    with Quorum(options, **kwargs) as started:
        yield started
