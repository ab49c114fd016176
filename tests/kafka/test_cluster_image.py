"""`kraft image` following a real Kafka controller quorum (issue #11 item 4).

One static 3-controller `kafka.Kafka` quorum plus a broker (`tests.kafka.controllers`), with a
snapshot every few KiB, so the image always starts from a snapshot the observer downloads.
Kafka's own tools act (TopicCommand creates a topic, adds partitions, deletes it; ConfigCommand
alters a topic config; at the end the broker is killed and the controller fences it); after
each action `kraft image --json` shows it and a running `kraft image --watch` printed its
sentence. The oracle for the whole image is Kafka's
MetadataShell (`tests.kafka.metadata_shell`): the image `kraft.image` builds from a controller's
snapshot file equals the shell's tree of that file, and equals what `kraft image` printed live.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kraft.image import MetadataImage, image_json, image_records, snapshot_metadata_records
from kraft.shell.snapshots import parse_snapshot_file_name
from tests.cli.test_image_model import full_image
from tests.e2e.cluster import ROOT
from tests.kafka.controllers import BROKER_ID, CONTROLLER_IDS, KafkaControllerQuorum
from tests.kafka.metadata_shell import comparable, comparable_image, shell_tree_of_snapshot
from tests.kafka.test_observe_controllers import start_quorum
from wire.metadata import encode_metadata_record
from wire.records.builder import build_data_batch

pytestmark = pytest.mark.slow

WAIT_S = 120
EXIT_BROKEN_PIPE = 141
KRAFT_IMAGE = (sys.executable, "-m", "kraft.cli", "image")


@pytest.fixture(scope="module")
def quorum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaControllerQuorum]:
    yield from start_quorum(tmp_path_factory.mktemp("kafka-image"), dynamic=False)


def kraft_image(quorum: KafkaControllerQuorum, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [*KRAFT_IMAGE, "--bootstrap-controller", quorum.bootstrap_controllers, "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed: dict[str, Any] = json.loads(result.stdout)
    return printed


class Watch:
    """`kraft image --watch` as a process; its output lines collected by a thread."""

    def __init__(self, quorum: KafkaControllerQuorum) -> None:
        self.process = subprocess.Popen(
            [*KRAFT_IMAGE, "--watch", "--bootstrap-controller", quorum.bootstrap_controllers],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str) -> str:
        """The first line ending with `text` (a change: `<offset>: <sentence>`)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if line.endswith(text):
                    return line
            assert self.process.poll() is None, self.process.stderr and self.process.stderr.read()
            time.sleep(0.1)
        raise AssertionError(f"--watch did not print {text!r}: {self.lines[-20:]}")

    def stop(self) -> tuple[int, str]:
        """Ctrl-C: the exit status and stderr."""
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=30)
        self._reader.join(10)
        return self.process.returncode, err


def topics(printed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in printed["image"]["topics"]}


def topic_configs(printed: dict[str, Any], topic: str) -> dict[str, str]:
    for entry in printed["image"]["configs"]:
        if entry["resourceType"] == "topic" and entry["resourceName"] == topic:
            configs: dict[str, str] = entry["configs"]
            return configs
    return {}


def wait_for_first_segment_deletion(quorum: KafkaControllerQuorum) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        firsts = [
            sorted(quorum.controller_log_dir(node_id).glob("*.log"))[:1]
            for node_id in CONTROLLER_IDS
        ]
        if all(first and not first[0].name.startswith("0" * 20) for first in firsts):
            return
        time.sleep(0.5)
    raise AssertionError(f"the controllers kept their first segments for {WAIT_S} s")


def latest_snapshot_after(quorum: KafkaControllerQuorum, offset: int) -> Path:
    """A controller's snapshot holding every record below `offset` (or more)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for node_id in CONTROLLER_IDS:
            for path in sorted(quorum.controller_log_dir(node_id).glob("*.checkpoint")):
                snapshot_id = parse_snapshot_file_name(path.name)
                if snapshot_id is not None and snapshot_id.offset >= offset:
                    return path
        time.sleep(0.5)
    raise AssertionError(f"no controller wrote a snapshot past offset {offset}")


def wait_for_log_start_past(quorum: KafkaControllerQuorum, offset: int) -> None:
    """Until every controller's log starts at `offset` or later (retention behind a snapshot)."""
    deadline = time.monotonic() + WAIT_S
    starts: list[int] = []
    while time.monotonic() < deadline:
        starts = [
            min((int(p.name[:20]) for p in quorum.controller_log_dir(i).glob("*.log")), default=0)
            for i in CONTROLLER_IDS
        ]
        if all(start >= offset for start in starts):
            return
        time.sleep(0.5)
    raise AssertionError(f"the controllers' logs start at {starts}, not past {offset}")


