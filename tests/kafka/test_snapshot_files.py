"""Apache Kafka 4.3.1's offline tools read the snapshots pykraft's own node writes.

One pykraft node runs `--workload metadata` with small snapshot and retention settings until it
has written snapshots and deleted segments, and is stopped cleanly. Then Kafka's
`DumpLogSegments --cluster-metadata-decoder` reads its `.checkpoint` files and segments (every
batch valid, every record decoded, the same text as `kraft dump-log`), and `MetadataShell
--snapshot` loads the latest snapshot into Kafka's own image: the same topics, partitions and
brokers as pykraft's image of it (`kraft.image`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kraft.image import MetadataImage
from kraft.shell.metadata_workload import decode_data_records
from tests.e2e.cluster import Cluster, NodeProcess
from tests.kafka.kafka import require_kafka
from tests.kafka.metadata_shell import metadata_shell
from tests.kafka.test_kafka_tools import DUMP_LOG_SEGMENTS, compare_dumps, kafka

pytestmark = pytest.mark.slow

SMALL = {
    "metadata.log.segment.min.bytes": "1024",
    "metadata.log.segment.bytes": "16384",
    "metadata.log.max.record.bytes.between.snapshots": "20000",
    "metadata.max.retention.bytes": "60000",
}


@pytest.fixture(scope="module")
def stopped_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    require_kafka()
    cluster = Cluster(
        tmp_path_factory.mktemp("snapshots"),
        1,
        extra_properties=SMALL,
        args=["--workload", "metadata", "--throughput", "1000"],
    )
    node = cluster.nodes[1]
    try:
        node.start()
        cluster.wait_for(
            lambda: (
                len(list(node.log_dir.glob("*.checkpoint"))) >= 2
                and not (node.log_dir / f"{0:020d}.log").exists()
            ),
            60,
            "snapshots and deleted segments",
        )
        assert node.terminate() == 0, node.stderr_text()[-2000:]
        yield node
    finally:
        cluster.close()


def test_dump_log_segments_reads_checkpoints_and_segments(stopped_node: NodeProcess) -> None:
    files = sorted(stopped_node.log_dir.glob("*.checkpoint")) + sorted(
        stopped_node.log_dir.glob("*.log")
    )
    out = kafka(
        DUMP_LOG_SEGMENTS, "--cluster-metadata-decoder", "--files", ",".join(map(str, files))
    )
    assert "isvalid: false" not in out and "Error at" not in out and "invalid bytes" not in out
    assert out.count("Snapshot end offset:") == len(list(stopped_node.log_dir.glob("*.checkpoint")))
    assert out.count('SnapshotHeader {"version":0') == out.count("SnapshotFooter")
    assert '"type":"PARTITION_RECORD"' in out and '"type":"REGISTER_BROKER_RECORD"' in out
    # Kafka's tool and ours print the same lines for the same files.
    compare_dumps(files, [[], ["--deep-iteration"]])


def parse_topics_tree(text: str) -> dict[str, dict[int, tuple[str, ...]]]:
    """`tree /image/topics/byName`: topic -> partition -> the fields compared below."""
    topics: dict[str, dict[int, tuple[str, ...]]] = {}
    topic = partition = None
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            topic = line[:-1]
            topics[topic] = {}
        elif re.fullmatch(r"  \d+:", line):
            partition = int(line.strip()[:-1])
        elif re.fullmatch(r"  \w+:", line):
            partition = None  # `id:`, `name:`
        elif topic is not None and partition is not None and "PartitionRegistration(" in line:
            fields = dict(re.findall(r"(\w+)=(\[[^\]]*\]|[^,)]*)", line))
            names = ("replicas", "isr", "leader", "leaderEpoch", "partitionEpoch")
            topics[topic][partition] = tuple(fields[n] for n in names)
    return topics


def test_metadata_shell_loads_a_snapshot_as_pykraft_images_it(stopped_node: NodeProcess) -> None:
    latest = sorted(stopped_node.log_dir.glob("*.checkpoint"))[-1]
    records = [r for _, _, batch in decode_data_records(latest.read_bytes()) for r in batch]
    image = MetadataImage.from_records(records)
    assert image.topics and image.brokers
    theirs = parse_topics_tree(metadata_shell(latest, "tree", "/image/topics/byName"))

    def listed(values: tuple[int, ...]) -> str:
        return "[" + ", ".join(map(str, values)) + "]"

    ours = {
        topic.name: {
            p.partition_id: (
                listed(p.replicas),
                listed(p.isr),
                str(p.leader),
                str(p.leader_epoch),
                str(p.partition_epoch),
            )
            for p in topic.partitions.values()
        }
        for topic in image.topics.values()
    }
    assert theirs == ours
    brokers = metadata_shell(latest, "ls", "/image/cluster/brokers")
    assert sorted(brokers.split()) == sorted(str(b) for b in image.brokers)


def test_retention_kept_the_newest_snapshot_and_the_log_after_it(
    stopped_node: NodeProcess,
) -> None:
    snapshots = sorted(stopped_node.log_dir.glob("*.checkpoint"))
    segments = sorted(int(p.name[:20]) for p in stopped_node.log_dir.glob("*.log"))
    oldest = int(snapshots[0].name[:20])
    assert segments[0] <= oldest  # the log covers everything after the oldest snapshot
    assert sum(p.stat().st_size for p in Path(stopped_node.log_dir).iterdir()) < 200_000
