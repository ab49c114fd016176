"""Outbound connections to the other voters (and bootstrap servers), one task per destination.

Theory of operation (Kafka's `RaftManager` network client, RAFT-BRIEF §1.6):
- One connection and at most ONE request in flight per destination; further requests wait in a
  bounded per-destination queue (`queue_max`). When the queue is full the request is failed at
  once (`RequestFailed`): the core retries on its own schedule, nothing blocks.
- Connect failures back off exponentially from `reconnect_backoff_ms` to
  `reconnect_backoff_max_ms` (50 → 500 ms, as Kafka) and fail every queued request, so the core
  learns quickly that the destination is unreachable.
- Each answer is decoded and translated to the core's value here and handed to the node loop as
  `ResponseReceived`; a broken stream, an undecodable answer or an answer that takes longer than
  the request's own timeout (plus a little) closes the connection and reports `RequestFailed`.
  Timeouts as the core sees them are the core's business; this one only bounds the socket.
- Every connection starts with ApiVersions and each request goes out at the newest version both
  sides speak (`kraft.shell.negotiation`, as Kafka's NetworkClient); a request the peer cannot
  take is answered locally with UNSUPPORTED_VERSION. Client id `raft-client-<node id>` as Kafka's.
- Bounded (issue #12 item 4): destinations come from configuration *and* from endpoints peers
  name in their answers, so their number is capped (`peers_max`) and a destination with nothing
  to send for `idle_timeout_ms` closes its connection and ends its task (recreated on demand).
  At the cap, the least recently used idle destination makes room; when every destination is
  busy the new request fails at once (the core retries it later), a busy one is never evicted.
- Security (issue #14): connections use the controller listener's protocol
  (`kraft.shell.security.ClientSecurity`): TLS with the node's keys, then, on SASL, SaslHandshake
  v1 and SaslAuthenticate before ApiVersions, as Kafka's SaslClientAuthenticator. A TLS or SASL
  refusal is logged (WARNING) and backed off like a refused version negotiation.
- A destination that cannot be reached for any reason (refused, unresolvable, a host name the
  resolver cannot even encode) fails its requests; nothing about one destination ends the node.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import trio

from kraft.events import Event, RequestFailed, ResponseReceived
from kraft.ready import OutboundRequest
from kraft.shell import apis, negotiation, sasl, security
from kraft.shell.connection import STREAM_ERRORS
from kraft.shell.identity import METADATA_LOG, TopicIdentity
from kraft.types import ReplicaAddress
from wire.errors import WireError
from wire.framing import FrameDecoder
from wire.headers import decode_response, encode_request
from wire.messages.sasl_authenticate import SaslAuthenticateRequest
from wire.messages.sasl_handshake import SaslHandshakeRequest

log = logging.getLogger(__name__)

SOCKET_SLACK_MS = 1000
# SaslHandshake v1 (tokens in SaslAuthenticate) and SaslAuthenticate v1: what every Kafka since
# 1.0 speaks, pykraft included.
SASL_HANDSHAKE_VERSION = 1
SASL_AUTHENTICATE_VERSION = 1
Stream = trio.SocketStream | trio.SSLStream[trio.SocketStream]
RECEIVE_BYTES_MAX = 1024 * 1024

Deliver = Callable[[Event], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PeerLimits:
    queue_max: int = 64
    reconnect_backoff_ms: int = 50
    reconnect_backoff_max_ms: int = 500
    connect_timeout_ms: int = 2000
    frame_bytes_max: int = 104_857_600
    # Voters and bootstrap servers are a handful; anything beyond this came from answers.
    peers_max: int = 64
    # As Kafka's client `connections.max.idle.ms` (9 minutes); the Raft traffic to a live
    # voter never idles that long, so only forgotten destinations expire.
    idle_timeout_ms: int = 540_000


class Peer:
    """The connection to one destination and its queue of requests."""

    def __init__(
        self,
        address: ReplicaAddress,
        deliver: Deliver,
        *,
        client_id: str,
        listener_name: str,
        limits: PeerLimits,
        topic: TopicIdentity = METADATA_LOG,
        security_: security.ClientSecurity = security.PLAINTEXT_CLIENT,
    ) -> None:
        self.address = address
        self._security = security_
        self._tls_warned = False
        self._topic = topic
        self._deliver = deliver
        self._client_id = client_id
        self._listener_name = listener_name
        self._limits = limits
        self._queue: deque[OutboundRequest] = deque()
        self._wakeup = trio.lowlevel.ParkingLot()
        self._correlation_ids = itertools.count(1)
        self.connected = False
        # A request has been taken from the queue and not yet answered or failed.
        self.busy = False
        # Set (synchronously, with no checkpoint after the idle check) when the task ends:
        # from then on `submit` refuses, and `Peers` makes a new Peer for the address.
        self.finished = False
        self.last_used = trio.current_time()
        self.cancel_scope = trio.CancelScope()

    @property
    def idle(self) -> bool:
        return not self._queue and not self.busy

    def submit(self, request: OutboundRequest) -> bool:
        """Queue `request`; False (the caller reports failure) when the queue is full."""
        if self.finished or len(self._queue) >= self._limits.queue_max:
            return False
        self._queue.append(request)
        self.last_used = trio.current_time()
        self._wakeup.unpark_all()
        return True

    async def _wait_for_request(self) -> bool:
        """Wait until a request is queued; False after `idle_timeout_ms` without one."""
        with trio.move_on_after(self._limits.idle_timeout_ms / 1000):
            while not self._queue:
                await self._wakeup.park()
        if self._queue:
            return True
        self.finished = True  # no checkpoint since the queue was seen empty
        return False

    async def run(self, on_finished: Callable[[Peer], None] | None = None) -> None:
        try:
            with self.cancel_scope:
                await self._run()
        finally:
            # The queue is empty here: the task ends when idle (checked with no checkpoint
            # since), by eviction (idle peers only) or at shutdown; `submit` refuses from now on.
            self.finished = True
            if on_finished is not None:
                on_finished(self)

    async def _run(self) -> None:
        backoff_ms = self._limits.reconnect_backoff_ms
        while True:
            if not await self._wait_for_request():
                log.debug("destination %s idle: closing", self.address)
                return
            stream: Stream | None = None
            try:
                with trio.fail_after(self._limits.connect_timeout_ms / 1000):
                    stream = await security.open_stream(
                        self.address.host, self.address.port, self._security
                    )
            # ValueError: trio raises UnicodeError (IDNA) for a host it cannot encode. Hosts
            # from peers are validated on entry (apis); this covers every other source.
            # BrokenResourceError: the TLS handshake failed (an untrusted or expired certificate).
            except (OSError, trio.TooSlowError, trio.BrokenResourceError, ValueError) as exc:
                if isinstance(exc, trio.BrokenResourceError) and not self._tls_warned:
                    self._tls_warned = True  # once per destination until a handshake succeeds
                    log.warning(
                        "TLS handshake with %s failed: %s", self.address, exc.__cause__ or exc
                    )
                log.debug("connect to %s failed: %s", self.address, exc)
                await self._fail_all(f"connect failed: {exc}")
                await trio.sleep(backoff_ms / 1000)
                backoff_ms = min(backoff_ms * 2, self._limits.reconnect_backoff_max_ms)
                continue
            backoff_ms = self._limits.reconnect_backoff_ms
            self._tls_warned = False
            self.connected = True
            refused: negotiation.NegotiationError | None = None
            try:
                if not await self._serve(stream):
                    log.debug("destination %s idle: closing", self.address)
                    return
            except negotiation.NegotiationError as exc:
                refused = exc
            finally:
                self.connected = False
                with trio.CancelScope(shield=True):
                    await trio.aclose_forcefully(stream)
            if refused is not None:
                # Kafka disconnects; back off so a peer that refuses us is not hammered.
                level = logging.WARNING if refused.refused else logging.DEBUG
                log.log(level, "connection set-up with %s failed: %s", self.address, refused)
                await self._fail_all(f"version negotiation failed: {refused}")
                await trio.sleep(self._limits.reconnect_backoff_max_ms / 1000)

    async def _round_trip(
        self,
        stream: Stream,
        decoder: FrameDecoder,
        frames: deque[bytes],
        frame: bytes,
        timeout_ms: int,
    ) -> bytes:
        """Send one request frame and return the next response payload (one in flight)."""
        with trio.fail_after(timeout_ms / 1000):
            await stream.send_all(frame)
            while not frames:
                data = await stream.receive_some(RECEIVE_BYTES_MAX)
                if not data:
                    raise trio.BrokenResourceError("connection closed by peer")
                frames.extend(decoder.feed(data))
        return frames.popleft()

    async def _authenticate(
        self, stream: Stream, decoder: FrameDecoder, frames: deque[bytes]
    ) -> None:
        """SASL before anything else (on a SASL protocol); NegotiationError when refused."""
        credentials = self._security.sasl
        if credentials is None:
            return
        timeout_ms = self._limits.connect_timeout_ms
        try:
            handshake = await self._call(
                stream,
                decoder,
                frames,
                SaslHandshakeRequest(mechanism=credentials.mechanism),
                SASL_HANDSHAKE_VERSION,
                timeout_ms,
            )
            if handshake.error_code != 0:
                raise negotiation.NegotiationError(
                    f"SASL mechanism {credentials.mechanism} refused (error "
                    f"{handshake.error_code}; enabled: {', '.join(handshake.mechanisms) or 'none'})"
                )
            client = sasl.SaslClient(credentials)
            token: bytes | None = client.first()
            while token is not None:
                answer = await self._call(
                    stream,
                    decoder,
                    frames,
                    SaslAuthenticateRequest(auth_bytes=token),
                    SASL_AUTHENTICATE_VERSION,
                    timeout_ms,
                )
                if answer.error_code != 0:
                    raise negotiation.NegotiationError(
                        f"SASL authentication as {credentials.username!r} failed (error "
                        f"{answer.error_code}): {answer.error_message}"
                    )
                token = client.respond(answer.auth_bytes)
        except sasl.SaslClientError as exc:
            raise negotiation.NegotiationError(str(exc)) from None
        except (*STREAM_ERRORS, WireError) as exc:
            message = f"no SASL answer: {exc or type(exc).__name__}"
            raise negotiation.NegotiationError(message, refused=False) from None

    async def _call(
        self,
        stream: Stream,
        decoder: FrameDecoder,
        frames: deque[bytes],
        body: SaslHandshakeRequest | SaslAuthenticateRequest,
        version: int,
        timeout_ms: int,
    ) -> Any:
        correlation_id = next(self._correlation_ids) & 0x7FFFFFFF
        api_key = body.API_KEY
        frame = encode_request(api_key, version, correlation_id, self._client_id, body)
        payload = await self._round_trip(stream, decoder, frames, frame, timeout_ms)
        got_id, answer = decode_response(api_key, version, payload)
        if got_id != correlation_id:
            raise trio.BrokenResourceError(f"correlation id {got_id}, expected {correlation_id}")
        return answer

    async def _negotiate(
        self, stream: Stream, decoder: FrameDecoder, frames: deque[bytes]
    ) -> negotiation.PeerVersions:
        """ApiVersions first, retried once lower if the peer asks for it."""
        version = negotiation.newest_api_versions_version()
        while True:
            correlation_id = next(self._correlation_ids) & 0x7FFFFFFF
            frame = negotiation.api_versions_request(correlation_id, self._client_id, version)
            try:
                payload = await self._round_trip(
                    stream, decoder, frames, frame, self._limits.connect_timeout_ms
                )
            except (*STREAM_ERRORS, WireError) as exc:
                message = f"no ApiVersions answer: {exc or type(exc).__name__}"
                raise negotiation.NegotiationError(message, refused=False) from None
            answer = negotiation.parse_api_versions(payload, version, correlation_id)
            if isinstance(answer, negotiation.PeerVersions):
                return answer
            version = answer

    async def _serve(self, stream: Stream) -> bool:
        """Authenticate and negotiate, then send queued requests one at a time; False when idle,
        True when the stream broke."""
        decoder = FrameDecoder(self._limits.frame_bytes_max)
        frames: deque[bytes] = deque()
        await self._authenticate(stream, decoder, frames)
        peer_versions = await self._negotiate(stream, decoder, frames)
        while True:
            if not await self._wait_for_request():
                return False
            request = self._queue.popleft()
            self.busy = True
            try:
                if not await self._exchange(stream, decoder, frames, request, peer_versions):
                    return True
            finally:
                self.busy = False
                self.last_used = trio.current_time()

    async def _exchange(
        self,
        stream: Stream,
        decoder: FrameDecoder,
        frames: deque[bytes],
        request: OutboundRequest,
        peer_versions: negotiation.PeerVersions,
    ) -> bool:
        """One request and its answer, delivered; False when the connection must close."""
        chosen = negotiation.pick_version(request.request, peer_versions)
        if chosen is None:
            answer = negotiation.unsupported_version_answer(request.request)
            await self._deliver(ResponseReceived(request.request_id, answer))
            # Close, so the next request negotiates anew: the versions this connection learned
            # may be a peer's mistake (or a restart into another version) that must not stick.
            return False
        try:
            api_key, version, body = apis.request_to_wire(
                request.request,
                listener_name=self._listener_name,
                version=chosen,
                topic=self._topic,
            )
            correlation_id = next(self._correlation_ids) & 0x7FFFFFFF
            frame = encode_request(api_key, version, correlation_id, self._client_id, body)
        except WireError as exc:
            # Our own request cannot be encoded: a bug, but one request's, not the node's.
            log.warning("cannot encode a request to %s: %s", self.address, exc)
            await self._deliver(RequestFailed(request.request_id, str(exc)))
            return True
        try:
            payload = await self._round_trip(
                stream, decoder, frames, frame, request.timeout_ms + SOCKET_SLACK_MS
            )
            got_id, wire_body = decode_response(api_key, version, payload)
            if got_id != correlation_id:
                raise trio.BrokenResourceError(
                    f"correlation id {got_id}, expected {correlation_id}"
                )
            response = apis.response_to_core(api_key, version, wire_body, topic=self._topic)
        except (*STREAM_ERRORS, WireError) as exc:
            log.debug("request to %s failed: %s", self.address, exc)
            await self._deliver(RequestFailed(request.request_id, str(exc) or type(exc).__name__))
            return False
        except Exception as exc:
            # Last line of defence: a bug (answers are validated in apis), but one
            # answer's, so it fails that request and closes that connection only.
            log.exception("answer from %s: unexpected error; closing the connection", self.address)
            await self._deliver(RequestFailed(request.request_id, type(exc).__name__))
            return False
        await self._deliver(ResponseReceived(request.request_id, response))
        return True

    async def _fail_all(self, reason: str) -> None:
        while self._queue:
            request = self._queue.popleft()
            await self._deliver(RequestFailed(request.request_id, reason))


class Peers:
    """All destinations; a `Peer` and its task are created on first use."""

    def __init__(
        self,
        nursery: trio.Nursery,
        deliver: Deliver,
        *,
        client_id: str,
        listener_name: str,
        limits: PeerLimits | None = None,
        topic: TopicIdentity = METADATA_LOG,
        security_: security.ClientSecurity | None = None,
    ) -> None:
        self._nursery = nursery
        # None: the context's (a tool's `--command-config`, for the observer library's follower).
        self._security = security_ if security_ is not None else security.CLIENT_SECURITY.get()
        self._topic = topic
        self._deliver = deliver
        self._client_id = client_id
        self._listener_name = listener_name
        self._limits = limits or PeerLimits()
        self._peers: dict[ReplicaAddress, Peer] = {}

    def submit(self, request: OutboundRequest) -> bool:
        """Queue `request` for its destination; False when it must be reported failed now."""
        peer = self._peers.get(request.destination)
        if peer is None or peer.finished:
            if len(self._peers) >= self._limits.peers_max and not self._evict_one():
                log.debug(
                    "%d destinations busy: refusing %s", len(self._peers), request.destination
                )
                return False
            peer = Peer(
                request.destination,
                self._deliver,
                client_id=self._client_id,
                listener_name=self._listener_name,
                limits=self._limits,
                topic=self._topic,
                security_=self._security,
            )
            self._peers[request.destination] = peer
            self._nursery.start_soon(peer.run, self._forget)
        return peer.submit(request)

    def _evict_one(self) -> bool:
        """Close the least recently used idle destination; False when none is idle."""
        idle = [peer for peer in self._peers.values() if peer.idle]
        if not idle:
            return False
        victim = min(idle, key=lambda peer: peer.last_used)
        victim.finished = True
        victim.cancel_scope.cancel()
        del self._peers[victim.address]
        return True

    def _forget(self, peer: Peer) -> None:
        if self._peers.get(peer.address) is peer:
            del self._peers[peer.address]

    def destination_count(self) -> int:
        return len(self._peers)

    def connected_count(self) -> int:
        """Destinations with an open connection now (from the TCP/TLS connect until it closes,
        negotiated or not): the node's `pykraft_peer_connections` gauge. A destination that cannot
        be reached, or that idled out, counts 0."""
        return sum(1 for peer in self._peers.values() if peer.connected)
