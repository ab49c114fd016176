"""A one-node Kafka listener over `FakePort`: the consumer handlers behind real sockets.

Test scaffolding only (the real node is `kraft.shell`): it serves ApiVersions, the consumer APIs
through `kraft.shell.consumer.dispatch`/`serve_fetch`, a Raft-style observer Fetch (records past
the high watermark included, DivergingEpoch from the epoch history, SnapshotId below the log
start when `snapshot` is set), FetchSnapshot (in `snapshot_chunk_bytes` pieces) and
DescribeQuorum, so real
clients and the observer library can be exercised without starting node processes.
Requests on one connection are answered one at a time, in order.
"""

from __future__ import annotations

from typing import Any

import trio

from kraft.handlers.consumer import epoch_end_offset
from kraft.shell.consumer import CONSUMER_API_VERSIONS, dispatch, is_consumer_fetch, serve_fetch
from tests.consumer.fakes import FakePort
from wire.errors import UnsupportedRequestError, WireError
from wire.framing import FrameDecoder
from wire.headers import api_versions_unsupported_response, decode_request, encode_response
from wire.messages.describe_quorum import DescribeQuorumRequest, DescribeQuorumResponse
from wire.messages.fetch import FetchRequest, FetchResponse
from wire.messages.fetch_snapshot import FetchSnapshotRequest, FetchSnapshotResponse
from wire.registry import API_VERSIONS_KEY, api_versions_response

FETCH_KEY = FetchRequest.API_KEY
DESCRIBE_QUORUM_KEY = DescribeQuorumRequest.API_KEY
FETCH_SNAPSHOT_KEY = FetchSnapshotRequest.API_KEY
SERVED = set(CONSUMER_API_VERSIONS) | {API_VERSIONS_KEY, DESCRIBE_QUORUM_KEY, FETCH_SNAPSHOT_KEY}


