"""The metadata image model (`kraft.image`) over real record bytes: every record goes through the
`wire.metadata` codec (encode at a version, decode) before it is applied, as a tool receives it."""

from __future__ import annotations

import ast
import random
import uuid
from pathlib import Path

import pytest

from kraft.image import (
    NO_LEADER,
    NO_LEADER_CHANGE,
    Change,
    ImageError,
    MetadataImage,
    image_json,
    image_records,
    sentence,
)
from wire.fields import Message
from wire.metadata import (
    METADATA_RECORD_TYPES,
    MetadataRecord,
    decode_metadata_record,
    decode_metadata_record_or_unknown,
    encode_metadata_record,
)
from wire.metadata import records as r

ORDERS = uuid.UUID(int=0x0A)
PAYMENTS = uuid.UUID(int=0x0B)
DIR_A, DIR_B, DIR_C, DIR_D = (uuid.UUID(int=0x100 + i) for i in range(4))
TOPIC, BROKER = 2, 4  # ConfigRecord resource types


def wire(record: Message, version: int | None = None) -> MetadataRecord:
    """The record as a tool gets it: framed bytes, decoded."""
    version = record.VERSIONS.hi if version is None else version
    return decode_metadata_record(encode_metadata_record(record, version))


def replay(image: MetadataImage, *records: Message) -> list[Change]:
    return image.apply_batch([wire(rec) for rec in records])


def broker(broker_id: int, epoch: int = 10, fenced: bool = True) -> r.RegisterBrokerRecord:
    return r.RegisterBrokerRecord(
        broker_id=broker_id,
        incarnation_id=uuid.UUID(int=broker_id),
        broker_epoch=epoch,
        end_points=[r.RegisterBrokerRecord.BrokerEndpoint("PLAINTEXT", "h", 9090 + broker_id, 0)],
        features=[r.RegisterBrokerRecord.BrokerFeature("metadata.version", 7, 27)],
        rack=None,
        fenced=fenced,
        log_dirs=[DIR_A],
    )


def partition(
    pid: int, replicas: list[int], topic_id: uuid.UUID = ORDERS, leader: int | None = None
) -> r.PartitionRecord:
    return r.PartitionRecord(
        partition_id=pid,
        topic_id=topic_id,
        replicas=replicas,
        isr=replicas,
        leader=replicas[0] if leader is None else leader,
        leader_epoch=0,
        partition_epoch=0,
        directories=[DIR_A] * len(replicas),
    )


def orders_cluster() -> tuple[MetadataImage, list[Change]]:
    image = MetadataImage()
    replay(image, r.FeatureLevelRecord("metadata.version", 27))
    replay(image, broker(1), broker(2), broker(3))
    changes = replay(
        image,
        r.TopicRecord("orders", ORDERS),
        partition(0, [1, 2, 3]),
        partition(1, [2, 3, 1]),
        partition(2, [3, 1, 2]),
        r.ConfigRecord(TOPIC, "orders", "retention.ms", "1000"),
    )
    return image, changes


def test_topic_created_with_its_partitions_is_one_sentence() -> None:
    image, changes = orders_cluster()
    assert [sentence(c) for c in changes] == [
        "topic orders created: 3 partitions, RF 3",
        "topic orders config retention.ms=1000",
    ]
    topic = image.topic_named("orders")
    assert topic is not None and sorted(topic.partitions) == [0, 1, 2]
    assert image.configs[(TOPIC, "orders")] == {"retention.ms": "1000"}
    assert changes[0].to_json()["replication_factor"] == 3


