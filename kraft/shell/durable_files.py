"""Durable file operations shared by the disk log, the snapshots and the small state files.

What survives a crash goes through here: whole writes at an explicit position (`write_all`), an
fsync of a directory after a name in it changed (`fsync_dir`), atomic replacement of a small file
(`write_file_atomically`: tmp + fsync + rename + directory fsync), and Kafka's `.lock` on a log
directory (`lock_log_dir`), which keeps a second process off the same files.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = ".lock"


class LogDirError(Exception):
    """The log directory cannot be used (unwritable, locked by another process, ...)."""


def lock_log_dir(log_dir: Path) -> int:
    """Create `log_dir` if needed and take Kafka's `.lock` on it; the fd holds the lock."""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(log_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LogDirError(f"log dir {log_dir} is not usable: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise LogDirError(f"log dir {log_dir} is locked by another process") from None
    return fd


def write_all(fd: int, data: bytes, position: int = 0) -> None:
    """pwrite at an explicit position: the fd's own offset is stale after ftruncate."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, position)
        view = view[written:]
        position += written


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_atomically(path: Path, content: str | bytes) -> None:
    """tmp file + fsync + rename + directory fsync: readers see the old or the new file, whole."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, content.encode() if isinstance(content, str) else content)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)
