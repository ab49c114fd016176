"""Nothing blocks the trio thread: while a disk read hangs, the node keeps answering.

The disk is made slow by holding every `pread` until the test releases it (and by telling the
page-cache probe, `preadv(RWF_NOWAIT)`, that nothing is cached). While a Fetch answer, a snapshot
chunk or a consumer read waits for its `pread`, an ApiVersions request must be answered; the
slow answer then arrives with the right bytes. Were the read on the trio thread, nothing could be
answered before the `pread` returned.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from kraft import rpc
from kraft.ready import OutboundResponse, Ready
from kraft.shell.connection import ConnectionLimits, InboundConnection
from kraft.shell.router import Router
from kraft.shell.snapshots import snapshot_file_name
from kraft.types import OffsetAndEpoch
from tests.shell.test_node_loop import FETCH, FakeNode, FakePeers, make_loop, until
from wire.errors import ErrorCode
from wire.framing import FrameDecoder
from wire.headers import decode_response, encode_request
from wire.messages.api_versions import ApiVersionsRequest
from wire.messages.fetch_snapshot import FetchSnapshotRequest
from wire.records import build_data_batch

# How long a held `pread` waits for the test at most (old code: the trio thread, for all of it).
HOLD_S = 10.0
SNAPSHOT_ID = OffsetAndEpoch(5, 2)


class SlowDisk:
    """Holds every `pread` until `release`; reports that nothing is in the page cache."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()
        real_pread = os.pread

        def held_pread(fd: int, size: int, position: int) -> bytes:
            self.started.set()
            self.release.wait(HOLD_S)
            try:
                return real_pread(fd, size, position)
            finally:
                self.done.set()

        def uncached_preadv(*_args: Any) -> int:
            raise BlockingIOError(errno.EAGAIN, "not in the page cache")

        monkeypatch.setattr(os, "pread", held_pread)
        monkeypatch.setattr(os, "preadv", uncached_preadv)


async def round_trip(
    router: Router, nursery: trio.Nursery, api_key: int, version: int, body: Any
) -> Any:
    client, server = trio.testing.memory_stream_pair()
    nursery.start_soon(InboundConnection(server, router, ConnectionLimits()).run)  # type: ignore[arg-type]
    await client.send_all(encode_request(api_key, version, 7, "t", body))
    decoder = FrameDecoder()
    frames: list[bytes] = []
    while not frames:
        frames = decoder.feed(await client.receive_some())
    correlation_id, answer = decode_response(api_key, version, frames[0])
    assert correlation_id == 7
    return answer


async def answered_while_the_read_hangs(
    slow: SlowDisk, router: Router, nursery: trio.Nursery, slow_answer: Callable[[], Awaitable[Any]]
) -> Any:
    """Start `slow_answer`, wait until its `pread` hangs, check ApiVersions is answered
    meanwhile, then let the read finish and return the slow answer."""
    result: list[Any] = []

    async def wait_slow() -> None:
        result.append(await slow_answer())

    nursery.start_soon(wait_slow)
    await until(slow.started.is_set)
    api_versions = ApiVersionsRequest(client_software_name="t", client_software_version="1")
    with trio.fail_after(HOLD_S / 2):
        answer = await round_trip(router, nursery, 18, 3, api_versions)
    assert answer.error_code == 0
    assert not slow.done.is_set(), "ApiVersions was only answered once the read had finished"
    slow.release.set()
    await until(lambda: bool(result))
    return result[0]


async def test_fetch_answer_read_does_not_block_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = build_data_batch(0, 3, 0, [b"x" * 100])
    answer = rpc.FetchResponse(
        error_code=ErrorCode.NONE, high_watermark=1, records=rpc.LogRead(0, 1 << 20, 1)
    )
    loop = make_loop(tmp_path, FakeNode({"request": Ready(send_now=[OutboundResponse(1, answer)])}))
    loop.disk_log.append(batch)
    router = Router(loop)
    slow = SlowDisk(monkeypatch)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, FakePeers(loop))
        body = await answered_while_the_read_hangs(
            slow, router, nursery, lambda: round_trip(router, nursery, 1, 17, FETCH)
        )
        assert body.responses[0].partitions[0].records == batch
        nursery.cancel_scope.cancel()


