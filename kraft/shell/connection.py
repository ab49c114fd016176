"""One inbound Kafka connection: frames in, responses out in request order, bounded everything.

Theory of operation (model: hypercorn's trio `TCPServer`, a thin shell over a sans-I/O protocol):
- The reader task feeds received bytes to `wire.framing.FrameDecoder` (size limit checked on the
  4-byte prefix, before buffering), decodes each request and reserves a `ResponseSlot` at the
  tail of the connection's pending queue *before* dispatching it, so responses leave in request
  order whatever order they are produced in (a Fetch parked for 500 ms holds back the answers to
  requests sent after it on the same connection, exactly as a Kafka client expects).
- The writer task waits for the head slot to be filled, sends it (and every filled slot behind it)
  with one `send_all` under a send timeout, and pops them.
- Bounds: at most `pending_responses_max` requests in flight per connection (the reader stops
  reading, so TCP pushes back on the client); a frame above `frame_bytes_max` closes the
  connection; a client that does not read its responses for `send_timeout_ms` is disconnected,
  so it can never block the node or other connections (nothing else ever waits on a connection).
- Undecodable input, an unknown API or an unsupported version (other than ApiVersions, which is
  answered by the dispatcher) closes the connection, as Kafka's SocketServer does. Only stream
  errors are caught here; anything else is a bug and propagates.

`Dispatcher` decides what a request means (ApiVersions, Raft APIs, ...). It is awaited in the
reader task, so it may apply backpressure; long work must fill the slot later instead of blocking.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import trio

from wire.errors import DecodeError, FrameTooLargeError, UnsupportedRequestError, WireError
from wire.framing import FrameDecoder
from wire.headers import RequestHeader, api_versions_unsupported_response, decode_request

log = logging.getLogger(__name__)

RECEIVE_BYTES_MAX = 256 * 1024
# The only exceptions a connection swallows: the peer went away or stopped reading.
STREAM_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError, OSError)
_connection_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    frame_bytes_max: int = 104_857_600
    pending_responses_max: int = 64
    send_timeout_ms: int = 10_000


class ResponseSlot:
    """The place one response will occupy in its connection's output order."""

    __slots__ = ("_connection", "frame")

    def __init__(self, connection: InboundConnection) -> None:
        self._connection = connection
        self.frame: bytes | None = None

    def fill(self, frame: bytes) -> None:
        """Put the encoded response frame (size prefix included) in place; idempotent-safe."""
        if self.frame is None:
            self.frame = frame
            self._connection._filled.unpark_all()

    @property
    def connection(self) -> InboundConnection:
        return self._connection


class Dispatcher(Protocol):
    async def dispatch(
        self, connection: InboundConnection, header: RequestHeader, body: Any, slot: ResponseSlot
    ) -> None:
        """Handle one decoded request; fill `slot` now or later (never leave it unfilled unless
        the connection closes)."""
        ...

    def connection_closed(self, connection: InboundConnection) -> None:
        """The connection is gone: forget every request of it still awaiting an answer."""
        ...


class CloseConnection(Exception):
    """Raised by a dispatcher to close the connection (Kafka's answer to unserved APIs)."""


class InboundConnection:
    def __init__(
        self, stream: trio.abc.Stream, dispatcher: Dispatcher, limits: ConnectionLimits
    ) -> None:
        self.connection_id = next(_connection_ids)
        self.stream = stream
        self.dispatcher = dispatcher
        self.limits = limits
        self.closed = False
        self._pending: deque[ResponseSlot] = deque()
        self._filled = trio.lowlevel.ParkingLot()
        self._drained = trio.lowlevel.ParkingLot()
        self._reader_done = False
        self.nursery: trio.Nursery | None = None

    def __repr__(self) -> str:
        return f"InboundConnection({self.connection_id})"

    async def run(self) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self.nursery = nursery
                nursery.start_soon(self._writer_task, nursery.cancel_scope)
                try:
                    await self._reader()
                except STREAM_ERRORS:
                    nursery.cancel_scope.cancel()
                finally:
                    self._reader_done = True
                    self._filled.unpark_all()
        finally:
            self.closed = True
            self.dispatcher.connection_closed(self)
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(self.stream)

    async def _reader(self) -> None:
        decoder = FrameDecoder(self.limits.frame_bytes_max)
        while True:
            data = await self.stream.receive_some(RECEIVE_BYTES_MAX)
            if not data:
                return
            try:
                frames = decoder.feed(data)
            except (FrameTooLargeError, DecodeError) as exc:
                log.info("%r: closing: %s", self, exc)
                raise trio.BrokenResourceError(str(exc)) from None
            for payload in frames:
                while len(self._pending) >= self.limits.pending_responses_max:
                    await self._drained.park()
                if not await self._dispatch_one(payload):
                    return

    async def _dispatch_one(self, payload: bytes) -> bool:
        """Decode and dispatch one frame; False when the connection must close."""
        try:
            header, body = decode_request(payload)
        except UnsupportedRequestError as exc:
            if exc.api_key == API_VERSIONS_KEY and exc.correlation_id is not None:
                slot = self._reserve()
                slot.fill(api_versions_unsupported_response(exc.correlation_id))
                return True
            log.info("%r: closing: %s", self, exc)
            return False
        except WireError as exc:
            log.info("%r: closing: undecodable request: %s", self, exc)
            return False
        slot = self._reserve()
        try:
            await self.dispatcher.dispatch(self, header, body, slot)
        except CloseConnection as exc:
            log.info("%r: closing: %s", self, exc)
            self._pending.remove(slot)
            return False
        return True

    def _reserve(self) -> ResponseSlot:
        slot = ResponseSlot(self)
        self._pending.append(slot)
        return slot

    async def _writer_task(self, cancel_scope: trio.CancelScope) -> None:
        try:
            await self._writer(cancel_scope)
        except STREAM_ERRORS as exc:
            log.info("%r: closing: %s", self, exc or type(exc).__name__)
            cancel_scope.cancel()

    async def _writer(self, cancel_scope: trio.CancelScope) -> None:
        send_timeout_s = self.limits.send_timeout_ms / 1000
        pending = self._pending
        while True:
            if pending and pending[0].frame is not None:
                frames: list[bytes] = []
                while pending and pending[0].frame is not None:
                    frame = pending.popleft().frame
                    assert frame is not None
                    frames.append(frame)
                self._drained.unpark_all()
                with trio.fail_after(send_timeout_s):
                    await self.stream.send_all(frames[0] if len(frames) == 1 else b"".join(frames))
                continue
            if self._reader_done:
                # The reader stopped (EOF, bad frame): answers still being produced are dropped,
                # those already queued were sent above.
                cancel_scope.cancel()
                return
            await self._filled.park()


API_VERSIONS_KEY = 18
