"""Raft snapshot files beside the log, in Kafka's layout (RAFT-BRIEF §2.10, §6).

A snapshot `(end offset, epoch)` is the file `<end offset, 20 digits>-<epoch, 10 digits>.checkpoint`
holding record batches v2. `build_snapshot` makes the content of one this node creates, as Kafka's
`RecordsSnapshotWriter` does: a control batch with SnapshotHeader (v0, LastContainedLogTimestamp),
the state's metadata records in data batches, a control batch with SnapshotFooter; offsets from 0,
every batch's partitionLeaderEpoch the snapshot's epoch. `create` writes one atomically. Apart from
reading the header's timestamp (`last_contained_timestamp_ms`, for `metadata.max.retention.ms`)
the store never looks inside a file: downloaded snapshots are kept byte for byte. A download
from the leader goes to `<name>.part` chunk by chunk (`write_chunk`, each chunk at the position the
leader served), and `install` fsyncs it and renames it into place atomically. At start-up partial
(`.part`) and pending-delete (`.deleted`) files are removed and the latest snapshot is reported.

Blocking: used from the node's disk writer thread, and for `read` from its reader thread (an
installed snapshot file is never changed, only replaced by a rename, so reads need no lock).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from kraft.shell.durable_files import fsync_dir
from kraft.shell.log_segments import OFFSET_DIGITS
from kraft.types import OffsetAndEpoch
from wire.errors import DecodeError
from wire.messages.control_records import SnapshotFooterRecord, SnapshotHeaderRecord
from wire.records import (
    ControlRecordType,
    build_control_batch,
    build_data_batch,
    decode_control_record,
    decode_records,
    encode_control_value,
    read_batch_header,
)

SNAPSHOT_SUFFIX = ".checkpoint"
PART_SUFFIX = ".checkpoint.part"
DELETED_SUFFIX = ".checkpoint.deleted"
EPOCH_DIGITS = 10
# Records per data batch of a snapshot this node writes (Kafka's writer cuts batches by size).
SNAPSHOT_BATCH_RECORDS_MAX = 1000
# Enough to hold the header control batch of any snapshot (61-byte header + one small record).
HEADER_READ_BYTES = 4096


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


def build_snapshot(
    snapshot_id: OffsetAndEpoch,
    last_contained_timestamp_ms: int,
    records: Sequence[bytes],
    now_ms: int,
) -> bytes:
    """The bytes of snapshot `snapshot_id`: header, `records` (metadata record frames), footer."""
    epoch = snapshot_id.epoch
    header = SnapshotHeaderRecord(
        version=0, last_contained_log_timestamp=last_contained_timestamp_ms
    )
    parts = [
        build_control_batch(
            0, epoch, now_ms, [(ControlRecordType.SNAPSHOT_HEADER, encode_control_value(header))]
        )
    ]
    offset = 1
    for start in range(0, len(records), SNAPSHOT_BATCH_RECORDS_MAX):
        chunk = records[start : start + SNAPSHOT_BATCH_RECORDS_MAX]
        parts.append(build_data_batch(offset, epoch, now_ms, chunk))
        offset += len(chunk)
    footer = SnapshotFooterRecord(version=0)
    parts.append(
        build_control_batch(
            offset,
            epoch,
            now_ms,
            [(ControlRecordType.SNAPSHOT_FOOTER, encode_control_value(footer))],
        )
    )
    return b"".join(parts)


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

    def snapshot_ids(self) -> list[OffsetAndEpoch]:
        """Every complete snapshot in the directory, oldest first."""
        found = (parse_snapshot_file_name(path.name) for path in self.directory.iterdir())
        return sorted((s for s in found if s is not None), key=lambda s: (s.offset, s.epoch))

    def size_bytes(self, snapshot_id: OffsetAndEpoch) -> int:
        try:
            return self.path(snapshot_id).stat().st_size
        except FileNotFoundError:
            return 0

    def create(self, snapshot_id: OffsetAndEpoch, data: bytes) -> None:
        """Write snapshot `snapshot_id` atomically (a crash leaves a `.part`, dropped at start)."""
        self.write_chunk(snapshot_id, 0, data)
        self.install(snapshot_id)

    def delete(self, snapshot_id: OffsetAndEpoch) -> None:
        """Remove a snapshot (a FetchSnapshot read that opened it finishes on its open fd)."""
        path = self.path(snapshot_id)
        deleted = path.with_name(path.name + ".deleted")
        with contextlib.suppress(FileNotFoundError):
            # Renamed first, as Kafka does: a crash mid-way leaves `.deleted`, dropped at start.
            os.replace(path, deleted)
            deleted.unlink()

    def last_contained_timestamp_ms(self, snapshot_id: OffsetAndEpoch) -> int | None:
        """The SnapshotHeader's LastContainedLogTimestamp; None without a readable header."""
        read = self.read(snapshot_id, 0, HEADER_READ_BYTES)
        if read is None:
            return None
        data, _ = read
        try:
            header = read_batch_header(data, 0)
            if not header.is_control or header.size_bytes > len(data):
                return None
            for record in decode_records(data, 0, header):
                kind, message = decode_control_record(record)
                if kind == ControlRecordType.SNAPSHOT_HEADER and isinstance(
                    message, SnapshotHeaderRecord
                ):
                    return int(message.last_contained_log_timestamp)
        except (DecodeError, ValueError):
            return None
        return None

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
        self, snapshot_id: OffsetAndEpoch, position: int, bytes_max: int
    ) -> tuple[bytes, int] | None:
        """(bytes [position, position + bytes_max), file size); None when there is no such file."""
        try:
            fd = os.open(self.path(snapshot_id), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            size = os.fstat(fd).st_size
            if position < 0 or position >= size:
                return b"", size
            return os.pread(fd, min(bytes_max, size - position), position), size
        finally:
            os.close(fd)
