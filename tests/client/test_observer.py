"""RaftObserver and the tools against a fake leader on a real socket."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
import trio

from kraft.cli.tail import tail
from kraft.shell.client.connection import Address
from kraft.shell.client.describe import describe
from kraft.shell.client.follower import Truncation
from kraft.shell.client.observer import Mode, RaftObserver, Start
from kraft.shell.client.state import ObserverError
from kraft.shell.quorum_state_store import QuorumStateStore
from tests.consumer.fake_server import FakeServer
from tests.consumer.fakes import FakePort
from wire.records.batch import read_batch_header


def address(port: FakePort) -> Address:
    return Address("127.0.0.1", port.view().voters[0].port)


async def collect(observer: RaftObserver, count: int) -> list[tuple[int, int, bytes | None]]:
    got: list[tuple[int, int, bytes | None]] = []
    with trio.fail_after(10):
        async with observer:
            async for batch in observer.batches():
                for record in batch.records():
                    value = None if batch.is_control else record.value
                    got.append((record.offset, batch.epoch, value))
                if len(got) >= count:
                    break
    return got


# The two Raft observers: the core with a local log, and the stream (no local log).
RAFT_MODES = ["raft", "stream"]


def fetched_end(observer: RaftObserver) -> int:
    """Where the observer's fetched log ends (committed or not)."""
    if observer.stream is not None:
        return observer.stream.fetch_offset
    if observer.follower is None:
        return 0
    return observer.follower.node.log_end_offset


@pytest.mark.parametrize("mode", RAFT_MODES)
async def test_observer_releases_only_committed_records(
    served: tuple[FakeServer, FakePort], mode: Mode
) -> None:
    _, port = served
    port.append_data(3, [b"a", b"b"])  # 1-2
    port.sync(high_watermark=1)  # only the LeaderChange is committed
    observer = RaftObserver([address(port)], mode=mode)
    seen: list[tuple[int, int, bytes | None]] = []

    async def workload() -> None:
        while fetched_end(observer) < 3:
            await trio.sleep(0.01)
        await trio.sleep(0.1)
        assert [o for o, _, _ in seen] == [0]  # the uncommitted batch was fetched, not released
        port.append_data(3, [b"c"])  # 3
        port.sync()  # HW 4

    async with trio.open_nursery() as nursery:
        nursery.start_soon(workload)
        with trio.fail_after(10):
            async with observer:
                async for batch in observer.batches():
                    for record in batch.records():
                        seen.append((record.offset, batch.epoch, record.value))
                    if seen[-1][0] == 3:
                        break
    assert [(o, v) for o, _, v in seen[1:]] == [(1, b"a"), (2, b"b"), (3, b"c")]


@pytest.mark.parametrize("mode", RAFT_MODES)
async def test_observer_follows_a_truncation(
    served: tuple[FakeServer, FakePort], mode: Mode
) -> None:
    _, port = served
    port.append_data(3, [b"committed"])  # 1
    port.sync(high_watermark=2)
    port.append_data(3, [b"lost"])  # 2, never committed
    port.sync(high_watermark=2)
    observer = RaftObserver([address(port)], mode=mode)

    async def new_leader() -> None:
        # Until the observer has fetched the uncommitted offset 2 (its log ends at 3).
        while fetched_end(observer) < 3:
            await trio.sleep(0.01)
        port.truncate(2)
        port.set(epoch=4)
        port.append_leader_change(4)  # 2
        port.append_data(4, [b"new"])  # 3
        port.sync()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(new_leader)
        got = await collect(observer, 4)
    assert [(o, e, v) for o, e, v in got if v is not None] == [(1, 3, b"committed"), (3, 4, b"new")]
    assert [o for o, _, _ in got] == [0, 1, 2, 3]
    # It had fetched offset 2 (log end 3) and cut it: the observer says so.
    assert observer.truncations == [Truncation(from_end_offset=3, to_end_offset=2)]