async def test_consumer_read_does_not_block_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = build_data_batch(0, 3, 0, [b"y" * 100])
    loop = make_loop(tmp_path, FakeNode({}))
    loop.disk_log.append(batch)
    router = Router(loop)
    slow = SlowDisk(monkeypatch)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, FakePeers(loop))
        data = await answered_while_the_read_hangs(
            slow, router, nursery, lambda: loop.read_batches(0, 1, 1 << 20)
        )
        assert data == batch
        nursery.cancel_scope.cancel()


async def test_snapshot_chunk_read_does_not_block_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = b"snapshot bytes " * 20
    (tmp_path / snapshot_file_name(SNAPSHOT_ID)).write_bytes(content)
    answer = rpc.FetchSnapshotResponse(
        error_code=ErrorCode.NONE,
        snapshot_id=SNAPSHOT_ID,
        data=rpc.SnapshotRead(SNAPSHOT_ID, 10, 50),
        position=10,
    )
    loop = make_loop(tmp_path, FakeNode({"request": Ready(send_now=[OutboundResponse(1, answer)])}))
    router = Router(loop)
    request = FetchSnapshotRequest(
        cluster_id="c",
        replica_id=2,
        topics=[
            FetchSnapshotRequest.TopicSnapshot(
                name="__cluster_metadata",
                partitions=[
                    FetchSnapshotRequest.TopicSnapshot.PartitionSnapshot(
                        partition=0,
                        current_leader_epoch=2,
                        snapshot_id=FetchSnapshotRequest.TopicSnapshot.PartitionSnapshot.SnapshotId(
                            end_offset=5, epoch=2
                        ),
                        position=10,
                    )
                ],
            )
        ],
    )
    slow = SlowDisk(monkeypatch)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, FakePeers(loop))
        body = await answered_while_the_read_hangs(
            slow, router, nursery, lambda: round_trip(router, nursery, 59, 1, request)
        )
        partition = body.topics[0].partitions[0]
        assert (partition.error_code, partition.size) == (0, len(content))
        assert bytes(partition.unaligned_records) == content[10:60]
        nursery.cancel_scope.cancel()


async def test_failed_fetch_read_answers_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk error while reading a Fetch answer (on the reader thread) is answered with
    KAFKA_STORAGE_ERROR and no records; the node keeps running."""
    answer = rpc.FetchResponse(
        error_code=ErrorCode.NONE, high_watermark=1, records=rpc.LogRead(0, 1 << 20, 1)
    )
    script = {"request": Ready(send_now=[OutboundResponse(1, answer)])}
    loop = make_loop(tmp_path, FakeNode(script))
    loop.disk_log.append(build_data_batch(0, 3, 0, [b"z"]))
    router = Router(loop)

    def failing_pread(*_args: Any) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    def uncached_preadv(*_args: Any) -> int:
        raise BlockingIOError(errno.EAGAIN, "not in the page cache")

    monkeypatch.setattr(os, "pread", failing_pread)
    monkeypatch.setattr(os, "preadv", uncached_preadv)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop.run, FakePeers(loop))
        with trio.fail_after(HOLD_S):
            body = await round_trip(router, nursery, 1, 17, FETCH)
        partition = body.responses[0].partitions[0]
        assert partition.error_code == ErrorCode.KAFKA_STORAGE_ERROR
        assert not partition.records
        nursery.cancel_scope.cancel()


async def test_consumer_read_from_the_page_cache_is_still_a_checkpoint(tmp_path: Path) -> None:
    """A reader polling in a loop (the observer, while its log is behind the high watermark)
    must let other tasks run even when every read is served at once."""
    batch = build_data_batch(0, 3, 0, [b"w"])
    loop = make_loop(tmp_path, FakeNode({}))
    loop.disk_log.append(batch)
    with trio.testing.assert_checkpoints():
        assert await loop.read_batches(0, 1, 1 << 20) == batch
    with trio.testing.assert_checkpoints():
        assert await loop.read_batches(5, 6, 1 << 20) == b""
