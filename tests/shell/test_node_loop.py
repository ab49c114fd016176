"""`kraft.shell.node_loop` against a scripted fake core: the Ready order on a real disk, feedback
events, inbound routing with LogRead resolution, closed connections and graceful stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from kraft import rpc
from kraft.events import (
    ConnectionClosed,
    ElectionStatePersisted,
    Event,
    Persisted,
    RequestFailed,
    RequestReceived,
)
from kraft.ready import LogAppend, OutboundRequest, OutboundResponse, Ready
from kraft.roles import RoleName
from kraft.shell.apis.fetch import scan_records
from kraft.shell.config import parse_config
from kraft.shell.connection import ConnectionLimits, InboundConnection
from kraft.shell.disk_log import DiskLog
from kraft.shell.node_loop import Clock, NodeLoop
from kraft.shell.quorum_state_store import QuorumStateStore
from kraft.shell.snapshots import SnapshotStore
from kraft.types import ElectionState, ReplicaAddress
from wire.errors import ErrorCode
from wire.framing import FrameDecoder
from wire.headers import decode_response, encode_request
from wire.messages.fetch import FetchRequest
from wire.records import build_data_batch
from wire.registry import METADATA_TOPIC_ID

PEER = ReplicaAddress(2, "127.0.0.1", 1)
STATE = ElectionState(epoch=3, voted_id=1, voters=frozenset({1, 2, 3}))


class FakeNode:
    """Returns scripted Readies and records every event it is fed."""

    def __init__(self, script: dict[str, Ready]) -> None:
        self.script = script
        self.events: list[Event] = []
        self.polls = 0
        self.shutdowns = 0

    def poll(self, now_ms: int) -> Ready:
        self.polls += 1
        return self.script.pop("poll", Ready(deadline_ms=now_ms + 60_000))

    def handle(self, event: Event, now_ms: int) -> Ready:
        self.events.append(event)
        if isinstance(event, RequestReceived):
            return self.script.pop("request", Ready(deadline_ms=now_ms + 60_000))
        return Ready(deadline_ms=now_ms + 60_000)

    def shutdown(self, now_ms: int) -> Ready:
        self.shutdowns += 1
        return Ready(shutdown_complete=True, deadline_ms=now_ms + 60_000)


class FakePeers:
    def __init__(self, loop: NodeLoop, accept: bool = True) -> None:
        self.loop = loop
        self.accept = accept
        self.sent: list[tuple[int, int, bool]] = []  # (request id, disk end, quorum-state exists)

    def submit(self, request: OutboundRequest) -> bool:
        self.sent.append(
            (request.request_id, self.loop.disk_log.flushed_offset, self.loop.store.path.exists())
        )
        return self.accept


def make_loop(tmp_path: Path, node: FakeNode) -> NodeLoop:
    config = parse_config(
        {
            "node.id": "1",
            "listeners": "PLAINTEXT://127.0.0.1:1",
            "controller.quorum.voters": "1@127.0.0.1:1,2@127.0.0.1:2,3@127.0.0.1:3",
            "log.dirs": str(tmp_path),
        }
    )
    disk_log, _ = DiskLog.open(tmp_path, config.segment_bytes)
    return NodeLoop(
        node,  # type: ignore[arg-type]
        disk_log,
        QuorumStateStore(tmp_path),
        SnapshotStore(tmp_path),
        config,
        Clock(),
    )


async def until(condition: Any, timeout_s: float = 5) -> None:
    """Wait for `condition()`: disk steps run on a worker thread, which trio does not see."""
    with trio.fail_after(timeout_s):
        while not condition():
            await trio.sleep(0.005)


def request(request_id: int) -> OutboundRequest:
    return OutboundRequest(request_id, PEER, rpc.DescribeQuorumRequest(True), 1000)


async def test_ready_order_on_disk_and_feedback(tmp_path: Path) -> None:
    batch = build_data_batch(0, 3, 0, [b"a", b"b"])
    records = scan_records(batch)
    assert records is not None
    node = FakeNode(
        {
            "poll": Ready(
                election_state=STATE,
                log_ops=[LogAppend(records)],
                flush=True,
                send_now=[request(1)],
                send_after_persist=[request(2)],
            )
        }
    )
    loop = make_loop(tmp_path, node)
    peers = FakePeers(loop)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, peers)
        await until(lambda: len(node.events) == 2)
        # send_now left before the quorum-state and the log were written; the rest after both.
        assert peers.sent == [(1, 0, False), (2, 2, True)]
        assert node.events == [ElectionStatePersisted(STATE), Persisted(2)]
        assert loop.store.read() == STATE
        assert loop.disk_log.read(0, 1000) == batch
        loop.request_shutdown()
        await loop.stopped.wait()
        nursery.cancel_scope.cancel()
    assert node.shutdowns == 1


async def test_full_peer_queue_is_reported_as_failure(tmp_path: Path) -> None:
    node = FakeNode({"poll": Ready(send_now=[request(7)])})
    loop = make_loop(tmp_path, node)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, FakePeers(loop, accept=False))
        await until(lambda: bool(node.events))
        assert node.events == [RequestFailed(7, "destination queue full")]
        nursery.cancel_scope.cancel()


async def test_fetch_answer_reads_the_log_and_goes_to_its_connection(tmp_path: Path) -> None:
    batch = build_data_batch(0, 3, 0, [b"x"])
    answer = rpc.FetchResponse(
        error_code=ErrorCode.NONE, high_watermark=1, records=rpc.LogRead(0, 1 << 20, 1)
    )
    node = FakeNode({"request": Ready(send_now=[OutboundResponse(1, answer)])})
    loop = make_loop(tmp_path, node)
    loop.disk_log.append(batch)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, FakePeers(loop))
        body = await answer_to_one_fetch(loop, nursery)
        assert body.responses[0].partitions[0].records == batch
        assert isinstance(node.events[0], RequestReceived)
        assert node.events[0].request.replica_id == 2  # type: ignore[union-attr]
        nursery.cancel_scope.cancel()


async def test_leader_answers_before_its_write_from_the_appended_bytes(tmp_path: Path) -> None:
    """The plan sends the Fetch answer reading this Ready's append before the append is written
    (served from the Ready's bytes); the write and the fsync then share one disk hop."""
    on_disk = build_data_batch(0, 3, 0, [b"old"])
    appended = build_data_batch(1, 3, 0, [b"new", b"er"])
    records = scan_records(appended)
    assert records is not None
    answer = rpc.FetchResponse(
        error_code=ErrorCode.NONE, high_watermark=1, records=rpc.LogRead(1, 1 << 20, 3)
    )
    node = FakeNode(
        {
            "request": Ready(
                log_ops=[LogAppend(records)],
                flush=True,
                send_after_append=[OutboundResponse(1, answer)],
            )
        }
    )
    loop = make_loop(tmp_path, node)
    loop.disk_log.append(on_disk)
    disk_end_when_answered: list[int] = []
    send_out = loop._send_out

    def recording_send_out(message: Any, unwritten: Any = ()) -> None:
        disk_end_when_answered.append(loop.disk_log.end_offset)
        send_out(message, unwritten)

    loop._send_out = recording_send_out  # type: ignore[method-assign]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, FakePeers(loop))
        body = await answer_to_one_fetch(loop, nursery)
        assert body.responses[0].partitions[0].records == appended
        await until(lambda: len(node.events) == 2)
        assert disk_end_when_answered == [1]  # the append was not written when it left
        assert node.events[1] == Persisted(3)
        assert loop.disk_log.read(1, 1 << 20) == appended
        nursery.cancel_scope.cancel()


class _Router:
    def __init__(self, loop: NodeLoop) -> None:
        self.loop = loop

    async def dispatch(self, connection: Any, header: Any, body: Any, slot: Any) -> None:
        await self.loop.submit_request(connection, header, body, slot)

    def connection_closed(self, connection: Any) -> None:
        self.loop.connection_closed(connection)


async def answer_to_one_fetch(loop: NodeLoop, nursery: trio.Nursery) -> Any:
    """Send FETCH to `loop` over a fresh in-memory connection; the decoded answer."""
    client, server = trio.testing.memory_stream_pair()
    nursery.start_soon(InboundConnection(server, _Router(loop), ConnectionLimits()).run)
    await client.send_all(encode_request(FetchRequest.API_KEY, 17, 42, "f", FETCH))
    decoder = FrameDecoder()
    frames: list[bytes] = []
    while not frames:
        frames = decoder.feed(await client.receive_some())
    correlation_id, body = decode_response(FetchRequest.API_KEY, 17, frames[0])
    assert correlation_id == 42
    return body


FETCH = FetchRequest(
    cluster_id="c",
    replica_state=FetchRequest.ReplicaState(replica_id=2),
    max_wait_ms=500,
    topics=[
        FetchRequest.FetchTopic(
            topic_id=METADATA_TOPIC_ID,
            partitions=[FetchRequest.FetchTopic.FetchPartition(partition=0)],
        )
    ],
)


async def test_closed_connection_tells_the_core(tmp_path: Path) -> None:
    node = FakeNode({})  # never answers the request: it stays parked
    loop = make_loop(tmp_path, node)
    client, server = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, FakePeers(loop))
        nursery.start_soon(InboundConnection(server, _Router(loop), ConnectionLimits()).run)
        await client.send_all(
            encode_request(
                55, 2, 1, "d", __import__("wire").messages.describe_quorum.DescribeQuorumRequest()
            )
        )
        await trio.testing.wait_all_tasks_blocked()
        await client.aclose()
        await trio.testing.wait_all_tasks_blocked()
        assert isinstance(node.events[0], RequestReceived)
        assert node.events[1] == ConnectionClosed(frozenset({node.events[0].inbound_id}))
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize("role", [RoleName.LEADER, RoleName.FOLLOWER])
async def test_leader_announces_its_high_watermark_before_the_next_append_is_written(
    tmp_path: Path, role: RoleName
) -> None:
    """Issue #16 (p99 at linger 0): a Ready that moves a leader's high watermark nearly always
    appends the next records too; the commit is announced before their write and fsync, not one
    disk hop late. A follower's high watermark (it may cover this very append) still waits."""
    appended = build_data_batch(1, 3, 0, [b"next"])
    records = scan_records(appended)
    assert records is not None
    node = FakeNode({"poll": Ready(log_ops=[LogAppend(records)], flush=True, high_watermark=1)})
    node.role = role  # type: ignore[attr-defined]
    loop = make_loop(tmp_path, node)
    loop.disk_log.append(build_data_batch(0, 3, 0, [b"committed"]))
    seen: list[tuple[str, int, int]] = []  # (who, high watermark, log end when called)
    loop.commit_listeners.append(
        lambda hw, _now_ms: seen.append(("commit", hw, loop.disk_log.end_offset))
    )
    loop.listeners.append(
        lambda ready, _now_ms: seen.append(
            ("ready", ready.high_watermark or 0, loop.disk_log.end_offset)
        )
    )
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, FakePeers(loop))
        await until(lambda: len(node.events) == 1)  # Persisted: the hop is done
        nursery.cancel_scope.cancel()
    after = ("ready", 1, 2)  # the Ready's listeners: after its append was written
    if role == RoleName.LEADER:
        assert seen[:2] == [("commit", 1, 1), after]  # the commit: before it was
    else:
        assert seen[0] == after
        assert all(who == "ready" for who, _, _ in seen)
