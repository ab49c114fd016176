"""The disk worker: one dedicated thread that runs the node's disk steps, one job at a time.

Why not `trio.to_thread.run_sync`: the node makes one disk hop per batch (write + fsync), and
trio's general-purpose hop (thread cache, capacity limiter, cancellation plumbing) costs about
twice the CPU of this one (measured: ~85 µs against ~45 µs per round trip on this machine's
cores), on every node, for every batch. This worker is a plain thread fed by a `SimpleQueue`; it
hands the outcome back with `TrioToken.run_sync_soon` and reschedules the waiting task.

A job is never abandoned: the awaiting task cannot be cancelled while its job runs (the disk step
completes and its outcome is delivered, as `trio.to_thread.run_sync` does without
`abandon_on_cancel`). Exceptions raised by the job are re-raised in the awaiting task.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import trio

T = TypeVar("T")


class _Job:
    __slots__ = ("error", "fn", "result", "task")

    def __init__(self, fn: Callable[[], Any], task: trio.lowlevel.Task) -> None:
        self.fn = fn
        self.task = task
        self.result: Any = None
        self.error: BaseException | None = None


class DiskWorker:
    def __init__(self, name: str = "pykraft-disk") -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._busy = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the worker thread and return its result (one job at a time)."""
        assert not self._busy, "one disk job at a time"
        self._busy = True
        job = _Job(fn, trio.lowlevel.current_task())
        try:
            self._jobs.put(job)
            await trio.lowlevel.wait_task_rescheduled(
                lambda _raise_cancel: trio.lowlevel.Abort.FAILED
            )
        finally:
            self._busy = False
        if job.error is not None:
            raise job.error
        result: T = job.result
        return result

    def stop(self) -> None:
        """Let the thread exit after the current job (it is a daemon: never joined)."""
        self._jobs.put(None)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job.result = job.fn()
            except BaseException as exc:  # re-raised in the awaiting task
                job.error = exc
            try:
                self._token.run_sync_soon(trio.lowlevel.reschedule, job.task)
            except trio.RunFinishedError:
                return
