"""The disk worker: results and errors come back to the awaiting task; a job is never abandoned."""

from __future__ import annotations

import threading
import time

import pytest
import trio

from kraft.shell.disk_worker import DiskWorker


async def test_runs_on_its_own_thread_and_returns() -> None:
    worker = DiskWorker()
    try:
        names = [await worker.run(lambda: threading.current_thread().name) for _ in range(3)]
        assert names == ["pykraft-disk"] * 3
        assert await worker.run(lambda: 6 * 7) == 42
    finally:
        worker.stop()


async def test_errors_are_raised_in_the_awaiting_task() -> None:
    worker = DiskWorker()

    def fail() -> None:
        raise OSError(5, "Input/output error")

    try:
        with pytest.raises(OSError, match="Input/output error"):
            await worker.run(fail)
        assert await worker.run(lambda: "still serving") == "still serving"
    finally:
        worker.stop()


async def test_cancellation_waits_for_the_job_to_finish() -> None:
    worker = DiskWorker()
    finished: list[bool] = []

    def slow_write() -> None:
        time.sleep(0.2)
        finished.append(True)

    try:
        with trio.move_on_after(0.01) as scope:
            await worker.run(slow_write)
            # The job completed before the task could leave: a disk step is never half done.
            assert finished == [True]
            await trio.lowlevel.checkpoint()  # the cancellation is delivered here, afterwards
        assert scope.cancelled_caught
    finally:
        worker.stop()
