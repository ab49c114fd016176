"""The SASL gate of `kraft.shell.connection` over trio memory streams: nothing reaches the
dispatcher before authentication; failures get Kafka's errors and a closed connection."""

from __future__ import annotations

import logging

import trio
import trio.testing

from kraft.shell.connection import ConnectionLimits, FailureLog, InboundConnection
from kraft.shell.sasl import (
    ILLEGAL_SASL_STATE,
    PLAIN,
    SASL_AUTHENTICATION_FAILED,
    SCRAM_SHA_512,
    UNSUPPORTED_SASL_MECHANISM,
    SaslClient,
    SaslCredentials,
    SaslServer,
    SaslServerConfig,
)
from tests.shell.test_connection import FakeDispatcher, read_frames, request
from wire.headers import decode_response, encode_request
from wire.messages.describe_quorum import DescribeQuorumResponse
from wire.messages.sasl_authenticate import SaslAuthenticateRequest
from wire.messages.sasl_handshake import SaslHandshakeRequest

HANDSHAKE = 17
AUTHENTICATE = 36
DESCRIBE_QUORUM = 55
CONFIG = SaslServerConfig({PLAIN: {"alice": "secret"}, SCRAM_SHA_512: {"alice": "secret"}})
LIMITS = ConnectionLimits(authentication_timeout_ms=2000, failed_authentication_delay_ms=200)


def handshake(mechanism: str, correlation_id: int = 1, version: int = 1) -> bytes:
    body = SaslHandshakeRequest(mechanism=mechanism)
    return encode_request(HANDSHAKE, version, correlation_id, "t", body)


def authenticate(token: bytes, correlation_id: int = 2, version: int = 2) -> bytes:
    body = SaslAuthenticateRequest(auth_bytes=token)
    return encode_request(AUTHENTICATE, version, correlation_id, "t", body)


async def _serve(
    nursery: trio.Nursery, dispatcher: FakeDispatcher, failures: FailureLog | None = None
) -> tuple[trio.abc.Stream, InboundConnection]:
    client, server = trio.testing.memory_stream_pair()
    connection = InboundConnection(server, dispatcher, LIMITS, SaslServer(CONFIG), failures)
    nursery.start_soon(connection.run)
    return client, connection


async def _closed(stream: trio.abc.ReceiveStream) -> bool:
    with trio.move_on_after(5):
        while await stream.receive_some():
            pass
        return True
    return False


async def test_plain_login_then_requests_are_served() -> None:
    dispatcher = FakeDispatcher()
    async with trio.open_nursery() as nursery:
        client, _ = await _serve(nursery, dispatcher)
        await client.send_all(handshake(PLAIN) + authenticate(b"\0alice\0secret") + request(3))
        frames = await read_frames(client, 3)
        _, shaken = decode_response(HANDSHAKE, 1, frames[0])
        assert shaken.error_code == 0 and shaken.mechanisms == [PLAIN, SCRAM_SHA_512]
        assert decode_response(AUTHENTICATE, 2, frames[1])[1].error_code == 0
        assert decode_response(DESCRIBE_QUORUM, 2, frames[2])[0] == 3
        assert dispatcher.seen == [3]
        nursery.cancel_scope.cancel()


async def test_scram_login_over_the_wire() -> None:
    dispatcher = FakeDispatcher()
    async with trio.open_nursery() as nursery:
        client, connection = await _serve(nursery, dispatcher)
        sasl = SaslClient(SaslCredentials(SCRAM_SHA_512, "alice", "secret"))
        await client.send_all(handshake(SCRAM_SHA_512) + authenticate(sasl.first(), 2))
        server_first = decode_response(AUTHENTICATE, 2, (await read_frames(client, 2))[1])[1]
        final = sasl.respond(server_first.auth_bytes)
        assert final is not None
        await client.send_all(authenticate(final, 3, version=0))
        answer = decode_response(AUTHENTICATE, 0, (await read_frames(client, 1))[0])[1]
        assert answer.error_code == 0
        assert sasl.respond(answer.auth_bytes) is None  # the server's proof checks out
        assert connection.authenticated
        nursery.cancel_scope.cancel()


