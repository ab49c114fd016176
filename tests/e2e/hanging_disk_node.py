"""`python -m tests.e2e.hanging_disk_node server ...`: `kraft server` whose fsyncs hang for good
once the file named by `HANG_FSYNC_ENV` exists (a disk that stopped answering), for the test
that a second signal still stops the node at once. When an fsync starts hanging, the file
`<that name>.hung` is created so the test knows. With `SPARE_THREAD_ENV` set to a thread name,
fsyncs on that thread never hang (the node's disk writer keeps working; only the others, e.g. the
final close, hang). Test-only: nothing in `kraft` knows of this."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

HANG_FSYNC_ENV = "PYKRAFT_TEST_HANG_FSYNC_FILE"
SPARE_THREAD_ENV = "PYKRAFT_TEST_HANG_FSYNC_SPARE_THREAD"


def _hanging(real: object) -> object:
    marker = Path(os.environ[HANG_FSYNC_ENV])
    spared = os.environ.get(SPARE_THREAD_ENV)

    def sync(fd: int) -> None:
        if marker.exists() and threading.current_thread().name != spared:
            marker.with_name(marker.name + ".hung").touch()
            # Forever, as a stuck device: an fsync in the kernel is not interrupted by signals
            # (this thread never runs a handler; other threads do, as with a real fsync).
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            threading.Event().wait()
        real(fd)  # type: ignore[operator]

    return sync


if __name__ == "__main__":
    os.fsync = _hanging(os.fsync)  # type: ignore[assignment]
    os.fdatasync = _hanging(os.fdatasync)  # type: ignore[assignment]
    from kraft.cli import main

    sys.exit(main())
