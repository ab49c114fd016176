"""`kraft.shell.peers` against an in-process fake Kafka server on 127.0.0.1."""

from __future__ import annotations

import socket
from typing import Any

import trio

from kraft import rpc
from kraft.events import Event, RequestFailed, ResponseReceived
from kraft.ready import OutboundRequest
from kraft.shell.peers import Peer, PeerLimits, Peers
from kraft.types import ReplicaAddress
from wire.framing import FrameDecoder
from wire.headers import decode_request, encode_response
from wire.messages.describe_quorum import DescribeQuorumResponse
from wire.registry import API_VERSIONS_KEY, api_versions_response


def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def describe(request_id: int, port: int) -> OutboundRequest:
    return OutboundRequest(
        request_id, ReplicaAddress(2, "127.0.0.1", port), rpc.DescribeQuorumRequest(True), 2000
    )


class FakeServer:
    """Answers DescribeQuorum after `delay_s`, recording when each request arrived."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.arrivals: list[tuple[int, float]] = []
        self.client_ids: list[str | None] = []

    async def handle(self, stream: trio.SocketStream) -> None:
        decoder = FrameDecoder()
        async with stream:
            while True:
                data = await stream.receive_some()
                if not data:
                    return
                for payload in decoder.feed(data):
                    header, _ = decode_request(payload)
                    if header.request_api_key == API_VERSIONS_KEY:  # every connection opens so
                        answer = encode_response(
                            API_VERSIONS_KEY,
                            header.request_api_version,
                            header.correlation_id,
                            api_versions_response(),
                        )
                        await stream.send_all(answer)
                        continue
                    self.arrivals.append((header.correlation_id, trio.current_time()))
                    self.client_ids.append(header.client_id)
                    await trio.sleep(self.delay_s)
                    body = DescribeQuorumResponse(error_code=6)
                    await stream.send_all(
                        encode_response(
                            DescribeQuorumResponse.API_KEY,
                            header.request_api_version,
                            header.correlation_id,
                            body,
                        )
                    )


async def test_one_request_in_flight_and_answers_translated() -> None:
    server = FakeServer(delay_s=0.2)
    events: list[Event] = []

    async def deliver(event: Event) -> None:
        events.append(event)

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(trio.serve_tcp, server.handle, 0)
        port = listeners[0].socket.getsockname()[1]
        peers = Peers(nursery, deliver, client_id="raft-client-1", listener_name="PLAINTEXT")
        assert peers.submit(describe(1, port))
        assert peers.submit(describe(2, port))
        with trio.fail_after(5):
            while len(events) < 2:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    assert [e.request_id for e in events] == [1, 2]  # type: ignore[union-attr]
    assert all(isinstance(e, ResponseReceived) for e in events)
    response = events[0].response  # type: ignore[union-attr]
    assert isinstance(response, rpc.DescribeQuorumResponse)
    assert response.error_code == 6
    # The second request left only after the first was answered.
    assert server.arrivals[1][1] - server.arrivals[0][1] >= 0.19
    assert server.client_ids == ["raft-client-1", "raft-client-1"]


async def test_unreachable_destination_fails_fast_and_queue_is_bounded() -> None:
    events: list[Event] = []

    async def deliver(event: Event) -> None:
        events.append(event)

    port = refused_port()
    limits = PeerLimits(queue_max=2)
    peer = Peer(
        ReplicaAddress(2, "127.0.0.1", port),
        deliver,
        client_id="c",
        listener_name="PLAINTEXT",
        limits=limits,
    )
    assert peer.submit(describe(1, port))
    assert peer.submit(describe(2, port))
    assert not peer.submit(describe(3, port))  # bounded: the caller reports this one
    async with trio.open_nursery() as nursery:
        nursery.start_soon(peer.run)
        with trio.fail_after(5):
            while len(events) < 2:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    assert [type(e) for e in events] == [RequestFailed, RequestFailed]
    assert [e.request_id for e in events] == [1, 2]  # type: ignore[union-attr]


# ------------------------------------------------------------------ issue #12 item 4: bounded


def to(request_id: int, node_id: int, port: int) -> OutboundRequest:
    return OutboundRequest(
        request_id,
        ReplicaAddress(node_id, "127.0.0.1", port),
        rpc.DescribeQuorumRequest(True),
        2000,
    )


async def test_destination_tasks_are_capped_and_idle_ones_expire() -> None:
    """Every address a response ever named used to keep a task (and a socket) for good."""
    server = FakeServer(delay_s=0)
    events: list[Event] = []

    async def deliver(event: Event) -> None:
        events.append(event)

    limits = PeerLimits(peers_max=4, idle_timeout_ms=300)
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(trio.serve_tcp, server.handle, 0)
        port = listeners[0].socket.getsockname()[1]
        peers = Peers(nursery, deliver, client_id="c", listener_name="PLAINTEXT", limits=limits)
        tasks_before = len(nursery.child_tasks)
        # 40 distinct destinations (as 40 learned endpoints would be), each answered at once.
        for n in range(40):
            assert peers.submit(to(n, 100 + n, port))
            with trio.fail_after(5):
                while len(events) < n + 1:
                    await trio.sleep(0.005)
            assert peers.destination_count() <= limits.peers_max
            assert len(nursery.child_tasks) - tasks_before <= limits.peers_max
        assert all(isinstance(e, ResponseReceived) for e in events)
        # Idle destinations close their connection and end their task.
        with trio.fail_after(5):
            while peers.destination_count() or len(nursery.child_tasks) > tasks_before:
                await trio.sleep(0.05)
        # An expired destination is created again on demand.
        assert peers.submit(to(99, 100, port))
        with trio.fail_after(5):
            while len(events) < 41:
                await trio.sleep(0.005)
        assert isinstance(events[-1], ResponseReceived)
        nursery.cancel_scope.cancel()


async def test_busy_destinations_are_never_evicted_the_new_one_fails_instead() -> None:
    server = FakeServer(delay_s=1.0)
    events: list[Event] = []

    async def deliver(event: Event) -> None:
        events.append(event)

    limits = PeerLimits(peers_max=2, idle_timeout_ms=60_000)
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(trio.serve_tcp, server.handle, 0)
        port = listeners[0].socket.getsockname()[1]
        peers = Peers(nursery, deliver, client_id="c", listener_name="PLAINTEXT", limits=limits)
        assert peers.submit(to(1, 1, port))
        assert peers.submit(to(2, 2, port))
        await trio.sleep(0.1)  # both in flight
        assert not peers.submit(to(3, 3, port))  # the caller reports it failed; retried later
        with trio.fail_after(5):
            while len(events) < 2:
                await trio.sleep(0.01)
        assert peers.submit(to(4, 3, port))  # an idle destination makes room
        with trio.fail_after(5):
            while len(events) < 3:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    assert all(isinstance(e, ResponseReceived) for e in events)
    # 1 and 2 go to two destinations in parallel: either may be answered first.
    assert sorted(e.request_id for e in events[:2]) == [1, 2]  # type: ignore[union-attr]
    assert events[2].request_id == 4  # type: ignore[union-attr]


async def test_a_host_trio_cannot_encode_fails_the_request_not_the_node() -> None:
    events: list[Event] = []

    async def deliver(event: Event) -> None:
        events.append(event)

    async with trio.open_nursery() as nursery:
        peers = Peers(nursery, deliver, client_id="c", listener_name="PLAINTEXT")
        for n, host in enumerate(["a..b", "x" * 64, "☃"]):
            request = OutboundRequest(
                n, ReplicaAddress(2 + n, host, 9092), rpc.DescribeQuorumRequest(True), 2000
            )
            assert peers.submit(request)
        with trio.fail_after(5):
            while len(events) < 3:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    assert all(isinstance(e, RequestFailed) for e in events)


async def test_an_unexpected_error_on_an_answer_fails_that_request_only(monkeypatch: Any) -> None:
    from kraft.shell import apis

    def broken(api_key: int, version: int, body: Any) -> Any:
        raise RuntimeError("translate bug")

    monkeypatch.setattr(apis, "response_to_core", broken)
    server = FakeServer(delay_s=0)
    events: list[Event] = []

    async def deliver(event: Event) -> None:
        events.append(event)

    async with trio.open_nursery() as nursery:  # the node's nursery: it must survive
        listeners = await nursery.start(trio.serve_tcp, server.handle, 0)
        port = listeners[0].socket.getsockname()[1]
        peers = Peers(nursery, deliver, client_id="c", listener_name="PLAINTEXT")
        assert peers.submit(describe(1, port))
        with trio.fail_after(5):
            while not events:
                await trio.sleep(0.01)
        assert peers.submit(describe(2, port))  # the destination still works
        with trio.fail_after(5):
            while len(events) < 2:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    assert [type(e) for e in events] == [RequestFailed, RequestFailed]


async def test_connected_count_is_the_open_connections() -> None:
    """`connected_count` (the `pykraft_peer_connections` gauge): one per destination whose
    connection is open; an unreachable destination and one that idled out count 0."""
    server = FakeServer(delay_s=0)
    events: list[Event] = []

    async def deliver(event: Event) -> None:
        events.append(event)

    limits = PeerLimits(idle_timeout_ms=500, reconnect_backoff_ms=10_000)
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(trio.serve_tcp, server.handle, 0)
        port = listeners[0].socket.getsockname()[1]
        peers = Peers(nursery, deliver, client_id="c", listener_name="PLAINTEXT", limits=limits)
        assert peers.connected_count() == 0
        assert peers.submit(to(1, 2, port))
        assert peers.submit(to(2, 3, refused_port()))
        with trio.fail_after(10):
            while len(events) < 2:
                await trio.sleep(0.005)
        assert sorted(type(e).__name__ for e in events) == ["RequestFailed", "ResponseReceived"]
        assert peers.destination_count() == 2
        assert peers.connected_count() == 1  # the answered one; the refused one is not open
        with trio.fail_after(10):
            while peers.connected_count():  # the answered destination idles out
                await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