async def test_requests_before_authentication_never_reach_the_dispatcher() -> None:
    """A Fetch/Vote/DescribeQuorum before SaslHandshake: ILLEGAL_SASL_STATE, closed."""
    dispatcher = FakeDispatcher()
    failures = FailureLog()
    async with trio.open_nursery() as nursery:
        client, _ = await _serve(nursery, dispatcher, failures)
        await client.send_all(request(7))
        frames = await read_frames(client, 1)
        got_id, body = decode_response(DESCRIBE_QUORUM, 2, frames[0])
        assert (got_id, type(body), body.error_code) == (7, DescribeQuorumResponse, 34)
        assert body.error_code == ILLEGAL_SASL_STATE
        assert await _closed(client)
    assert dispatcher.seen == [] and failures.count == 1


async def test_wrong_password_is_answered_late_then_closed() -> None:
    dispatcher = FakeDispatcher()
    async with trio.open_nursery() as nursery:
        client, _ = await _serve(nursery, dispatcher)
        started = trio.current_time()
        await client.send_all(handshake(PLAIN) + authenticate(b"\0alice\0guess") + request(5))
        frames = await read_frames(client, 3)
        assert len(frames) == 2  # the DescribeQuorum behind it is never read
        answer = decode_response(AUTHENTICATE, 2, frames[1])[1]
        assert answer.error_code == SASL_AUTHENTICATION_FAILED
        assert answer.error_message == "Authentication failed: Invalid username or password"
        assert trio.current_time() - started >= 0.2  # connection.failed.authentication.delay.ms
        assert await _closed(client)
    assert dispatcher.seen == []


async def test_unknown_mechanism_lists_the_enabled_ones_and_closes() -> None:
    async with trio.open_nursery() as nursery:
        client, _ = await _serve(nursery, FakeDispatcher())
        await client.send_all(handshake("GSSAPI"))
        answer = decode_response(HANDSHAKE, 1, (await read_frames(client, 1))[0])[1]
        assert answer.error_code == UNSUPPORTED_SASL_MECHANISM
        assert answer.mechanisms == [PLAIN, SCRAM_SHA_512]
        assert await _closed(client)


async def test_a_client_that_stalls_is_closed_after_the_authentication_timeout() -> None:
    failures = FailureLog()
    async with trio.open_nursery() as nursery:
        client, _ = await _serve(nursery, FakeDispatcher(), failures)
        await client.send_all(handshake(PLAIN))  # and then nothing
        started = trio.current_time()
        await read_frames(client, 1)
        assert await _closed(client)
        assert 1.5 <= trio.current_time() - started <= 4
    assert failures.count == 1


async def test_handshake_v0_then_raw_tokens() -> None:
    async with trio.open_nursery() as nursery:
        client, connection = await _serve(nursery, FakeDispatcher())
        await client.send_all(handshake(PLAIN, version=0))
        await read_frames(client, 1)
        token = b"\0alice\0secret"
        await client.send_all(len(token).to_bytes(4, "big") + token + request(9))
        frames = await read_frames(client, 2)
        assert frames[0] == b""  # PLAIN's empty server token, raw
        assert decode_response(DESCRIBE_QUORUM, 2, frames[1])[0] == 9
        assert connection.authenticated
        nursery.cancel_scope.cancel()


async def test_sasl_requests_after_authentication_are_illegal_but_answered() -> None:
    async with trio.open_nursery() as nursery:
        client, _ = await _serve(nursery, FakeDispatcher())
        await client.send_all(handshake(PLAIN) + authenticate(b"\0alice\0secret"))
        await read_frames(client, 2)
        await client.send_all(handshake(PLAIN, 4) + request(5))
        frames = await read_frames(client, 2)
        assert decode_response(HANDSHAKE, 1, frames[0])[1].error_code == ILLEGAL_SASL_STATE
        assert decode_response(DESCRIBE_QUORUM, 2, frames[1])[0] == 5
        nursery.cancel_scope.cancel()


async def test_failures_are_logged_rate_limited() -> None:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    # On the module's own logger: other tests may change the root logger or propagation.
    logger = logging.getLogger("kraft.shell.connection")
    handler = Collect(logging.WARNING)
    level = logger.level
    logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        failures = FailureLog()
        for _ in range(50):
            failures.record("127.0.0.9", "Authentication failed")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert failures.count == 50
    assert lines == ["refused connection from 127.0.0.9: Authentication failed"]
