"""`LocalFollower`: the real Raft core as a non-voting follower, with a local log (trio).

This is how `RaftObserver(mode="raft")` follows the quorum, as Kafka's `KafkaRaftClient` does
with an optional local id (KAFKA-12161, RAFT-BRIEF §2.8, §2.11): a `kraft.node.RaftNode` with
`local_id=None` (replica id -1 on the wire; the leader keeps no state for it) or with an id that
is not a voter (an observer the leader lists in DescribeQuorum), run by the node's own machinery,
`kraft.shell.node_loop.BaseNodeLoop` + `kraft.shell.peers.Peers`, without a listener or a workload.
The core does everything a follower does: finds the leader through the bootstrap servers, fetches,
truncates on DivergingEpoch (each truncation is kept in `truncations` and logged at INFO),
downloads snapshots, follows leader changes, persists (epoch, leader) in its own quorum-state,
and learns the high watermark. The fetched log is written in a log dir
with the node's layout (`<log_dir>/__cluster_metadata-0/`, Kafka's `.lock`): a temporary directory
deleted on close by default, or a given one that is kept (and resumed from on the next start).

The library side only READS: `read_committed` returns whole batches below the high watermark the
core learned. Below the high watermark the local log never changes (the core refuses a
truncation below it), so what was read once is final. Reads use the log's published view
(`kraft.shell.disk_log`) from the page cache or the loop's reader thread; opening the log (its
whole-log CRC scan) and closing it run on a worker thread, never on the trio thread.

Invariant: `close()` cancels the tasks, closes the log and releases the lock, and removes a
temporary log dir; nothing is left behind.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trio

from kraft.config import ConfigError, QuorumConfig
from kraft.log import LogState
from kraft.node import RaftNode
from kraft.ready import LogAppend, LogTruncate, Ready, SnapshotInstall
from kraft.shell.client.connection import Address
from kraft.shell.client.discovery import QuorumInfo
from kraft.shell.client.state import ObserverError, Truncation
from kraft.shell.codec import WireBatchCodec
from kraft.shell.config import METADATA_TOPIC_PARTITION_DIR
from kraft.shell.disk_log import DiskLog
from kraft.shell.durable_files import LogDirError, lock_log_dir
from kraft.shell.node_loop import BaseNodeLoop, Clock
from kraft.shell.peers import Peers
from kraft.shell.quorum_state_store import QuorumStateError, QuorumStateStore
from kraft.shell.snapshots import SnapshotStore
from kraft.types import ZERO_DIRECTORY_ID, ElectionState, Endpoint, OffsetAndEpoch

# Kafka's raft client defaults (QuorumConfig) suit an observer; the segment is smaller than a
# node's 1 GiB because an observer's log is often temporary.
OBSERVER_SEGMENT_BYTES = 64 * 1024 * 1024
# Only used in the Fetch path to name the listener in requests that carry endpoints; an
# observer never sends those (BeginQuorumEpoch/EndQuorumEpoch are voters' business).
OBSERVER_LISTENER_NAME = "CONTROLLER"
TEMP_DIR_PREFIX = "kraft-observer-"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _LoopSettings:
    request_timeout_ms: int
    controller_listener_name: str


@dataclass(frozen=True, slots=True)
class _OpenedDisk:
    """What opening the log dir found (on a worker thread), for building the node."""

    snapshots: SnapshotStore
    latest_snapshot: OffsetAndEpoch | None
    store: QuorumStateStore
    election_state: ElectionState | None


def bootstrap_endpoints(bootstrap: list[Address], quorum: QuorumInfo) -> tuple[Endpoint, ...]:
    """The given bootstrap servers, then every voter's endpoint learned from Metadata.

    The core falls back to these while it knows no (reachable) leader; with the given servers
    alone an observer bootstrapped from one node could not find the new leader while that node
    is down (Kafka's default, with no bootstrap servers configured, is the voters' endpoints).
    """
    out: list[Endpoint] = []
    for address in [*bootstrap, *quorum.voters.values()]:
        endpoint = Endpoint(address.host, address.port)
        if endpoint not in out:
            out.append(endpoint)
    return tuple(out)


class LocalFollower:
    """A `RaftNode` that only follows; see the module docstring."""

    def __init__(
        self,
        quorum: QuorumInfo,
        bootstrap: list[Address],
        *,
        local_id: int | None,
        log_dir: Path | None,
    ) -> None:
        if local_id is not None and local_id in quorum.voters:
            raise ObserverError(f"local id {local_id} is a voter; an observer needs another id")
        self.config = QuorumConfig(
            voters={i: Endpoint(a.host, a.port) for i, a in quorum.voters.items()},
            cluster_id=quorum.cluster_id,
            bootstrap_servers=bootstrap_endpoints(bootstrap, quorum),
        )
        self.local_id = local_id
        self.temporary = log_dir is None
        self.log_dir = (
            Path(tempfile.mkdtemp(prefix=TEMP_DIR_PREFIX)) if log_dir is None else log_dir
        )
        self._lock_fd: int | None = None
        self.disk_log: DiskLog | None = None
        self.loop: BaseNodeLoop[_LoopSettings] | None = None
        # Every truncation of the local log, oldest first (see `Truncation`).
        self.truncations: list[Truncation] = []
        self._end_offset = 0

    @property
    def partition_dir(self) -> Path:
        assert self.log_dir is not None
        return self.log_dir / METADATA_TOPIC_PARTITION_DIR

    async def open(self) -> BaseNodeLoop[_LoopSettings]:
        """Lock and recover the log dir (on a worker thread: recovery reads and CRC-checks the
        whole log), build the node and its loop (not running yet)."""
        opened = await trio.to_thread.run_sync(self._open_disk)
        return self._build(opened)

    def _open_disk(self) -> _OpenedDisk:
        if self.log_dir is None:
            self.log_dir = Path(tempfile.mkdtemp(prefix=TEMP_DIR_PREFIX))
        try:
            self._lock_fd = lock_log_dir(self.log_dir)
            self.disk_log, _ = DiskLog.open(self.partition_dir, OBSERVER_SEGMENT_BYTES)
            snapshots = SnapshotStore(self.partition_dir)
            latest_snapshot = snapshots.recover()
            if latest_snapshot is not None and latest_snapshot.offset > self.disk_log.end_offset:
                self.disk_log.reset_to(latest_snapshot.offset)  # as the node: snapshot wins
            store = QuorumStateStore(self.partition_dir)
            stored = store.read()
        except (LogDirError, QuorumStateError, OSError) as exc:
            raise ObserverError(str(exc)) from None
        return _OpenedDisk(snapshots, latest_snapshot, store, stored)

    def _build(self, opened: _OpenedDisk) -> BaseNodeLoop[_LoopSettings]:
        disk_log = self.disk_log
        assert disk_log is not None
        latest_snapshot, stored = opened.latest_snapshot, opened.election_state
        snapshots, store = opened.snapshots, opened.store
        clock = Clock()
        log_state = LogState(
            log_start_offset=disk_log.start_offset,
            end_offset=disk_log.end_offset,
            epoch_history=tuple((e.epoch, e.start_offset) for e in disk_log.epochs),
            latest_snapshot_id=latest_snapshot,
        )
        try:
            node = RaftNode(
                self.config,
                self.local_id,
                ZERO_DIRECTORY_ID,
                stored,
                log_state,
                WireBatchCodec(),
                random.Random(int.from_bytes(os.urandom(8))),
                clock.now_ms(),
            )
        except ConfigError as exc:
            raise ObserverError(f"{self.partition_dir}: {exc}") from None
        settings = _LoopSettings(self.config.request_timeout_ms, OBSERVER_LISTENER_NAME)
        self.loop = BaseNodeLoop(node, disk_log, store, snapshots, settings, clock)
        self._end_offset = disk_log.end_offset
        self.loop.listeners.append(self._note_truncations)
        return self.loop

    def _note_truncations(self, ready: Ready, now_ms: int) -> None:
        """Keeps the log end the core's operations lead to, to report truncations from it."""
        for op in ready.log_ops:
            if isinstance(op, LogAppend):
                self._end_offset = op.records.end_offset
            elif isinstance(op, SnapshotInstall):
                self._end_offset = op.snapshot_id.offset
            elif isinstance(op, LogTruncate):
                truncation = Truncation(self._end_offset, op.end_offset)
                self.truncations.append(truncation)
                self._end_offset = op.end_offset
                log.info(
                    "observer truncated its local log from end offset %d to %d "
                    "(uncommitted records the new leader does not have)",
                    truncation.from_end_offset,
                    truncation.to_end_offset,
                )

    async def run(self) -> None:
        """Run the node loop and its outbound peers until cancelled."""
        assert self.loop is not None
        client = "observer" if self.local_id is None else str(self.local_id)
        async with trio.open_nursery() as nursery:
            peers = Peers(
                nursery,
                self.loop.deliver,
                client_id=f"raft-client-{client}",
                listener_name=OBSERVER_LISTENER_NAME,
            )
            await self.loop.run(peers)

    @property
    def node(self) -> RaftNode:
        assert self.loop is not None
        return self.loop.node

    @property
    def high_watermark(self) -> int | None:
        return None if self.loop is None else self.loop.node.high_watermark

    @property
    def log_start_offset(self) -> int:
        assert self.disk_log is not None
        return self.disk_log.start_offset

    async def read_committed(self, start_offset: int, bytes_max: int) -> bytes:
        """Whole local batches from the one holding `start_offset`, all below the HW."""
        assert self.loop is not None
        high_watermark = self.high_watermark
        if high_watermark is None or start_offset >= high_watermark:
            return b""
        return await self.loop.read_batches(start_offset, high_watermark, bytes_max)

    async def wait_for_change(self, timeout_ms: int) -> None:
        assert self.loop is not None
        await self.loop.wait_for_change(timeout_ms)

    async def aclose(self) -> None:
        """`close` on a worker thread (it trims and fsyncs the active segment); shielded, so a
        cancelled run (SIGTERM, a timeout around the observer) still closes and cleans up."""
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(self.close)

    def close(self) -> None:
        if self.disk_log is not None:
            self.disk_log.close()
            self.disk_log = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if self.temporary and self.log_dir is not None:
            shutil.rmtree(self.log_dir, ignore_errors=True)