def test_partition_change_sentinels_keep_fields_and_bump_epochs() -> None:
    image, _ = orders_cluster()
    # No change to the leader (-2): the leader epoch stays; the ISR shrinks; partition epoch +1.
    changes = replay(image, r.PartitionChangeRecord(partition_id=1, topic_id=ORDERS, isr=[2, 3]))
    p = image.topics[ORDERS].partitions[1]
    assert (p.leader, p.leader_epoch, p.partition_epoch, p.isr) == (2, 0, 1, (2, 3))
    assert p.replicas == (2, 3, 1)  # null replicas: unchanged
    assert [sentence(c) for c in changes] == ["partition orders-1 ISR [2,3,1] → [2,3]"]
    # A new leader: leader epoch +1.
    changes = replay(image, r.PartitionChangeRecord(partition_id=1, topic_id=ORDERS, leader=3))
    p = image.topics[ORDERS].partitions[1]
    assert (p.leader, p.leader_epoch, p.partition_epoch) == (3, 1, 2)
    assert [sentence(c) for c in changes] == ["partition orders-1 leader 2 → 3 (epoch 1)"]
    # NO_LEADER (-1) removes the leader; that is a change too.
    replay(image, r.PartitionChangeRecord(partition_id=1, topic_id=ORDERS, leader=NO_LEADER))
    p = image.topics[ORDERS].partitions[1]
    assert (p.leader, p.leader_epoch, p.partition_epoch) == (NO_LEADER, 2, 3)
    # The record's default leader is the "no change" sentinel.
    assert r.PartitionChangeRecord().leader == NO_LEADER_CHANGE


def test_partition_change_directories_follow_replicas() -> None:
    image = MetadataImage()
    replay(image, r.TopicRecord("orders", ORDERS))
    rec = partition(0, [1, 2])
    replay(image, r.PartitionRecord(**{**rec.__dict__, "directories": [DIR_A, DIR_B]}))
    replay(image, r.PartitionChangeRecord(partition_id=0, topic_id=ORDERS, replicas=[2, 3]))
    p = image.topics[ORDERS].partitions[0]
    assert p.directories == (DIR_B, uuid.UUID(int=0))  # kept 2's, 3 unassigned
    replay(
        image,
        r.PartitionChangeRecord(
            partition_id=0, topic_id=ORDERS, replicas=[3, 4], directories=[DIR_C, DIR_D]
        ),
    )
    assert image.topics[ORDERS].partitions[0].directories == (DIR_C, DIR_D)


def test_elr_set_and_cleared() -> None:
    image, _ = orders_cluster()
    replay(
        image,
        r.PartitionChangeRecord(
            partition_id=0, topic_id=ORDERS, isr=[1], eligible_leader_replicas=[2, 3]
        ),
    )
    p = image.topics[ORDERS].partitions[0]
    assert (p.elr, p.last_known_elr) == ((2, 3), ())
    changes = replay(image, r.ClearElrRecord(topic_name=""))
    p = image.topics[ORDERS].partitions[0]
    assert (p.elr, p.partition_epoch) == ((), 2)
    assert [c.kind for c in changes] == ["partition-elr"]
    assert image.topics[ORDERS].partitions[1].partition_epoch == 0  # had no ELR: untouched
    with pytest.raises(ImageError, match="no topic named nope"):
        replay(image, r.ClearElrRecord(topic_name="nope"))


def test_remove_topic_drops_partitions_and_configs() -> None:
    image, _ = orders_cluster()
    changes = replay(image, r.RemoveTopicRecord(ORDERS))
    assert [sentence(c) for c in changes] == ["topic orders deleted (3 partitions)"]
    assert image.topics == {} and image.configs == {}
    with pytest.raises(ImageError, match="no topic with id"):
        replay(image, r.PartitionChangeRecord(partition_id=0, topic_id=ORDERS, leader=1))


def test_partitions_added_later_are_one_sentence() -> None:
    image, _ = orders_cluster()
    changes = replay(image, partition(3, [1, 2, 3]), partition(4, [2, 3, 1]))
    assert [sentence(c) for c in changes] == ["topic orders: 2 partitions added (3, 4)"]


