"""`kraft tail` (an id-less observer) following a real Kafka controller quorum (issue #11 item 3).

Three `kafka.Kafka` controllers formatted by Kafka's storage tool plus one broker
(`tests.kafka.controllers`), in two flavours: static voters (kraft.version 0), here, and a dynamic
quorum (`--initial-controllers`, kraft.version 1, found through
`controller.quorum.bootstrap.servers`), the same tests in `test_observe_controllers_dynamic.py`.
Kafka's TopicCommand/ConfigCommand create, alter and delete topics through the broker; a
snapshot every few KiB means a tail from offset 0 starts with a snapshot download (Kafka redirects
a fetch at offset 0 to its latest snapshot).

The oracles are Kafka's: its DumpLogSegments reads the leader's own segment files (each committed
batch the tail yields has the same offsets, epoch and CRC32C there, i.e. the same record bytes),
and its MetadataQuorumCommand (`describe --status`) never lists the tail among the observers and
agrees with `kraft describe-quorum --bootstrap-controller`.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trio

from kraft.shell.client import Address, CommittedBatch, RaftObserver
from kraft.shell.client.observer import EARLIEST, LATEST, Start
from tests.e2e.cluster import ROOT
from tests.kafka.controllers import BROKER_ID, KafkaControllerQuorum
from tests.kafka.kafka import require_kafka, run_tool

pytestmark = pytest.mark.slow

DUMP_LOG = "org.apache.kafka.tools.DumpLogSegments"
TAIL_TIMEOUT_S = 90
# Generous: one test starts the tail before Kafka's controllers have even opened their ports.
GIVE_UP_MS = 240_000


@dataclass(frozen=True)
class Batch:
    base_offset: int
    last_offset: int
    epoch: int
    crc: int
    is_control: bool


class Tailer:
    """`RaftObserver(local_id=None)` in a thread: committed batches collected as they come."""

    def __init__(self, bootstrap: str, start: Start) -> None:
        self.bootstrap = [Address.parse(a) for a in bootstrap.split(",")]
        self.start = start
        self.batches: list[Batch] = []
        self.raw: list[CommittedBatch] = []
        self.first_offset: int | None = None
        # End offsets of the snapshots the observer had to install mid-stream: a tail slower
        # than the controllers' snapshots plus retention (1 s here) fetches below the leader's
        # log start, installs its latest snapshot and goes on from there, as Kafka's own
        # listeners do; the log it yields is then contiguous on each side of that jump.
        self.snapshot_ends: list[int] = []
        self.error: BaseException | None = None
        # The running observer (its Raft core's view: leader, epoch, log end, truncations).
        self.observer: RaftObserver | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Tailer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)
        assert not self._thread.is_alive(), "the observer did not stop"

    def _run(self) -> None:
        try:
            trio.run(self._tail)
        except BaseException as exc:
            self.error = exc

    async def _tail(self) -> None:
        give_up_ms = GIVE_UP_MS
        async with RaftObserver(
            self.bootstrap, start=self.start, give_up_after_ms=give_up_ms, include_snapshot=True
        ) as obs:
            self.observer = obs
            while not self._stop.is_set():
                with trio.move_on_after(0.5):
                    for batch in await obs.poll():
                        assert obs.start_offset is not None
                        if batch.last_offset < obs.start_offset:
                            # a snapshot's batch (offsets from 0 inside it), not the log's
                            if obs.start_offset not in self.snapshot_ends:
                                self.snapshot_ends.append(obs.start_offset)
                            continue
                        if self.first_offset is None:
                            self.first_offset = batch.first_offset
                        self.raw.append(batch)
                        self.batches.append(
                            Batch(
                                batch.base_offset,
                                batch.last_offset,
                                batch.epoch,
                                batch.header.crc,
                                batch.is_control,
                            )
                        )

    @property
    def next_offset(self) -> int:
        return self.batches[-1].last_offset + 1 if self.batches else -1

    def wait_until(self, offset: int, timeout_s: float = TAIL_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.error is None, f"the observer failed: {self.error!r}"
            if self.next_offset >= offset:
                return
            time.sleep(0.2)
        raise AssertionError(f"the tail reached {self.next_offset}, not {offset}, in {timeout_s} s")

    def check_contiguous(self) -> None:
        """Each committed batch once, in order: no gap, no duplicate."""
        for before, after in zip(self.batches, self.batches[1:], strict=False):
            if after.base_offset in self.snapshot_ends and after.base_offset > before.last_offset:
                continue  # the log after a snapshot installed mid-stream
            assert after.base_offset == before.last_offset + 1, (before, after)


def dump_log(quorum: KafkaControllerQuorum, node_id: int) -> dict[int, Batch]:
    """Every batch of controller `node_id`'s own segment files, read by Kafka's DumpLogSegments."""
    return parse_batches(dump_log_text(quorum, node_id))


def dump_log_text(
    quorum: KafkaControllerQuorum, node_id: int, *flags: str, directory: Path | None = None
) -> str:
    """Kafka's DumpLogSegments over controller `node_id`'s own segment files (or over the copy
    of them in `directory`)."""
    directory = directory or quorum.controller_log_dir(node_id)
    files = sorted(str(p) for p in directory.glob("*.log"))
    result = run_tool(DUMP_LOG, *flags, "--files", ",".join(files), timeout_s=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def parse_batches(text: str) -> dict[int, Batch]:
    """DumpLogSegments' batch lines by base offset (every batch valid)."""
    out = {}
    for line in text.splitlines():
        if not line.startswith("baseOffset:"):
            continue
        fields = dict(re.findall(r"(\w+): (\S+)", line))
        assert fields["isvalid"] == "true", line
        batch = Batch(
            int(fields["baseOffset"]),
            int(fields["lastOffset"]),
            int(fields["partitionLeaderEpoch"]),
            int(fields["crc"]),
            fields["isControl"] == "true",
        )
        out[batch.base_offset] = batch
    return out


