"""The proxy's I/O: accept clients, one upstream connection each, forward, tap, decode aside.

Theory of operation:
- Each accepted client connection gets its own upstream connection; two pumps copy bytes, one
  per direction, chunk by chunk as they arrive. Bytes are forwarded unchanged (except rewritten
  endpoints under `rewrite`), in order, with half-close passed on (`send_eof`).
- Each pump runs its chunks through a `FrameTap` (sans-I/O) that finds the frames, keeps a bounded
  copy of each (`capture_bytes_max`) and hands finished frames to the decoder *before* the chunk
  is forwarded (so a request is always queued before its response can be), without waiting.
- The decoder task drains the queue and decodes, pairs, renders and saves in a worker thread, so
  a slow decode or a slow terminal never holds the event loop that forwards. The queue has a
  byte budget (`queue_bytes_max`): past it, frames are queued as their first bytes only and show
  as "decoder behind" instead of growing memory.
- Under `rewrite`, the request tap notes (api key, version) per correlation id as soon as a
  request's first bytes pass; the response tap holds back whole Metadata, FindCoordinator and
  DescribeCluster responses, re-encodes them with every broker/controller endpoint replaced by a
  proxy listener (opened on first sight of an endpoint, forwarding to it) and sends that instead.
  The client's whole session then stays on the proxy.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import trio

from kraft.shell.proxy.exchange import ConnectionDecoder, Exchange, TopicNames
from kraft.shell.proxy.frames import (
    REQUEST_PEEK_BYTES,
    REWRITTEN_APIS,
    CapturedFrame,
    FrameTap,
    decode_response,
    encode_response_payload,
    peek_correlation,
    peek_request,
    rewrite_endpoints,
)

RECEIVE_BYTES_MAX = 65536
CAPTURE_BYTES_MAX_DEFAULT = 16 * 1024 * 1024
QUEUE_BYTES_MAX_DEFAULT = 64 * 1024 * 1024
CUT_PREFIX_BYTES = 64
DECODE_BATCH_MAX = 256


@dataclass(frozen=True)
class ProxyOptions:
    listen_host: str
    listen_port: int
    upstream_host: str
    upstream_port: int
    rewrite: bool = False
    advertised_host: str | None = None  # the host put in rewritten endpoints (default: listen)
    capture_bytes_max: int = CAPTURE_BYTES_MAX_DEFAULT
    queue_bytes_max: int = QUEUE_BYTES_MAX_DEFAULT


@dataclass
class ProxyStats:
    connections: int = 0
    exchanges: int = 0
    undecoded_frames: int = 0
    rewritten_frames: int = 0
    bytes_forwarded: int = 0
    listeners: dict[str, int] = field(default_factory=dict)  # upstream "host:port" → proxy port


@dataclass
class _Event:
    kind: str  # "request", "response", "close", "broken"
    connection: int
    frame: CapturedFrame | None = None
    at_s: float = 0.0
    text: str = ""


class Proxy:
    """Run with `await proxy.serve(task_status=...)`; `on_exchange` and `on_frame` (for --save)
    are called from the decoder's worker thread, in order; `on_note` gets one-line notices."""

    def __init__(
        self,
        options: ProxyOptions,
        on_exchange: Callable[[Exchange], None],
        on_frame: Callable[[int, str, CapturedFrame], None] | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        self.options = options
        self.on_exchange = on_exchange
        self.on_frame = on_frame
        self.on_note = on_note or (lambda text: None)
        self.stats = ProxyStats()
        self.topics = TopicNames()
        self._send, self._receive = trio.open_memory_channel[_Event](math.inf)
        self._queued_bytes = 0
        self._decoders: dict[int, ConnectionDecoder] = {}
        self._nursery: trio.Nursery | None = None
        self._routes: dict[tuple[str, int], int] = {}
        self.port = options.listen_port

    # ------------------------------------------------------------------------- listeners

    async def serve(self, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self._decode_loop)
                upstream = (self.options.upstream_host, self.options.upstream_port)
                self.port = await nursery.start(self._listen, upstream, self.options.listen_port)
                task_status.started(self.port)
        finally:
            # Stopped (Ctrl-C, SIGTERM, a cancelled scope): everything that went through is
            # still shown. Frames forwarded in the last moments may be queued behind the
            # decoder; each cut connection's unanswered requests show as such.
            self._drain()

    def _drain(self) -> None:
        """Decode, synchronously, what the decoder task had not reached, then close every
        connection's decoder. Runs after the nursery ended, so no worker thread is decoding
        (a running `to_thread` batch is waited for, not abandoned)."""
        left: list[_Event] = []
        while True:
            try:
                left.append(self._receive.receive_nowait())
            except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
                break
        self._decode_batch(left)
        self._decode_batch([_Event("close", connection) for connection in list(self._decoders)])
        self._queued_bytes = 0

    async def _listen(
        self,
        upstream: tuple[str, int],
        port: int,
        *,
        task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        listeners = await trio.open_tcp_listeners(port, host=self.options.listen_host)
        bound = listeners[0].socket.getsockname()[1]
        self._routes[upstream] = bound
        self.stats.listeners[f"{upstream[0]}:{upstream[1]}"] = bound
        self.on_note(
            f"listening on {self.options.listen_host}:{bound} → {upstream[0]}:{upstream[1]}"
        )
        task_status.started(bound)

        async def handler(stream: trio.SocketStream) -> None:
            await self._connection(stream, upstream)

        await trio.serve_listeners(handler, listeners)

    def _remap(self, host: str, port: int) -> tuple[str, int]:
        """The proxy's endpoint for `host:port`, opening a listener on first sight.

        Synchronous (a stdlib socket bound and handed to trio), so a response being rewritten
        inside the tap never waits for it.
        """
        key = (host, port)
        routed = self._routes.get(key)
        if routed is None:
            sock = socket.socket(
                socket.AF_INET6 if ":" in self.options.listen_host else socket.AF_INET
            )
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.options.listen_host, 0))
            sock.listen()
            listener = trio.SocketListener(trio.socket.from_stdlib_socket(sock))
            routed = sock.getsockname()[1]
            self._routes[key] = routed
            self.stats.listeners[f"{host}:{port}"] = routed
            self.on_note(f"listening on {self.options.listen_host}:{routed} → {host}:{port}")

            async def handler(stream: trio.SocketStream) -> None:
                await self._connection(stream, key)

            assert self._nursery is not None
            self._nursery.start_soon(trio.serve_listeners, handler, [listener])
        return self.options.advertised_host or self.options.listen_host, routed

    # ------------------------------------------------------------------------ connections

    async def _connection(self, client: trio.SocketStream, upstream: tuple[str, int]) -> None:
        self.stats.connections += 1
        connection = self.stats.connections
        peer = client.socket.getpeername()
        name = f"{peer[0]}:{peer[1]}"
        try:
            server = await trio.open_tcp_stream(*upstream)
        except OSError as e:
            self.on_note(f"#{connection} {name}: cannot reach {upstream[0]}:{upstream[1]}: {e}")
            await client.aclose()
            return
        self._send.send_nowait(_Event("open", connection, text=name))
        inflight: dict[int, tuple[int, int]] = {}

        def note_request(peek: bytes) -> bool:
            fields = peek_request(peek)
            if fields is not None:
                inflight[fields[2]] = (fields[0], fields[1])
            return False

        def hold_response(peek: bytes) -> bool:
            correlation_id = peek_correlation(peek)
            api = inflight.get(correlation_id) if correlation_id is not None else None
            return api is not None and api[0] in REWRITTEN_APIS

        def transform(payload: bytes) -> bytes:
            correlation_id = peek_correlation(payload)
            assert correlation_id is not None
            api_key, api_version = inflight[correlation_id]
            _, body, _ = decode_response(api_key, api_version, payload)
            rewritten = rewrite_endpoints(body, api_version, self._remap)
            self.stats.rewritten_frames += 1
            return encode_response_payload(api_key, api_version, correlation_id, rewritten)

        request_tap = FrameTap(
            self.options.capture_bytes_max, REQUEST_PEEK_BYTES, hold=note_request
        )
        response_tap = FrameTap(
            self.options.capture_bytes_max,
            4,
            hold=hold_response if self.options.rewrite else None,
            transform=transform,
        )

        async def pump(source: trio.SocketStream, sink: trio.SocketStream, kind: str) -> None:
            tap = request_tap if kind == "request" else response_tap
            try:
                while True:
                    chunk = await source.receive_some(RECEIVE_BYTES_MAX)
                    if not chunk:
                        break
                    out, frames = tap.feed(chunk)
                    now = time.monotonic()
                    for frame in frames:
                        self._queue(_Event(kind, connection, frame, now))
                    if tap.broken is not None and not reported_broken[kind]:
                        reported_broken[kind] = True
                        self._queue(_Event("broken", connection, text=f"{kind}s: {tap.broken}"))
                    if out:
                        self.stats.bytes_forwarded += len(out)
                        await sink.send_all(out)
                await sink.send_eof()
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                nursery.cancel_scope.cancel()

        reported_broken = {"request": False, "response": False}
        try:
            async with client, server, trio.open_nursery() as nursery:
                nursery.start_soon(pump, client, server, "request")
                nursery.start_soon(pump, server, client, "response")
        finally:
            self._send.send_nowait(_Event("close", connection))

    def _queue(self, event: _Event) -> None:
        frame = event.frame
        if frame is not None:
            if self._queued_bytes + len(frame.data) > self.options.queue_bytes_max:
                frame = CapturedFrame(
                    frame.size_bytes,
                    frame.data[:CUT_PREFIX_BYTES],
                    cut_reason="the decoder fell behind (queue full): not decoded",
                )
                event.frame = frame
            self._queued_bytes += len(frame.data)
        self._send.send_nowait(event)

    # ---------------------------------------------------------------------------- decoding

    async def _decode_loop(self) -> None:
        async for first in self._receive:
            batch = [first]
            while len(batch) < DECODE_BATCH_MAX:
                try:
                    batch.append(self._receive.receive_nowait())
                except trio.WouldBlock:
                    break
            await trio.to_thread.run_sync(self._decode_batch, batch)
            self._queued_bytes -= sum(len(e.frame.data) for e in batch if e.frame is not None)

    def _decode_batch(self, batch: list[_Event]) -> None:
        for event in batch:
            if event.kind == "open":
                self._decoders[event.connection] = ConnectionDecoder(
                    event.connection, event.text, self.topics
                )
                continue
            decoder = self._decoders.get(event.connection)
            if decoder is None:
                continue
            if event.kind == "close":
                for left in decoder.close():
                    self._finish(left)
                del self._decoders[event.connection]
                continue
            if event.kind == "broken":
                self.on_note(f"#{event.connection} not Kafka framing any more: {event.text}")
                continue
            assert event.frame is not None
            if self.on_frame is not None:
                self.on_frame(event.connection, event.kind, event.frame)
            exchange: Exchange | None
            if event.kind == "request":
                exchange = decoder.request(event.frame, event.at_s)
            else:
                exchange = decoder.response(event.frame, event.at_s)
            if exchange is not None:
                self._finish(exchange)

    def _finish(self, exchange: Exchange) -> None:
        self.stats.exchanges += 1
        self.stats.undecoded_frames += len(exchange.undecoded)
        self.on_exchange(exchange)


def write_saved_frame(out: TextIO, connection: int, kind: str, frame: CapturedFrame) -> None:
    """One `--save` line: `CONN > HEX` (request) or `CONN < HEX` (response), as sent upstream
    and as the broker sent it (before any rewrite); a cut frame is a comment."""
    arrow = ">" if kind == "request" else "<"
    if not frame.complete:
        out.write(
            f"# {connection} {arrow} {frame.size_bytes} bytes not saved: {frame.cut_reason}\n"
        )
        return
    out.write(
        f"{connection} {arrow} {(len(frame.data)).to_bytes(4, 'big').hex()}{frame.data.hex()}\n"
    )
