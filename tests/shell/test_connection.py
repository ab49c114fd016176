"""`kraft.shell.connection` over trio memory streams: order, bounds, closing rules."""

from __future__ import annotations

import contextlib
import struct
from typing import Any

import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from kraft.shell.connection import (
    CloseConnection,
    ConnectionLimits,
    InboundConnection,
    ResponseSlot,
)
from wire.framing import FrameDecoder
from wire.headers import RequestHeader, decode_response, encode_request, encode_response
from wire.messages.api_versions import ApiVersionsResponse
from wire.messages.describe_quorum import DescribeQuorumRequest, DescribeQuorumResponse
from wire.registry import API_VERSIONS_KEY

DESCRIBE_QUORUM = DescribeQuorumRequest.API_KEY
API_VERSIONS = API_VERSIONS_KEY


class FakeDispatcher:
    """Answers DescribeQuorum after a delay given by the correlation id (ms), others at once."""

    def __init__(self) -> None:
        self.closed: list[InboundConnection] = []
        self.seen: list[int] = []

    async def dispatch(
        self, connection: InboundConnection, header: RequestHeader, body: Any, slot: ResponseSlot
    ) -> None:
        self.seen.append(header.correlation_id)
        if header.request_api_key == 999:
            raise CloseConnection("unserved")
        response = DescribeQuorumResponse(error_code=header.correlation_id % 100)

        async def later() -> None:
            await trio.sleep(header.correlation_id / 1000)
            slot.fill(encode_response(DESCRIBE_QUORUM, 2, header.correlation_id, response))

        assert connection.nursery is not None
        connection.nursery.start_soon(later)

    def connection_closed(self, connection: InboundConnection) -> None:
        self.closed.append(connection)


def request(correlation_id: int) -> bytes:
    return encode_request(DESCRIBE_QUORUM, 2, correlation_id, "t", DescribeQuorumRequest())


async def read_frames(stream: trio.abc.ReceiveStream, count: int) -> list[bytes]:
    decoder = FrameDecoder()
    frames: list[bytes] = []
    while len(frames) < count:
        data = await stream.receive_some()
        if not data:
            break
        frames.extend(decoder.feed(data))
    return frames


async def test_responses_leave_in_request_order() -> None:
    client, server = trio.testing.memory_stream_pair()
    dispatcher = FakeDispatcher()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(InboundConnection(server, dispatcher, ConnectionLimits()).run)
        # The first answer is ready last (500 ms), the others at once.
        await client.send_all(request(500) + request(1) + request(2) + request(3))
        frames = await read_frames(client, 4)
        ids = [decode_response(DESCRIBE_QUORUM, 2, f)[0] for f in frames]
        assert ids == [500, 1, 2, 3]
        await client.aclose()
    assert len(dispatcher.closed) == 1


async def test_pending_responses_are_bounded() -> None:
    client, server = trio.testing.memory_stream_pair()
    dispatcher = FakeDispatcher()
    limits = ConnectionLimits(pending_responses_max=3)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(InboundConnection(server, dispatcher, limits).run)
        await client.send_all(b"".join(request(900 + i) for i in range(6)))
        await trio.sleep(0.1)
        assert dispatcher.seen == [900, 901, 902]  # the reader waits for the writer
        frames = await read_frames(client, 6)
        assert [decode_response(DESCRIBE_QUORUM, 2, f)[0] for f in frames] == list(range(900, 906))
        nursery.cancel_scope.cancel()


async def test_oversize_frame_closes() -> None:
    client, server = trio.testing.memory_stream_pair()
    dispatcher = FakeDispatcher()
    connection = InboundConnection(server, dispatcher, ConnectionLimits(frame_bytes_max=1024))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(connection.run)
        await client.send_all(struct.pack(">i", 1025))
        assert await client.receive_some() == b""
    assert dispatcher.closed == [connection]
    assert dispatcher.seen == []


async def test_unserved_api_and_garbage_close() -> None:
    for payload in (
        struct.pack(">i", 8) + struct.pack(">hhi", 999, 0, 5),
        struct.pack(">i", 3) + b"abc",
        request(1)[:-1] + b"\x09",
    ):
        client, server = trio.testing.memory_stream_pair()
        dispatcher = FakeDispatcher()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(InboundConnection(server, dispatcher, ConnectionLimits()).run)
            await client.send_all(payload)
            assert await client.receive_some() == b""
        assert len(dispatcher.closed) == 1


