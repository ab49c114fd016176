"""`RaftObserver`: follow the committed metadata log of a quorum, as a non-voting observer (trio).

The observer finds the leader through Metadata on the bootstrap servers (any node answers with
the leader, its epoch, the voters' endpoints and the cluster id), then fetches from it in a loop
and yields **committed** batches, in offset order, each exactly once. Two fetch modes:

- `mode="raft"` (default): a Raft observer fetch, as Kafka's `KafkaRaftClient` sends it with an
  optional local id (KIP-595 / KAFKA-12161): ClusterId set, ReplicaId = `local_id` or -1,
  CurrentLeaderEpoch and LastFetchedEpoch. The leader answers with uncommitted data as well, plus
  the high watermark and, after a leader change, a DivergingEpoch telling where our fetched log
  departs from its own. Fetched batches wait in a buffer and are released only once the high
  watermark passes them; a DivergingEpoch truncates the buffer. Because only committed batches
  are released and a committed batch is in every later leader's log (Raft's leader
  completeness), a DivergingEpoch can never cut below what was released; the observer checks it.
  With an id the observer shows up in DescribeQuorum's observers; without one it leaves no trace.
- `mode="consumer"`: an ordinary Kafka consumer fetch (no ClusterId): the node caps reads at its
  high watermark itself, so every batch received is released at once.

Leader changes: NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH answers and lost
connections (a killed or restarted node) make the observer rediscover the leader through every
address it knows (bootstrap servers and voters), with a bounded backoff; it resumes from its
position, so nothing is repeated or skipped. Only a wrong cluster id, an invalid request or a
snapshot it cannot load end the iteration, with `ObserverError`.

Starting point: the log start (earliest), the high watermark (latest), or any offset N. For N > 0
the committed batch holding N is read with a consumer fetch first; the Raft fetch then continues
at the batch boundary after it with that batch's epoch as LastFetchedEpoch. A log that starts
with a snapshot is followed from the log start (the snapshot's content is not fetched).
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import trio

from kraft.client.connection import Address, Connection, ConnectionFailed
from kraft.client.state import (
    CommittedBatch,
    FetchOutcome,
    ObserverError,
    ObserverState,
    build_fetch_request,
)
from wire import METADATA_PARTITION, METADATA_TOPIC_NAME
from wire.errors import ErrorCode
from wire.messages.fetch import FetchRequest
from wire.messages.list_offsets import ListOffsetsRequest, ListOffsetsResponse
from wire.messages.metadata import MetadataRequest, MetadataResponse

FETCH_VERSION_MAX = 17
RAFT_FETCH_VERSION_MIN = 12
FETCH_MAX_WAIT_MS = 500
REDISCOVER_BACKOFF_MS = 100
REDISCOVER_BACKOFF_MAX_MS = 1_000
EARLIEST: Literal["earliest"] = "earliest"
LATEST: Literal["latest"] = "latest"
LATEST_TIMESTAMP = -1
EARLIEST_TIMESTAMP = -2

Start = int | Literal["earliest", "latest"]

__all__ = ["CommittedBatch", "ObserverError", "RaftObserver"]


@dataclass(frozen=True, slots=True)
class LeaderInfo:
    leader_id: int
    epoch: int
    address: Address
    cluster_id: str | None


class _BatchIterator:
    def __init__(self, observer: RaftObserver) -> None:
        self._observer = observer
        self._ready: collections.deque[CommittedBatch] = collections.deque()

    def __aiter__(self) -> _BatchIterator:
        return self

    async def __anext__(self) -> CommittedBatch:
        while not self._ready:
            self._ready.extend(await self._observer.poll())
        return self._ready.popleft()


class RaftObserver:
    """Yields committed batches of `__cluster_metadata` from `start` on (see module docstring)."""

    def __init__(
        self,
        bootstrap: list[Address],
        *,
        local_id: int | None = None,
        start: Start = EARLIEST,
        mode: Literal["raft", "consumer"] = "raft",
        cluster_id: str | None = None,
        give_up_after_ms: int | None = None,
    ) -> None:
        if not bootstrap:
            raise ValueError("no bootstrap servers")
        self.bootstrap = list(bootstrap)
        self.local_id = local_id
        self.start = start
        self.mode = mode
        self.expected_cluster_id = cluster_id
        self.give_up_after_ms = give_up_after_ms
        self.known: list[Address] = list(bootstrap)
        self.leader: LeaderInfo | None = None
        self.state: ObserverState | None = None
        self._conn: Connection | None = None
        self._backoff_ms = REDISCOVER_BACKOFF_MS

    @property
    def high_watermark(self) -> int:
        return -1 if self.state is None else self.state.high_watermark

    async def __aenter__(self) -> RaftObserver:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def batches(self) -> AsyncIterator[CommittedBatch]:
        """Committed batches in offset order, forever (or until an `ObserverError`).

        Use inside `async with observer:` so the connection is closed when the loop ends. This is
        an iterator object, not an async generator, so breaking out of the loop leaves nothing
        for the garbage collector to finalize.
        """
        return _BatchIterator(self)

    async def poll(self) -> list[CommittedBatch]:
        """One fetch round: the batches it committed (often none), after any rediscovery."""
        try:
            conn = await self.leader_connection()
            if self.state is None:
                self.state = await self._initial_state(conn)
            outcome = await self._fetch_once(conn, self.state)
        except ConnectionFailed:
            await self.close()
            await trio.sleep(self._backoff_ms / 1000)
            self._backoff_ms = min(self._backoff_ms * 2, REDISCOVER_BACKOFF_MAX_MS)
            return []
        self._backoff_ms = REDISCOVER_BACKOFF_MS
        if outcome.rediscover:
            await self.close()
            if outcome.backoff:
                await trio.sleep(REDISCOVER_BACKOFF_MS / 1000)
        return outcome.released

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.aclose()
        self._conn = None
        self.leader = None

    async def leader_connection(self) -> Connection:
        if self._conn is not None:
            return self._conn
        deadline = None
        if self.give_up_after_ms is not None:
            deadline = trio.current_time() + self.give_up_after_ms / 1000
        last_error = "no node answered"
        while True:
            for address in list(self.known):
                try:
                    leader = await self._ask_metadata(address)
                except ConnectionFailed as exc:
                    last_error = str(exc)
                    continue
                if leader is None:
                    last_error = f"{address}: no leader elected yet"
                    continue
                try:
                    conn = await Connection.open(leader.address)
                except ConnectionFailed as exc:
                    last_error = str(exc)
                    continue
                self._conn, self.leader = conn, leader
                return conn
            if deadline is not None and trio.current_time() >= deadline:
                raise ObserverError(f"cannot reach the quorum: {last_error}")
            await trio.sleep(REDISCOVER_BACKOFF_MS / 1000)

    async def _ask_metadata(self, address: Address) -> LeaderInfo | None:
        conn = await Connection.open(address)
        try:
            topic = MetadataRequest.MetadataRequestTopic(name=METADATA_TOPIC_NAME)
            version = conn.version_for(MetadataRequest.API_KEY)
            response = await conn.request(MetadataRequest(topics=[topic]), version)
        finally:
            await conn.aclose()
        assert isinstance(response, MetadataResponse)
        if (
            self.expected_cluster_id is not None
            and response.cluster_id is not None
            and response.cluster_id != self.expected_cluster_id
        ):
            raise ObserverError(
                f"{address}: cluster id {response.cluster_id!r}, expected "
                f"{self.expected_cluster_id!r}"
            )
        endpoints = {b.node_id: Address(b.host, b.port) for b in response.brokers}
        for endpoint in endpoints.values():
            if endpoint not in self.known:
                self.known.append(endpoint)
        for topic_info in response.topics:
            if topic_info.name != METADATA_TOPIC_NAME or topic_info.error_code:
                continue
            for partition in topic_info.partitions:
                if partition.partition_index != METADATA_PARTITION:
                    continue
                leader_address = endpoints.get(partition.leader_id)
                if partition.leader_id < 0 or leader_address is None:
                    return None
                return LeaderInfo(
                    partition.leader_id, partition.leader_epoch, leader_address, response.cluster_id
                )
        return None

    async def _initial_state(self, conn: Connection) -> ObserverState:
        start = self.start
        if start in (EARLIEST, LATEST):
            start = await self.list_offset(
                conn, EARLIEST_TIMESTAMP if start == EARLIEST else LATEST_TIMESTAMP
            )
        assert isinstance(start, int)
        if start < 0:
            raise ObserverError(f"negative start offset {start}")
        state = ObserverState(start_offset=start, consumer_mode=self.mode == "consumer")
        if start > 0 and not state.consumer_mode:
            # Read the committed batch holding `start` with a consumer fetch (HW-capped): its end
            # and epoch are where the Raft fetch continues (valid even when `start` is the log
            # start right after a snapshot, where offset start-1 is gone).
            probe = dataclasses.replace(state, consumer_mode=True, next_offset=start)
            carried: list[CommittedBatch] = []
            while probe.position_epoch is None:
                outcome = await self._fetch_once(conn, probe)
                if outcome.rediscover:
                    raise ConnectionFailed("leader moved while locating the start offset")
                carried.extend(outcome.released)
            state.next_offset = probe.next_offset
            state.position_epoch = probe.position_epoch
            state.pending_from_probe = carried + probe.pending
            state.high_watermark = probe.high_watermark
        return state

    async def list_offset(self, conn: Connection, timestamp: int) -> int:
        T = ListOffsetsRequest.ListOffsetsTopic
        partition = T.ListOffsetsPartition(partition_index=METADATA_PARTITION, timestamp=timestamp)
        request = ListOffsetsRequest(
            replica_id=-1, topics=[T(name=METADATA_TOPIC_NAME, partitions=[partition])]
        )
        response = await conn.request(request)
        assert isinstance(response, ListOffsetsResponse)
        answer = response.topics[0].partitions[0]
        if answer.error_code != ErrorCode.NONE:
            raise ConnectionFailed(f"{conn.address}: ListOffsets error {answer.error_code}")
        return answer.offset

    async def _fetch_once(self, conn: Connection, state: ObserverState) -> FetchOutcome:
        version = conn.version_for(FetchRequest.API_KEY, FETCH_VERSION_MAX)
        if not state.consumer_mode and version < RAFT_FETCH_VERSION_MIN:
            raise ObserverError(f"{conn.address}: Fetch v{version} is too old for a raft observer")
        leader = self.leader
        request = build_fetch_request(
            state,
            version,
            cluster_id=leader.cluster_id if leader is not None else None,
            local_id=self.local_id,
            leader_epoch=leader.epoch if leader is not None else -1,
            max_wait_ms=FETCH_MAX_WAIT_MS,
        )
        response = await conn.request(request, version)
        return state.handle_fetch_response(response, version)
