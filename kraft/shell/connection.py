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
  answered by the dispatcher) closes the connection, as Kafka's SocketServer does.
- Last line of defence: any other exception while handling one connection's bytes is a bug (bad
  input is validated where it enters: `wire`, `kraft.shell.apis`), but it closes only that
  connection (logged once, with its traceback); it never reaches the server's nursery.
- Idle connections (no bytes received and no answer pending for `idle_timeout_ms`, Kafka's
  `connections.max.idle.ms`) are closed. `ConnectionTracker` caps the open connections in all
  and per client address (Kafka's `max.connections.per.ip`); at a cap the least recently active
  *idle* connection is closed to make room, so a client holding thousands of idle connections
  cannot lock a new one out; only when none is idle is the new connection refused.

- Authentication (SASL listeners, `kraft.shell.sasl`): until the client has authenticated, the
  connection itself answers ApiVersions (through the dispatcher), SaslHandshake and
  SaslAuthenticate, accepts frames of at most 512 KiB (Kafka's `sasl.server.max.receive.size`),
  and closes on anything else (ILLEGAL_SASL_STATE) or on a failed authentication
  (SASL_AUTHENTICATION_FAILED, answered after `failed_authentication_delay_ms`, so a client
  retrying in a loop pays the time, the node only a sleeping task). A client that has not
  authenticated within `authentication_timeout_ms` (a stalled handshake) is closed. Nothing it
  sends before that reaches the dispatcher, so it can neither vote, fetch nor describe.
  Failures are logged rate-limited (`FailureLog`): one line, then a count, never a flood.

`Dispatcher` decides what a request means (ApiVersions, Raft APIs, ...). It is awaited in the
reader task, so it may apply backpressure; long work must fill the slot later instead of blocking.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import trio

from kraft.shell import sasl
from wire.errors import DecodeError, FrameTooLargeError, UnsupportedRequestError, WireError
from wire.framing import FrameDecoder
from wire.headers import (
    RequestHeader,
    api_versions_unsupported_response,
    decode_request,
    encode_response,
)
from wire.messages.sasl_authenticate import SaslAuthenticateResponse
from wire.messages.sasl_handshake import SaslHandshakeResponse
from wire.registry import API_SPECS, API_VERSIONS_KEY

log = logging.getLogger(__name__)

RECEIVE_BYTES_MAX = 256 * 1024
# The only exceptions a connection swallows: the peer went away or stopped reading.
STREAM_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError, OSError)
_connection_ids = itertools.count(1)


# Kafka's `connections.max.idle.ms` default for brokers and controllers: 10 minutes.
IDLE_TIMEOUT_MS_DEFAULT = 600_000


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    frame_bytes_max: int = 104_857_600
    pending_responses_max: int = 64
    send_timeout_ms: int = 10_000
    idle_timeout_ms: int = IDLE_TIMEOUT_MS_DEFAULT
    # TLS handshake and SASL exchange together, from accept (a stalled client is closed).
    authentication_timeout_ms: int = 10_000
    failed_authentication_delay_ms: int = 100


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
        self,
        stream: trio.abc.Stream,
        dispatcher: Dispatcher,
        limits: ConnectionLimits,
        authenticator: sasl.SaslServer | None = None,
        failures: FailureLog | None = None,
    ) -> None:
        self.connection_id = next(_connection_ids)
        self.authenticator = authenticator
        self.failures = failures or FailureLog()
        self.peer = ""  # the client's address, for log lines
        # The listener it arrived on (kraft.shell.config.Listener); None in tests.
        self.listener: Any = None
        self._authentication_deadline = (
            trio.current_time() + limits.authentication_timeout_ms / 1000
        )
        self.stream = stream
        self.dispatcher = dispatcher
        self.limits = limits
        self.closed = False
        self._pending: deque[ResponseSlot] = deque()
        self._filled = trio.lowlevel.ParkingLot()
        self._drained = trio.lowlevel.ParkingLot()
        self._reader_done = False
        self.nursery: trio.Nursery | None = None
        self._cancel_scope = trio.CancelScope()
        self.last_active = trio.current_time()

    def __repr__(self) -> str:
        return f"InboundConnection({self.connection_id})"

    @property
    def idle(self) -> bool:
        """No request of this connection is waiting for its answer."""
        return not self._pending

    def close(self) -> None:
        """Close the connection from outside (eviction); safe before and after `run`."""
        self._cancel_scope.cancel()

    async def run(self) -> None:
        try:
            with self._cancel_scope:
                await self._run()
        except Exception:
            # A bug (remote input is validated where it enters), but one connection's: close it.
            log.exception("%r: closing after an unexpected error", self)

    async def _run(self) -> None:
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

    @property
    def authenticated(self) -> bool:
        return self.authenticator is None or self.authenticator.complete

    async def _reader(self) -> None:
        decoder = FrameDecoder(self.limits.frame_bytes_max)
        if not self.authenticated:
            decoder.frame_bytes_max = min(
                self.limits.frame_bytes_max, sasl.UNAUTHENTICATED_FRAME_BYTES_MAX
            )
        idle_timeout_s = self.limits.idle_timeout_ms / 1000
        while True:
            deadline = trio.current_time() + idle_timeout_s
            if not self.authenticated:
                deadline = min(deadline, self._authentication_deadline)
            with trio.move_on_at(deadline) as waiting:
                data = await self.stream.receive_some(RECEIVE_BYTES_MAX)
            if waiting.cancelled_caught:
                if not self.authenticated:
                    self.failures.record(
                        self.peer,
                        f"no authentication within {self.limits.authentication_timeout_ms} ms",
                    )
                    return
                if self._pending:
                    continue  # waiting for our own answers (a parked Fetch) is not idle
                log.info("%r: closing: idle for %d ms", self, self.limits.idle_timeout_ms)
                return
            if not data:
                return
            self.last_active = trio.current_time()
            try:
                frames = decoder.feed(data)
            except (FrameTooLargeError, DecodeError) as exc:
                if not self.authenticated:
                    self.failures.record(self.peer, f"before authentication: {exc}")
                else:
                    log.info("%r: closing: %s", self, exc)
                raise trio.BrokenResourceError(str(exc)) from None
            for payload in frames:
                while len(self._pending) >= self.limits.pending_responses_max:
                    await self._drained.park()
                if not self.authenticated:
                    if not await self._authenticate(payload):
                        return
                    if self.authenticated:
                        decoder.frame_bytes_max = self.limits.frame_bytes_max
                    continue
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
        if header.request_api_key in SASL_API_KEYS:
            # Already authenticated, or a listener without SASL: Kafka answers, and goes on.
            self._answer(header, _error_response(header, sasl.ILLEGAL_SASL_STATE))
            return True
        slot = self._reserve()
        try:
            await self.dispatcher.dispatch(self, header, body, slot)
        except CloseConnection as exc:
            log.info("%r: closing: %s", self, exc)
            self._pending.remove(slot)
            return False
        return True

    async def _authenticate(self, payload: bytes) -> bool:
        """One frame before authentication (module docstring); False: close the connection."""
        auth = self.authenticator
        assert auth is not None
        if auth.raw_tokens:  # after SaslHandshake v0: a bare token, answered bare
            step = auth.authenticate(payload)
            if step.failed:
                return await self._failed(step.error_message or "authentication failed")
            self._reserve().fill(len(step.token).to_bytes(4, "big") + step.token)
            self._log_success(auth)
            return True
        try:
            header, body = decode_request(payload)
        except UnsupportedRequestError as exc:
            if exc.api_key == API_VERSIONS_KEY and exc.correlation_id is not None:
                self._reserve().fill(api_versions_unsupported_response(exc.correlation_id))
                return True
            self.failures.record(self.peer, f"before authentication: {exc}")
            return False
        except WireError as exc:
            self.failures.record(self.peer, f"undecodable request before authentication: {exc}")
            return False
        api_key = header.request_api_key
        if api_key == API_VERSIONS_KEY:
            slot = self._reserve()
            await self.dispatcher.dispatch(self, header, body, slot)
            return True
        if api_key == SASL_HANDSHAKE_KEY:
            error_code = auth.handshake(body.mechanism, header.request_api_version)
            response = SaslHandshakeResponse(
                error_code=error_code, mechanisms=list(auth.mechanisms)
            )
            if error_code != 0:
                problem = (
                    f"SASL mechanism {body.mechanism!r} is not enabled"
                    if error_code == (sasl.UNSUPPORTED_SASL_MECHANISM)
                    else "a second SaslHandshake"
                )
                return await self._failed(problem, header, response, delay=False)
            self._answer(header, response)
            return True
        if api_key == SASL_AUTHENTICATE_KEY:
            step = auth.authenticate(body.auth_bytes)
            answer = SaslAuthenticateResponse(
                error_code=step.error_code, error_message=step.error_message, auth_bytes=step.token
            )
            if step.failed:
                return await self._failed(step.error_message or "", header, answer)
            self._answer(header, answer)
            self._log_success(auth)
            return True
        # Anything else before authentication: Kafka's ILLEGAL_SASL_STATE, then closed.
        name = API_SPECS[api_key].name if api_key in API_SPECS else f"api key {api_key}"
        return await self._failed(
            f"{name} before authentication (ILLEGAL_SASL_STATE)",
            header,
            _error_response(header, sasl.ILLEGAL_SASL_STATE),
            delay=False,
        )

    async def _failed(
        self,
        problem: str,
        header: RequestHeader | None = None,
        response: Any = None,
        *,
        delay: bool = True,
    ) -> bool:
        """Log (rate-limited), answer after the failure delay when there is an answer; False."""
        self.failures.record(self.peer, problem)
        if delay:
            await trio.sleep(self.limits.failed_authentication_delay_ms / 1000)
        if header is not None and response is not None:
            self._answer(header, response)
        return False

    def _log_success(self, auth: sasl.SaslServer) -> None:
        if auth.complete:
            log.debug("%r: %s authenticated as %s", self, auth.mechanism, auth.principal)

    def _answer(self, header: RequestHeader, response: Any) -> None:
        self._reserve().fill(
            encode_response(
                header.request_api_key,
                header.request_api_version,
                header.correlation_id,
                response,
            )
        )

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
                self.last_active = trio.current_time()
                continue
            if self._reader_done:
                # The reader stopped (EOF, bad frame): answers still being produced are dropped,
                # those already queued were sent above.
                cancel_scope.cancel()
                return
            await self._filled.park()


