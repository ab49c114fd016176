"""Two quorums on one machine do not disturb each other: the second one's node lists the first
(the quick-start node) as a voter by mistake, but each has its own cluster id (`cluster.id`, or
the default derived from the voter set), so each answers the other's Raft requests with
INCONSISTENT_CLUSTER_ID instead of following it or voting for it. And the Kafka test server
mode, started by Kafka's script name with Kafka's flags."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from kraft.shell.meta_properties import read_meta_properties
from tests.e2e.cluster import FAST, ROOT, NodeProcess, free_ports, segment_data
from tests.e2e.conftest import MakeCluster
from wire.records import iter_batches

pytestmark = pytest.mark.slow


def test_a_second_quorum_that_lists_the_first_node_never_joins_it(
    make_cluster: MakeCluster,
) -> None:
    first = make_cluster(1, extra_properties=FAST, args=["--throughput", "200"])
    first.start()
    quick_start = first.nodes[1]
    first.wait_for(lambda: first.leader(), 30, "the quick-start node to lead")
    epoch = quick_start.last()["epoch"]  # type: ignore[index]

    # A second node whose voter set names the quick-start node too (a copy-paste mistake).
    (port,) = free_ports(1)
    directory = quick_start.directory.parent / "stray-2"
    directory.mkdir()
    config = directory / "server.properties"
    voters = f"1@127.0.0.1:{quick_start.port},2@127.0.0.1:{port}"
    config.write_text(
        "node.id=2\n"
        f"listeners=PLAINTEXT://127.0.0.1:{port}\n"
        "controller.listener.names=PLAINTEXT\n"
        f"controller.quorum.voters={voters}\n"
        f"log.dirs={directory / 'logs'}\n" + "".join(f"{k}={v}\n" for k, v in FAST.items())
    )
    stray = NodeProcess(2, directory, config, port, ["--throughput", "200"])
    try:
        stray.start()
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            time.sleep(0.2)
            assert stray.alive, stray.stderr_text()[-2000:]
        stats = stray.stats()
        assert stats, "the stray node reported nothing"
        # It never learned a leader (it cannot win alone, and node 1 refuses it) ...
        assert all(s["leader_id"] is None for s in stats), stats[-3:]
        assert all(s["role"] != "follower" for s in stats), stats[-3:]
        # ... and the quick-start node kept leading its epoch, undisturbed by the stray's votes.
        mine = quick_start.stats()
        assert quick_start.alive
        assert all(s["epoch"] == epoch for s in mine), [s["epoch"] for s in mine][-5:]
        assert mine[-1]["role"] == "leader"
        stray_meta = read_meta_properties(directory / "logs")
        first_meta = read_meta_properties(quick_start.directory / "logs")
        assert stray_meta is not None and first_meta is not None
        assert stray_meta.cluster_id != first_meta.cluster_id
    finally:
        stray.kill()


def test_kafka_script_name_gives_the_test_server_identity(tmp_path: Path) -> None:
    """`bin/test-kraft-server-start.sh` (Kafka's script name) with Kafka's flags: the node runs
    as Kafka's TestRaftServer would, in `__raft_performance_test-0`, without meta.properties."""
    (port,) = free_ports(1)
    config = tmp_path / "kraft.properties"
    config.write_text(
        "node.id=0\n"
        f"listeners=PLAINTEXT://127.0.0.1:{port}\n"
        "controller.listener.names=PLAINTEXT\n"
        f"controller.quorum.voters=0@127.0.0.1:{port}\n"
        f"log.dirs={tmp_path / 'logs'}\n"
    )
    command = [
        str(ROOT / "bin" / "test-kraft-server-start.sh"),
        "--config",
        str(config),
        "--replica-directory-id",
        "b8tRS7h4TJ2Vt43Dp85v2A",
        "--throughput",
        "200",
        "--record-size",
        "100",
        "--report-interval-ms",
        "100",
    ]
    with (tmp_path / "out.txt").open("wb") as out, (tmp_path / "err.txt").open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "leader" not in (tmp_path / "out.txt").read_text():
            assert process.poll() is None, (tmp_path / "err.txt").read_text()
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "cluster AAAAAAAAAAAAAAAAAAAAAA" in (tmp_path / "err.txt").read_text()
    partition = tmp_path / "logs" / "__raft_performance_test-0"
    assert (partition / "partition.metadata").read_text() == (
        "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAg\n"
    )
    assert not (tmp_path / "logs" / "meta.properties").exists()
    assert not (tmp_path / "logs" / "__cluster_metadata-0").exists()
    data = segment_data(partition / "00000000000000000000.log")
    sizes = [h.size_bytes for _, h in iter_batches(data) if not h.is_control]
    assert sizes, "the leader wrote no data"


def test_bad_replica_directory_id_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(ROOT / "bin" / "test-kraft-server-start.sh"),
            *("--config", "x.properties", "--replica-directory-id", "not-a-uuid"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--replica-directory-id" in result.stderr and "Traceback" not in result.stderr
