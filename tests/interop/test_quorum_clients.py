"""Real clients tail a real 3-voter quorum under workload while its leader changes.

kafka-python (`KafkaConsumer.assign`), aiokafka, confluent-kafka (librdkafka via Python), kcat
(librdkafka) and `kraft tail` (the id-less observer) all read `__cluster_metadata` partition 0 from
the beginning. The leader is killed with SIGKILL, a new one is elected, the killed node is
restarted, and the same again; in another run the leader hands over gracefully (SIGTERM).
Afterwards what each client read must be exactly the data records of a surviving node's
committed log, in order: no duplicates, no gaps, nothing uncommitted; and librdkafka (kcat,
confluent-kafka) must not have logged a single answer it could not parse.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import ROOT, Cluster, NodeProcess, segment_data
from tests.interop.clients import parse_errors, require_module, require_program
from tests.interop.tailers import TOPIC, start_process, start_python_client
from wire.records import iter_batches
from wire.records.record import decode_records

pytestmark = [pytest.mark.slow, pytest.mark.interop]

FAST = {
    "controller.quorum.election.timeout.ms": "1000",
    "controller.quorum.fetch.timeout.ms": "1000",
    "controller.quorum.election.backoff.max.ms": "200",
    "controller.quorum.request.timeout.ms": "1000",
}
WORKLOAD = ["--throughput", "200", "--record-size", "24"]
RUN_BETWEEN_FAULTS_S = 2.0
CATCH_UP_S = 60.0
FRESH_STATS_MS = 1000


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path / "quorum", 3, extra_properties=FAST, args=WORKLOAD)
    try:
        yield cluster
    finally:
        cluster.close()


def committed_data(node: NodeProcess, high_watermark: int) -> list[tuple[int, bytes]]:
    """(offset, value) of every data record below `high_watermark` in the node's log files."""
    data = b"".join(segment_data(p) for p in sorted(node.log_dir.glob("*.log")))
    out = []
    for pos, header in iter_batches(data):
        if header.last_offset >= high_watermark or header.is_control:
            continue
        for record in decode_records(data, pos, header):
            assert record.value is not None
            out.append((record.offset, record.value))
    return out


def fresh_leader(cluster: Cluster) -> NodeProcess | None:
    """The leader by stats written in the last second: a node restarted after a kill keeps its
    old "leader" line until its new process reports (slow on a loaded machine)."""
    leader = cluster.leader()
    if leader is None or time.time() * 1000 - leader.last()["time_ms"] > FRESH_STATS_MS:
        return None
    return leader


def kill_leader_and_restart(cluster: Cluster, *, graceful: bool = False) -> int:
    """SIGKILL (or SIGTERM: a graceful hand-over) the leader, wait for another, restart the
    stopped node; returns the stopped id."""
    leader = cluster.wait_for(lambda: fresh_leader(cluster), 20, "a leader")
    epoch = leader.last()["epoch"]
    if graceful:
        assert leader.terminate() == 0
    else:
        leader.kill()
    cluster.wait_for(
        lambda: cluster.leader(epoch_min=epoch + 1, exclude=leader.node_id), 20, "a new leader"
    )
    time.sleep(RUN_BETWEEN_FAULTS_S)
    leader.start()
    time.sleep(RUN_BETWEEN_FAULTS_S)
    return leader.node_id


# Two SIGKILLs of the leader; or one graceful hand-over (SIGTERM: the resigning leader still answers
# its consumers, "not the leader", until it exits). Separate runs: three faults on three distinct
# leaders would leave no broker kcat (librdkafka, sparse connections) still holds, and kcat ends
# on "all brokers down" by design.
FAULTS = {"two leader kills": (False, False), "a graceful hand-over": (True,)}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=list(FAULTS))
def test_clients_read_exactly_the_committed_log_across_leader_changes(
    cluster: Cluster, tmp_path: Path, faults: tuple[bool, ...]
) -> None:
    for module in ("kafka", "aiokafka", "confluent_kafka"):
        require_module(module)
    kcat = require_program("kcat")
    cluster.start()
    cluster.wait_for(cluster.leader, 30, "the first leader")
    bootstrap = ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes.values())
    tailers = [
        start_python_client(name, bootstrap, tmp_path / f"{name}.out", ROOT)
        for name in ("kafka-python", "aiokafka", "confluent-kafka")
    ]
    kcat_command = [kcat, "-C", "-b", bootstrap, "-t", TOPIC, "-p", "0", "-o", "beginning"]
    tailers.append(
        start_process("kcat", [*kcat_command, "-f", "%o:%S:%s\\n"], tmp_path / "kcat.out")
    )
    tail_command = [sys.executable, "-m", "kraft.cli", "tail", "--bootstrap-server", bootstrap]
    tail_options = ["--from-beginning", "--json", "--timeout-ms", "60000"]
    tailers.append(
        start_process(
            "kraft tail", [*tail_command, *tail_options], tmp_path / "kraft-tail.out", cwd=ROOT
        )
    )
    try:
        time.sleep(RUN_BETWEEN_FAULTS_S)
        killed = {kill_leader_and_restart(cluster, graceful=graceful) for graceful in faults}
        leader = cluster.wait_for(lambda: fresh_leader(cluster), 30, "a leader after the faults")
        survivors = [n for n in cluster.nodes.values() if n.node_id not in killed]
        reference_node = survivors[0] if survivors else leader
        time.sleep(RUN_BETWEEN_FAULTS_S)
        high_watermark = reference_node.last()["high_watermark"]
        reference = committed_data(reference_node, high_watermark)
        assert len(reference) > 500, cluster.describe()
        reference_end = reference[-1][0]
        deadline = time.monotonic() + CATCH_UP_S
        results: dict[str, list[tuple[int, bytes]]] = {}
        for tailer in tailers:
            while time.monotonic() < deadline:
                got = tailer.records()
                if got and got[-1][0] >= reference_end:
                    break
                time.sleep(0.2)
            results[tailer.name] = tailer.records()
    finally:
        for tailer in tailers:
            tailer.stop()
    for node in cluster.nodes.values():
        assert "Traceback" not in node.stderr_text(), f"node {node.node_id} logged a traceback"
    # librdkafka (kcat, confluent-kafka) logs every answer it cannot parse to stderr: across the
    # leader changes there must be none (a null record set in an error answer was one per fetch).
    for tailer in tailers:
        errors = parse_errors(tailer.out_path.with_suffix(".err").read_text(errors="replace"))
        assert errors == [], f"{tailer.name}: {len(errors)} parse errors, first: {errors[:2]}"
    # Everything anyone read must still be in the leader's log now (nothing truncated).
    final_log = dict(committed_data(leader, 1 << 62))
    for name, records in results.items():
        offsets = [o for o, _ in records]
        assert offsets == sorted(set(offsets)), f"{name}: duplicates or disorder"
        prefix = [(o, v) for o, v in records if o <= reference_end]
        assert len(prefix) == len(reference), f"{name}: {len(prefix)} of {len(reference)} records"
        assert prefix == reference, f"{name}: differs from the committed log"
        for offset, value in records:
            assert final_log.get(offset) == value, f"{name}: offset {offset} not in the final log"


