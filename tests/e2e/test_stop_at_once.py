"""A second Ctrl-C stops a node at once, even while an fsync hangs (issue #12).

The node runs under `tests.e2e.hanging_disk_node`, whose fsyncs hang for good once a marker file
exists. The first SIGINT asks for the graceful shutdown, which cannot finish (the disk step it
waits for never returns); the second must end the process within seconds, with exit status 1.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from kraft.shell.server import EXIT_STOPPED_AT_ONCE
from tests.e2e.conftest import MakeCluster
from tests.e2e.hanging_disk_node import HANG_FSYNC_ENV, SPARE_THREAD_ENV

pytestmark = pytest.mark.slow

STOP_AT_ONCE_S = 10


def test_second_signal_stops_the_node_while_an_fsync_hangs(make_cluster: MakeCluster) -> None:
    cluster = make_cluster(1, args=["--throughput", "500", "--record-size", "100"])
    node = cluster.nodes[1]
    marker = node.directory / "hang-fsync"
    node.start(module="tests.e2e.hanging_disk_node", env={HANG_FSYNC_ENV: str(marker)})
    cluster.wait_for(
        lambda: ((node.last() or {}).get("high_watermark") or 0) > 100, 30, "100 committed"
    )
    marker.touch()
    hung = marker.with_name(marker.name + ".hung")
    cluster.wait_for(hung.exists, 10, "an fsync to hang")
    process = node.process
    assert process is not None
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert process.poll() is None, "the graceful stop finished although an fsync hangs"
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        status = process.wait(STOP_AT_ONCE_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_AT_ONCE_S} s after the second signal")
    assert status == EXIT_STOPPED_AT_ONCE
    assert time.monotonic() - started < STOP_AT_ONCE_S
    errors = node.stderr_text()
    assert "second signal: stopping now" in errors
    assert "Traceback" not in errors, errors


def test_second_signal_stops_the_node_while_its_final_fsync_hangs(
    make_cluster: MakeCluster,
) -> None:
    """The graceful shutdown completes, then closing the log (trim + fdatasync) hangs: the
    second signal still ends the process."""
    cluster = make_cluster(1, args=["--throughput", "500", "--record-size", "100"])
    node = cluster.nodes[1]
    marker = node.directory / "hang-fsync"
    env = {HANG_FSYNC_ENV: str(marker), SPARE_THREAD_ENV: "pykraft-disk"}
    node.start(module="tests.e2e.hanging_disk_node", env=env)
    cluster.wait_for(
        lambda: ((node.last() or {}).get("high_watermark") or 0) > 100, 30, "100 committed"
    )
    marker.touch()  # from now on only the node's disk writer may fsync
    process = node.process
    assert process is not None
    process.send_signal(signal.SIGINT)
    hung = marker.with_name(marker.name + ".hung")
    cluster.wait_for(hung.exists, 15, "the final fsync to hang")
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    try:
        status = process.wait(STOP_AT_ONCE_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_AT_ONCE_S} s after the second signal")
    assert status == EXIT_STOPPED_AT_ONCE
    errors = node.stderr_text()
    assert "stopping now" in errors
    assert "Traceback" not in errors, errors
