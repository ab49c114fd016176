"""A mixed quorum of real processes with static voters: Apache Kafka 4.3.1 TestRaftServers and
pykraft nodes in the Kafka test server mode (issue #10 item 4).

Each test moves leadership across the implementations, deterministically:
1. the first implementation's node and ONE node of the other start alone, so the first leads
   (shorter election timeout) and its records can only commit once the other replicates them;
2. the third node joins and follows;
3. the leader is killed (-9): the survivors are the other implementation's... or a mix, and
   whoever leads next, the stopped node restarts and catches up;
4. the next leader is stopped gracefully (SIGTERM: EndQuorumEpoch hand-over), then restarted;
5. the last leader is stopped by the method its implementation has not seen yet.
Then every node's log (pykraft reads Kafka's segments, Kafka's DumpLogSegments reads pykraft's)
must agree record for record on the common prefix, which holds records written by a pykraft
leader and by a Kafka leader. No Kafka node may log "Encountered fatal fault" or exit on its own;
no pykraft node may crash (traceback or a non-zero exit after SIGTERM).

Workloads are throttled (500 records/s of 256 bytes on both sides) to keep each test short.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.cluster import free_ports
from tests.kafka.kafka import (
    KafkaRaftServer,
    LoggedRecord,
    PykraftRaftServer,
    dump_records,
    kafka_role,
    leaders_by_epoch,
    read_records,
    require_kafka,
)

pytestmark = pytest.mark.slow

THROUGHPUT = 500
# The node meant to lead first times out first; the others wait (both sides honour the keys).
FIRST_ELECTION_TIMEOUT_MS = "400"
OTHER_ELECTION_TIMEOUT_MS = "2500"
COMMITTED_PER_LEADER = 300  # records a leader must commit (seen by a follower) before it moves


@dataclass
class Member:
    node_id: int
    server: KafkaRaftServer | PykraftRaftServer

    @property
    def is_kafka(self) -> bool:
        return isinstance(self.server, KafkaRaftServer)

    @property
    def kind(self) -> str:
        return "kafka" if self.is_kafka else "pykraft"

    def role(self) -> tuple[str, int] | None:
        if isinstance(self.server, KafkaRaftServer):
            role = kafka_role(self.server)
            return None if role is None else (role[0].lower(), role[1])
        return self.server.role()

    @property
    def alive(self) -> bool:
        return self.server.alive

    @property
    def log_dir(self) -> Path:
        return self.server.log_dir


class MixedQuorum:
    def __init__(self, base: Path, kinds: list[str], first: str) -> None:
        ports = free_ports(len(kinds))
        voters = ",".join(f"{i + 1}@127.0.0.1:{p}" for i, p in enumerate(ports))
        self.members: list[Member] = []
        for index, (kind, port) in enumerate(zip(kinds, ports, strict=True)):
            node_id = index + 1
            timeout = FIRST_ELECTION_TIMEOUT_MS if kind == first else OTHER_ELECTION_TIMEOUT_MS
            properties = {"controller.quorum.election.timeout.ms": timeout}
            directory = base / f"{kind}-{node_id}"
            server: KafkaRaftServer | PykraftRaftServer
            if kind == "kafka":
                server = KafkaRaftServer(
                    node_id, port, voters, directory, THROUGHPUT, extra_properties=properties
                )
            else:
                server = PykraftRaftServer(
                    node_id, port, voters, directory, THROUGHPUT, extra_properties=properties
                )
            self.members.append(Member(node_id, server))
        self.deliberately_stopped = {m.node_id for m in self.members}  # none started yet
        self.leaders: list[tuple[str, int, int]] = []  # (kind, node id, epoch) as observed

    def pykraft(self) -> list[Member]:
        return [m for m in self.members if not m.is_kafka]

    def describe(self) -> str:
        return "; ".join(f"{m.kind} {m.node_id}: {m.role()}" for m in self.members)

    def wait(self, predicate: Callable[[], object], timeout_s: float, what: str) -> object:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_health()
            result = predicate()
            if result:
                return result
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what}: {self.describe()}")

    def check_health(self) -> None:
        for member in self.members:
            server = member.server
            if isinstance(server, KafkaRaftServer):
                assert not server.fatal(), (
                    f"Kafka {member.node_id} halted: "
                    + "".join(
                        line + "\n"
                        for line in server.stderr_text().splitlines()
                        if "fatal" in line.lower() or "Exception" in line
                    )[-3000:]
                )
            assert "Traceback" not in self.stderr(member), self.stderr(member)[-3000:]
            if member.node_id not in self.deliberately_stopped:
                assert member.alive, f"{member.kind} {member.node_id} exited on its own"

    @staticmethod
    def stderr(member: Member) -> str:
        return member.server.stderr_text()

    def leader(self, min_epoch: int = 0) -> Member | None:
        best: tuple[int, Member] | None = None
        for member in self.members:
            role = member.role()
            newest = best is None or (role is not None and role[1] > best[0])
            if role and role[0] == "leader" and role[1] >= min_epoch and newest:
                best = (role[1], member)
        return None if best is None else best[1]

    def start(self, member: Member) -> None:
        self.deliberately_stopped.discard(member.node_id)
        member.server.start()

    def stop(self, member: Member, how: str) -> None:
        self.deliberately_stopped.add(member.node_id)
        if how == "kill":
            member.server.kill()
        else:
            code = member.server.terminate()
            if not member.is_kafka:
                assert code == 0, f"pykraft {member.node_id} exited {code} after SIGTERM"

    def stop_all(self) -> None:
        """Kafka first (kill -9), then pykraft gracefully: a clean shutdown trims the zeros a
        live pykraft segment has preallocated, which Kafka's DumpLogSegments cannot read."""
        for member in self.members:
            if member.is_kafka:
                self.stop(member, "kill")
        for member in self.pykraft():
            self.stop(member, "term")

    def close(self) -> None:
        for member in self.members:
            self.deliberately_stopped.add(member.node_id)
            member.server.kill()

    def committed_by_follower(self, leader: Member, epoch: int, records: int) -> bool:
        """A pykraft follower of `leader` in `epoch` saw the high watermark pass `records` of
        that epoch; for a pykraft leader, its own high watermark (it needs a follower's ack)."""
        watchers = [leader] if not leader.is_kafka else self.pykraft()
        for member in watchers:
            server = member.server
            assert isinstance(server, PykraftRaftServer)
            stats = [
                s
                for s in server.current_stats()
                if s["epoch"] == epoch and s["leader_id"] == leader.node_id and s["high_watermark"]
            ]
            if stats and stats[-1]["high_watermark"] - stats[0]["high_watermark"] >= records:
                return True
        return False

    def new_leader(self, min_epoch: int, timeout_s: float = 30) -> tuple[Member, int]:
        leader = self.wait(lambda: self.leader(min_epoch), timeout_s, f"a leader >= {min_epoch}")
        assert isinstance(leader, Member)
        role = leader.role()
        assert role is not None
        return leader, role[1]

    def commit(self, leader: Member, epoch: int, timeout_s: float = 30) -> None:
        self.wait(
            lambda: self.committed_by_follower(leader, epoch, COMMITTED_PER_LEADER),
            timeout_s,
            f"{leader.kind} {leader.node_id}'s records committed in epoch {epoch}",
        )
        self.leaders.append((leader.kind, leader.node_id, epoch))


