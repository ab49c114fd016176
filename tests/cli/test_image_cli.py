"""`kraft image` against a fake one-node leader whose log holds real metadata records: the image
printed once (text, JSON, `--offset`), `--watch` sentences, unknown types, records that do not fit.
(Real Kafka controllers, snapshots and MetadataShell: tests/kafka/test_cluster_image.py.)
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from kraft.cli import build_parser, expected_error
from kraft.cli.image import ImageFollower, _once, _watch, image_command
from kraft.image import ImageError, MetadataImage, image_json
from kraft.shell.client.state import CommittedBatch, ObserverError
from kraft.types import ReplicaAddress
from tests.cli.fakes import SilentServer
from tests.cli.test_connect import STARTUP_SLACK_S
from tests.consumer.fake_server import FakeServer
from tests.consumer.fakes import FakePort
from tests.e2e.cluster import ROOT
from wire.errors import DecodeError
from wire.fields import Message
from wire.messages.quorum_state import uuid_to_base64
from wire.metadata import decode_metadata_record, encode_metadata_record
from wire.metadata import records as r
from wire.records.batch import read_batch_header
from wire.records.builder import build_data_batch

EPOCH = 3
KRAFT_IMAGE = (sys.executable, "-m", "kraft.cli", "image")
ORDERS = uuid.UUID(int=0xABC)
BROKER_RECORDS: list[Message] = [
    r.FeatureLevelRecord("metadata.version", 27),
    *(
        r.RegisterBrokerRecord(
            broker_id=b,
            incarnation_id=uuid.UUID(int=b),
            broker_epoch=5 + b,
            end_points=[
                r.RegisterBrokerRecord.BrokerEndpoint("PLAINTEXT", "127.0.0.1", 9000 + b, 0)
            ],
            rack=f"rack-{b}",
            fenced=True,
        )
        for b in (1, 2)
    ),
]
UNFENCE: list[Message] = [
    r.UnfenceBrokerRecord(id=1, epoch=6),
    r.UnfenceBrokerRecord(id=2, epoch=7),
]
TOPIC: list[Message] = [
    r.TopicRecord("orders", ORDERS),
    *(
        r.PartitionRecord(
            partition_id=p,
            topic_id=ORDERS,
            replicas=[1, 2],
            isr=[1, 2],
            leader=1 + p % 2,
            leader_epoch=0,
            partition_epoch=0,
        )
        for p in range(2)
    ),
    r.ConfigRecord(2, "orders", "retention.ms", "1000"),
]


def framed(records: list[Message]) -> list[bytes]:
    return [encode_metadata_record(rec, rec.VERSIONS.hi) for rec in records]


@pytest.fixture
async def leader() -> AsyncIterator[FakePort]:
    """A fake leader: LeaderChange (0), brokers (1-3), unfence (4-5), topic orders (6-9)."""
    port = FakePort()
    server = FakeServer(port)
    async with trio.open_nursery() as nursery:
        listen_port = await nursery.start(server.serve)
        port.set(voters=(ReplicaAddress(1, "127.0.0.1", listen_port),))
        port.append_leader_change(EPOCH)
        for batch in (BROKER_RECORDS, UNFENCE, TOPIC):
            port.append_data(EPOCH, framed(batch))
        port.sync()
        yield port
        nursery.cancel_scope.cancel()


def image_args(port: FakePort, *extra: str) -> argparse.Namespace:
    argv = ["image", "--bootstrap-server", f"127.0.0.1:{port.view().voters[0].port}", *extra]
    return build_parser(argv).parse_args(argv)


def expected(*batches: list[Message]) -> MetadataImage:
    image = MetadataImage()
    for batch in batches:
        image.apply_batch([decode_metadata_record(b) for b in framed(batch)])
    return image


async def test_image_once_as_text(leader: FakePort) -> None:
    out = io.StringIO()
    with trio.fail_after(20):
        assert await image_command(image_args(leader), out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "Metadata image at offset 10: 0 controllers, 2 brokers, 1 topics, 2 partitions"
    )
    assert "Features: metadata.version=27" in lines
    assert "Broker: 1\tEpoch: 6\tRack: rack-1\tState: unfenced\tPLAINTEXT://127.0.0.1:9001" in lines
    assert (
        f"Topic: orders\tTopicId: {uuid_to_base64(ORDERS)}\tPartitionCount: 2\t"
        "ReplicationFactor: 2\tConfigs: retention.ms=1000"
    ) in lines
    assert (
        "\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 1,2\tIsr: 1,2\tElr: \t"
        "LastKnownElr: \tLeaderEpoch: 0\tPartitionEpoch: 0"
    ) in lines


async def test_image_once_as_json_and_at_an_offset(leader: FakePort) -> None:
    out = io.StringIO()
    with trio.fail_after(20):
        assert await image_command(image_args(leader, "--json"), out) == 0
    printed = json.loads(out.getvalue())
    image = image_json(expected(BROKER_RECORDS, UNFENCE, TOPIC))
    assert printed == {"offset": 10, "snapshot": None, "image": image}
    # --offset 4: the records below 4 only (brokers registered, still fenced, no topic).
    out = io.StringIO()
    with trio.fail_after(20):
        assert await image_command(image_args(leader, "--json", "--offset", "4"), out) == 0
    printed = json.loads(out.getvalue())
    assert printed == {"offset": 4, "snapshot": None, "image": image_json(expected(BROKER_RECORDS))}
    assert [b["fenced"] for b in printed["image"]["brokers"]] == [True, True]


async def test_watch_prints_the_image_then_each_change(leader: FakePort) -> None:
    out = io.StringIO()

    async def changes_then_stop(cancel: trio.CancelScope) -> None:
        with trio.fail_after(20):
            while "Metadata image at offset 10" not in out.getvalue():
                await trio.sleep(0.05)
            leader.append_data(EPOCH, framed([r.FenceBrokerRecord(id=2, epoch=7)]))
            leader.append_data(
                EPOCH,
                framed(
                    [
                        r.PartitionChangeRecord(partition_id=1, topic_id=ORDERS, leader=1, isr=[1]),
                        r.PartitionRecord(
                            partition_id=2, topic_id=ORDERS, replicas=[1, 2], isr=[1], leader=1
                        ),
                    ]
                ),
            )
            leader.append_data(EPOCH, framed([r.RemoveTopicRecord(ORDERS)]))
            leader.sync()
            while "topic orders deleted" not in out.getvalue():
                await trio.sleep(0.05)
        cancel.cancel()

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(changes_then_stop, nursery.cancel_scope)
            await image_command(image_args(leader, "--watch"), out)
    changes = out.getvalue().split("PartitionEpoch: 0\n")[-1].splitlines()
    assert changes == [
        "10: broker 2 fenced",
        "11: partition orders-1 leader 2 → 1 (epoch 1)",
        "11: partition orders-1 ISR [1,2] → [1]",
        "11: topic orders: 1 partition added (2)",
        "13: topic orders deleted (3 partitions)",
    ]


async def test_watch_from_beginning_as_json(leader: FakePort) -> None:
    out = io.StringIO()

    async def stop_when_done(cancel: trio.CancelScope) -> None:
        with trio.fail_after(20):
            while "retention.ms" not in out.getvalue():
                await trio.sleep(0.05)
        cancel.cancel()

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(stop_when_done, nursery.cancel_scope)
            await image_command(image_args(leader, "--watch", "--from-beginning", "--json"), out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(c["offset"], c["change"]) for c in lines] == [
        (1, "feature-level"),
        (1, "broker-registered"),
        (1, "broker-registered"),
        (4, "broker-unfenced"),
        (4, "broker-unfenced"),
        (6, "topic-created"),
        (6, "config-set"),
    ]
    assert lines[5]["partitions"] == 2 and lines[5]["replication_factor"] == 2


async def test_unknown_record_types_are_skipped_and_said(
    leader: FakePort, capsys: pytest.CaptureFixture[str]
) -> None:
    # ClearElrRecord at a version from the future (type 28, v7): skipped, said on stderr once.
    leader.append_data(EPOCH, [bytes([1, 28, 7, 0]), bytes([1, 28, 7, 0])])
    leader.sync()
    out = io.StringIO()
    with trio.fail_after(20):
        assert await image_command(image_args(leader, "--json"), out) == 0
    assert json.loads(out.getvalue())["offset"] == 12
    err = capsys.readouterr().err
    assert err.count("skipping metadata records of type 28 version 7") == 1


async def test_a_record_that_does_not_fit_is_one_error(leader: FakePort) -> None:
    leader.append_data(EPOCH, framed([r.FenceBrokerRecord(id=9, epoch=1)]))
    leader.sync()
    with trio.fail_after(20), pytest.raises(BaseException) as raised:
        await image_command(image_args(leader), io.StringIO())
    # What `run` prints as its one line (trio may wrap the error in a group).
    problem = expected_error(raised.value, (ImageError,))
    assert str(problem) == "offset 10: FenceBrokerRecord: broker 9 is not registered"


async def test_a_log_of_other_data_is_one_error(leader: FakePort) -> None:
    """A test raft server's log (random bytes, not metadata records): said at its first record."""
    leader.append_data(EPOCH, [bytes([0x25, 0x10, 0x99])])
    leader.sync()
    with trio.fail_after(20), pytest.raises(BaseException) as raised:
        await image_command(image_args(leader), io.StringIO())
    problem = expected_error(raised.value, (DecodeError,))
    assert str(problem).startswith("offset 10: not a metadata record (unsupported metadata frame")
    assert str(problem).endswith("is this the log of a Kafka metadata quorum?")