async def test_unsupported_api_versions_gets_v0_error() -> None:
    client, server = trio.testing.memory_stream_pair()
    dispatcher = FakeDispatcher()
    header = struct.pack(">hhi", API_VERSIONS, 77, 42) + struct.pack(">h", 1) + b"c" + b"\x00"
    async with trio.open_nursery() as nursery:
        nursery.start_soon(InboundConnection(server, dispatcher, ConnectionLimits()).run)
        await client.send_all(struct.pack(">i", len(header)) + header)
        (frame,) = await read_frames(client, 1)
        correlation_id, body = decode_response(API_VERSIONS, 0, frame)
        assert correlation_id == 42
        assert isinstance(body, ApiVersionsResponse)
        assert body.error_code == 35
        nursery.cancel_scope.cancel()


async def test_client_that_stops_reading_is_dropped(autojump_clock: trio.abc.Clock) -> None:
    client, server = trio.testing.lockstep_stream_pair()
    dispatcher = FakeDispatcher()
    limits = ConnectionLimits(send_timeout_ms=2000)
    connection = InboundConnection(server, dispatcher, limits)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(connection.run)
        await client.send_all(request(0))
        # Never read: the lockstep stream blocks the writer; the send timeout drops us.
        await trio.sleep(5)
        assert connection.closed
        assert dispatcher.closed == [connection]
        nursery.cancel_scope.cancel()


@given(chunks=st.lists(st.binary(max_size=64), max_size=8))
@settings(max_examples=200, deadline=None)
def test_any_bytes_are_answered_or_closed_never_crash(chunks: list[bytes]) -> None:
    async def main() -> None:
        client, server = trio.testing.memory_stream_pair()
        dispatcher = FakeDispatcher()
        connection = InboundConnection(server, dispatcher, ConnectionLimits(frame_bytes_max=256))
        async with trio.open_nursery() as nursery:
            nursery.start_soon(connection.run)
            with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                for chunk in chunks:
                    await client.send_all(chunk)
                await client.send_eof()
            with trio.fail_after(5):
                while await client.receive_some():
                    pass
        assert connection.closed
        assert dispatcher.closed == [connection]

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


# ------------------------------------------------------------- issue #12: bounded, never fatal


class BrokenDispatcher(FakeDispatcher):
    """Raises an unexpected error for api key 55 version 0 (a bug in some handler)."""

    async def dispatch(
        self, connection: InboundConnection, header: RequestHeader, body: Any, slot: ResponseSlot
    ) -> None:
        if header.request_api_version == 0:
            raise RuntimeError("handler bug")
        await super().dispatch(connection, header, body, slot)