SASL_HANDSHAKE_KEY = SaslHandshakeResponse.API_KEY
SASL_AUTHENTICATE_KEY = SaslAuthenticateResponse.API_KEY
SASL_API_KEYS = frozenset({SASL_HANDSHAKE_KEY, SASL_AUTHENTICATE_KEY})


def _error_response(header: RequestHeader, error_code: int) -> Any:
    """The request's response with `error_code` at the top level (None when it has no such
    field: the connection then closes without an answer, as Kafka's does for some APIs)."""
    spec = API_SPECS.get(header.request_api_key)
    if spec is None:
        return None
    names = {f.name for f in dataclasses.fields(spec.response_cls)}
    if "error_code" not in names:
        return None
    response_cls: Any = spec.response_cls
    return response_cls(error_code=error_code)


class FailureLog:
    """Rate-limited log of refused connections (TLS or SASL failures): the first of each
    `LOG_INTERVAL_S` is one WARNING line, the rest are counted into the next one."""

    def __init__(self) -> None:
        self.count = 0
        self._unlogged = 0
        self._last_log_s: float | None = None

    def record(self, peer: str, problem: str) -> None:
        self.count += 1
        now_s = trio.current_time()
        if self._last_log_s is not None and now_s - self._last_log_s < LOG_INTERVAL_S:
            self._unlogged += 1
            return
        more = f" ({self._unlogged} more since the last such line)" if self._unlogged else ""
        log.warning("refused connection from %s: %s%s", peer or "?", problem, more)
        self._last_log_s = now_s
        self._unlogged = 0


