"""`--workload metadata`: a plausible, evolving Kafka cluster written as real metadata records.

Three parts, all on the node's trio thread:

- `ClusterGenerator` (pure: image + seeded random in, record groups out): the changes a busy
  KRaft controller writes. The first group bootstraps the cluster (metadata.version, the
  controllers, three brokers, a few topics); then, at random: brokers restart (a new
  registration, fenced) and are unfenced, brokers are fenced (their partitions lose them from
  the ISR and move their leadership), topics are created (TopicRecord + PartitionRecords) and
  deleted, partitions are added, leaders move (preferred leader election), ISRs shrink and
  grow, topic configs change, producer id blocks are handed out, and a NoOpRecord now and then
  (Kafka writes one every 500 ms). Sizes are bounded (`TOPICS_MAX`, `PARTITIONS_MAX`,
  `BROKERS_MAX`), so the image, and a snapshot of it, stays small however long the run.
  Every group is valid against the generator's image (`kraft.image.MetadataImage`), to which it
  is applied as it is generated.
- `MetadataState` (the `StateMachine` the snapshotter snapshots): the node's image of the
  committed log. `run` applies committed batches from the local log as the high watermark
  moves (every node, leader or not, as Kafka's brokers and controllers do); `load` starts it
  from the latest snapshot at start-up, `on_snapshot_installed` reloads it after a FetchSnapshot
  download; `snapshot_records` is the image as records (`kraft.image.image_records`).
- `MetadataWorkload` (the leader's `ProposalSource`, `kraft.shell.workload.Workload` with the
  same rate, latency and back-pressure rules; `--throughput` counts records, `--record-size` is
  unused): when this node becomes leader it waits until its state has applied everything before
  its epoch (all of it is committed once the high watermark passes the epoch's LeaderChange),
  copies that image for the generator, and proposes from there, so the workload continues the
  same cluster consistently after a failover. A proposal the core refuses (back-pressure) makes
  the generator start again from the committed image once everything proposed is applied.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence

import trio

from kraft.image import ImageError, MetadataImage, image_records, lowest_version
from kraft.node import RaftNode
from kraft.ready import Ready
from kraft.roles import RoleName
from kraft.shell.snapshots import SnapshotStore
from kraft.shell.stats import Stats
from kraft.shell.workload import Workload
from kraft.types import OffsetAndEpoch
from wire.errors import DecodeError
from wire.fields import Message
from wire.metadata import (
    MetadataRecord,
    decode_metadata_record_or_unknown,
    encode_metadata_record,
)
from wire.metadata import records as r
from wire.records import decode_records, iter_batches

log = logging.getLogger(__name__)

# Kafka 4.1-IV1 (MetadataShell: Optional[4.1-IV1]); records go at their lowest versions.
METADATA_VERSION_LEVEL = 27
TOPICS_MAX = 40
PARTITIONS_MAX = 8
BROKERS_MAX = 6
BROKERS_AT_START = 3
TOPICS_AT_START = 3
REPLICATION_FACTOR_MAX = 3
PRODUCER_ID_BLOCK = 1000
BROKER_PORT_BASE = 9192
SECURITY_PROTOCOL_PLAINTEXT = 0
RESOURCE_TYPE_TOPIC = 2
NO_LEADER = -1
# How much committed log `MetadataState.run` reads per step, and how long it sleeps idle.
APPLY_READ_BYTES = 1 << 20
APPLY_WAIT_MS = 200
NOT_READY_WAKE_MS = 50

# Generator actions and their weights once the cluster is bootstrapped.
ACTIONS: tuple[tuple[str, int], ...] = (
    ("move-leader", 30),
    ("shrink-isr", 12),
    ("expand-isr", 14),
    ("alter-config", 8),
    ("create-topic", 6),
    ("delete-topic", 4),
    ("add-partitions", 3),
    ("fence-broker", 3),
    ("unfence-broker", 5),
    ("restart-broker", 2),
    ("producer-ids", 3),
    ("noop", 10),
)
TOPIC_WORDS = ("orders", "payments", "clicks", "audit", "inventory", "users", "metrics", "logs")


def _serial(name: str) -> bool:
    return name.rpartition("-")[2].isdigit()


def encode_record(record: Message) -> bytes:
    return encode_metadata_record(record, lowest_version(record))


class ClusterGenerator:
    """Record groups that evolve `image` (which it mutates) in plausible, valid steps."""

    def __init__(self, image: MetadataImage, rng: random.Random, controllers: Sequence[int]):
        self.image = image
        self._rng = rng
        self._controllers = tuple(controllers)
        # Topic names end in a serial number, never reused (a restart or failover goes on).
        self._topic_serial = max(
            (int(t.name.rpartition("-")[2]) for t in image.topics.values() if _serial(t.name)),
            default=0,
        )

    def next_group(self) -> list[Message]:
        """One change (one or more records, written in one batch); applied to the image."""
        if not self.image.features:
            group = self._bootstrap()
        else:
            group = []
            for _ in range(len(ACTIONS)):  # an action may not apply now: try another
                names, weights = zip(*ACTIONS, strict=True)
                action = self._rng.choices(names, weights)[0]
                group = getattr(self, "_" + action.replace("-", "_"))()
                if group:
                    break
            if not group:
                group = [r.NoOpRecord()]
        for record in group:
            self.image.apply(record)
        return group

    # -------------------------------------------------------------------- helpers

    def _new_uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128) or 1)

    def _next_broker_epoch(self) -> int:
        return max((b.epoch for b in self.image.brokers.values()), default=0) + 1

    def _register(self, broker_id: int) -> r.RegisterBrokerRecord:
        return r.RegisterBrokerRecord(
            broker_id=broker_id,
            incarnation_id=self._new_uuid(),
            broker_epoch=self._next_broker_epoch(),
            end_points=[
                r.RegisterBrokerRecord.BrokerEndpoint(
                    name="PLAINTEXT",
                    host=f"broker-{broker_id}.example",
                    port=BROKER_PORT_BASE + broker_id,
                    security_protocol=SECURITY_PROTOCOL_PLAINTEXT,
                )
            ],
            features=[
                r.RegisterBrokerRecord.BrokerFeature(
                    name="metadata.version",
                    min_supported_version=7,
                    max_supported_version=METADATA_VERSION_LEVEL,
                )
            ],
            rack=f"rack-{broker_id % 3}",
            fenced=True,
        )

    def _live_brokers(self) -> list[int]:
        return sorted(b.id for b in self.image.brokers.values() if not b.fenced)

    def _create_topic_records(self, live: list[int]) -> list[Message]:
        self._topic_serial += 1
        name = f"{self._rng.choice(TOPIC_WORDS)}-{self._topic_serial}"
        topic_id = self._new_uuid()
        partitions = self._rng.randint(1, 4)
        replication = min(REPLICATION_FACTOR_MAX, len(live))
        records: list[Message] = [r.TopicRecord(name=name, topic_id=topic_id)]
        for partition_id in range(partitions):
            replicas = self._rng.sample(live, replication)
            records.append(
                r.PartitionRecord(
                    partition_id=partition_id,
                    topic_id=topic_id,
                    replicas=replicas,
                    isr=replicas,
                    leader=replicas[0],
                    leader_epoch=0,
                    partition_epoch=0,
                )
            )
        return records

    def _random_partition(self) -> tuple[uuid.UUID, int] | None:
        topics = list(self.image.topics.values())
        if not topics:
            return None
        topic = self._rng.choice(topics)
        if not topic.partitions:
            return None
        return topic.id, self._rng.choice(sorted(topic.partitions))

    # -------------------------------------------------------------------- actions

    def _bootstrap(self) -> list[Message]:
        records: list[Message] = [
            r.FeatureLevelRecord(name="metadata.version", feature_level=METADATA_VERSION_LEVEL)
        ]
        for controller_id in self._controllers:
            records.append(
                r.RegisterControllerRecord(
                    controller_id=controller_id,
                    incarnation_id=self._new_uuid(),
                    zk_migration_ready=False,
                    end_points=[
                        r.RegisterControllerRecord.ControllerEndpoint(
                            name="CONTROLLER",
                            host=f"controller-{controller_id}.example",
                            port=BROKER_PORT_BASE - 100 + controller_id,
                            security_protocol=SECURITY_PROTOCOL_PLAINTEXT,
                        )
                    ],
                    features=[],
                )
            )
        brokers = list(range(1, BROKERS_AT_START + 1))
        for epoch, broker_id in enumerate(brokers, start=1):
            records.append(dataclasses.replace(self._register(broker_id), broker_epoch=epoch))
            records.append(r.UnfenceBrokerRecord(id=broker_id, epoch=epoch))
        for _ in range(TOPICS_AT_START):
            records += self._create_topic_records(brokers)
        return records

    def _move_leader(self) -> list[Message]:
        found = self._random_partition()
        if found is None:
            return []
        topic_id, partition_id = found
        partition = self.image.topics[topic_id].partitions[partition_id]
        live = set(self._live_brokers())
        candidates = [b for b in partition.isr if b != partition.leader and b in live]
        if not candidates:
            return []
        return [
            r.PartitionChangeRecord(
                partition_id=partition_id,
                topic_id=topic_id,
                leader=self._rng.choice(candidates),
            )
        ]

    def _shrink_isr(self) -> list[Message]:
        found = self._random_partition()
        if found is None:
            return []
        topic_id, partition_id = found
        partition = self.image.topics[topic_id].partitions[partition_id]
        followers = [b for b in partition.isr if b != partition.leader]
        if len(partition.isr) < 2 or not followers:
            return []
        out = self._rng.choice(followers)
        return [
            r.PartitionChangeRecord(
                partition_id=partition_id,
                topic_id=topic_id,
                isr=[b for b in partition.isr if b != out],
            )
        ]

    def _expand_isr(self) -> list[Message]:
        live = set(self._live_brokers())
        for topic_id, partition_id in self._shuffled_partitions():
            partition = self.image.topics[topic_id].partitions[partition_id]
            missing = [b for b in partition.replicas if b not in partition.isr and b in live]
            if missing:
                change = r.PartitionChangeRecord(
                    partition_id=partition_id,
                    topic_id=topic_id,
                    isr=[*partition.isr, missing[0]],
                    leader=missing[0] if partition.leader == NO_LEADER else -2,
                )
                return [change]
        return []

    def _shuffled_partitions(self) -> list[tuple[uuid.UUID, int]]:
        found = [(t.id, p) for t in self.image.topics.values() for p in t.partitions]
        self._rng.shuffle(found)
        return found[:20]

    def _alter_config(self) -> list[Message]:
        topics = list(self.image.topics.values())
        if not topics:
            return []
        topic = self._rng.choice(topics)
        name, value = self._rng.choice(
            (
                ("retention.ms", str(self._rng.choice((3_600_000, 86_400_000, 604_800_000)))),
                ("cleanup.policy", self._rng.choice(("delete", "compact"))),
                ("min.insync.replicas", str(self._rng.randint(1, 2))),
                ("retention.ms", None),
            )
        )
        return [
            r.ConfigRecord(
                resource_type=RESOURCE_TYPE_TOPIC, resource_name=topic.name, name=name, value=value
            )
        ]

    def _create_topic(self) -> list[Message]:
        live = self._live_brokers()
        if len(self.image.topics) >= TOPICS_MAX or not live:
            return []
        return self._create_topic_records(live)

    def _delete_topic(self) -> list[Message]:
        if len(self.image.topics) <= TOPICS_AT_START:
            return []
        topic = self._rng.choice(list(self.image.topics.values()))
        return [r.RemoveTopicRecord(topic_id=topic.id)]

    def _add_partitions(self) -> list[Message]:
        live = self._live_brokers()
        topics = [t for t in self.image.topics.values() if len(t.partitions) < PARTITIONS_MAX]
        if not topics or not live:
            return []
        topic = self._rng.choice(topics)
        replicas = self._rng.sample(live, min(REPLICATION_FACTOR_MAX, len(live)))
        return [
            r.PartitionRecord(
                partition_id=max(topic.partitions, default=-1) + 1,
                topic_id=topic.id,
                replicas=replicas,
                isr=replicas,
                leader=replicas[0],
                leader_epoch=0,
                partition_epoch=0,
            )
        ]

    def _fence_broker(self) -> list[Message]:
        live = self._live_brokers()
        if len(live) <= 2:
            return []  # keep a cluster to move leaders around in
        broker = self.image.brokers[self._rng.choice(live)]
        records: list[Message] = [r.FenceBrokerRecord(id=broker.id, epoch=broker.epoch)]
        # As Kafka's controller: a fenced broker leaves every ISR and loses its leaderships.
        remaining = set(live) - {broker.id}
        for topic in self.image.topics.values():
            for partition in topic.partitions.values():
                if broker.id not in partition.isr:
                    continue
                isr = [b for b in partition.isr if b != broker.id]
                leader = -2
                if partition.leader == broker.id:
                    leader = next((b for b in isr if b in remaining), NO_LEADER)
                records.append(
                    r.PartitionChangeRecord(
                        partition_id=partition.partition_id,
                        topic_id=topic.id,
                        isr=isr or None,
                        leader=leader,
                    )
                )
        return records

    def _unfence_broker(self) -> list[Message]:
        fenced = sorted(b.id for b in self.image.brokers.values() if b.fenced)
        if not fenced:
            return self._register_new_broker()
        broker = self.image.brokers[self._rng.choice(fenced)]
        records: list[Message] = [r.UnfenceBrokerRecord(id=broker.id, epoch=broker.epoch)]
        # As Kafka's controller: a leaderless partition whose ISR holds the broker elects it.
        for topic in self.image.topics.values():
            for partition in topic.partitions.values():
                if partition.leader == NO_LEADER and broker.id in partition.isr:
                    records.append(
                        r.PartitionChangeRecord(
                            partition_id=partition.partition_id,
                            topic_id=topic.id,
                            leader=broker.id,
                        )
                    )
        return records

    def _register_new_broker(self) -> list[Message]:
        if len(self.image.brokers) >= BROKERS_MAX:
            return []
        return [self._register(max(self.image.brokers, default=0) + 1)]

    def _restart_broker(self) -> list[Message]:
        fenced = sorted(b.id for b in self.image.brokers.values() if b.fenced)
        if not fenced:
            return []
        return [self._register(self._rng.choice(fenced))]  # a new incarnation, still fenced

    def _producer_ids(self) -> list[Message]:
        live = self._live_brokers()
        if not live:
            return []
        broker = self.image.brokers[self._rng.choice(live)]
        current = self.image.producer_ids
        start = 0 if current is None else current.next_producer_id
        return [
            r.ProducerIdsRecord(
                broker_id=broker.id,
                broker_epoch=broker.epoch,
                next_producer_id=start + PRODUCER_ID_BLOCK,
            )
        ]

    def _noop(self) -> list[Message]:
        return [r.NoOpRecord()]


def decode_data_records(data: bytes) -> list[tuple[int, int, list[MetadataRecord]]]:
    """(base offset, next offset, decoded metadata records) of each batch of `data`; control
    batches and values that are not metadata records (random payloads) give no records."""
    out: list[tuple[int, int, list[MetadataRecord]]] = []
    for at, header in iter_batches(data):
        records: list[MetadataRecord] = []
        if not header.is_control:
            for record in decode_records(data, at, header):
                if record.value is None:
                    continue
                try:
                    decoded = decode_metadata_record_or_unknown(record.value)
                except DecodeError:
                    continue  # not a metadata record frame at all (random bytes)
                if isinstance(decoded, MetadataRecord):
                    records.append(decoded)
        out.append((header.base_offset, header.next_offset, records))
    return out


class MetadataState:
    """The node's metadata image of its committed log (see the module docstring)."""

    def __init__(self, snapshots: SnapshotStore) -> None:
        self.image = MetadataImage()
        self.applied = 0
        self._snapshots = snapshots
        self._reload: OffsetAndEpoch | None = None
        self._bad_records = 0

    # ---------------------------------------------------------- StateMachine (snapshotter)

    def applied_offset(self, committed_offset: int) -> int:
        if self._reload is not None:
            return 0  # being replaced by an installed snapshot: nothing to snapshot now
        return min(self.applied, committed_offset)

    def snapshot_records(self) -> Sequence[bytes]:
        return [encode_metadata_record(m.record, m.version) for m in image_records(self.image)]

    def on_snapshot_installed(self, snapshot_id: OffsetAndEpoch) -> None:
        self._reload = snapshot_id

    # ---------------------------------------------------------------------- loading

    def load(self, snapshot_id: OffsetAndEpoch | None, log_start_offset: int) -> None:
        """Start from the snapshot (blocking: at start-up, or on a thread)."""
        if snapshot_id is None:
            self.image = MetadataImage()
            self.applied = log_start_offset
            return
        read = self._snapshots.read(snapshot_id, 0, 1 << 31)
        records: list[MetadataRecord] = []
        if read is not None:
            for _, _, batch_records in decode_data_records(read[0]):
                records += batch_records
        image = MetadataImage()
        try:
            image.load_snapshot(records)
        except ImageError as exc:
            log.warning("snapshot %s does not load as an image: %s", snapshot_id, exc)
        self.image = image
        self.applied = snapshot_id.offset

    def apply_batches(self, data: bytes) -> int:
        """Apply the committed batches of `data` (from `applied` on); records applied."""
        count = 0
        for base, next_offset, records in decode_data_records(data):
            if next_offset <= self.applied:
                continue
            if base != self.applied:
                break  # not contiguous (a snapshot moved the log): read again
            for record in records:
                try:
                    self.image.apply(record)
                except ImageError as exc:
                    self._bad_records += 1
                    if self._bad_records <= 3:
                        log.warning("metadata record at offset ~%d skipped: %s", base, exc)
                count += 1
            self.applied = next_offset
        return count

    async def run(
        self,
        node: RaftNode,
        read: Callable[[int, int, int], Awaitable[bytes]],
        wait: Callable[[int], Awaitable[None]],
    ) -> None:
        """Apply committed batches as the high watermark moves, forever (a task): `read` is the
        loop's `read_batches(start, end, bytes_max)`, `wait` its `wait_for_change(timeout_ms)`."""
        while True:
            reload = self._reload
            if reload is not None:
                await trio.to_thread.run_sync(self.load, reload, reload.offset)
                if self._reload == reload:
                    self._reload = None
                continue
            high_watermark = node.high_watermark
            if high_watermark is None or self.applied >= high_watermark:
                await wait(APPLY_WAIT_MS)
                continue
            before = self.applied
            data = await read(self.applied, high_watermark, APPLY_READ_BYTES)
            if data:
                self.apply_batches(data)
            if self.applied == before:
                await wait(APPLY_WAIT_MS)  # nothing now (a truncation or reset raced the read)


