"""`LocalFollower.open`: recovering the local log (a CRC scan of the whole log) runs off the
trio thread, so the observer's task keeps running while a big log is checked."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import trio

from kraft.shell.client import follower as follower_module
from kraft.shell.client.connection import Address
from kraft.shell.client.discovery import QuorumInfo
from kraft.shell.client.follower import LocalFollower
from kraft.shell.disk_log import DiskLog

HOLD_S = 10.0  # the longest a held recovery waits for the test (old code: blocked for all of it)


async def test_log_recovery_runs_off_the_trio_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release, done = threading.Event(), threading.Event(), threading.Event()
    real_open = DiskLog.open

    def held_open(directory: Path, segment_bytes: int) -> Any:
        started.set()
        release.wait(HOLD_S)
        try:
            return real_open(directory, segment_bytes)
        finally:
            done.set()

    monkeypatch.setattr(follower_module.DiskLog, "open", held_open)
    quorum = QuorumInfo({1: Address("127.0.0.1", 1)}, "cluster", 1, 1)
    follower = LocalFollower(quorum, [], local_id=None, log_dir=tmp_path / "observer")
    opened: list[Any] = []

    async def open_it() -> None:
        opened.append(await follower.open())

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(open_it)
            with trio.fail_after(HOLD_S / 2):
                while not started.is_set():  # this task runs while the recovery is held
                    await trio.sleep(0.005)
            assert not done.is_set(), "the trio thread was blocked by the log recovery"
            release.set()
        assert opened and follower.disk_log is not None
        assert follower.disk_log.end_offset == 0
    finally:
        await follower.aclose()