# Kafka's default `max.connections` is unlimited; pykraft keeps a bound on file descriptors.
CONNECTIONS_MAX_DEFAULT = 4096
# Kafka's default `max.connections.per.ip` is unlimited; a quorum needs a handful per address
# (voters, observers, tools), a test machine a few dozen on 127.0.0.1.
CONNECTIONS_PER_IP_MAX_DEFAULT = 256
# Cap on how often refusals and evictions are logged, so a flood cannot flood the log too.
LOG_INTERVAL_S = 10.0


def peer_address(stream: trio.SocketStream) -> str:
    """The client's IP address ("" when the socket is already gone)."""
    try:
        name = stream.socket.getpeername()
    except OSError:
        return ""
    return str(name[0]) if isinstance(name, tuple) else str(name)


class ConnectionTracker:
    """Open inbound connections, by client address, within `connections_max` in all and
    `per_address_max` per address; see the module docstring for what happens at a cap."""

    def __init__(
        self,
        connections_max: int = CONNECTIONS_MAX_DEFAULT,
        per_address_max: int = CONNECTIONS_PER_IP_MAX_DEFAULT,
    ) -> None:
        self.connections_max = connections_max
        self.per_address_max = per_address_max
        self._by_address: dict[str, set[InboundConnection]] = {}
        self._count = 0
        self._last_log_s = -LOG_INTERVAL_S
        self.evicted = 0
        self.refused = 0

    def __len__(self) -> int:
        return self._count

    def count(self, address: str) -> int:
        return len(self._by_address.get(address, ()))

    def admit(self, address: str, connection: InboundConnection) -> bool:
        """Register `connection` from `address`, closing an idle one if a cap is reached; False
        (the caller closes it) when every connection in the way is busy."""
        same = self._by_address.get(address, set())
        if len(same) >= self.per_address_max and not self._evict(same, address):
            return self._refuse(f"{len(same)} connections from {address} are busy")
        if self._count >= self.connections_max:
            everyone = set().union(*self._by_address.values())
            if not self._evict(everyone, address):
                return self._refuse(f"{self._count} connections are busy")
        self._by_address.setdefault(address, set()).add(connection)
        self._count += 1
        return True

    def release(self, address: str, connection: InboundConnection) -> None:
        same = self._by_address.get(address)
        if same is None or connection not in same:
            return
        same.remove(connection)
        self._count -= 1
        if not same:
            del self._by_address[address]

    def _evict(self, candidates: set[InboundConnection], address: str) -> bool:
        idle = [c for c in candidates if c.idle and not c.closed]
        if not idle:
            return False
        victim = min(idle, key=lambda c: c.last_active)
        victim.close()
        # Forget it now: its task may not run before the next connection arrives.
        for key, same in list(self._by_address.items()):
            if victim in same:
                self.release(key, victim)
                break
        self.evicted += 1
        self._log(
            f"connection limit reached for {address}: closed the least recently active idle "
            f"connection ({self.evicted} so far)"
        )
        return True

    def _refuse(self, why: str) -> bool:
        self.refused += 1
        self._log(f"refusing a connection: {why} ({self.refused} refused so far)")
        return False

    def _log(self, message: str) -> None:
        now_s = trio.current_time()
        if now_s - self._last_log_s >= LOG_INTERVAL_S:
            self._last_log_s = now_s
            log.warning("%s", message)
