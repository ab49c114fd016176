"""The observer's fetch state machine, sans I/O: build the next Fetch, digest its response.

State: `next_offset` (where the next fetch starts, always a batch boundary once anything was
fetched) and `position_epoch` (epoch of the batch that ends there: the LastFetchedEpoch); the
`pending` batches fetched but not yet covered by the high watermark; and what was released
(`released_offset`, `released_epoch`).

Invariants (checked, an `ObserverError` if ever broken):
- released batches are contiguous and each is released once, in offset order;
- nothing at or above the high watermark is released (raft mode), so a DivergingEpoch never cuts
  into released data;
- pending batches are contiguous and start at `released_offset`, and hold at most
  `pending_bytes_max` bytes (beyond that they are dropped and fetched again).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from wire import METADATA_PARTITION, METADATA_TOPIC_ID, METADATA_TOPIC_NAME
from wire.errors import DecodeError, ErrorCode
from wire.messages.fetch import FetchRequest, FetchResponse
from wire.records.batch import BatchHeader, crc_ok, iter_batches
from wire.records.record import Record, decode_records

FETCH_BYTES_MAX = 8 * 1024 * 1024
# Uncommitted batches held while waiting for the high watermark; above this the observer drops
# them and fetches them again later (they are not committed, so nothing is lost).
PENDING_BYTES_MAX = 64 * 1024 * 1024
CONSUMER_REPLICA_ID = -1
NO_EPOCH = -1
READ_COMMITTED = 1
FETCH_TOPIC_ID_VERSION_MIN = 13
FETCH_REPLICA_STATE_VERSION_MIN = 15
# A raft fetcher with an empty log says epoch 0 (a negative LastFetchedEpoch is INVALID_REQUEST).
EMPTY_LOG_EPOCH = 0


class ObserverError(Exception):
    """The observer cannot go on (wrong cluster, unsupported snapshot, broken invariant)."""


@dataclass(frozen=True, slots=True)
class CommittedBatch:
    """A committed batch as stored (CRC checked); records before `first_offset` are skipped."""

    header: BatchHeader
    data: bytes
    first_offset: int

    @property
    def base_offset(self) -> int:
        return self.header.base_offset

    @property
    def last_offset(self) -> int:
        return self.header.last_offset

    @property
    def epoch(self) -> int:
        return self.header.partition_leader_epoch

    @property
    def is_control(self) -> bool:
        return self.header.is_control

    def records(self) -> list[Record]:
        """Decoded records from `first_offset` on (DecodeError if the batch is malformed)."""
        return [
            r for r in decode_records(self.data, 0, self.header) if r.offset >= self.first_offset
        ]


@dataclass(slots=True)
class FetchOutcome:
    released: list[CommittedBatch] = field(default_factory=list)
    rediscover: bool = False
    backoff: bool = False


@dataclass
class ObserverState:
    start_offset: int
    consumer_mode: bool = False
    next_offset: int = -1
    position_epoch: int | None = None
    high_watermark: int = -1
    log_start_offset: int = -1
    pending: list[CommittedBatch] = field(default_factory=list)
    pending_from_probe: list[CommittedBatch] = field(default_factory=list)
    released_offset: int = -1
    released_epoch: int | None = None
    pending_bytes_max: int = PENDING_BYTES_MAX

    def __post_init__(self) -> None:
        if self.next_offset < 0:
            self.next_offset = self.start_offset
        if self.released_offset < 0:
            self.released_offset = self.start_offset

    def handle_fetch_response(self, response: FetchResponse, version: int) -> FetchOutcome:
        if self.pending_from_probe:
            self.pending = self.pending_from_probe + self.pending
            self.pending_from_probe = []
        if response.error_code == ErrorCode.INCONSISTENT_CLUSTER_ID:
            raise ObserverError("the quorum has a different cluster id")
        if response.error_code != ErrorCode.NONE:
            return FetchOutcome(rediscover=True, backoff=True)
        partitions = [p for t in response.responses for p in t.partitions]
        if len(partitions) != 1:
            return FetchOutcome(rediscover=True, backoff=True)
        return self._handle_partition(partitions[0])

    def _handle_partition(
        self, p: FetchResponse.FetchableTopicResponse.PartitionData
    ) -> FetchOutcome:
        error = p.error_code
        if error in (ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH):
            return FetchOutcome(rediscover=True, backoff=p.current_leader.leader_id < 0)
        if error == ErrorCode.OFFSET_OUT_OF_RANGE and 0 <= self.next_offset < p.log_start_offset:
            raise ObserverError(
                f"offset {self.next_offset} is below the log start {p.log_start_offset}"
            )
        if error in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_ID):
            raise ObserverError("the node does not serve __cluster_metadata partition 0")
        if error == ErrorCode.INVALID_REQUEST:
            raise ObserverError("the leader rejected the fetch as invalid")
        if error != ErrorCode.NONE:
            return FetchOutcome(rediscover=True, backoff=True)
        if p.snapshot_id.end_offset >= 0:
            raise ObserverError(
                f"the leader sent snapshot {p.snapshot_id.end_offset}-{p.snapshot_id.epoch}; "
                "loading snapshots is not supported (start at or after the log start)"
            )
        if p.log_start_offset >= 0:
            self.log_start_offset = p.log_start_offset
        if p.diverging_epoch.epoch >= 0 or p.diverging_epoch.end_offset >= 0:
            self._truncate(p.diverging_epoch.end_offset)
            return FetchOutcome()
        try:
            self._append(p.records or b"")
        except DecodeError:
            return FetchOutcome(rediscover=True, backoff=True)
        if self.consumer_mode:
            # The node capped the read at its high watermark: everything received is committed.
            self.high_watermark = max(self.high_watermark, self.next_offset, p.high_watermark)
        elif p.high_watermark >= 0:
            self.high_watermark = max(self.high_watermark, p.high_watermark)
        released = self._release()
        if sum(len(b.data) for b in self.pending) > self.pending_bytes_max:
            self._truncate(self.released_offset)
        return FetchOutcome(released=released)

    def _append(self, records: bytes) -> None:
        for pos, header in iter_batches(records):
            if header.last_offset < self.next_offset:
                continue  # already have it
            if not crc_ok(records, pos, header):
                raise DecodeError(f"batch at offset {header.base_offset}: CRC32C mismatch")
            if self.pending and header.base_offset != self.next_offset:
                raise DecodeError(f"gap: batch {header.base_offset}, expected {self.next_offset}")
            if not self.pending and header.base_offset > self.next_offset:
                raise DecodeError(f"gap: batch {header.base_offset}, expected {self.next_offset}")
            data = bytes(records[pos : pos + header.size_bytes])
            self.pending.append(CommittedBatch(header, data, self.start_offset))
            self.next_offset = header.next_offset
            self.position_epoch = header.partition_leader_epoch

    def _release(self) -> list[CommittedBatch]:
        released = []
        while self.pending and self.pending[0].last_offset < self.high_watermark:
            batch = self.pending.pop(0)
            if batch.last_offset < self.released_offset:
                continue
            if batch.base_offset > self.released_offset:
                raise ObserverError(f"released gap at {self.released_offset}")
            released.append(batch)
            self.released_offset = batch.header.next_offset
            self.released_epoch = batch.epoch
        return released

    def _truncate(self, end_offset: int) -> None:
        if end_offset < self.released_offset:
            raise ObserverError(
                f"leader truncates to {end_offset}, below the committed offset "
                f"{self.released_offset} already released"
            )
        self.pending = [b for b in self.pending if b.last_offset < end_offset]
        if self.pending:
            self.next_offset = self.pending[-1].header.next_offset
            self.position_epoch = self.pending[-1].epoch
        else:
            self.next_offset = self.released_offset
            self.position_epoch = self.released_epoch


def build_fetch_request(
    state: ObserverState,
    version: int,
    *,
    cluster_id: str | None,
    local_id: int | None,
    leader_epoch: int,
    max_wait_ms: int,
) -> FetchRequest:
    """The next Fetch: a Raft observer fetch, or a plain consumer fetch in consumer mode."""
    by_id = version >= FETCH_TOPIC_ID_VERSION_MIN
    if state.consumer_mode:
        last_fetched_epoch = NO_EPOCH
    elif state.position_epoch is not None:
        last_fetched_epoch = state.position_epoch
    else:
        last_fetched_epoch = EMPTY_LOG_EPOCH
    partition = FetchRequest.FetchTopic.FetchPartition(
        partition=METADATA_PARTITION,
        current_leader_epoch=leader_epoch,
        fetch_offset=state.next_offset,
        last_fetched_epoch=last_fetched_epoch if version >= 12 else NO_EPOCH,
        partition_max_bytes=FETCH_BYTES_MAX,
    )
    topic = FetchRequest.FetchTopic(
        topic=METADATA_TOPIC_NAME if not by_id else "",
        topic_id=METADATA_TOPIC_ID if by_id else uuid.UUID(int=0),
        partitions=[partition],
    )
    replica_id = CONSUMER_REPLICA_ID if (state.consumer_mode or local_id is None) else local_id
    use_state = version >= FETCH_REPLICA_STATE_VERSION_MIN
    return FetchRequest(
        cluster_id=None if state.consumer_mode else cluster_id,
        replica_id=CONSUMER_REPLICA_ID if use_state else replica_id,
        replica_state=FetchRequest.ReplicaState(replica_id=replica_id if use_state else -1),
        max_wait_ms=max_wait_ms,
        min_bytes=1,
        max_bytes=FETCH_BYTES_MAX,
        isolation_level=READ_COMMITTED,
        topics=[topic],
    )