class FakeServer:
    def __init__(self, port: FakePort) -> None:
        self.port = port
        self.observer_ids: set[int] = set()
        self.listener_port = 0
        # The leader's snapshot: (end offset, epoch, its bytes), ending at the log start.
        self.snapshot: tuple[int, int, bytes] | None = None
        self.snapshot_chunk_bytes = 100

    async def serve(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.listener_port = listeners[0].socket.getsockname()[1]
        task_status.started(self.listener_port)
        await trio.serve_listeners(self._connection, listeners)

    async def _connection(self, stream: trio.SocketStream) -> None:
        decoder = FrameDecoder()
        try:
            async with stream:
                while True:
                    data = await stream.receive_some(65536)
                    if not data:
                        return
                    for payload in decoder.feed(data):
                        frame = await self._answer(payload)
                        if frame is None:
                            return
                        if frame:
                            await stream.send_all(frame)
        except (trio.BrokenResourceError, trio.ClosedResourceError, WireError):
            return

    async def _answer(self, payload: bytes) -> bytes | None:
        try:
            header, body = decode_request(payload)
        except UnsupportedRequestError as exc:
            if exc.api_key == API_VERSIONS_KEY and exc.correlation_id is not None:
                return api_versions_unsupported_response(exc.correlation_id)
            return None
        key, version = header.request_api_key, header.request_api_version
        if key not in SERVED:
            return None
        response: Any
        if key == API_VERSIONS_KEY:
            response = api_versions_response(SERVED)
        elif key == FETCH_KEY and is_consumer_fetch(body, version):
            response = await serve_fetch(body, version, self.port)
        elif key == FETCH_KEY:
            response = await self._raft_fetch(body, version)
        elif key == DESCRIBE_QUORUM_KEY:
            response = self._describe_quorum(body)
        elif key == FETCH_SNAPSHOT_KEY:
            response = self._fetch_snapshot(body)
        else:
            response = await dispatch(key, version, body, self.port)
            if response is None:
                return b""
        return encode_response(key, version, header.correlation_id, response)

    async def _raft_fetch(self, request: FetchRequest, version: int) -> FetchResponse:
        """A leader's observer fetch: no HW cap, DivergingEpoch on a log mismatch, long poll."""
        replica_id = request.replica_state.replica_id if version >= 15 else request.replica_id
        if replica_id >= 0:
            self.observer_ids.add(replica_id)
        wanted = request.topics[0].partitions[0]
        P = FetchResponse.FetchableTopicResponse.PartitionData
        with trio.move_on_after(request.max_wait_ms / 1000):
            while True:
                view = self.port.view()
                diverging = P.EpochEndOffset()
                snapshot_id = P.SnapshotId()
                records = b""
                if self.snapshot is not None and wanted.fetch_offset < self.snapshot[0]:
                    snapshot_id = P.SnapshotId(end_offset=self.snapshot[0], epoch=self.snapshot[1])
                    break
                if wanted.fetch_offset > 0:
                    end = epoch_end_offset(
                        view.epoch_history, wanted.last_fetched_epoch, view.log_end_offset
                    )
                    # Unknown (None) answers as Kafka's -1s, which are no divergence.
                    if end is not None and (
                        end.epoch != wanted.last_fetched_epoch or end.offset < wanted.fetch_offset
                    ):
                        diverging = P.EpochEndOffset(epoch=end.epoch, end_offset=end.offset)
                if diverging.epoch < 0 and wanted.fetch_offset < view.log_end_offset:
                    records = await self.port.read_batches(
                        wanted.fetch_offset, view.log_end_offset, 1 << 20
                    )
                if records or diverging.epoch >= 0:
                    break
                await self.port.changed.wait()
        view = self.port.view()
        partition = P(
            partition_index=0,
            high_watermark=view.committed_offset,
            log_start_offset=view.log_start_offset,
            diverging_epoch=diverging,
            current_leader=P.LeaderIdAndEpoch(leader_id=view.leader_id, leader_epoch=view.epoch),
            snapshot_id=snapshot_id,
            records=records,
        )
        topic = FetchResponse.FetchableTopicResponse(
            topic=request.topics[0].topic,
            topic_id=request.topics[0].topic_id,
            partitions=[partition],
        )
        return FetchResponse(responses=[topic])

    def _fetch_snapshot(self, request: FetchSnapshotRequest) -> FetchSnapshotResponse:
        wanted = request.topics[0].partitions[0]
        P = FetchSnapshotResponse.TopicSnapshot.PartitionSnapshot
        view = self.port.view()
        snapshot_id = P.SnapshotId(wanted.snapshot_id.end_offset, wanted.snapshot_id.epoch)
        leader = P.LeaderIdAndEpoch(leader_id=view.leader_id, leader_epoch=view.epoch)
        if self.snapshot is None or self.snapshot[:2] != (
            snapshot_id.end_offset,
            snapshot_id.epoch,
        ):
            partition = P(
                index=0, error_code=98, snapshot_id=snapshot_id, current_leader=leader, size=0,
                position=0, unaligned_records=b"",
            )  # fmt: skip  # 98: SNAPSHOT_NOT_FOUND
        else:
            data = self.snapshot[2]
            chunk = data[wanted.position : wanted.position + self.snapshot_chunk_bytes]
            partition = P(
                index=0, error_code=0, snapshot_id=snapshot_id, current_leader=leader,
                size=len(data), position=wanted.position, unaligned_records=chunk,
            )  # fmt: skip
        topic = FetchSnapshotResponse.TopicSnapshot(
            name=request.topics[0].name, partitions=[partition]
        )
        return FetchSnapshotResponse(topics=[topic])

    def _describe_quorum(self, request: DescribeQuorumRequest) -> DescribeQuorumResponse:
        view = self.port.view()
        R = DescribeQuorumResponse.TopicData.PartitionData
        voters = [
            R.ReplicaState(
                replica_id=v.node_id,
                log_end_offset=view.log_end_offset - (0 if v.node_id == 1 else v.node_id - 1),
                last_fetch_timestamp=1000,
                last_caught_up_timestamp=1000 - v.node_id + 1,
            )
            for v in view.voters
        ]
        observers = [
            R.ReplicaState(replica_id=i, log_end_offset=view.log_end_offset)
            for i in sorted(self.observer_ids)
        ]
        partition = R(
            partition_index=0,
            leader_id=view.leader_id,
            leader_epoch=view.epoch,
            high_watermark=view.committed_offset,
            current_voters=voters,
            observers=observers,
        )
        return DescribeQuorumResponse(
            topics=[
                DescribeQuorumResponse.TopicData(
                    topic_name="__cluster_metadata", partitions=[partition]
                )
            ]
        )
