"""One Kafka protocol connection from a tool or the observer library to a node (trio).

Opens TCP, negotiates versions with ApiVersions (v3, falling back to v0 on UNSUPPORTED_VERSION as
every Kafka client does), then sends one request at a time and reads its response: the observer
never pipelines, so a response always answers the request just sent (checked by correlation id).

Every failure a user can meet (refused connection, reset, timeout, undecodable bytes, a node that
does not speak an API) becomes one `ConnectionFailed` with a one-line reason naming the address;
callers move on to another node or report it. `open` is bounded as a whole (TCP connect AND the
ApiVersions answer), so a peer that accepts connections but never speaks Kafka costs at most
`timeout_ms`, not a request timeout; a refused connection is marked (`refused`) so a tool can
stop at once when nothing listens at any address it was given.

Security: the connection speaks the protocol of `kraft.shell.security.CLIENT_SECURITY` (set by a
tool from its `--command-config`, or by a node for its forwarded requests): TLS right after TCP,
SASL (SaslHandshake v1, SaslAuthenticate) before ApiVersions. A failed TLS handshake or a refused
SASL login is a `ConnectionFailed` naming the reason (`refused`: there is no point trying the
other nodes with the same credentials either; the caller decides).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import trio

from kraft.shell import sasl
from kraft.shell.security import CLIENT_SECURITY, ClientSecurity, open_stream
from wire.errors import ErrorCode, WireError
from wire.fields import Message
from wire.framing import FrameDecoder
from wire.headers import decode_response, encode_request
from wire.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from wire.messages.sasl_authenticate import SaslAuthenticateRequest
from wire.messages.sasl_handshake import SaslHandshakeRequest
from wire.registry import API_SPECS, API_VERSIONS_KEY

CLIENT_ID = "pykraft-client"
CLIENT_SOFTWARE_NAME = "pykraft"
CLIENT_SOFTWARE_VERSION = "0.1.0"
# Connect + ApiVersions: a node answers ApiVersions at once, so waiting longer finds nothing.
CONNECT_TIMEOUT_MS = 3_000
# A response may take as long as the longest long poll the server honours, plus slack.
REQUEST_TIMEOUT_MS = 35_000
# Large: a catch-up Fetch answer is megabytes, and each receive call costs a trip through trio.
RECEIVE_CHUNK_BYTES = 1 << 20
API_VERSIONS_PREFERRED = 3
API_VERSIONS_FALLBACK = 0
SASL_HANDSHAKE_VERSION = 1
SASL_AUTHENTICATE_VERSION = 1


class ConnectionFailed(Exception):
    """Any failure talking to one node, as one line; `refused`: nothing listens there."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @staticmethod
    def parse(text: str) -> Address:
        host, sep, port = text.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"not HOST:PORT: {text!r}")
        return Address(host, int(port))


def parse_bootstrap(text: str) -> list[Address]:
    """`HOST:PORT[,HOST:PORT...]` -> addresses; ValueError with the bad entry."""
    addresses = [Address.parse(part) for part in text.split(",") if part.strip()]
    if not addresses:
        raise ValueError("no bootstrap server given")
    return addresses


