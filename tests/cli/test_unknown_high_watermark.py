"""A controller elected a moment ago knows no high watermark (DescribeQuorum says -1) until a
majority fetched its first batch: the tools wait for it, end quietly on Ctrl-C while they wait,
and say in one line what is wrong when it never comes (before, `kraft image` ended with
"DescribeQuorum error 0" when started during a real quorum's election)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.cli.fakes import LeaderWithoutHighWatermark
from tests.cli.test_stop import STOP_TIMEOUT_S, finish, kraft


@pytest.fixture
def electing() -> Iterator[LeaderWithoutHighWatermark]:
    leader = LeaderWithoutHighWatermark()
    try:
        yield leader
    finally:
        leader.close()


def asked_again(leader: LeaderWithoutHighWatermark) -> None:
    """Until the tool has asked for the high watermark more than once (it is waiting)."""
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while leader.describe_quorum_count < 2:
        assert time.monotonic() < deadline, "the tool never asked twice"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "command",
    [("image",), ("image", "--watch"), ("tail",)],
    ids=["image", "image-watch", "tail"],
)
def test_ctrl_c_ends_the_wait_for_a_new_leaders_high_watermark(
    electing: LeaderWithoutHighWatermark, command: tuple[str, ...]
) -> None:
    bootstrap = f"127.0.0.1:{electing.port}"
    process = kraft(
        *command, "--bootstrap-controller", bootstrap, "--timeout-ms", "60000",
        stdout=subprocess.PIPE,
    )  # fmt: skip
    asked_again(electing)
    process.send_signal(signal.SIGINT)
    assert finish(process) == (0, "")


def test_a_high_watermark_that_never_comes_is_one_line(
    electing: LeaderWithoutHighWatermark,
) -> None:
    bootstrap = f"127.0.0.1:{electing.port}"
    process = kraft("image", "--bootstrap-controller", bootstrap, "--timeout-ms", "1500")
    code, stderr = finish(process)
    assert code == 1
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert "has known no high watermark for 1500 ms" in stderr
    assert electing.describe_quorum_count > 2


def test_the_image_is_printed_once_the_new_leader_knows_its_high_watermark() -> None:
    leader = LeaderWithoutHighWatermark(unknown_answers=3, high_watermark=0)
    try:
        bootstrap = f"127.0.0.1:{leader.port}"
        process = kraft(
            "image", "--json", "--bootstrap-controller", bootstrap, stdout=subprocess.PIPE
        )
        try:
            stdout, stderr = process.communicate(timeout=STOP_TIMEOUT_S)
        finally:
            process.kill()
        assert (process.returncode, stderr.decode()) == (0, "")
        assert b'"offset": 0' in stdout, stdout
        assert leader.describe_quorum_count == 4
    finally:
        leader.close()