def wait_for_segment_deletion(
    quorum: KafkaControllerQuorum, node_id: int, timeout_s: float = 90
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        segments = sorted(quorum.controller_log_dir(node_id).glob("*.log"))
        if segments and not segments[0].name.startswith("0" * 20):
            return
        time.sleep(0.5)
    raise AssertionError(f"controller {node_id} kept its first segment for {timeout_s} s")


def quorum_high_watermark(quorum: KafkaControllerQuorum) -> int:
    return int(quorum.quorum_status()["HighWatermark"])


def kraft(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kraft.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def start_quorum(directory: object, dynamic: bool) -> Iterator[KafkaControllerQuorum]:
    require_kafka()
    quorum = KafkaControllerQuorum(directory, dynamic=dynamic)  # type: ignore[arg-type]
    try:
        quorum.start(timeout_s=240)
        yield quorum
    finally:
        quorum.close()
    assert not quorum.fatal(), f"Kafka halted on a fatal fault: nodes {quorum.fatal()}"


@pytest.fixture(scope="module")
def quorum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaControllerQuorum]:
    """The static flavour (test_observe_controllers_dynamic.py: the same tests, dynamic)."""
    yield from start_quorum(tmp_path_factory.mktemp("kafka-static"), dynamic=False)


def copy_segments(quorum: KafkaControllerQuorum) -> dict[int, Path]:
    """Each live controller's segment files now, copied: retention (1 s behind a snapshot every
    2 s) deletes them while Kafka's tools start up, which takes minutes on a loaded machine."""
    copies = {}
    for node_id, controller in quorum.controllers.items():
        if not controller.alive:
            continue
        copies[node_id] = copy = quorum.directory / f"segments-{node_id}-{time.monotonic_ns()}"
        copy.mkdir()
        for segment in quorum.controller_log_dir(node_id).glob("*.log"):
            with contextlib.suppress(FileNotFoundError):  # deleted since the listing
                shutil.copyfile(segment, copy / segment.name)
    return copies


def check_against_leader_files(quorum: KafkaControllerQuorum, tailer: Tailer) -> None:
    """Every batch the tail yielded is in the leader's own files with the same bytes (CRC)."""
    copies = copy_segments(quorum)
    leader = quorum.leader_id()
    leader_files = parse_batches(dump_log_text(quorum, leader, directory=copies[leader]))
    assert tailer.batches and leader_files
    # Retention may have deleted the oldest segments (a snapshot covers them).
    log_start = min(leader_files)
    compared = [b for b in tailer.batches if b.base_offset >= log_start]
    assert compared, f"all {len(tailer.batches)} tailed batches are below the log start {log_start}"
    for batch in compared:
        assert leader_files.get(batch.base_offset) == batch, batch


def test_tail_from_beginning_starts_with_snapshot_and_matches_dump_log(
    quorum: KafkaControllerQuorum,
) -> None:
    # Enough metadata for a snapshot (a few KiB between snapshots) before the tail starts.
    for n in range(3):
        quorum.admin("--create", "--topic", f"early-{n}", "--partitions", "2")
    # Retention deleted the leader's first segments (snapshots cover them): a fetch at 0 is
    # now below its log start as well.
    wait_for_segment_deletion(quorum, quorum.leader_id())
    with Tailer(quorum.bootstrap_controllers, EARLIEST) as tailer:
        quorum.admin("--create", "--topic", "while-tailing", "--partitions", "1")
        quorum.alter_config("while-tailing", "retention.ms=12345")
        quorum.admin("--alter", "--topic", "while-tailing", "--partitions", "3")
        quorum.admin("--delete", "--topic", "early-0")
        tailer.wait_until(quorum_high_watermark(quorum))
    tailer.check_contiguous()
    # Kafka answered the fetch at offset 0 with its latest snapshot: the log followed starts
    # at a snapshot's end offset, not at 0.
    assert tailer.first_offset is not None and tailer.first_offset > 0
    check_against_leader_files(quorum, tailer)


def test_tail_from_end_sees_new_topics_only(quorum: KafkaControllerQuorum) -> None:
    with Tailer(quorum.bootstrap_controllers, LATEST) as tailer:
        tailer.wait_until(0)  # the first batch arrives (a NoOp every 500 ms)
        start = tailer.batches[0].base_offset
        quorum.admin("--create", "--topic", "from-end", "--partitions", "1")
        quorum.admin("--delete", "--topic", "from-end")
        tailer.wait_until(quorum_high_watermark(quorum))
    tailer.check_contiguous()
    assert start > 0
    check_against_leader_files(quorum, tailer)


def test_tail_is_never_an_observer_and_describe_quorum_matches(
    quorum: KafkaControllerQuorum,
) -> None:
    with Tailer(quorum.bootstrap_controllers, LATEST) as tailer:
        tailer.wait_until(0)
        kafka = quorum.quorum_status()
        ours = kraft("describe-quorum", "--bootstrap-controller", quorum.bootstrap_controllers)
        assert ours.returncode == 0, ours.stderr
    # Only the broker observes; the id-less tail leaves no replica state on the leader.
    observers = json.loads(kafka["CurrentObservers"])
    assert [o["id"] for o in observers] == [BROKER_ID]
    own = {
        name: value.strip()
        for name, _, value in (line.partition(":") for line in ours.stdout.splitlines())
    }
    for field in ("ClusterId", "LeaderId", "LeaderEpoch"):
        assert own[field] == kafka[field], (field, own[field], kafka[field])
    for field in ("CurrentVoters", "CurrentObservers"):
        assert json.loads(own[field]) == json.loads(kafka[field]), (field, own, kafka)
    assert own["ClusterId"] == quorum.cluster_id
    # kraft.version 1 (dynamic): voters carry their directory ids; static voters have none.
    voters = json.loads(kafka["CurrentVoters"])
    assert [v.get("directoryId") for v in voters] == [
        quorum.directory_ids[v["id"]] if quorum.dynamic else None for v in voters
    ]
    # Ours was asked after Kafka's tool: the same high watermark or a later one.
    assert 0 <= int(own["HighWatermark"]) - int(kafka["HighWatermark"]) < 1000


def test_kraft_tail_command_until_high_watermark(quorum: KafkaControllerQuorum) -> None:
    """The `kraft tail` command itself: from the beginning to the high watermark it saw at
    start-up (learned from the leader's DescribeQuorum: controllers serve no ListOffsets)."""
    high_watermark = quorum_high_watermark(quorum)
    result = kraft(
        *("tail", "--bootstrap-controller", quorum.bootstrap_controllers),
        *("--from-beginning", "--until-high-watermark", "--json"),
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    # The controllers' log starts at a snapshot: `kraft tail` prints it first (offsets from 0
    # inside the snapshot, header to footer), then the log from the snapshot's end.
    if lines and lines[0].get("control", {}).get("type") == "SNAPSHOT_HEADER":
        types = [line.get("control", {}).get("type") for line in lines]
        lines = lines[types.index("SNAPSHOT_FOOTER") + 1 :]
    offsets = [line["offset"] for line in lines]
    assert offsets == list(range(offsets[0], offsets[-1] + 1))
    assert offsets[-1] + 1 >= high_watermark


def test_tail_follows_a_new_leader_after_kill_9(quorum: KafkaControllerQuorum) -> None:
    """Last in the module: it leaves one controller dead."""
    with Tailer(quorum.bootstrap_controllers, LATEST) as tailer:
        tailer.wait_until(0)
        old_leader = quorum.leader_id()
        quorum.controllers[old_leader].kill()
        new_leader = quorum.wait_for_leader(120)
        deadline = time.monotonic() + 120
        while new_leader == old_leader and time.monotonic() < deadline:
            time.sleep(1)
            new_leader = quorum.leader_id()
        assert new_leader != old_leader
        quorum.admin("--create", "--topic", "after-kill", "--partitions", "1")
        tailer.wait_until(quorum_high_watermark(quorum))
    tailer.check_contiguous()
    epochs = {b.epoch for b in tailer.batches}
    assert len(epochs) >= 2, epochs  # it followed the log across the election
    check_against_leader_files(quorum, tailer)