class Connection:
    """A negotiated connection; use `await Connection.open(address)` and `aclose()`."""

    def __init__(
        self,
        address: Address,
        stream: trio.abc.Stream,
        client_id: str = CLIENT_ID,
        security: ClientSecurity | None = None,
    ) -> None:
        self.security = security if security is not None else CLIENT_SECURITY.get()
        self.address = address
        self.client_id = client_id
        self._stream = stream
        self._decoder = FrameDecoder()
        self._correlation = itertools.count(1)
        self._pending: list[bytes] = []
        self.api_versions: dict[int, tuple[int, int]] = {}

    @classmethod
    async def open(
        cls,
        address: Address,
        connect_timeout_ms: int = CONNECT_TIMEOUT_MS,
        client_id: str = CLIENT_ID,
    ) -> Connection:
        """Connect and negotiate versions, both within `connect_timeout_ms`."""
        deadline = trio.current_time() + connect_timeout_ms / 1000
        security = CLIENT_SECURITY.get()
        try:
            with trio.fail_at(deadline):
                stream = await open_stream(address.host, address.port, security)
        except trio.BrokenResourceError as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            raise ConnectionFailed(f"{address}: TLS handshake failed: {cause}") from None
        except trio.TooSlowError:
            raise ConnectionFailed(
                f"{address}: cannot connect: no answer in {connect_timeout_ms} ms"
            ) from None
        except OSError as exc:
            attempts = _connect_errors(exc)
            refused = all(isinstance(e, ConnectionRefusedError) for e in attempts)
            reason = "connection refused" if refused else _reason(attempts[-1])
            raise ConnectionFailed(
                f"{address}: cannot connect: {reason}", refused=refused
            ) from None
        conn = cls(address, stream, client_id, security)
        try:
            with trio.fail_at(deadline):
                await conn._negotiate()
        except trio.TooSlowError:
            await conn.aclose()
            raise ConnectionFailed(
                f"{address}: accepted the connection but sent no Kafka answer in "
                f"{connect_timeout_ms} ms (is a pykraft or Kafka node listening there?)"
            ) from None
        except BaseException:
            await conn.aclose()
            raise
        return conn

    async def aclose(self) -> None:
        with trio.CancelScope(shield=True):
            await self._stream.aclose()

    async def _authenticate(self) -> None:
        credentials = self.security.sasl
        if credentials is None:
            return
        handshake = await self._call(
            SaslHandshakeRequest.API_KEY,
            SASL_HANDSHAKE_VERSION,
            SaslHandshakeRequest(mechanism=credentials.mechanism),
        )
        if handshake.error_code != ErrorCode.NONE:
            enabled = ", ".join(handshake.mechanisms) or "none"
            raise ConnectionFailed(
                f"{self.address}: SASL mechanism {credentials.mechanism} is not enabled there "
                f"(enabled: {enabled})",
            )
        client = sasl.SaslClient(credentials)
        token: bytes | None = client.first()
        while token is not None:
            answer = await self._call(
                SaslAuthenticateRequest.API_KEY,
                SASL_AUTHENTICATE_VERSION,
                SaslAuthenticateRequest(auth_bytes=token),
            )
            if answer.error_code != ErrorCode.NONE:
                raise ConnectionFailed(
                    f"{self.address}: SASL authentication as {credentials.username!r} failed: "
                    f"{answer.error_message}",
                    refused=True,
                )
            try:
                token = client.respond(answer.auth_bytes)
            except sasl.SaslClientError as exc:
                raise ConnectionFailed(f"{self.address}: {exc}") from None

    async def _negotiate(self) -> None:
        await self._authenticate()
        request = ApiVersionsRequest(
            client_software_name=CLIENT_SOFTWARE_NAME,
            client_software_version=CLIENT_SOFTWARE_VERSION,
        )
        response = await self._call(API_VERSIONS_KEY, API_VERSIONS_PREFERRED, request)
        if response.error_code == ErrorCode.UNSUPPORTED_VERSION:
            response = await self._call(
                API_VERSIONS_KEY, API_VERSIONS_FALLBACK, ApiVersionsRequest()
            )
        assert isinstance(response, ApiVersionsResponse)
        if response.error_code != ErrorCode.NONE:
            raise ConnectionFailed(f"{self.address}: ApiVersions error {response.error_code}")
        self.api_versions = {k.api_key: (k.min_version, k.max_version) for k in response.api_keys}

    def version_for(self, api_key: int, highest: int | None = None) -> int:
        """The newest version both sides speak; ConnectionFailed if none."""
        spec = API_SPECS[api_key]
        theirs = self.api_versions.get(api_key)
        top = spec.max_version if highest is None else min(highest, spec.max_version)
        if theirs is None or theirs[1] < spec.min_version or theirs[0] > top:
            raise ConnectionFailed(f"{self.address}: does not serve {spec.name}")
        return min(theirs[1], top)

    async def request(self, body: Message, version: int | None = None) -> Any:
        """Send `body` (at `version`, default the negotiated one) and return the response body."""
        api_key = type(body).API_KEY
        if version is None:
            version = self.version_for(api_key)
        return await self._call(api_key, version, body)

    async def _call(self, api_key: int, version: int, body: Message) -> Any:
        correlation_id = await self.send(body, version)
        return await self.receive(api_key, version, correlation_id)

    async def send(self, body: Message, version: int) -> int:
        """Send a request without waiting for its answer (`receive` takes it): a reader keeps
        one request in flight while it works on the previous answer. Returns its correlation id."""
        api_key = type(body).API_KEY
        correlation_id = next(self._correlation)
        frame = encode_request(api_key, version, correlation_id, self.client_id, body)
        try:
            with trio.fail_after(REQUEST_TIMEOUT_MS / 1000):
                await self._stream.send_all(frame)
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise ConnectionFailed(f"{self.address}: connection lost: {_reason(exc)}") from None
        except trio.TooSlowError:
            raise ConnectionFailed(f"{self.address}: no response in time") from None
        return correlation_id

    async def receive(self, api_key: int, version: int, correlation_id: int) -> Any:
        """The answer to the request `send` sent as `correlation_id` (answers come in order)."""
        try:
            with trio.fail_after(REQUEST_TIMEOUT_MS / 1000):
                payload = await self._receive_frame()
            got_id, response = decode_response(api_key, version, payload)
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise ConnectionFailed(f"{self.address}: connection lost: {_reason(exc)}") from None
        except trio.TooSlowError:
            raise ConnectionFailed(f"{self.address}: no response in time") from None
        except WireError as exc:
            raise ConnectionFailed(f"{self.address}: bad response: {exc}") from None
        if got_id != correlation_id:
            raise ConnectionFailed(f"{self.address}: response {got_id} to request {correlation_id}")
        return response

    async def _receive_frame(self) -> bytes:
        while not self._pending:
            data = await self._stream.receive_some(RECEIVE_CHUNK_BYTES)
            if not data:
                raise ConnectionFailed(f"{self.address}: connection closed by the node")
            self._pending.extend(self._decoder.feed(data))
        return self._pending.pop(0)


def _connect_errors(exc: OSError) -> list[BaseException]:
    """The error of each address tried (trio reports them as the cause of one OSError)."""
    cause = exc.__cause__
    if isinstance(cause, BaseExceptionGroup) and cause.exceptions:
        return list(cause.exceptions)
    return [exc]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
