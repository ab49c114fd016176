"""Consumer-mode fetch state, sans I/O; and the value types the observer yields.

Only `mode="consumer"` uses `ConsumerFetchState`: an ordinary Kafka consumer fetch (replica id -1,
no ClusterId, LastFetchedEpoch -1), which the node answers with data capped at its high
watermark, so every batch received is committed and released at once. The Raft follower
semantics (DivergingEpoch, truncation, high watermark, snapshots) are NOT here: `mode="raft"` runs
the real Raft core (`kraft.shell.client.follower`).

State: `next_offset` (where the next fetch starts; a batch boundary once anything was received)
and `high_watermark` (the largest the node reported).

Invariants (checked: a gap or a decode error makes the observer fetch again, never release):
released batches are contiguous, in offset order, each released once; the first released batch
is the one holding `start_offset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kraft.shell.apis.fetch import TOPIC_ID_MIN_VERSION
from kraft.types import CONSUMER_REPLICA_ID, NO_EPOCH, NO_OFFSET
from wire import METADATA_PARTITION, METADATA_TOPIC_ID, METADATA_TOPIC_NAME
from wire.errors import DecodeError, ErrorCode
from wire.fields import ZERO_UUID
from wire.messages.fetch import FetchRequest, FetchResponse
from wire.records.batch import BatchHeader, crc_ok, iter_batches
from wire.records.record import Record, decode_records

FETCH_BYTES_MAX = 8 * 1024 * 1024
READ_COMMITTED = 1


class ObserverError(Exception):
    """The observer cannot go on (wrong cluster, unreachable quorum, lost start offset)."""


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


def committed_batches(data: bytes, next_offset: int, first_offset: int) -> list[CommittedBatch]:
    """The whole batches of `data` from the one holding `next_offset` on, contiguous.

    `DecodeError` on a CRC mismatch or a gap. Batches wholly below `next_offset` are skipped.
    """
    out: list[CommittedBatch] = []
    for pos, header in iter_batches(data):
        if header.last_offset < next_offset:
            continue  # already released
        if header.base_offset > next_offset:
            raise DecodeError(f"gap: batch {header.base_offset}, expected {next_offset}")
        if not crc_ok(data, pos, header):
            raise DecodeError(f"batch at offset {header.base_offset}: CRC32C mismatch")
        out.append(CommittedBatch(header, bytes(data[pos : pos + header.size_bytes]), first_offset))
        next_offset = header.next_offset
    return out


@dataclass(slots=True)
class FetchOutcome:
    released: list[CommittedBatch] = field(default_factory=list)
    rediscover: bool = False
    backoff: bool = False


@dataclass
class ConsumerFetchState:
    start_offset: int
    next_offset: int = NO_OFFSET
    high_watermark: int = NO_OFFSET

    def __post_init__(self) -> None:
        if self.next_offset < 0:
            self.next_offset = self.start_offset

    def handle_fetch_response(self, response: FetchResponse) -> FetchOutcome:
        if response.error_code != ErrorCode.NONE:
            return FetchOutcome(rediscover=True, backoff=True)
        partitions = [p for t in response.responses for p in t.partitions]
        if len(partitions) != 1:
            return FetchOutcome(rediscover=True, backoff=True)
        p = partitions[0]
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
            raise ObserverError("the node rejected the fetch as invalid")
        if error != ErrorCode.NONE:
            return FetchOutcome(rediscover=True, backoff=True)
        try:
            released = committed_batches(p.records or b"", self.next_offset, self.start_offset)
        except DecodeError:
            return FetchOutcome(rediscover=True, backoff=True)
        if released:
            self.next_offset = released[-1].header.next_offset
        # The node capped the read at its high watermark: everything received is committed.
        self.high_watermark = max(self.high_watermark, self.next_offset, p.high_watermark)
        return FetchOutcome(released=released)


def build_consumer_fetch_request(
    state: ConsumerFetchState, version: int, *, leader_epoch: int, wait_ms_max: int
) -> FetchRequest:
    """A plain Kafka consumer fetch (replica id -1, no ClusterId, no LastFetchedEpoch)."""
    by_id = version >= TOPIC_ID_MIN_VERSION
    partition = FetchRequest.FetchTopic.FetchPartition(
        partition=METADATA_PARTITION,
        current_leader_epoch=leader_epoch,
        fetch_offset=state.next_offset,
        last_fetched_epoch=NO_EPOCH,
        partition_max_bytes=FETCH_BYTES_MAX,
    )
    topic = FetchRequest.FetchTopic(
        topic=METADATA_TOPIC_NAME if not by_id else "",
        topic_id=METADATA_TOPIC_ID if by_id else ZERO_UUID,
        partitions=[partition],
    )
    return FetchRequest(
        cluster_id=None,
        replica_id=CONSUMER_REPLICA_ID,
        replica_state=FetchRequest.ReplicaState(replica_id=CONSUMER_REPLICA_ID),
        max_wait_ms=wait_ms_max,
        min_bytes=1,
        max_bytes=FETCH_BYTES_MAX,
        isolation_level=READ_COMMITTED,
        topics=[topic],
    )