class MetadataWorkload(Workload):
    """The leader's metadata workload (see the module docstring)."""

    def __init__(
        self,
        node: RaftNode,
        stats: Stats,
        state: MetadataState,
        *,
        throughput: int,
        rng: random.Random,
        batch_bytes_max: int,
    ) -> None:
        super().__init__(
            node,
            stats,
            throughput=throughput,
            record_size=256,
            rng=rng,
            batch_bytes_max=batch_bytes_max,
        )
        self._state = state
        self._generator: ClusterGenerator | None = None
        # The generator starts once the state has applied up to here (None: not leading).
        self._wait_for_applied: int | None = None
        self._leading_epoch = -1
        self._now_hint_ms = 0

    def on_ready(self, ready: Ready, now_ms: int) -> None:
        node = self._node
        if node.role != RoleName.LEADER:
            self._generator = None
            self._wait_for_applied = None
            self._leading_epoch = -1
        elif node.epoch != self._leading_epoch:
            # A new leadership: everything before this epoch's LeaderChange gets committed
            # with it; the generator starts from the image of all of that.
            self._leading_epoch = node.epoch
            self._generator = None
            self._wait_for_applied = node.log_end_offset
        super().on_ready(ready, now_ms)

    def _ready(self) -> bool:
        if self._generator is not None:
            return True
        wait_for = self._wait_for_applied
        hw = self._node.high_watermark
        if wait_for is None or hw is None or hw < wait_for:
            return False
        if self._state.applied < wait_for or self._state.applied < hw:
            return False
        controllers = sorted(self._node.voters)
        self._generator = ClusterGenerator(self._state.image.copy(), self._rng, controllers)
        return True

    def next_due_ms(self) -> int | None:
        due = super().next_due_ms()
        if due is None or self._ready():
            return due
        return max(due, self._now_hint_ms + NOT_READY_WAKE_MS)

    def pump(self, now_ms: int) -> bool:
        self._now_hint_ms = now_ms
        if not self._ready():
            return False
        return super().pump(now_ms)

    def _values(self, count: int) -> list[bytes]:
        generator = self._generator
        assert generator is not None
        values: list[bytes] = []
        while len(values) < count:
            try:
                group = generator.next_group()
            except ImageError as exc:
                # A generator bug must not stop the node: start again from the committed image.
                log.warning("metadata workload: %s; restarting from the committed image", exc)
                self._rejected(values)
                return []
            values += [encode_record(record) for record in group]
        return values

    def _rejected(self, values: list[bytes]) -> None:
        # The generator's image has them: start again from the committed image once everything
        # proposed so far is applied.
        self._generator = None
        self._wait_for_applied = self._node.log_end_offset
