"""`kraft.shell.peers` against an in-process fake Kafka server on 127.0.0.1."""

from __future__ import annotations

import socket

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
                        encode_response(55, header.request_api_version, header.correlation_id, body)
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
