"""Consumer-mode and stream-mode fetch state, sans I/O; and the value types the observer yields.

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

`mode="stream"` uses `StreamFetchState`: a Raft observer's Fetch (ClusterId, FetchOffset +
LastFetchedEpoch, replica id -1, as the core's follower sends it), but no local log. The leader
answers with records up to its log end, beyond its high watermark, so the state keeps only what
the observer protocol needs: the fetch position (`fetch_offset`, `last_fetched_epoch`), the
leader's epoch, the high watermark (largest seen), and `pending`, the fetched batches not yet
below it (in memory: the leader's uncommitted tail). A DivergingEpoch answer cuts `pending` as
the core cuts its log (whole batches from the first one past the leader's end offset for that
epoch, or of a later epoch); a cut below what was released is refused (committed data cannot
diverge: the leader's fault, fetched again after a backoff). A SnapshotId answer (the position is
below the leader's log start, or at 0 with a snapshot there) is handed to the observer, which
downloads it and calls `install_snapshot`. Released batches are CRC-checked, contiguous, whole,
below the high watermark, in offset order, each once; nothing before `first_offset` is released.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kraft.types import CONSUMER_REPLICA_ID, NO_EPOCH, NO_OFFSET
from wire import METADATA_PARTITION, METADATA_TOPIC_ID, METADATA_TOPIC_NAME
from wire.errors import DecodeError, ErrorCode
from wire.fields import ZERO_UUID
from wire.messages.fetch import TOPIC_ID_MIN_VERSION, FetchRequest, FetchResponse
from wire.records.batch import BatchHeader, crc_ok, iter_batches
from wire.records.record import Record, decode_records

FETCH_BYTES_MAX = 8 * 1024 * 1024
READ_UNCOMMITTED = 0  # what a replica fetches (isolation does not apply to it)
READ_COMMITTED = 1


class ObserverError(Exception):
    """The observer cannot go on (wrong cluster, unreachable quorum, lost start offset)."""


@dataclass(frozen=True, slots=True)
class Truncation:
    """The observer cut the records it had fetched from `from_end_offset` back to
    `to_end_offset`: records above the high watermark that the leader of a later epoch does not
    have (DivergingEpoch). Never below the high watermark, so nothing released is taken back."""

    from_end_offset: int
    to_end_offset: int


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


def only_partition(
    response: FetchResponse,
) -> FetchResponse.FetchableTopicResponse.PartitionData | None:
    """The one partition of the answer to a one-partition Fetch; None for a top-level error or an
    answer with another number of partitions (both: find the leader again, after a backoff)."""
    if response.error_code != ErrorCode.NONE:
        return None
    partitions = [p for t in response.responses for p in t.partitions]
    return partitions[0] if len(partitions) == 1 else None


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
        p = only_partition(response)
        if p is None:
            return FetchOutcome(rediscover=True, backoff=True)
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


def metadata_fetch_request(
    partition: FetchRequest.FetchTopic.FetchPartition,
    version: int,
    *,
    cluster_id: str | None,
    replica_id: int,
    wait_ms_max: int,
    isolation_level: int = READ_UNCOMMITTED,
) -> FetchRequest:
    """A Fetch of `__cluster_metadata`-0 (`partition`), named by topic id from the version
    that has it, by name before."""
    by_id = version >= TOPIC_ID_MIN_VERSION
    topic = FetchRequest.FetchTopic(
        topic=METADATA_TOPIC_NAME if not by_id else "",
        topic_id=METADATA_TOPIC_ID if by_id else ZERO_UUID,
        partitions=[partition],
    )
    return FetchRequest(
        cluster_id=cluster_id,
        replica_id=replica_id,
        replica_state=FetchRequest.ReplicaState(replica_id=replica_id),
        max_wait_ms=wait_ms_max,
        min_bytes=1,
        max_bytes=FETCH_BYTES_MAX,
        isolation_level=isolation_level,
        topics=[topic],
    )


def build_consumer_fetch_request(
    state: ConsumerFetchState, version: int, *, leader_epoch: int, wait_ms_max: int
) -> FetchRequest:
    """A plain Kafka consumer fetch (replica id -1, no ClusterId, no LastFetchedEpoch)."""
    partition = FetchRequest.FetchTopic.FetchPartition(
        partition=METADATA_PARTITION,
        current_leader_epoch=leader_epoch,
        fetch_offset=state.next_offset,
        last_fetched_epoch=NO_EPOCH,
        partition_max_bytes=FETCH_BYTES_MAX,
    )
    return metadata_fetch_request(
        partition,
        version,
        cluster_id=None,
        replica_id=CONSUMER_REPLICA_ID,
        wait_ms_max=wait_ms_max,
        isolation_level=READ_COMMITTED,
    )


@dataclass(slots=True)
class StreamOutcome(FetchOutcome):
    # The leader's snapshot to download (end offset, epoch) before fetching again.
    snapshot: tuple[int, int] | None = None


@dataclass
class StreamFetchState:
    """A Raft observer's fetch position without a local log (see the module docstring).

    `first_offset`: nothing before it is released (the start offset; 0 for the earliest).
    `fetch_offset`/`last_fetched_epoch`: the next Fetch's position (end of what was fetched and
    the epoch of its last batch, as a follower's log end and last batch epoch)."""

    first_offset: int
    fetch_offset: int
    last_fetched_epoch: int
    leader_epoch: int = NO_EPOCH
    leader_id: int = CONSUMER_REPLICA_ID
    high_watermark: int = NO_OFFSET
    pending: list[CommittedBatch] = field(default_factory=list)
    # End of what was released (offset after its last record), NO_OFFSET before the first release;
    # `released_epoch` is the epoch of that last released batch.
    released_end: int = NO_OFFSET
    released_epoch: int = NO_EPOCH
    truncations: list[Truncation] = field(default_factory=list)
    # Nothing fetched yet from a start offset past 0: the fetch claims the leader's current epoch
    # as its last fetched one (whatever epoch it learns by then), so the leader sends its log
    # from the start offset, or says where that epoch ends in its log (the start is past it).
    claim_leader_epoch: bool = False

    def fetch_request(
        self, cluster_id: str | None, replica_id: int, wait_ms_max: int, version: int
    ) -> FetchRequest:
        partition = FetchRequest.FetchTopic.FetchPartition(
            partition=METADATA_PARTITION,
            # An unknown epoch is asked as 0: the leader's FENCED_LEADER_EPOCH answer names it.
            current_leader_epoch=max(self.leader_epoch, 0),
            fetch_offset=self.fetch_offset,
            last_fetched_epoch=(
                max(self.leader_epoch, 0) if self.claim_leader_epoch else self.last_fetched_epoch
            ),
            partition_max_bytes=FETCH_BYTES_MAX,
            # The leader answers at once when its high watermark is past ours (KIP-1166).
            high_watermark=max(self.high_watermark, 0),
        )
        return metadata_fetch_request(
            partition,
            version,
            cluster_id=cluster_id,
            replica_id=replica_id,
            wait_ms_max=wait_ms_max,
        )

    def connected_to(self, leader_id: int, leader_epoch: int) -> None:
        """A connection to `leader_id` was opened (the leader of `leader_epoch`, NO_EPOCH when
        the node did not say): it is the node answering the fetches from now on."""
        self.leader_id = leader_id
        self.leader_epoch = max(self.leader_epoch, leader_epoch)

    def learn_leader(self, leader_id: int, leader_epoch: int) -> bool:
        """Adopt a leader of a newer epoch; True when it is another node than the one asked."""
        if leader_epoch > self.leader_epoch:
            self.leader_epoch = leader_epoch
            return leader_id != self.leader_id
        return False

    def handle_fetch_response(self, response: FetchResponse) -> StreamOutcome:
        if response.error_code == ErrorCode.INCONSISTENT_CLUSTER_ID:
            raise ObserverError("the quorum has another cluster id than it said")
        p = only_partition(response)
        if p is None:
            return StreamOutcome(rediscover=True, backoff=True)
        leader = p.current_leader
        known_epoch = self.leader_epoch
        moved = self.learn_leader(leader.leader_id, leader.leader_epoch)
        error = p.error_code
        if error in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_ID):
            raise ObserverError("the node does not serve __cluster_metadata partition 0")
        if error == ErrorCode.INVALID_REQUEST:
            raise ObserverError("the node rejected the fetch as invalid")
        if moved:
            return StreamOutcome(rediscover=True, backoff=leader.leader_id < 0)
        if error == ErrorCode.FENCED_LEADER_EPOCH and self.leader_epoch > known_epoch:
            return StreamOutcome()  # the node asked leads the epoch just learned: ask again
        if error != ErrorCode.NONE or leader.leader_epoch != self.leader_epoch:
            return StreamOutcome(rediscover=True, backoff=True)
        diverging = p.diverging_epoch
        if diverging.epoch >= 0 or diverging.end_offset >= 0:
            if not self._truncate(diverging.end_offset, diverging.epoch):
                return StreamOutcome(rediscover=True, backoff=True)
        elif p.snapshot_id.end_offset > NO_OFFSET:  # a SnapshotId (absent: its default, -1)
            return StreamOutcome(snapshot=(p.snapshot_id.end_offset, p.snapshot_id.epoch))
        elif p.records:
            try:
                self._append(p.records)
            except DecodeError:
                return StreamOutcome(rediscover=True, backoff=True)
        if p.high_watermark > self.high_watermark:
            self.high_watermark = p.high_watermark
        return StreamOutcome(released=self._release())

    def _append(self, records: Any) -> None:
        """The whole batches that continue at `fetch_offset` (CRC checked); others ignored."""
        for pos, header in iter_batches(records):
            if header.last_offset < self.fetch_offset:
                continue  # a batch we hold already (the fetch offset was inside it)
            if header.base_offset > self.fetch_offset:
                raise DecodeError(f"gap: batch {header.base_offset}, expected {self.fetch_offset}")
            if not crc_ok(records, pos, header):
                raise DecodeError(f"batch at offset {header.base_offset}: CRC32C mismatch")
            if header.partition_leader_epoch > self.leader_epoch:
                raise DecodeError(f"batch of epoch {header.partition_leader_epoch} from a leader")
            data = bytes(records[pos : pos + header.size_bytes])
            self.claim_leader_epoch = False
            self.pending.append(CommittedBatch(header, data, self.first_offset))
            self.fetch_offset = header.next_offset
            self.last_fetched_epoch = header.partition_leader_epoch

    def _release(self) -> list[CommittedBatch]:
        pending = self.pending
        count = 0
        for batch in pending:
            if batch.header.next_offset > self.high_watermark:
                break
            count += 1
        if not count:
            return []
        released = [b for b in pending[:count] if b.header.last_offset >= self.first_offset]
        last = pending[count - 1].header
        del pending[:count]
        self.released_end = last.next_offset
        self.released_epoch = last.partition_leader_epoch
        return released

    def _truncate(self, end_offset: int, epoch: int) -> bool:
        """Cut `pending` where the leader's log diverges from it: whole batches from the first of
        a later epoch than `epoch` or ending at or past `end_offset`. False (nothing done) when
        that would cut what was released."""
        keep = 0
        for batch in self.pending:
            header = batch.header
            if header.partition_leader_epoch > epoch or header.next_offset > end_offset:
                break
            keep += 1
        if keep:
            last = self.pending[keep - 1].header
            to_offset, to_epoch = last.next_offset, last.partition_leader_epoch
        elif self.released_end != NO_OFFSET:
            to_offset, to_epoch = self.released_end, self.released_epoch
            if end_offset < to_offset or epoch < to_epoch:
                return False  # below what was released: committed data cannot diverge
        else:
            # Nothing fetched yet (a start offset past the leader's log for the epoch claimed):
            # go back to where the leader's log for that epoch ends.
            to_offset, to_epoch = min(end_offset, self.fetch_offset), epoch
            self.claim_leader_epoch = False
        if to_offset != self.fetch_offset:
            self.truncations.append(Truncation(self.fetch_offset, to_offset))
        del self.pending[keep:]
        self.fetch_offset, self.last_fetched_epoch = to_offset, to_epoch
        return True

    def install_snapshot(self, end_offset: int, epoch: int) -> None:
        """Continue after the leader's snapshot ending at `end_offset` (its content committed)."""
        self.pending.clear()
        self.claim_leader_epoch = False
        self.fetch_offset, self.last_fetched_epoch = end_offset, epoch
        self.released_end, self.released_epoch = end_offset, epoch
        self.first_offset = max(self.first_offset, end_offset)
        self.high_watermark = max(self.high_watermark, end_offset)