def test_broker_fencing_shutdown_and_epochs() -> None:
    image, _ = orders_cluster()
    assert [sentence(c) for c in replay(image, r.UnfenceBrokerRecord(id=2, epoch=10))] == [
        "broker 2 unfenced"
    ]
    assert [sentence(c) for c in replay(image, r.FenceBrokerRecord(id=2, epoch=10))] == [
        "broker 2 fenced"
    ]
    # BrokerRegistrationChangeRecord: -1 unfences, 1 fences, 0 keeps; shutdown 1 sets.
    replay(image, r.BrokerRegistrationChangeRecord(broker_id=2, broker_epoch=10, fenced=-1))
    assert not image.brokers[2].fenced
    changes = replay(
        image,
        r.BrokerRegistrationChangeRecord(broker_id=2, broker_epoch=10, in_controlled_shutdown=1),
    )
    assert not image.brokers[2].fenced and image.brokers[2].in_controlled_shutdown
    assert [sentence(c) for c in changes] == ["broker 2 in controlled shutdown"]
    assert image.brokers[2].log_dirs == (DIR_A,)  # empty list in the record: unchanged
    with pytest.raises(ImageError, match="broker 2 has epoch 10, the record 9"):
        replay(image, r.FenceBrokerRecord(id=2, epoch=9))
    # A new registration replaces the old one (new epoch, fenced again).
    changes = replay(image, broker(2, epoch=44))
    assert image.brokers[2].epoch == 44 and image.brokers[2].fenced
    assert sentence(changes[0]).startswith(
        "broker 2 re-registered (epoch 44) at PLAINTEXT://h:9092"
    )
    assert [sentence(c) for c in replay(image, r.UnregisterBrokerRecord(2, 44))] == [
        "broker 2 unregistered"
    ]
    assert 2 not in image.brokers


def test_configs_quotas_features_delete_semantics() -> None:
    image, _ = orders_cluster()
    changes = replay(image, r.ConfigRecord(TOPIC, "orders", "retention.ms", None))
    assert [sentence(c) for c in changes] == ["topic orders config retention.ms deleted (was 1000)"]
    assert (TOPIC, "orders") not in image.configs
    changes = replay(image, r.ConfigRecord(BROKER, "", "log.retention.ms", "5"))
    assert [sentence(c) for c in changes] == [
        "cluster-wide broker default config log.retention.ms=5"
    ]
    user = [r.ClientQuotaRecord.EntityData("user", "alice")]
    replay(image, r.ClientQuotaRecord(user, "producer_byte_rate", 1024.0, False))
    assert image.client_quotas == {(("user", "alice"),): {"producer_byte_rate": 1024.0}}
    replay(image, r.ClientQuotaRecord(user, "producer_byte_rate", 0.0, True))
    assert image.client_quotas == {}
    replay(image, r.FeatureLevelRecord("transaction.version", 2))
    changes = replay(image, r.FeatureLevelRecord("transaction.version", 0))
    assert "transaction.version" not in image.features
    assert [sentence(c) for c in changes] == ["feature transaction.version removed (was 2)"]


def test_transactions_apply_whole_or_not_at_all() -> None:
    image, _ = orders_cluster()
    before = image.copy()
    assert replay(image, r.BeginTransactionRecord("t"), r.TopicRecord("payments", PAYMENTS)) == []
    assert image == before  # held back until the end
    changes = replay(image, partition(0, [1], PAYMENTS), r.EndTransactionRecord())
    assert [sentence(c) for c in changes] == ["topic payments created: 1 partition, RF 1"]
    after = image.copy()
    replay(image, r.BeginTransactionRecord(), r.RemoveTopicRecord(PAYMENTS))
    changes = replay(image, r.AbortTransactionRecord("gave up"))
    assert image == after
    assert [sentence(c) for c in changes] == [
        "metadata transaction aborted (1 record dropped): gave up"
    ]


def test_snapshot_replaces_the_image() -> None:
    image, _ = orders_cluster()
    other = MetadataImage()
    replay(other, r.TopicRecord("payments", PAYMENTS), partition(0, [1], PAYMENTS))
    changes = image.load_snapshot(image_records(other))
    assert image == other
    assert [sentence(c) for c in changes] == [
        "snapshot loaded: 1 topic, 1 partition, 0 brokers, 0 controllers"
    ]


