"""The disk workers: results and errors come back to the awaiting task; a writer job is never
abandoned (until `abandon`, the second Ctrl-C); a reader job is, on cancel."""

from __future__ import annotations

import functools
import gc
import threading
import time
import weakref
from typing import Any

import pytest
import trio
import trio.testing

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


async def test_abandon_lets_a_hung_job_be_cancelled() -> None:
    """The second Ctrl-C: the awaiting task leaves although the job (an fsync) never returns."""
    worker = DiskWorker()
    hang = threading.Event()
    try:
        with trio.move_on_after(0.05) as scope:
            worker.abandon()
            await worker.run(hang.wait)
        assert scope.cancelled_caught
    finally:
        hang.set()
        worker.stop()


async def test_reader_jobs_are_abandoned_on_cancel_and_run_in_order() -> None:
    reader = DiskWorker("pykraft-disk-read", exclusive=False, abandon_on_cancel=True)
    release = threading.Event()
    order: list[int] = []
    try:
        with trio.move_on_after(0.05) as scope:
            await reader.run(release.wait)  # a slow read; its caller gave up
        assert scope.cancelled_caught
        outcomes: list[Any] = []
        reader.submit(lambda: order.append(1), outcomes.append)
        reader.submit(lambda: 1 // 0, outcomes.append)
        release.set()
        assert await reader.run(lambda: order.append(2) or "last") == "last"
        await trio.testing.wait_all_tasks_blocked()
        assert order == [1, 2]
        assert outcomes[0].unwrap() is None
        with pytest.raises(ZeroDivisionError):
            outcomes[1].unwrap()
    finally:
        release.set()
        reader.stop()


async def test_a_finished_job_keeps_nothing_alive() -> None:
    """What a job holds (a batch's bytes) is freed when the job is done, by reference counting:
    no reference cycle leaves it to the cyclic GC (which let RSS grow by 100+ MiB under load)."""

    class Payload:
        pass

    worker = DiskWorker()
    gc.disable()
    try:
        payload = Payload()
        alive = weakref.ref(payload)
        assert await worker.run(functools.partial(len, [payload])) == 1
        del payload
        assert alive() is None
    finally:
        gc.enable()
        worker.stop()
