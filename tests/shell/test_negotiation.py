"""Per-connection version negotiation (`kraft.shell.negotiation` through `kraft.shell.peers`):
ApiVersions first, then every request at min(our max, the peer's max), and a request the peer
cannot take answered locally with UNSUPPORTED_VERSION, as Kafka's NetworkClient does."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio

from kraft import rpc
from kraft.events import Event, RequestFailed, ResponseReceived
from kraft.ready import OutboundRequest
from kraft.shell import negotiation
from kraft.shell.peers import PeerLimits, Peers
from kraft.types import ReplicaAddress, ReplicaKey
from wire.errors import ErrorCode
from wire.framing import FrameDecoder
from wire.headers import api_versions_unsupported_response, decode_request, encode_response
from wire.messages.api_versions import ApiVersionsResponse
from wire.messages.begin_quorum_epoch import BeginQuorumEpochRequest
from wire.messages.fetch import FetchRequest
from wire.messages.vote import VoteRequest
from wire.registry import API_SPECS, API_VERSIONS_KEY

VOTE, FETCH, BEGIN = VoteRequest.API_KEY, FetchRequest.API_KEY, BeginQuorumEpochRequest.API_KEY


def advertised(ranges: dict[int, tuple[int, int]], error_code: int = 0) -> ApiVersionsResponse:
    version = ApiVersionsResponse.ApiVersion
    return ApiVersionsResponse(
        error_code=error_code,
        api_keys=[
            version(api_key=k, min_version=lo, max_version=hi) for k, (lo, hi) in ranges.items()
        ],
    )


class FakePeer:
    """Answers ApiVersions with `ranges` (or an error), then every request with an error body of
    its API; records (api key, version) of everything it receives."""

    def __init__(
        self, ranges: dict[int, tuple[int, int]], *, api_versions_max: int = 4, error: int = 0
    ) -> None:
        self.ranges = ranges
        self.api_versions_max = api_versions_max
        self.error = error
        self.received: list[tuple[int, int]] = []
        self.connections = 0

    async def handle(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        decoder = FrameDecoder()
        async with stream:
            while True:
                data = await stream.receive_some()
                if not data:
                    return
                for payload in decoder.feed(data):
                    header, _ = decode_request(payload)
                    key, version = header.request_api_key, header.request_api_version
                    self.received.append((key, version))
                    frame: bytes
                    if key == API_VERSIONS_KEY and version > self.api_versions_max:
                        # Kafka's answer: v0 layout, UNSUPPORTED_VERSION, its own range.
                        body = advertised(
                            {API_VERSIONS_KEY: (0, self.api_versions_max)},
                            ErrorCode.UNSUPPORTED_VERSION,
                        )
                        frame = encode_response(key, 0, header.correlation_id, body)
                    elif key == API_VERSIONS_KEY:
                        body: Any = advertised(self.ranges, self.error)
                        frame = encode_response(key, version, header.correlation_id, body)
                    else:
                        body = API_SPECS[key].response_cls(
                            error_code=ErrorCode.BROKER_NOT_AVAILABLE
                        )
                        frame = encode_response(key, version, header.correlation_id, body)
                    await stream.send_all(frame)


def vote(request_id: int, port: int, *, pre_vote: bool) -> OutboundRequest:
    request = rpc.VoteRequest("c", True, ReplicaKey(1), 3, 2, 10, pre_vote=pre_vote)
    return OutboundRequest(request_id, ReplicaAddress(2, "127.0.0.1", port), request, 2000)


def fetch(request_id: int, port: int) -> OutboundRequest:
    request = rpc.FetchRequest("c", True, 1, 500, 0, 0, 1, 1024)
    return OutboundRequest(request_id, ReplicaAddress(2, "127.0.0.1", port), request, 2000)


def begin(request_id: int, port: int) -> OutboundRequest:
    request = rpc.BeginQuorumEpochRequest("c", True, 1, 3)
    return OutboundRequest(request_id, ReplicaAddress(2, "127.0.0.1", port), request, 2000)


async def exchange(peer: FakePeer, requests: list[Any], expected_events: int) -> list[Event]:
    events: list[Event] = []

    async def deliver(event: Event) -> None:
        events.append(event)

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(trio.serve_tcp, peer.handle, 0)
        port = listeners[0].socket.getsockname()[1]
        peers = Peers(
            nursery,
            deliver,
            client_id="raft-client-1",
            listener_name="PLAINTEXT",
            limits=PeerLimits(reconnect_backoff_max_ms=100),
        )
        for make in requests:
            assert peers.submit(make(port))
        with trio.fail_after(5):
            while len(events) < expected_events:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    return events


def answer(events: list[Event], request_id: int) -> Any:
    (event,) = [e for e in events if e.request_id == request_id]  # type: ignore[union-attr]
    assert isinstance(event, ResponseReceived), event
    return event.response


async def test_each_request_goes_out_at_the_newest_version_both_speak() -> None:
    # A Kafka 4.3 raft peer: Vote 0-2, BeginQuorumEpoch 0-1, Fetch 4-18.
    peer = FakePeer({API_VERSIONS_KEY: (0, 4), VOTE: (0, 2), BEGIN: (0, 1), FETCH: (4, 18)})
    events = await exchange(
        peer,
        [lambda p: vote(1, p, pre_vote=True), lambda p: fetch(2, p), lambda p: begin(3, p)],
        3,
    )
    assert peer.received == [(API_VERSIONS_KEY, 4), (VOTE, 2), (FETCH, 18), (BEGIN, 1)]
    assert answer(events, 1).error_code is ErrorCode.BROKER_NOT_AVAILABLE


async def test_an_older_peer_gets_older_versions_and_what_it_cannot_carry_fails_locally() -> None:
    # Vote only up to v1 (no pre-vote), Fetch only up to v12 (no topic ids), BeginQuorumEpoch v0.
    peer = FakePeer({API_VERSIONS_KEY: (0, 3), VOTE: (0, 1), BEGIN: (0, 0), FETCH: (4, 12)})
    events = await exchange(
        peer,
        [
            lambda p: vote(1, p, pre_vote=True),
            lambda p: vote(2, p, pre_vote=False),
            lambda p: fetch(3, p),
            lambda p: begin(4, p),
        ],
        4,
    )
    # The pre-vote and the Fetch never left: the core sees UNSUPPORTED_VERSION (pre-vote: "stand
    # for election now", KIP-996); the real vote went out at v1 and BeginQuorumEpoch at v0. Each
    # local refusal closes the connection, so the next request negotiates anew.
    assert peer.received == [
        (API_VERSIONS_KEY, 4),
        (API_VERSIONS_KEY, 4),
        (VOTE, 1),
        (API_VERSIONS_KEY, 4),
        (BEGIN, 0),
    ]
    assert answer(events, 1).error_code is ErrorCode.UNSUPPORTED_VERSION
    assert isinstance(answer(events, 1), rpc.VoteResponse)
    assert answer(events, 2).error_code is ErrorCode.BROKER_NOT_AVAILABLE
    assert isinstance(answer(events, 3), rpc.FetchResponse)
    assert answer(events, 3).error_code is ErrorCode.UNSUPPORTED_VERSION
    assert answer(events, 4).error_code is ErrorCode.BROKER_NOT_AVAILABLE


async def test_an_api_the_peer_does_not_advertise_fails_locally() -> None:
    peer = FakePeer({API_VERSIONS_KEY: (0, 4), VOTE: (0, 2)})
    events = await exchange(peer, [lambda p: begin(1, p)], 1)
    assert peer.received == [(API_VERSIONS_KEY, 4)]
    assert answer(events, 1).error_code is ErrorCode.UNSUPPORTED_VERSION


async def test_api_versions_is_retried_at_the_version_the_peer_names() -> None:
    # The peer speaks ApiVersions 0-2 only: it answers v4 with UNSUPPORTED_VERSION (v0 layout).
    peer = FakePeer({API_VERSIONS_KEY: (0, 2), VOTE: (0, 2)}, api_versions_max=2)
    events = await exchange(peer, [lambda p: vote(1, p, pre_vote=False)], 1)
    assert peer.received == [(API_VERSIONS_KEY, 4), (API_VERSIONS_KEY, 2), (VOTE, 2)]
    assert answer(events, 1).error_code is ErrorCode.BROKER_NOT_AVAILABLE
    # wire's own server-side helper answers in that layout too, and it parses as a retry.
    ours = api_versions_unsupported_response(9)[4:]
    assert negotiation.parse_api_versions(ours, 5, 9) == 4


def test_parse_api_versions_retry_and_errors() -> None:
    def frame(body: ApiVersionsResponse, correlation_id: int = 5) -> bytes:
        return encode_response(API_VERSIONS_KEY, 0, correlation_id, body)[4:]

    unsupported = advertised({API_VERSIONS_KEY: (0, 2)}, ErrorCode.UNSUPPORTED_VERSION)
    assert negotiation.parse_api_versions(frame(unsupported), 4, 5) == 2
    ok = advertised({VOTE: (0, 1)})
    parsed = negotiation.parse_api_versions(encode_response(API_VERSIONS_KEY, 4, 5, ok)[4:], 4, 5)
    assert isinstance(parsed, negotiation.PeerVersions)
    assert parsed.pick(VOTE) == 1 and parsed.pick(VOTE, floor=2) is None
    for bad, message in [
        (frame(advertised({}, ErrorCode.INVALID_REQUEST)), "error code"),
        (frame(ok, correlation_id=6), "correlation id"),
        (b"\x00\x00\x00\x05\xff", "undecodable"),
        (frame(advertised({API_VERSIONS_KEY: (0, 4)}, ErrorCode.UNSUPPORTED_VERSION)), "speaks no"),
    ]:
        try:
            negotiation.parse_api_versions(bad, 4, 5)
        except negotiation.NegotiationError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"accepted {bad!r}")


async def test_a_peer_that_refuses_api_versions_fails_the_requests_and_is_backed_off() -> None:
    peer = FakePeer({VOTE: (0, 2)}, error=ErrorCode.INVALID_REQUEST)
    events = await exchange(peer, [lambda p: vote(1, p, pre_vote=False)], 1)
    assert isinstance(events[0], RequestFailed)
    assert "negotiation" in events[0].reason
    assert peer.received == [(API_VERSIONS_KEY, 4)]


class ClosingPeer(FakePeer):
    """Accepts, then closes without answering ApiVersions (a peer going down)."""

    async def handle(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        await stream.aclose()


async def test_a_peer_that_hangs_up_is_a_failed_connection_not_a_refusal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    peer = ClosingPeer({})
    with caplog.at_level(logging.DEBUG, logger="kraft.shell.peers"):
        events = await exchange(peer, [lambda p: vote(1, p, pre_vote=False)], 1)
    assert isinstance(events[0], RequestFailed)
    assert "no ApiVersions answer" in events[0].reason
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