def test_usage_errors_are_one_line() -> None:
    def kraft(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kraft.cli", "image", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    result = kraft("--bootstrap-server", "127.0.0.1:1", "--from-beginning")
    assert result.returncode == 2
    assert result.stderr == "kraft image: error: --from-beginning goes with --watch\n"
    result = kraft("--bootstrap-server", "127.0.0.1:1", "--timeout-ms", "2000")
    assert result.returncode == 1
    assert result.stderr.startswith("kraft image: error: ") and result.stderr.count("\n") == 1


class ScriptedObserver:
    """What `ImageFollower` uses of a `RaftObserver`, scripted: the local log starts at a
    snapshot (a `.checkpoint` file in `partition_dir`, as the follower downloads it), then gives
    the batches queued in `log`; `high_watermark` is what ListOffsets answers."""

    def __init__(self, directory: Path, snapshot: list[Message], snapshot_end: int) -> None:
        self.partition_dir = directory
        self.follower = self
        self.start_offset: int | None = None
        self.high_watermark = snapshot_end
        self.log: list[CommittedBatch] = []
        self.jump_to_snapshot(snapshot, snapshot_end)

    def jump_to_snapshot(self, snapshot: list[Message], snapshot_end: int) -> None:
        """The local log now starts at a (newer) snapshot: the next poll gives its batches
        (offsets from 0, as `RaftObserver(include_snapshot=True)`), then the log after it."""
        self.snapshot_end = snapshot_end
        self.log = []
        data = build_data_batch(0, EPOCH, 0, framed(snapshot))
        (self.partition_dir / f"{snapshot_end:020d}-{EPOCH:010d}.checkpoint").write_bytes(data)

    def append(self, records: list[Message]) -> None:
        base = self.log[-1].last_offset + 1 if self.log else self.snapshot_end
        data = build_data_batch(base, EPOCH, 0, framed(records))
        self.log.append(CommittedBatch(read_batch_header(data), data, base))

    async def poll(self) -> list[CommittedBatch]:
        await trio.sleep(0.01)
        if self.start_offset != self.snapshot_end:
            self.start_offset = self.snapshot_end
            snapshot = await self.read_snapshot_at(self.snapshot_end)
            assert snapshot is not None
            return [CommittedBatch(read_batch_header(snapshot), snapshot, 0)]
        out, self.log = self.log, []
        return out

    async def read_snapshot_at(self, end_offset: int) -> bytes | None:
        path = self.partition_dir / f"{end_offset:020d}-{EPOCH:010d}.checkpoint"
        return path.read_bytes() if path.exists() else None

    async def leader_connection(self) -> object:
        return object()

    async def list_offset(self, conn: object, timestamp: int) -> int:
        return self.high_watermark

    async def close(self) -> None:
        pass


def scripted(tmp_path: Path, *argv: str) -> tuple[ScriptedObserver, argparse.Namespace]:
    # Offsets 0-9 (LeaderChange, brokers, unfencing, topic orders) are in a snapshot ending at 10.
    observer = ScriptedObserver(tmp_path, [*BROKER_RECORDS, *UNFENCE, *TOPIC], 10)
    args = build_parser(["image", "--bootstrap-server", "h:1", *argv]).parse_args(
        ["image", "--bootstrap-server", "h:1", *argv]
    )
    return observer, args


async def test_image_once_starts_from_the_snapshot(tmp_path: Path) -> None:
    observer, args = scripted(tmp_path, "--json")
    observer.append([r.FenceBrokerRecord(id=2, epoch=7)])
    observer.high_watermark = 11
    out = io.StringIO()
    follower = ImageFollower(observer, io.StringIO())  # type: ignore[arg-type]
    assert await _once(args, follower, out) == 0
    fenced = [r.FenceBrokerRecord(id=2, epoch=7)]
    assert json.loads(out.getvalue()) == {
        "offset": 11,
        "snapshot": 10,
        "image": image_json(expected(BROKER_RECORDS, UNFENCE, TOPIC, fenced)),
    }
    # A snapshot newer than the high watermark seen at start-up: the image at the snapshot.
    (tmp_path / "newer").mkdir()
    observer, args = scripted(tmp_path / "newer", "--json")
    observer.high_watermark = 7
    out = io.StringIO()
    assert await _once(args, ImageFollower(observer, io.StringIO()), out) == 0  # type: ignore[arg-type]
    assert json.loads(out.getvalue())["offset"] == 10
    # An explicit offset below the snapshot cannot be built.
    (tmp_path / "below").mkdir()
    observer, args = scripted(tmp_path / "below", "--offset", "7")
    with pytest.raises(ObserverError, match="offset 7 is below the log start 10"):
        await _once(args, ImageFollower(observer, io.StringIO()), io.StringIO())  # type: ignore[arg-type]


@pytest.mark.parametrize("from_beginning", [False, True])
async def test_watch_from_a_snapshot(tmp_path: Path, from_beginning: bool) -> None:
    """The snapshot is where the image starts: a change only with --from-beginning (it may be
    newer than the high watermark seen at start-up, as here: 7 < 10)."""
    extra = ["--from-beginning"] if from_beginning else []
    observer, args = scripted(tmp_path, "--watch", *extra)
    observer.high_watermark = 7
    out = io.StringIO()
    follower = ImageFollower(observer, io.StringIO())  # type: ignore[arg-type]

    async def change_then_stop(cancel: trio.CancelScope) -> None:
        with trio.fail_after(10):
            while follower.offset < 10:
                await trio.sleep(0.01)
            observer.append([r.FenceBrokerRecord(id=2, epoch=7)])
            while "broker 2 fenced" not in out.getvalue():
                await trio.sleep(0.01)
        cancel.cancel()

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(change_then_stop, nursery.cancel_scope)
            await _watch(args, follower, out)
    lines = out.getvalue().splitlines()
    if from_beginning:
        assert lines == [
            "10: snapshot loaded: 1 topic, 2 partitions, 2 brokers, 0 controllers",
            "10: broker 2 fenced",
        ]
    else:
        assert lines[0].startswith("Metadata image at offset 10 (from a snapshot at offset 10)")
        assert lines[-1] == "10: broker 2 fenced"
        assert not any("snapshot loaded" in line for line in lines)


@pytest.mark.parametrize("as_json", [False, True])
async def test_watch_that_fell_behind_the_log_start_reloads_the_newer_snapshot(
    tmp_path: Path, as_json: bool
) -> None:
    """The observer jumped to a newer snapshot mid-stream (the leader's retention deleted what
    a paused watch had not fetched): the image restarts from it, said as one change, and the
    watch goes on with the changes after it (it used to end with "below the log start")."""
    observer, args = scripted(tmp_path, "--watch", *(["--json"] if as_json else []))
    out = io.StringIO()
    follower = ImageFollower(observer, io.StringIO())  # type: ignore[arg-type]
    # While the watch was behind: topic orders deleted and broker 1 fenced (the new snapshot).
    newer = [*BROKER_RECORDS, r.UnfenceBrokerRecord(id=2, epoch=7)]

    async def jump_then_change(cancel: trio.CancelScope) -> None:
        with trio.fail_after(10):
            while not out.getvalue():
                await trio.sleep(0.01)  # the image at the first snapshot is printed
            observer.jump_to_snapshot(newer, 40)
            while follower.offset < 40:
                await trio.sleep(0.01)
            observer.append([r.FenceBrokerRecord(id=2, epoch=7)])
            while follower.offset < 41:
                await trio.sleep(0.01)
        cancel.cancel()

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(jump_then_change, nursery.cancel_scope)
            await _watch(args, follower, out)
    lines = out.getvalue().splitlines()
    if as_json:
        assert [json.loads(line) for line in lines[1:]] == [
            {"offset": 40, "change": "snapshot-loaded", "topics": 0, "partitions": 0}
            | {"brokers": 2, "controllers": 0},
            {"offset": 40, "change": "broker-fenced", "broker": 2, "epoch": 7},
        ]
    else:
        assert lines[0].startswith("Metadata image at offset 10 (from a snapshot at offset 10)")
        assert lines[-2:] == [
            "40: snapshot loaded: 0 topics, 0 partitions, 2 brokers, 0 controllers",
            "40: broker 2 fenced",
        ]
    assert follower.reloads == 1 and follower.snapshot_offset == 40
    fenced = r.FenceBrokerRecord(id=2, epoch=7)
    assert follower.image == expected(newer, [fenced])


async def test_an_offset_past_the_end_is_said_then_awaited(tmp_path: Path) -> None:
    observer, args = scripted(tmp_path, "--offset", "12", "--json")
    err, out = io.StringIO(), io.StringIO()
    follower = ImageFollower(observer, err)  # type: ignore[arg-type]

    async def write_offsets_10_and_11() -> None:
        with trio.fail_after(10):
            while "past the end" not in err.getvalue():
                await trio.sleep(0.01)
        observer.append([r.FenceBrokerRecord(id=2, epoch=7), r.FenceBrokerRecord(id=1, epoch=6)])

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(write_offsets_10_and_11)
            assert await _once(args, follower, out) == 0
    assert err.getvalue() == (
        "kraft image: offset 12 is past the end of the committed log (high watermark 10): "
        "waiting for it\n"
    )
    printed = json.loads(out.getvalue())
    assert printed["offset"] == 12
    assert [b["fenced"] for b in printed["image"]["brokers"]] == [True, True]


def test_a_silent_peer_is_bounded_by_the_timeout() -> None:
    """As every network tool (tests/cli/test_connect.py): a peer that accepts but never speaks
    Kafka ends the image after --timeout-ms, with one line naming it."""
    server = SilentServer()
    try:
        address = f"127.0.0.1:{server.port}"
        started = time.monotonic()
        result = subprocess.run(
            [*KRAFT_IMAGE, "--bootstrap-server", address, "--timeout-ms", "1500"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        elapsed_s = time.monotonic() - started
    finally:
        server.close()
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and address in result.stderr, result.stderr
    assert elapsed_s < 1.5 + STARTUP_SLACK_S, elapsed_s