def test_tools_against_a_live_quorum(cluster: Cluster, tmp_path: Path) -> None:
    """describe-quorum sees the leader and lag; dump-log reads a live node's files."""
    cluster.start()
    leader = cluster.wait_for(cluster.leader, 30, "a leader")
    bootstrap = ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes.values())
    time.sleep(1)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def kraft(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kraft.cli", *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env=env,
        )

    import json

    status = kraft("describe-quorum", "--bootstrap-server", bootstrap, "--json")
    assert status.returncode == 0, status.stderr
    result = json.loads(status.stdout)
    assert result["leader_id"] == leader.node_id
    assert result["leader_epoch"] == leader.last()["epoch"]
    assert sorted(v["node_id"] for v in result["voters"]) == [1, 2, 3]
    assert result["observers"] == []
    text = kraft("describe-quorum", "--bootstrap-server", bootstrap, "--replication")
    assert text.returncode == 0 and "Leader" in text.stdout and "Follower" in text.stdout
    # An id-less tail leaves no trace; a tail with an id is listed as an observer.
    tail = kraft("tail", "--bootstrap-server", bootstrap, "--from-beginning", "--max-records", "5")
    assert tail.returncode == 0, tail.stderr
    assert len(tail.stdout.splitlines()) == 5
    # The consumer path at the newest versions (Fetch v17/v18 by topic id, ListOffsets v11).
    first = ["tail", "--bootstrap-server", bootstrap, "--from-beginning", "--max-records", "5"]
    consumer_tail = kraft(*first, "--consumer", "--json")
    raft_tail = kraft(*first, "--json")
    assert consumer_tail.returncode == 0, consumer_tail.stderr
    assert consumer_tail.stdout == raft_tail.stdout
    assert (
        json.loads(kraft("describe-quorum", "--bootstrap-server", bootstrap, "--json").stdout)[
            "observers"
        ]
        == []
    )
    tail = kraft(
        "tail",
        "--bootstrap-server",
        bootstrap,
        "--from-beginning",
        "--max-records",
        "5",
        "--id",
        "42",
    )
    assert tail.returncode == 0, tail.stderr
    observers = json.loads(
        kraft("describe-quorum", "--bootstrap-server", bootstrap, "--json").stdout
    )["observers"]
    assert [o["node_id"] for o in observers] == [42]
    # Followers catch up: the lag reaches 0 (the workload keeps appending, so poll for it).
    lags = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        described = kraft("describe-quorum", "--bootstrap-server", bootstrap, "--json")
        lags.append(json.loads(described.stdout)["max_follower_lag"])
        if lags[-1] == 0:
            break
    assert lags[-1] == 0, lags
    # dump-log on the live leader's files.
    dump = kraft("dump-log", "--json", "--headers-only", str(leader.log_dir))
    assert dump.returncode == 0, dump.stderr
    [report] = [r for r in json.loads(dump.stdout) if r["kind"] == "segment"][:1]
    assert report["batches"] and all(b["crc_valid"] for b in report["batches"])
    # A segment cut mid-batch (as by a crash while appending): the torn tail is reported.
    segment = sorted(leader.log_dir.glob("*.log"))[0]
    torn = tmp_path / segment.name
    data = segment_data(segment)
    torn.write_bytes(data[: len(data) - 7])
    dumped = kraft("dump-log", "--json", str(torn))
    assert dumped.returncode == 0, dumped.stderr
    [torn_report] = json.loads(dumped.stdout)
    assert torn_report["torn_tail"] is not None and torn_report["batches"]
    # Unreachable servers: one line, exit 1.
    bad = kraft("tail", "--bootstrap-server", "127.0.0.1:1", "--timeout-ms", "500")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    wrong = kraft(
        "describe-quorum", "--bootstrap-server", bootstrap, "--cluster-id", "not-this-one"
    )
    assert wrong.returncode == 1 and "cluster id" in wrong.stderr
