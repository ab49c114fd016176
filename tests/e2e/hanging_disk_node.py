"""`python -m tests.e2e.hanging_disk_node server ...`: `kraft server` whose fsyncs hang for good
once the file named by `HANG_FSYNC_ENV` exists (a disk that stopped answering), for the test
that a second signal still stops the node at once. When an fsync starts hanging, the file
`<that name>.hung` is created so the test knows. Test-only: nothing in `kraft` knows of this."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

HANG_FSYNC_ENV = "PYKRAFT_TEST_HANG_FSYNC_FILE"


def _hanging(real: object) -> object:
    marker = Path(os.environ[HANG_FSYNC_ENV])

    def sync(fd: int) -> None:
        if marker.exists():
            marker.with_name(marker.name + ".hung").touch()
            threading.Event().wait()  # forever, as a stuck device
        real(fd)  # type: ignore[operator]

    return sync


if __name__ == "__main__":
    os.fsync = _hanging(os.fsync)  # type: ignore[assignment]
    os.fdatasync = _hanging(os.fdatasync)  # type: ignore[assignment]
    from kraft.cli import main

    sys.exit(main())
