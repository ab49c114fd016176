"""Disk threads: dedicated threads that run the node's blocking disk calls off the trio thread.

Two are used per node (`kraft.shell.node_loop`): the WRITER, the one owner of the `DiskLog`
(election state, appends, truncations, fsyncs: one job at a time, one hop per leader batch), and
the READER, which serves reads that cannot be answered at once from the page cache (Fetch answers,
snapshot chunks, consumer reads, the observer's log recovery), so reads never queue behind an
fsync and a slow read never delays a write.

Why not `trio.to_thread.run_sync`: the node makes one disk hop per batch (write + fsync), and
trio's general-purpose hop (thread cache, capacity limiter, cancellation plumbing) costs about
twice the CPU of this one (measured: ~85 µs against ~45 µs per round trip on this machine's
cores), on every node, for every batch. A worker is a plain thread fed by a `SimpleQueue`; it
hands the outcome back with `TrioToken.run_sync_soon`.

Cancellation: a writer job is never abandoned (the awaiting task cannot be cancelled while its
job runs: the disk step completes and its outcome is delivered, as `trio.to_thread.run_sync` does
without `abandon_on_cancel`), until `abandon()` (the second Ctrl-C: stop now, even while an fsync
hangs; the job's outcome is then dropped and its thread left behind, a daemon). A reader job is
abandoned on cancel (a read changes nothing; its result is dropped). Exceptions raised by a job
are re-raised in the awaiting task, or handed to the callback of `submit`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import outcome
import trio

T = TypeVar("T")


class _Job(Generic[T]):
    __slots__ = ("deliver", "fn")

    def __init__(self, fn: Callable[[], T], deliver: Callable[[outcome.Outcome[T]], None]) -> None:
        self.fn: Callable[[], T] | None = fn
        self.deliver = deliver


class _Wait:
    """Whether the task awaiting a job gave up on it. Kept apart from the job on purpose: a
    job that referred to its own callback would be a reference cycle, and the cycle would keep
    the job's bytes (a whole batch) alive until the cyclic GC ran (measured: +100 MiB RSS)."""

    __slots__ = ("abandoned",)

    def __init__(self) -> None:
        self.abandoned = False


class DiskWorker:
    """One thread running jobs in order. `exclusive`: at most one job outstanding (the writer)."""

    def __init__(
        self, name: str = "pykraft-disk", *, exclusive: bool = True, abandon_on_cancel: bool = False
    ) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._exclusive = exclusive
        self._abandon_on_cancel = abandon_on_cancel
        self._outstanding = 0
        self.abandoned = False  # set by `abandon`: some job may still be running on the thread
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the worker thread and return its result."""
        assert not (self._exclusive and self._outstanding), "one disk job at a time"
        task = trio.lowlevel.current_task()
        wait = _Wait()

        def deliver(result: outcome.Outcome[T]) -> None:
            if not wait.abandoned:
                trio.lowlevel.reschedule(task, result)

        def abort(_raise_cancel: Any) -> trio.lowlevel.Abort:
            if self._abandon_on_cancel or self.abandoned:
                wait.abandoned = True
                return trio.lowlevel.Abort.SUCCEEDED
            return trio.lowlevel.Abort.FAILED

        self._outstanding += 1
        try:
            self._jobs.put(_Job(fn, deliver))
            result: T = await trio.lowlevel.wait_task_rescheduled(abort)
        finally:
            self._outstanding -= 1
        return result

    def submit(self, fn: Callable[[], T], on_done: Callable[[outcome.Outcome[T]], None]) -> None:
        """Run `fn` on the worker thread; then `on_done(outcome)` on the trio thread."""
        self._jobs.put(_Job(fn, on_done))

    def abandon(self) -> None:
        """Stop now: the task awaiting a job may be cancelled; the job's outcome is dropped."""
        self.abandoned = True

    def stop(self) -> None:
        """Let the thread exit after the current job (it is a daemon: never joined)."""
        self._jobs.put(None)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, job.fn = job.fn, None
            assert fn is not None
            result = outcome.capture(fn)  # exceptions are re-raised in the awaiting task
            del fn  # the job's bytes go now, not when the next job arrives
            try:
                self._token.run_sync_soon(job.deliver, result)
            except trio.RunFinishedError:
                return
            del job, result
