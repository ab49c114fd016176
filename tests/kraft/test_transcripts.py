"""Scenario transcripts (datadriven, after etcd-io/raft's testdata): tests/kraft/testdata/*.txt.

Each block is a command line, a `----` line, then the expected output up to a blank line. The
runner drives the in-test cluster (tests/kraft/harness.py) and compares what each command prints.
`KRAFT_REWRITE=1 pytest tests/kraft/test_transcripts.py` rewrites the expected output (review the
diff before committing).

Commands:
  cluster voters=1,2,3 [observers=7,-] [seed=N] [k=v config overrides]   (- = id-less observer)
  run-until leader | committed=<offset> [on=<keys>] | role=<key>:<role>     (prints the time)
  run <ms>
  propose <value>...          (prints the offsets the leader promised)
  isolate <key>|leader / heal / restart <key> / shutdown <key> / kill <key>
  status                      (one line per node: role, epoch, leader, hw, log end, stored state)
  log <key>                   (the committed values of one node)
  describe                    (the leader's DescribeQuorum)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.kraft.harness import Cluster, Member

TESTDATA = Path(__file__).parent / "testdata"


def parse(text: str) -> list[tuple[str, list[str]]]:
    blocks: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.startswith("#"):
            i += 1
            continue
        command = line
        assert lines[i + 1] == "----", f"line {i + 2}: expected ----"
        i += 2
        expected: list[str] = []
        while i < len(lines) and lines[i].strip():
            expected.append(lines[i])
            i += 1
        blocks.append((command, expected))
    return blocks


def render(blocks: list[tuple[str, list[str]]]) -> str:
    return "\n\n".join("\n".join([c, "----", *out]) for c, out in blocks) + "\n"


class Runner:
    def __init__(self) -> None:
        self.cluster: Cluster | None = None

    @property
    def c(self) -> Cluster:
        assert self.cluster is not None, "no cluster yet"
        return self.cluster

    def run(self, command: str) -> list[str]:
        name, *args = command.split()
        return getattr(self, "cmd_" + name.replace("-", "_"))(args)

    def cmd_cluster(self, args: list[str]) -> list[str]:
        options = dict(a.split("=", 1) for a in args)
        voters = [int(v) for v in options.pop("voters").split(",")]
        observers: list[int | None] = []
        if "observers" in options:
            observers = [None if o == "-" else int(o) for o in options.pop("observers").split(",")]
        seed = int(options.pop("seed", "0"))
        overrides = {k: int(v) for k, v in options.items()}
        self.cluster = Cluster(voters, observers, seed=seed, **overrides)
        return [f"nodes {' '.join(self.c.members)}"]

    def _committed(self, member: Member) -> int:
        return member.node.high_watermark or 0

    def cmd_run_until(self, args: list[str]) -> list[str]:
        what = args[0]
        if what == "leader":
            self.c.run_until(lambda: len(self.c.leaders()) == 1)
            leader = self.c.leader()
            return [f"t={self.c.now_ms} leader={leader.key} epoch={leader.node.epoch}"]
        key, _, value = what.partition("=")
        if key == "committed":
            keys = args[1].removeprefix("on=").split(",") if len(args) > 1 else list(self.c.members)
            offset = int(value)
            self.c.run_until(
                lambda: all(self._committed(self.c.members[k]) >= offset for k in keys)
            )
            return [f"t={self.c.now_ms}"]
        if key == "role":
            node_key, role = value.split(":")
            self.c.run_until(lambda: self.c.members[node_key].node.role == role)
            return [f"t={self.c.now_ms}"]
        raise AssertionError(f"unknown condition {what}")

    def cmd_run(self, args: list[str]) -> list[str]:
        self.c.run_for(int(args[0]))
        return [f"t={self.c.now_ms}"]

    def cmd_propose(self, args: list[str]) -> list[str]:
        leader = self.c.leader()
        result = leader.node.propose([a.encode() for a in args], self.c.now_ms)
        if result.error.value != "none":
            return [f"error {result.error.value}"]
        leader.deadline_ms = min(leader.deadline_ms, result.poll_by_ms)
        return [f"offsets {result.base_offset}..{result.last_offset} epoch={result.epoch}"]

    def cmd_isolate(self, args: list[str]) -> list[str]:
        key = self.c.leader().key if args[0] == "leader" else args[0]
        self.c.isolate(key)
        return [f"isolated {key}"]

    def cmd_heal(self, args: list[str]) -> list[str]:
        self.c.heal()
        return ["ok"]

    def cmd_restart(self, args: list[str]) -> list[str]:
        member = self.c.restart(args[0])
        return [f"{member.key} restarted as {member.node.role} epoch={member.node.epoch}"]

    def cmd_kill(self, args: list[str]) -> list[str]:
        self.c.kill(args[0])
        return ["ok"]

    def cmd_shutdown(self, args: list[str]) -> list[str]:
        member = self.c.members[args[0]]
        self.c._execute(member, member.node.shutdown(self.c.now_ms))
        self.c.run_until(lambda: any(r.shutdown_complete for r in member.readies))
        out = [f"t={self.c.now_ms} shutdown complete, {member.key} is {member.node.role}"]
        self.c.kill(args[0])
        return out

    def cmd_status(self, args: list[str]) -> list[str]:
        lines = []
        for member in self.c.members.values():
            node = member.node
            stored = member.stored
            stored_text = "-"
            if stored is not None:
                stored_text = (
                    f"epoch={stored.epoch} leader={stored.leader_id} voted={stored.voted_id}"
                )
            lines.append(
                f"{member.key}: {node.role.value} epoch={node.epoch} leader={node.leader_id} "
                f"hw={node.high_watermark} end={node.log_end_offset} stored[{stored_text}]"
            )
        return lines

    def cmd_log(self, args: list[str]) -> list[str]:
        member = self.c.members[args[0]]
        values = member.log.values(member.node.high_watermark or 0)
        return [" ".join(v.decode() for v in values) or "(empty)"]

    def cmd_describe(self, args: list[str]) -> list[str]:
        leader = self.c.leader()
        d = leader.node.describe_quorum(self.c.now_ms)
        lines = [f"leader={d.leader_id} epoch={d.leader_epoch} hw={d.high_watermark}"]
        for kind, replicas in (("voter", d.voters), ("observer", d.observers)):
            for r in replicas:
                lines.append(f"{kind} {r.replica_id} end={r.log_end_offset}")
        return lines


@pytest.mark.parametrize("path", sorted(TESTDATA.glob("*.txt")), ids=lambda p: p.stem)
def test_transcript(path: Path) -> None:
    blocks = parse(path.read_text())
    runner = Runner()
    actual = [(command, runner.run(command)) for command, _ in blocks]
    if os.environ.get("KRAFT_REWRITE"):
        text = path.read_text()
        header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
        path.write_text(header + render(actual))
        return
    for (command, expected), (_, got) in zip(blocks, actual, strict=True):
        assert got == expected, f"{path.name}: {command}"
