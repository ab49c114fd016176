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

DESCRIBE_QUORUM = 55
API_VERSIONS = 18


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
