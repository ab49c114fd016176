"""Two quorums on one machine do not disturb each other: the second one's node lists the first
(the quick-start node) as a voter by mistake, but each has its own cluster id (`cluster.id`, or
the default derived from the voter set), so each answers the other's Raft requests with
INCONSISTENT_CLUSTER_ID instead of following it or voting for it."""

from __future__ import annotations

import time

import pytest

from kraft.shell.meta_properties import read_meta_properties
from tests.e2e.cluster import NodeProcess, free_ports
from tests.e2e.conftest import FAST, MakeCluster

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