def full_image() -> MetadataImage:
    image, _ = orders_cluster()
    replay(
        image,
        r.RegisterControllerRecord(
            controller_id=3000,
            incarnation_id=uuid.UUID(int=9),
            end_points=[r.RegisterControllerRecord.ControllerEndpoint("CONTROLLER", "c", 1, 0)],
            features=[r.RegisterControllerRecord.ControllerFeature("kraft.version", 0, 1)],
        ),
        r.ClientQuotaRecord(
            [r.ClientQuotaRecord.EntityData("client-id", None)], "rate", 2.5, False
        ),
        r.ProducerIdsRecord(broker_id=1, broker_epoch=10, next_producer_id=5000),
        r.AccessControlEntryRecord(uuid.UUID(int=77), 2, "orders", 3, "User:bob", "*", 3, 3),
        r.UserScramCredentialRecord("bob", 1, b"s", b"k", b"v", 4096),
        r.DelegationTokenRecord("bob", "bob", ["eve"], 1, 2, 3, "tok"),
        r.ZkMigrationStateRecord(0),
        r.PartitionChangeRecord(partition_id=2, topic_id=ORDERS, isr=[3], last_known_elr=[1]),
    )
    return image


def test_image_records_round_trip_at_lowest_versions() -> None:
    image = full_image()
    records = image_records(image)
    assert MetadataImage.from_records(records) == image
    # Through bytes as well, and each record at the lowest version that carries it.
    rebuilt = MetadataImage.from_records(
        [decode_metadata_record(encode_metadata_record(m.record, m.version)) for m in records]
    )
    assert rebuilt == image
    versions = {m.type_name: m.version for m in records}
    assert versions["RegisterBrokerRecord"] == 3  # log dirs: tagged since v3
    assert versions["PartitionRecord"] == 2  # one partition has a last known ELR
    assert records[0].record == r.FeatureLevelRecord("metadata.version", 27)
    json_view = image_json(image)
    assert [t["name"] for t in json_view["topics"]] == ["orders"]
    assert json_view["clientQuotas"] == [{"entity": "client-id=<default>", "quotas": {"rate": 2.5}}]


def test_every_record_type_has_a_rule() -> None:
    image = full_image()
    for cls in METADATA_RECORD_TYPES.values():
        try:
            image.copy().apply(cls())
        except ImageError as exc:  # a default record may not fit; but it must be known
            assert "is not a metadata record" not in str(exc), cls


def test_unknown_records_change_nothing() -> None:
    image, _ = orders_cluster()
    before = image.copy()
    # A newer version of a known type, decoded by the tools' decoder as unknown.
    frame = bytes([1, 2, 9]) + b"\x00"
    unknown = decode_metadata_record_or_unknown(frame)
    assert image.apply(unknown) == [] and image == before


def test_random_partition_changes_keep_invariants() -> None:
    """Seeded: random PartitionChangeRecords (through bytes) keep the epochs monotonic, and
    an image rebuilt from its own records equals it after every step."""
    rng = random.Random(11)
    image, _ = orders_cluster()
    for _ in range(200):
        pid = rng.randrange(3)
        before = image.topics[ORDERS].partitions[pid]
        kwargs: dict[str, object] = {"partition_id": pid, "topic_id": ORDERS}
        if rng.random() < 0.5:
            kwargs["isr"] = rng.sample([1, 2, 3], rng.randint(1, 3))
        if rng.random() < 0.3:
            kwargs["leader"] = rng.choice([NO_LEADER, 1, 2, 3])
        if rng.random() < 0.2:
            kwargs["eligible_leader_replicas"] = rng.sample([1, 2, 3], rng.randint(0, 2))
        replay(image, r.PartitionChangeRecord(**kwargs))  # type: ignore[arg-type]
        after = image.topics[ORDERS].partitions[pid]
        assert after.partition_epoch == before.partition_epoch + 1
        assert after.leader_epoch == before.leader_epoch + ("leader" in kwargs)
        assert MetadataImage.from_records(image_records(image)) == image


def test_model_is_pure() -> None:
    """No I/O, clocks, threads or trio in the image model (like the Raft core)."""
    root = Path(__file__).resolve().parents[2] / "kraft" / "image"
    forbidden = {"trio", "socket", "os", "time", "asyncio", "threading", "select", "kraft.shell"}
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in forbidden, (path, name)
                assert not name.startswith("kraft.shell"), (path, name)