def run_rounds(quorum: MixedQuorum, first: str) -> None:
    firsts = [m for m in quorum.members if m.kind == first]
    others = [m for m in quorum.members if m.kind != first]
    opening = [firsts[0], others[0]]
    late = [m for m in quorum.members if m not in opening]
    # The first node is up before the other starts (a JVM takes seconds to start, a Python node
    # about one), so the shorter election timeout decides who leads.
    quorum.start(firsts[0])
    quorum.wait(lambda: firsts[0].role(), 60, "the first node to start")
    quorum.start(others[0])
    leader, epoch = quorum.new_leader(1, timeout_s=60)
    assert leader.kind == first, quorum.describe()  # it times out first
    quorum.commit(leader, epoch)  # only possible with the other implementation's acks
    for member in late:
        quorum.start(member)
    quorum.wait(lambda: all(m.role() for m in late), 60, "the late node to start")

    used: dict[str, set[str]] = {"kafka": set(), "pykraft": set()}
    for how in ["kill", "term", None]:
        if how is None:  # the method this implementation has not been moved by yet
            how = "term" if "term" not in used[leader.kind] else "kill"
        used[leader.kind].add(how)
        quorum.stop(leader, how)
        stopped = leader
        leader, epoch = quorum.new_leader(epoch + 1)
        quorum.start(stopped)  # before the commit check: it may be the only pykraft watcher
        quorum.commit(leader, epoch)
    kinds = {kind for kind, _, _ in quorum.leaders}
    assert kinds == {"kafka", "pykraft"}, quorum.leaders
    # Everyone catches up with the last leader before the comparison.
    quorum.wait(
        lambda: all(m.role() and m.role()[1] == epoch for m in quorum.members),  # type: ignore[index]
        30,
        "every node in the last epoch",
    )
    time.sleep(2)
    quorum.check_health()


def compare_logs(quorum: MixedQuorum) -> None:
    """Record for record: pykraft's reader on every node's segments, Kafka's DumpLogSegments on
    pykraft's; the common prefix must hold data of a pykraft-led and of a Kafka-led epoch."""
    by_node = {m.node_id: read_records(m.log_dir) for m in quorum.members}
    common = min(len(records) for records in by_node.values())
    reference = by_node[quorum.members[0].node_id][:common]
    for node_id, records in by_node.items():
        assert records[:common] == reference, f"node {node_id} differs from node 1"
    assert [r.offset for r in reference] == list(range(common))
    pykraft_files = sorted(f for m in quorum.pykraft() for f in m.log_dir.glob("*.log"))
    dumped, output = dump_records(pykraft_files)
    per_file: dict[int, list[LoggedRecord]] = {}
    node = 0
    for record in dumped:
        if record.offset == 0:
            node += 1
        per_file.setdefault(node, []).append(record)
    assert len(per_file) == len(quorum.pykraft()), output[:2000]
    for records in per_file.values():
        assert records[:common] == reference, "DumpLogSegments reads pykraft's log differently"
    leaders = leaders_by_epoch(quorum.members[0].log_dir)
    kinds = {m.node_id: m.kind for m in quorum.members}
    data_epochs = {r.epoch for r in reference if not r.is_control}
    led = {kinds[leaders[e]] for e in data_epochs if e in leaders}
    assert led == {"kafka", "pykraft"}, (leaders, sorted(data_epochs))


@pytest.mark.parametrize(
    ("kinds", "first"),
    [
        (["kafka", "kafka", "pykraft"], "pykraft"),
        (["kafka", "pykraft", "pykraft"], "kafka"),
    ],
    ids=["2-kafka-1-pykraft", "1-kafka-2-pykraft"],
)
def test_leadership_moves_across_implementations_and_logs_agree(
    tmp_path: Path, kinds: list[str], first: str
) -> None:
    require_kafka()
    quorum = MixedQuorum(tmp_path, kinds, first)
    try:
        run_rounds(quorum, first)
        quorum.stop_all()
    finally:
        quorum.close()
    for member in quorum.members:
        server = member.server
        if isinstance(server, KafkaRaftServer):
            assert not server.fatal()
    compare_logs(quorum)
