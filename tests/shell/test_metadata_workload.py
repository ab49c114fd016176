"""`kraft.shell.metadata_workload`: the generated cluster is valid, varied and bounded; the state
built from the committed batches equals the generator's image; snapshot records rebuild it."""

from __future__ import annotations

import random
from pathlib import Path

from kraft.image import MetadataImage
from kraft.shell.metadata_workload import (
    BROKERS_MAX,
    TOPICS_MAX,
    ClusterGenerator,
    MetadataState,
    decode_data_records,
    encode_record,
)
from kraft.shell.snapshots import SnapshotStore, build_snapshot
from kraft.types import OffsetAndEpoch
from wire.metadata import decode_metadata_record
from wire.records import build_data_batch, build_leader_change_batch

GROUPS = 3000


def generate(seed: int, groups: int) -> tuple[ClusterGenerator, list[list[bytes]]]:
    generator = ClusterGenerator(MetadataImage(), random.Random(seed), [1, 2, 3])
    return generator, [[encode_record(r) for r in generator.next_group()] for _ in range(groups)]


def test_the_generated_cluster_is_valid_varied_and_bounded() -> None:
    generator, groups = generate(7, GROUPS)  # next_group raises ImageError on an invalid step
    kinds = {type(decode_metadata_record(v).record).__name__ for g in groups for v in g}
    assert kinds >= {
        "FeatureLevelRecord",
        "RegisterControllerRecord",
        "RegisterBrokerRecord",
        "FenceBrokerRecord",
        "UnfenceBrokerRecord",
        "TopicRecord",
        "PartitionRecord",
        "PartitionChangeRecord",
        "RemoveTopicRecord",
        "ConfigRecord",
        "ProducerIdsRecord",
        "NoOpRecord",
    }
    image = generator.image
    assert 3 <= len(image.topics) <= TOPICS_MAX and 3 <= len(image.brokers) <= BROKERS_MAX
    assert sum(1 for _ in image.partitions()) > 10
    # Deterministic for a seed (the node's --seed), different for another.
    assert generate(7, 200)[1] == groups[:200] != generate(8, 200)[1]


def test_state_from_committed_batches_and_snapshots_equals_the_generator(tmp_path: Path) -> None:
    generator, groups = generate(11, GROUPS)
    data = [build_leader_change_batch(0, 1, 0, 1, [1], [1])]
    offset = 1
    for group in groups:
        data.append(build_data_batch(offset, 1, 0, group))
        offset += len(group)
    state = MetadataState(SnapshotStore(tmp_path))
    state.apply_batches(b"".join(data))
    assert state.applied == offset
    assert state.image == generator.image
    assert state.applied_offset(offset + 100) == offset
    assert state.applied_offset(offset - 1) == offset - 1
    # A snapshot of the state, loaded again (start-up, FetchSnapshot install): the same image.
    snapshot_id = OffsetAndEpoch(offset, 1)
    store = SnapshotStore(tmp_path)
    store.create(snapshot_id, build_snapshot(snapshot_id, 0, state.snapshot_records(), 0))
    loaded = MetadataState(store)
    loaded.load(snapshot_id, 0)
    assert loaded.applied == offset and loaded.image == generator.image
    # Random payloads in the log (the other workload) are not metadata: skipped, not fatal.
    noise = build_data_batch(offset, 1, 0, [random.Random(1).randbytes(64) for _ in range(3)])
    assert decode_data_records(noise) == [(offset, offset + 3, [])]
    loaded.apply_batches(noise)
    assert loaded.applied == offset + 3 and loaded.image == generator.image


def test_a_new_leader_continues_the_same_cluster() -> None:
    first, _ = generate(3, 500)
    committed = first.image.copy()
    names = {t.name for t in committed.topics.values()}
    successor = ClusterGenerator(committed, random.Random(99), [1, 2, 3])
    for _ in range(1000):
        successor.next_group()
    created = {t.name for t in successor.image.topics.values()} - names
    # Topic names are never reused, so nothing the first leader created is created again.
    assert created
    serials = [int(name.rpartition("-")[2]) for name in created]
    assert all(s > max(int(n.rpartition("-")[2]) for n in names) for s in serials)
