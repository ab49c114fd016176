"""Snapshots and retention in a pykraft quorum (real processes, small Kafka settings).

Every node writes `.checkpoint` files and deletes the segments behind them, so the disk stays
bounded while the log grows; a follower stopped while the leader's log start passed its log end
catches up through FetchSnapshot (its log restarts at a snapshot of the leader); the restarted
node recovers from its snapshots and truncated log; `kraft tail --from-beginning` prints the
snapshot (header, footer) and then the log from its start. With `--workload metadata` the
snapshots hold the cluster image, and the log between two snapshots replays the first one's image
into the second one's, across a restart.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kraft.image import MetadataImage
from kraft.shell.metadata_workload import decode_data_records
from kraft.shell.snapshots import parse_snapshot_file_name
from tests.e2e.cluster import FAST, ROOT, NodeProcess, segment_data
from tests.e2e.conftest import MakeCluster

pytestmark = pytest.mark.slow

SEGMENT_BYTES = 16 * 1024
SMALL = {
    **FAST,
    "metadata.log.segment.min.bytes": "1024",
    "metadata.log.segment.bytes": str(SEGMENT_BYTES),
    "metadata.log.max.record.bytes.between.snapshots": "20000",
    "metadata.max.retention.bytes": "40000",
}
WORKLOAD = ["--throughput", "1000", "--record-size", "100"]


def first_segment_base(node: NodeProcess) -> int:
    bases = [int(p.name[:20]) for p in node.log_dir.glob("*.log")]
    return min(bases) if bases else 0


def snapshot_offsets(node: NodeProcess) -> list[int]:
    found = (parse_snapshot_file_name(p.name) for p in node.log_dir.glob("*.checkpoint"))
    return sorted(s.offset for s in found if s is not None)


def disk_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())


def log_end(node: NodeProcess) -> int:
    last = node.last()
    return int(last["log_end_offset"]) if last else 0


def test_snapshots_bound_the_disk_and_a_lagging_follower_installs_one(
    make_cluster: MakeCluster,
) -> None:
    cluster = make_cluster(3, extra_properties=SMALL, args=WORKLOAD)
    cluster.start()
    leader = cluster.wait_for(cluster.leader, 30, "a leader")

    def retention_everywhere() -> bool:
        return all(
            snapshot_offsets(node) and first_segment_base(node) > 0
            for node in cluster.nodes.values()
        )

    cluster.wait_for(retention_everywhere, 60, "snapshots and deleted segments on every node")
    follower = next(n for n in cluster.nodes.values() if n is not leader)
    assert follower.terminate() == 0
    stopped_end = log_end(follower)
    assert stopped_end > 0

    def leader_passed_the_follower() -> bool:
        return first_segment_base(leader) > stopped_end + 1000

    cluster.wait_for(leader_passed_the_follower, 60, "the leader's log start to pass the follower")
    # Bounded: about a segment, the retention bytes and a snapshot or two, whatever was written
    # (records of 100 bytes: at 5000 offsets, 12 times the retention bytes went through).
    cluster.wait_for(
        lambda: ((leader.last() or {}).get("high_watermark") or 0) >= 5000, 60, "5000 offsets"
    )
    for node in cluster.nodes.values():
        assert disk_bytes(node.log_dir) < 40000 + 3 * SEGMENT_BYTES, node.node_id
    follower.start()
    target = (leader.last() or {})["high_watermark"]

    def caught_up() -> bool:
        last = follower.last()
        return bool(
            last
            and follower.runs == 2
            and last["high_watermark"] is not None
            and last["log_end_offset"] >= target
        )

    cluster.wait_for(caught_up, 60, "the restarted follower to catch up")
    # Its log restarts above where it stopped: it installed a snapshot of the leader's (nothing
    # else could fill the gap: the leader's log no longer has those offsets).
    assert first_segment_base(follower) > stopped_end
    assert any(offset > stopped_end for offset in snapshot_offsets(follower))

    # A fresh tail from the beginning: the snapshot, then the log from the snapshot's end.
    tail = subprocess.run(
        [
            sys.executable,
            "-m",
            "kraft.cli",
            "tail",
            "--bootstrap-server",
            f"127.0.0.1:{leader.port}",
            "--from-beginning",
            "--until-high-watermark",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tail.returncode == 0, tail.stderr
    lines = [json.loads(line) for line in tail.stdout.splitlines()]
    controls = [line.get("control", {}).get("type") for line in lines[:2]]
    assert controls == ["SNAPSHOT_HEADER", "SNAPSHOT_FOOTER"], lines[:3]
    assert [line["offset"] for line in lines[:2]] == [0, 1]
    log_offsets = [line["offset"] for line in lines[2:]]
    assert log_offsets and log_offsets == list(range(log_offsets[0], log_offsets[-1] + 1))
    assert log_offsets[0] > 0  # the log after the snapshot, not from 0
    for node in cluster.nodes.values():
        assert node.terminate() == 0, node.stderr_text()[-2000:]


def image_of_snapshot(path: Path) -> MetadataImage:
    records = [r for _, _, batch in decode_data_records(path.read_bytes()) for r in batch]
    return MetadataImage.from_records(records)


def test_metadata_workload_snapshots_replay_and_survive_a_restart(
    make_cluster: MakeCluster,
) -> None:
    # Retention keeps a few snapshots here (the log between two of them is replayed below).
    properties = {**SMALL, "metadata.max.retention.bytes": "150000"}
    cluster = make_cluster(
        1, extra_properties=properties, args=["--workload", "metadata", "--throughput", "1000"]
    )
    node = cluster.nodes[1]
    node.start()
    cluster.wait_for(
        lambda: len(snapshot_offsets(node)) >= 2 and first_segment_base(node) > 0,
        60,
        "snapshots and deleted segments",
    )
    assert node.terminate() == 0
    stopped_end = log_end(node)
    # Restart from the snapshots and the truncated log: it leads again and goes on writing.
    node.start()
    cluster.wait_for(
        lambda: (
            node.runs == 2
            and ((node.last() or {}).get("high_watermark") or 0) > stopped_end + 2000
            and max(snapshot_offsets(node)) > stopped_end
        ),
        60,
        "the restarted node to write and snapshot again",
    )
    assert node.terminate() == 0, node.stderr_text()[-2000:]
    # Two snapshots on disk: the one at the log start and a later one. Replaying the log between
    # them on the first one's image gives the second one's image (the snapshots hold the state
    # the records build, across the restart too).
    paths = sorted(node.log_dir.glob("*.checkpoint"))
    first, last = (parse_snapshot_file_name(p.name) for p in (paths[0], paths[-1]))
    assert first is not None and last is not None and first.offset < last.offset
    image = image_of_snapshot(paths[0])
    log_data = b"".join(segment_data(p) for p in sorted(node.log_dir.glob("*.log")))
    replayed = 0
    for base, next_offset, records in decode_data_records(log_data):
        if base >= first.offset and next_offset <= last.offset:
            image.apply_batch(records)
            replayed += len(records)
    assert replayed > 100
    expected = image_of_snapshot(paths[-1])
    assert image == expected
    # A plausible cluster: brokers (some fenced now and then), topics with partitions, leaders.
    assert len(expected.brokers) >= 3 and len(expected.topics) >= 3
    assert expected.features == {"metadata.version": 27}
    assert any(p.leader >= 0 for _, p in expected.partitions())