def test_a_paused_watch_reloads_the_latest_snapshot(quorum: KafkaControllerQuorum) -> None:
    """A watch paused (SIGSTOP) while the controllers snapshot and delete the log it had not
    fetched yet falls behind the leader's log start: it goes on from the leader's latest
    snapshot (one "snapshot loaded" line, as Kafka's own listeners reload), not with an error.
    First in the module: it needs the broker, and deletes the topic it creates."""
    watch = Watch(quorum)
    try:
        watch.wait_for("partitions")  # the image is printed
        watch.process.send_signal(signal.SIGSTOP)
        try:
            quorum.admin("--create", "--topic", "while-paused", "--partitions", "2")
            committed = int(quorum.quorum_status()["HighWatermark"])
            wait_for_log_start_past(quorum, committed)
        finally:
            watch.process.send_signal(signal.SIGCONT)
        loaded = watch.wait_for(" controllers")
        offset, sentence = loaded.split(": ", 1)
        assert sentence.startswith("snapshot loaded: ") and int(offset) >= committed, loaded
        # The image restarted from the snapshot knows the topic created while it was paused.
        quorum.admin("--delete", "--topic", "while-paused")
        watch.wait_for("topic while-paused deleted (2 partitions)")
        assert watch.process.poll() is None
    finally:
        # Killed: the quiet Ctrl-C exit of a watch is the next test's business.
        watch.process.kill()
        _, err = watch.process.communicate(timeout=30)
    assert "error" not in err and "Traceback" not in err, err


def test_image_follows_admin_actions_and_equals_metadata_shell(
    quorum: KafkaControllerQuorum,
) -> None:
    first = kraft_image(quorum)
    assert [b["id"] for b in first["image"]["brokers"]] == [BROKER_ID]
    assert not first["image"]["brokers"][0]["fenced"]
    assert [c["id"] for c in first["image"]["controllers"]] == list(CONTROLLER_IDS)
    assert "metadata.version" in first["image"]["features"]

    watch = Watch(quorum)
    try:
        watch.wait_for("partitions")  # the image is printed before any change
        assert watch.lines[0].startswith("Metadata image at offset ")

        quorum.admin("--create", "--topic", "orders", "--partitions", "3")
        watch.wait_for("topic orders created: 3 partitions, RF 1")
        printed = kraft_image(quorum)
        orders = topics(printed)["orders"]
        assert [p["partition"] for p in orders["partitions"]] == [0, 1, 2]
        assert all(
            p["leader"] == BROKER_ID and p["isr"] == [BROKER_ID] for p in orders["partitions"]
        )

        quorum.alter_config("orders", "retention.ms=12345")
        watch.wait_for("topic orders config retention.ms=12345")
        assert topic_configs(kraft_image(quorum), "orders") == {"retention.ms": "12345"}

        quorum.admin("--alter", "--topic", "orders", "--partitions", "4")
        watch.wait_for("topic orders: 1 partition added (3)")
        orders = topics(kraft_image(quorum))["orders"]
        assert [p["partition"] for p in orders["partitions"]] == [0, 1, 2, 3]

        quorum.admin("--create", "--topic", "payments", "--partitions", "1")
        quorum.admin("--delete", "--topic", "orders")
        deleted = watch.wait_for("topic orders deleted (4 partitions)")
        # Once every controller deleted its first segment, a fetch from offset 0 is answered
        # with a snapshot: the image printed now starts from one.
        wait_for_first_segment_deletion(quorum)
        final = kraft_image(quorum)
        assert final["snapshot"] is not None and 0 < final["snapshot"] <= final["offset"]
        assert list(topics(final)) == ["payments"]
        assert topic_configs(final, "orders") == {}  # a deleted topic's configs go with it

        # Kafka's MetadataShell on a controller's snapshot taken after the last change: the
        # image kraft.image builds from the same file is the shell's, and the one printed live.
        deleted_offset = int(deleted.split(":")[0])
        snapshot = latest_snapshot_after(quorum, deleted_offset + 1)
        records = snapshot_metadata_records(snapshot.read_bytes())
        from_snapshot = MetadataImage.from_records(records)
        assert comparable_image(from_snapshot) == comparable(shell_tree_of_snapshot(snapshot))
        assert image_json(from_snapshot) == final["image"]

        # The broker dies: Kafka's controller fences it once its session times out.
        assert quorum.broker is not None
        quorum.broker.kill()
        watch.wait_for(f"broker {BROKER_ID} fenced")
    finally:
        code, err = watch.stop()
    assert code == 0 and "Traceback" not in err, err  # Ctrl-C ends a watch quietly
    fenced = kraft_image(quorum)
    assert [b["fenced"] for b in fenced["image"]["brokers"]] == [True]

    # A reader gone before the image is printed (`| head` that already exited): quiet, 141.
    gone = subprocess.Popen(
        [*KRAFT_IMAGE, "--bootstrap-controller", quorum.bootstrap_controllers],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert gone.stdout is not None
    gone.stdout.close()
    _, err = gone.communicate(timeout=WAIT_S)
    assert gone.returncode == EXIT_BROKEN_PIPE and err == "", err


def test_every_kind_of_image_entry_equals_metadata_shell(tmp_path: Path) -> None:
    """No cluster: an image holding every kind of entry (brokers, a controller, a topic with ELR
    state, configs, quotas, producer ids, an ACL, a SCRAM user, a delegation token) written as a
    snapshot file by `image_records`, read back by Kafka's own loader (MetadataShell): the
    shell's tree is the image's."""
    image = full_image()
    values = [encode_metadata_record(m.record, m.version) for m in image_records(image)]
    partition_dir = tmp_path / "data" / "__cluster_metadata-0"
    partition_dir.mkdir(parents=True)
    snapshot = partition_dir / f"{len(values):020d}-{1:010d}.checkpoint"
    snapshot.write_bytes(build_data_batch(0, 1, 0, values))
    tree = shell_tree_of_snapshot(snapshot)
    assert comparable(tree) == comparable_image(image)
    assert MetadataImage.from_records(snapshot_metadata_records(snapshot.read_bytes())) == image