async def test_an_unexpected_error_closes_only_that_connection(caplog: Any) -> None:
    dispatcher = BrokenDispatcher()
    bad_client, bad_server = trio.testing.memory_stream_pair()
    good_client, good_server = trio.testing.memory_stream_pair()
    bad = InboundConnection(bad_server, dispatcher, ConnectionLimits())
    async with trio.open_nursery() as nursery:  # the server's nursery: it must survive
        nursery.start_soon(bad.run)
        nursery.start_soon(InboundConnection(good_server, dispatcher, ConnectionLimits()).run)
        await bad_client.send_all(
            encode_request(DESCRIBE_QUORUM, 0, 1, "t", DescribeQuorumRequest())
        )
        with trio.fail_after(5):
            assert await bad_client.receive_some() == b""
        assert bad.closed and dispatcher.closed == [bad]
        await good_client.send_all(request(3))
        frames = await read_frames(good_client, 1)
        assert decode_response(DESCRIBE_QUORUM, 2, frames[0])[0] == 3
        nursery.cancel_scope.cancel()
    errors = [r for r in caplog.records if "unexpected error" in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info is not None


async def test_idle_connections_close_busy_ones_stay(autojump_clock: trio.abc.Clock) -> None:
    dispatcher = FakeDispatcher()
    limits = ConnectionLimits(idle_timeout_ms=1_000)
    _idle_client, idle_server = trio.testing.memory_stream_pair()
    busy_client, busy_server = trio.testing.memory_stream_pair()
    idle = InboundConnection(idle_server, dispatcher, limits)
    busy = InboundConnection(busy_server, dispatcher, limits)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(idle.run)
        nursery.start_soon(busy.run)
        await busy_client.send_all(request(2_500))  # answered after 2.5 s: not idle meanwhile
        await trio.sleep(0.9)
        assert not idle.closed
        await trio.sleep(0.2)
        assert idle.closed and not busy.closed
        frames = await read_frames(busy_client, 1)
        assert decode_response(DESCRIBE_QUORUM, 2, frames[0])[0] == 2_500
        await trio.sleep(1.1)
        assert busy.closed  # idle once its answer left
        nursery.cancel_scope.cancel()


async def test_many_idle_connections_from_one_address_cannot_lock_out_a_new_one() -> None:
    from kraft.shell.connection import ConnectionTracker

    dispatcher = FakeDispatcher()
    tracker = ConnectionTracker(connections_max=50, per_address_max=10)
    async with trio.open_nursery() as nursery:
        hostile = []
        for _ in range(200):  # far above both caps, all idle
            client, server = trio.testing.memory_stream_pair()
            connection = InboundConnection(server, dispatcher, ConnectionLimits())
            assert tracker.admit("10.0.0.66", connection)
            nursery.start_soon(connection.run)
            hostile.append((client, connection))
            await trio.sleep(0)
        assert tracker.count("10.0.0.66") == 10 and len(tracker) == 10
        # A newcomer from the same address, and one from elsewhere, both get in and are served.
        for address in ("10.0.0.66", "10.0.0.7"):
            client, server = trio.testing.memory_stream_pair()
            connection = InboundConnection(server, dispatcher, ConnectionLimits())
            assert tracker.admit(address, connection)
            nursery.start_soon(connection.run)
            await client.send_all(request(1))
            frames = await read_frames(client, 1)
            assert decode_response(DESCRIBE_QUORUM, 2, frames[0])[0] == 1
        await trio.sleep(0.01)
        # The evicted connections were really closed, oldest first.
        closed = [c for _, c in hostile if c.closed]
        assert len(closed) >= 190 and not hostile[-1][1].closed
        nursery.cancel_scope.cancel()


async def test_busy_connections_are_not_evicted_the_newcomer_is_refused() -> None:
    from kraft.shell.connection import ConnectionTracker

    dispatcher = FakeDispatcher()
    tracker = ConnectionTracker(connections_max=3, per_address_max=2)
    async with trio.open_nursery() as nursery:
        for address in ("a", "a", "b"):
            client, server = trio.testing.memory_stream_pair()
            connection = InboundConnection(server, dispatcher, ConnectionLimits())
            assert tracker.admit(address, connection)
            nursery.start_soon(connection.run)
            await client.send_all(request(60_000))  # a long answer pending: busy
        await trio.sleep(0.05)
        newcomer = InboundConnection(
            trio.testing.memory_stream_pair()[1], dispatcher, ConnectionLimits()
        )
        assert not tracker.admit("a", newcomer)  # per-address cap, all busy
        assert not tracker.admit("c", newcomer)  # global cap, all busy
        assert tracker.refused == 2 and tracker.evicted == 0
        nursery.cancel_scope.cancel()


def test_connection_limits_are_configured_with_kafkas_keys() -> None:
    from kraft.shell.config import ConfigError, parse_config

    base = {
        "node.id": "1",
        "process.roles": "controller",
        "listeners": "PLAINTEXT://localhost:9092",
        "controller.listener.names": "PLAINTEXT",
        "controller.quorum.voters": "1@localhost:9092",
        "log.dirs": "/tmp/x",
    }
    default = parse_config(base)
    assert default.connections_per_ip_max is None and default.connections_idle_ms is None
    config = parse_config(
        {**base, "max.connections.per.ip": "20", "connections.max.idle.ms": "30000"}
    )
    assert (config.connections_per_ip_max, config.connections_idle_ms) == (20, 30_000)
    assert config.ignored_keys == ()
    for bad in ({"max.connections.per.ip": "0"}, {"connections.max.idle.ms": "x"}):
        try:
            parse_config({**base, **bad})
        except ConfigError as exc:
            assert "\n" not in str(exc)
        else:
            raise AssertionError(f"{bad} accepted")
