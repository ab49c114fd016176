"""Status lines never stall the node: a stdout nobody drains (a paused `| less`) blocks only the
status thread, while the node keeps answering (issue #12)."""

from __future__ import annotations

import threading
from pathlib import Path

import trio

from kraft.shell.server import ServerOptions, run_server
from kraft.shell.stats import STATUS_BACKLOG_MAX, StatusWriter
from tests.e2e.cluster import free_ports
from wire.framing import FrameDecoder
from wire.headers import decode_response, encode_request
from wire.messages.api_versions import ApiVersionsRequest
from wire.registry import API_VERSIONS_KEY

HOLD_S = 10.0  # the longest a stuck write waits for the test (old code: blocked for all of it)


class StuckStream:
    """A text stream whose writes block until `release` (a pipe nobody reads)."""

    def __init__(self) -> None:
        self.stuck = threading.Event()
        self.release = threading.Event()
        self.text: list[str] = []

    def write(self, text: str) -> int:
        self.stuck.set()
        self.release.wait(HOLD_S)
        self.text.append(text)
        return len(text)

    def flush(self) -> None:
        pass


async def api_versions_round_trip(port: int) -> int:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        request = ApiVersionsRequest(client_software_name="t", client_software_version="1")
        await stream.send_all(encode_request(API_VERSIONS_KEY, 3, 1, "t", request))
        decoder = FrameDecoder()
        frames: list[bytes] = []
        while not frames:
            frames = decoder.feed(await stream.receive_some())
    _, body = decode_response(API_VERSIONS_KEY, 3, frames[0])
    return int(body.error_code)


async def test_stuck_stdout_does_not_stall_the_node(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    config = tmp_path / "server.properties"
    config.write_text(
        f"node.id=1\nlisteners=PLAINTEXT://127.0.0.1:{port}\n"
        f"controller.quorum.voters=1@127.0.0.1:{port}\nlog.dirs={tmp_path / 'logs'}\n"
    )
    stdout = StuckStream()
    options = ServerOptions(
        config,
        throughput=100,
        report_interval_ms=20,
        status_stream=stdout,  # type: ignore[arg-type]
    )
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(run_server, options)
            with trio.fail_after(HOLD_S / 2):
                while not stdout.stuck.is_set():  # runs only if the trio thread is free
                    await trio.sleep(0.005)
                assert await api_versions_round_trip(port) == 0
            assert not stdout.text, "the node answered only after the status write finished"
            stdout.release.set()
            nursery.cancel_scope.cancel()
    finally:
        stdout.release.set()


def test_writer_keeps_order_and_drops_behind_a_stuck_stream() -> None:
    writer = StatusWriter()
    release = threading.Event()
    written: list[int] = []
    writer.submit(lambda: release.wait(HOLD_S) and None)
    for number in range(STATUS_BACKLOG_MAX + 5):
        writer.submit(lambda number=number: written.append(number))  # type: ignore[misc]
    assert writer.dropped == 6  # the stuck write holds one of the places
    release.set()
    writer.drain()
    assert written == list(range(STATUS_BACKLOG_MAX - 1))
    assert not writer.busy
    writer.stop()
