"""A stopped proxy still shows everything that went through it.

The proxy forwards a frame before its decoder (a worker thread, fed by a queue) has shown it, so
a stop right after a client got its answers used to drop the exchanges still queued: `kraft proxy
--json` stopped by SIGTERM lost a consumer's last Fetch (CI saw it in the Kafka-through-proxy
test). Here a fake upstream answers pipelined ApiVersions requests and leaves the last one
unanswered; the proxy is cancelled the moment the client has read its answers, with the decoder
made slow so the queue is certainly not empty: every answered exchange must still be shown, and
the unanswered request as cut by the close.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import trio

from kraft.shell.proxy.exchange import Exchange
from kraft.shell.proxy.server import Proxy, ProxyOptions
from tests.e2e.cluster import ROOT
from wire.headers import decode_request, encode_request, encode_response
from wire.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse

ANSWERED = 40
PRINTED = 1000  # enough JSON lines that SIGTERM comes while the decoder is still at work
API_VERSIONS = 18


def request(correlation_id: int) -> bytes:
    body = ApiVersionsRequest(client_software_name="t", client_software_version="1")
    return encode_request(API_VERSIONS, 3, correlation_id, "stop-test", body)


async def read_frame(stream: trio.SocketStream, buffer: bytearray) -> bytes:
    while True:
        if len(buffer) >= 4:
            size = int.from_bytes(buffer[:4], "big")
            if len(buffer) >= 4 + size:
                payload = bytes(buffer[4 : 4 + size])
                del buffer[: 4 + size]
                return payload
        chunk = await stream.receive_some(65536)
        assert chunk, "connection closed early"
        buffer += chunk


async def fake_upstream(stream: trio.SocketStream) -> None:
    """Answers ApiVersions requests, all but the one with correlation id ANSWERED."""
    buffer = bytearray()
    while True:
        try:
            payload = await read_frame(stream, buffer)
        except (AssertionError, trio.BrokenResourceError, trio.ClosedResourceError):
            return
        header, _ = decode_request(payload)
        if header.correlation_id == ANSWERED:
            continue
        answer = encode_response(API_VERSIONS, 3, header.correlation_id, ApiVersionsResponse())
        await stream.send_all(answer)


async def test_exchanges_queued_behind_the_decoder_are_shown_when_the_proxy_stops() -> None:
    shown: list[Exchange] = []

    def slow_on_exchange(exchange: Exchange) -> None:
        time.sleep(0.05)  # a slow terminal: the queue grows behind the decoder
        shown.append(exchange)

    async with trio.open_nursery() as outer:
        listeners = await outer.start(partial(trio.serve_tcp, fake_upstream, 0, host="127.0.0.1"))
        upstream_port = listeners[0].socket.getsockname()[1]
        proxy = Proxy(ProxyOptions("127.0.0.1", 0, "127.0.0.1", upstream_port), slow_on_exchange)
        with trio.CancelScope() as proxy_scope:
            async with trio.open_nursery() as nursery:
                port = await nursery.start(proxy.serve)
                client = await trio.open_tcp_stream("127.0.0.1", port)
                await client.send_all(b"".join(request(i) for i in range(ANSWERED + 1)))
                buffer = bytearray()
                for _ in range(ANSWERED):
                    await read_frame(client, buffer)
                # the decoder is still sleeping through the first exchanges
                assert len(shown) < ANSWERED
                proxy_scope.cancel()
        await client.aclose()
        outer.cancel_scope.cancel()
    answered = [e.correlation_id for e in shown if e.response is not None]
    assert answered == list(range(ANSWERED)), answered
    unanswered = [(e.correlation_id, e.note) for e in shown if e.response is None]
    assert unanswered == [(ANSWERED, "connection closed before the response")], unanswered
    assert proxy.stats.exchanges == ANSWERED + 1


def test_sigterm_prints_every_exchange_that_went_through(tmp_path: Path) -> None:
    """The CLI as a script runs it: `kraft proxy --json > file`, then SIGTERM right after the
    client's last answer."""
    upstream = socket.create_server(("127.0.0.1", 0))
    proxy_listen = socket.create_server(("127.0.0.1", 0))
    proxy_port = proxy_listen.getsockname()[1]
    proxy_listen.close()
    out = tmp_path / "proxy.jsonl"
    err = tmp_path / "proxy.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kraft.cli",
                "proxy",
                "--listen",
                f"127.0.0.1:{proxy_port}",
                "--upstream",
                f"127.0.0.1:{upstream.getsockname()[1]}",
                "--json",
            ],
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 30
        while "listening" not in err.read_text():
            assert process.poll() is None, err.read_text()
            assert time.monotonic() < deadline, "kraft proxy did not start"
            time.sleep(0.05)
        client = socket.create_connection(("127.0.0.1", proxy_port))
        client.sendall(b"".join(request(i) for i in range(PRINTED)))
        server, _ = upstream.accept()
        answers = b"".join(
            encode_response(API_VERSIONS, 3, i, ApiVersionsResponse()) for i in range(PRINTED)
        )
        server.sendall(answers)
        received = b""
        while len(received) < len(answers):
            chunk = client.recv(65536)
            assert chunk
            received += chunk
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0, err.read_text()
        client.close()
        server.close()
    finally:
        if process.poll() is None:
            process.kill()
        upstream.close()
    lines = out.read_text().splitlines()
    assert len(lines) == PRINTED, (len(lines), err.read_text()[-1000:])
