"""A small disk under a node's log dir: a tmpfs of a fixed size that a test fills on demand.

`SmallDisk(path, size_bytes)` mounts a tmpfs at `path`; `fill()` writes a ballast file until the
filesystem answers ENOSPC, so the node's next write that needs a new block fails the same way
(the disk log preallocates 256 KiB at a time, so that comes within a fraction of a second at the
test workloads); `free()` deletes the ballast. `close()` unmounts (lazily, so a process that
still has a file open cannot keep the mount behind) and always runs from the fixtures' finally.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path

BALLAST = "ballast"
CHUNK_BYTES = 64 * 1024


class SmallDisk:
    def __init__(self, path: Path, size_bytes: int) -> None:
        self.path = path
        self.size_bytes = size_bytes
        self.mounted = False

    def mount(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.size_bytes}", "tmpfs", str(self.path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"mount tmpfs on {self.path}: {result.stderr.strip()}")
        self.mounted = True

    def fill(self) -> int:
        """Write the ballast until ENOSPC; return the bytes it took."""
        written = 0
        chunk = b"\xa5" * CHUNK_BYTES
        fd = os.open(self.path / BALLAST, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            size = len(chunk)
            while size > 0:
                try:
                    written += os.write(fd, chunk[:size])
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    size //= 2  # then the last partial block
        finally:
            os.close(fd)
        return written

    def free(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.path / BALLAST).unlink()

    def free_bytes(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)
            self.mounted = False