@pytest.mark.parametrize("mode", ["raft", "stream", "consumer"])
async def test_observer_from_an_offset_inside_a_batch(
    served: tuple[FakeServer, FakePort], mode: Mode
) -> None:
    _, port = served
    port.append_data(3, [b"a", b"b", b"c"])  # 1-3
    port.append_data(3, [b"d"])  # 4
    port.sync()
    got = await collect(RaftObserver([address(port)], start=2, mode=mode), 3)
    assert [(o, v) for o, _, v in got] == [(2, b"b"), (3, b"c"), (4, b"d")]


def tail_args(port: FakePort, *extra: str) -> argparse.Namespace:
    from kraft.cli import build_parser

    argv = ["tail", "--bootstrap-server", str(address(port)), *extra]
    return build_parser(argv).parse_args(argv)


async def test_tail_cli(served: tuple[FakeServer, FakePort]) -> None:
    _, port = served
    port.append_data(3, [b"hello", b"\x00\x01"])
    port.sync()
    out = io.StringIO()
    assert await tail(tail_args(port, "--from-beginning", "--until-high-watermark"), out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("offset: 0 epoch: 3 ") and "LEADER_CHANGE" in lines[0]
    assert lines[1].endswith("value (text): hello")
    assert lines[2].endswith("value (hex): 0001")
    out = io.StringIO()
    assert await tail(tail_args(port, "--offset", "2", "--max-records", "1", "--json"), out) == 0
    [line] = out.getvalue().splitlines()
    assert json.loads(line)["offset"] == 2


async def test_describe_quorum_and_observers_with_ids(
    served: tuple[FakeServer, FakePort],
) -> None:
    server, port = served
    port.append_data(3, [b"x"])
    port.sync()
    result = await describe([address(port)])
    assert result["leader_id"] == 1 and result["leader_epoch"] == 3
    assert result["cluster_id"] == "test-cluster"
    assert [v["node_id"] for v in result["voters"]] == [1, 2, 3]
    assert [v["lag"] for v in result["voters"]] == [0, 1, 2]
    assert result["max_follower_lag"] == 2
    assert result["observers"] == []
    # An id-less tail leaves no trace; a tail with an id is an observer.
    await tail(tail_args(port, "--from-beginning", "--max-records", "1"), io.StringIO())
    assert server.observer_ids == set()
    await tail(
        tail_args(port, "--from-beginning", "--max-records", "1", "--id", "7"), io.StringIO()
    )
    result = await describe([address(port)])
    assert [o["node_id"] for o in result["observers"]] == [7]


async def test_unreachable_quorum_is_one_error_line() -> None:
    from kraft.cli import main

    code = await trio.to_thread.run_sync(
        lambda: main(
            ["describe-quorum", "--bootstrap-server", "127.0.0.1:1", "--timeout-ms", "300"]
        )
    )
    assert code == 1


async def test_observer_from_a_log_start_after_a_snapshot(
    served: tuple[FakeServer, FakePort],
) -> None:
    _, port = served
    port.append_data(3, [b"a", b"b"])  # 1-2
    port.append_data(3, [b"c"])  # 3
    port.append_data(3, [b"d"])  # 4
    port.batches = port.batches[2:]  # offsets 0-2 now live only in a snapshot
    port.set(log_start_offset=3)
    port.sync()
    # Consumer mode: the node serves from its log start. (In raft mode a real leader answers
    # with a SnapshotId and the core downloads it; this fake leader serves no FetchSnapshot.)
    got = await collect(RaftObserver([address(port)], start="earliest", mode="consumer"), 2)
    assert [(o, v) for o, _, v in got] == [(3, b"c"), (4, b"d")]


def snapshot_of(port: FakePort, end_offset: int) -> bytes:
    """A snapshot of the fake log up to `end_offset`, as a leader writes one: its batches with
    offsets from 0 (here simply the log's own batches below the end)."""
    return b"".join(b for b in port.batches if read_batch_header(b).last_offset < end_offset)


@pytest.mark.parametrize(
    ("start", "printed"), [("earliest", [0, 1, 2, 3, 4]), (1, [0, 1, 2, 3, 4]), (3, [3, 4])]
)
async def test_stream_prints_a_snapshot_then_the_log(
    served: tuple[FakeServer, FakePort], start: Start, printed: list[int]
) -> None:
    """The leader's log starts at a snapshot: from the earliest or below its end, its records
    come first (fetched in chunks), then the log from the log start, each record once."""
    server, port = served
    port.append_data(3, [b"a", b"b"])  # 1-2
    port.append_data(3, [b"c"])  # 3
    port.append_data(3, [b"d"])  # 4
    server.snapshot = (3, 3, snapshot_of(port, 3))
    server.snapshot_chunk_bytes = 50  # several FetchSnapshot rounds
    port.set(log_start_offset=3)
    port.sync()
    observer = RaftObserver([address(port)], start=start, mode="stream", include_snapshot=True)
    got = await collect(observer, len(printed))
    assert [o for o, _, _ in got] == printed
    assert [v for _, _, v in got][-2:] == [b"c", b"d"]
    # Without the snapshot's content, an offset below the log start cannot be printed.
    observer = RaftObserver([address(port)], start=1, mode="stream")
    with pytest.raises(ObserverError, match="below the log start 3"):
        await collect(observer, 1)
    got = await collect(RaftObserver([address(port)], start="earliest", mode="stream"), 2)
    assert [o for o, _, _ in got] == [3, 4]


async def test_tail_wrong_cluster_id_is_one_error_line(
    served: tuple[FakeServer, FakePort], capsys: object
) -> None:
    from kraft.cli import main

    _, port = served
    argv = ["tail", "--bootstrap-server", str(address(port)), "--cluster-id", "other-cluster"]
    code = await trio.to_thread.run_sync(lambda: main(argv))
    assert code == 1
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert err.count("\n") == 1 and "cluster id" in err


async def test_log_dir_is_temporary_unless_given(
    served: tuple[FakeServer, FakePort], tmp_path: Path
) -> None:
    _, port = served
    port.append_data(3, [b"a"])  # 1
    port.sync()
    observer = RaftObserver([address(port)])
    got = await collect(observer, 2)
    assert [v for _, _, v in got] == [None, b"a"]
    assert observer.follower is not None and observer.follower.log_dir is not None
    assert not observer.follower.log_dir.exists()  # deleted on exit
    kept = tmp_path / "kept"
    got = await collect(RaftObserver([address(port)], log_dir=kept), 2)
    assert [v for _, _, v in got] == [None, b"a"]
    partition = kept / "__cluster_metadata-0"
    state = QuorumStateStore(partition).read()
    assert state is not None and (state.epoch, state.leader_id) == (3, 1)
    # A later observer on the same dir resumes from the local log (and the stored state).
    port.append_data(3, [b"b"])  # 2
    port.sync()
    got = await collect(RaftObserver([address(port)], log_dir=kept, start=2), 1)
    assert got == [(2, 3, b"b")]


async def test_refusals_are_observer_errors(served: tuple[FakeServer, FakePort]) -> None:
    _, port = served
    with pytest.raises(ObserverError, match="is a voter"):
        await collect(RaftObserver([address(port)], local_id=1), 1)
    for mode in RAFT_MODES:
        unreachable = RaftObserver([Address("127.0.0.1", 1)], give_up_after_ms=300, mode=mode)
        with pytest.raises(ObserverError, match="cannot reach the quorum"):
            await collect(unreachable, 1)
        with pytest.raises(ObserverError, match="cluster id"):
            await collect(RaftObserver([address(port)], cluster_id="other", mode=mode), 1)
