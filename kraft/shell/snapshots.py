"""Raft snapshot files beside the log, in Kafka's layout (RAFT-BRIEF §2.10, §6).

A snapshot `(end offset, epoch)` is the file `<end offset, 20 digits>-<epoch, 10 digits>.checkpoint`
holding record batches v2 (written by whoever created it; this store never looks inside). A download
from the leader goes to `<name>.part` chunk by chunk (`write_chunk`, each chunk at the position the
leader served), and `install` fsyncs it and renames it into place atomically. At start-up partial
(`.part`) and pending-delete (`.deleted`) files are removed and the latest snapshot is reported.

Blocking: used from the node's disk writer thread, and for `read` from its reader thread (an
installed snapshot file is never changed, only replaced by a rename, so reads need no lock).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from kraft.shell.disk_log import OFFSET_DIGITS, fsync_dir
from kraft.types import OffsetAndEpoch

SNAPSHOT_SUFFIX = ".checkpoint"
PART_SUFFIX = ".checkpoint.part"
DELETED_SUFFIX = ".checkpoint.deleted"
EPOCH_DIGITS = 10


class SnapshotError(Exception):
    """A download step that does not fit the partial file (a caller bug or a misbehaving leader)."""


def snapshot_file_name(snapshot_id: OffsetAndEpoch) -> str:
    offset = f"{snapshot_id.offset:0{OFFSET_DIGITS}d}"
    return f"{offset}-{snapshot_id.epoch:0{EPOCH_DIGITS}d}{SNAPSHOT_SUFFIX}"


def parse_snapshot_file_name(name: str) -> OffsetAndEpoch | None:
    if not name.endswith(SNAPSHOT_SUFFIX):
        return None
    stem = name[: -len(SNAPSHOT_SUFFIX)]
    offset_text, sep, epoch_text = stem.partition("-")
    if (
        not sep
        or len(offset_text) != OFFSET_DIGITS
        or len(epoch_text) != EPOCH_DIGITS
        or not offset_text.isdigit()
        or not epoch_text.isdigit()
    ):
        return None
    return OffsetAndEpoch(int(offset_text), int(epoch_text))


class SnapshotStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, snapshot_id: OffsetAndEpoch) -> Path:
        return self.directory / snapshot_file_name(snapshot_id)

    def part_path(self, snapshot_id: OffsetAndEpoch) -> Path:
        return self.directory / (snapshot_file_name(snapshot_id) + ".part")

    def recover(self) -> OffsetAndEpoch | None:
        """Drop partial and pending-delete files; return the latest complete snapshot id."""
        latest: OffsetAndEpoch | None = None
        for path in self.directory.iterdir():
            if path.name.endswith((PART_SUFFIX, DELETED_SUFFIX)):
                path.unlink()
                continue
            snapshot_id = parse_snapshot_file_name(path.name)
            if snapshot_id is not None and (
                latest is None
                or (snapshot_id.offset, snapshot_id.epoch) > (latest.offset, latest.epoch)
            ):
                latest = snapshot_id
        return latest

    def write_chunk(self, snapshot_id: OffsetAndEpoch, position: int, data: bytes) -> None:
        path = self.part_path(snapshot_id)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if position == 0 else 0)
        fd = os.open(path, flags, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size != position:
                raise SnapshotError(
                    f"{path.name}: chunk at position {position} but {size} bytes written so far"
                )
            view = memoryview(data)
            while view:
                written = os.pwrite(fd, view, position)
                view = view[written:]
                position += written
        finally:
            os.close(fd)

    def install(self, snapshot_id: OffsetAndEpoch) -> None:
        part = self.part_path(snapshot_id)
        fd = os.open(part, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(part, self.path(snapshot_id))
        fsync_dir(self.directory)

    def abort(self, snapshot_id: OffsetAndEpoch) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.part_path(snapshot_id).unlink()

    def read(
        self, snapshot_id: OffsetAndEpoch, position: int, max_bytes: int
    ) -> tuple[bytes, int] | None:
        """(bytes [position, position + max_bytes), file size); None when there is no such file."""
        try:
            fd = os.open(self.path(snapshot_id), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            size = os.fstat(fd).st_size
            if position < 0 or position >= size:
                return b"", size
            return os.pread(fd, min(max_bytes, size - position), position), size
        finally:
            os.close(fd)
