"""Kafka's metadata image, materialized from `__cluster_metadata` records (pure, sans I/O).

The image is what a Kafka node knows about the cluster once it has replayed the metadata log:
controllers, brokers (endpoints, fencing, controlled shutdown, epochs, log dirs), topics and their
partitions (replicas, leader, ISR, ELR, leader and partition epochs, directories), configs,
feature levels, client quotas, the producer id block, ACLs, SCRAM credentials, delegation tokens.
No I/O, clocks or threads: records in, image and changes out. `kraft image` (kraft.cli.image) is
the tool around it.

Modules: `entities` (the image's values and the records' sentinels), `model` (`MetadataImage` and
the replay of each record type), `partitions` (a partition change merged and diffed), `changes`
(what a replay changed, for people), `export` (an image as snapshot records and as JSON),
`batches` (metadata records out of log and snapshot bytes).

Stable API (other packages build on it; keep it):

- `MetadataImage()`: an empty image (dataclass; `==` compares two images; `.copy()`).
  - `apply(record) -> list[Change]`: replay one record: a `wire.metadata.records` value, a
    `wire.metadata.MetadataRecord` (its value is used), or an `UnknownMetadataRecord` (ignored).
    Raises `ImageError` (one line) for a record that does not fit (a partition of an unknown
    topic, a fence with a stale broker epoch, ...); the image is then unchanged.
  - `apply_batch(records) -> list[Change]`: `apply` each, changes coalesced for people (a topic
    and its partitions created in one batch are one `topic-created` change). On `ImageError`
    the records before the failing one stay applied.
  - `load_snapshot(records) -> list[Change]`: a snapshot REPLACES the image (one
    `snapshot-loaded` change); `MetadataImage.from_records(records)` builds a new one.
  - queries: `topics` (by id), `topics_by_name()`, `topic_named(name)`, `partitions()`,
    `brokers`, `controllers`, `features`, `configs[(resource_type, name)]`, `client_quotas`,
    `producer_ids`, `acls`, `scram_credentials`, `delegation_tokens`.
- `image_records(image) -> list[MetadataRecord]`: the records a snapshot of the image holds,
  in Kafka's snapshot order, each at the lowest version that carries it;
  `MetadataImage.from_records(image_records(image)) == image`.
- `image_json(image) -> dict`: the image as JSON-ready data (uuids in Kafka's base64 form).
- `snapshot_metadata_records(data)`: the metadata records of a whole snapshot file's bytes;
  `batch_metadata_records(data)`: (batch header, [(offset, record)]) per batch of log bytes.
- `Change(kind, fields)` (`.to_json()`), `sentence(change) -> str` ("topic orders created: 3
  partitions, RF 3", "broker 2 fenced", "partition orders-1 leader 1 → 3 (epoch 5)"); the kinds
  and their fields are listed in `kraft.image.changes`.

Replay rules (Kafka's documented semantics):
- PartitionChangeRecord: a null field (isr, replicas, adding/removing replicas, directories, ELR,
  last known ELR) keeps the old value; `leader = NO_LEADER_CHANGE (-2)` keeps the leader,
  `NO_LEADER (-1)` removes it, any other value (even the same leader) bumps the leader epoch;
  `leader_recovery_state = -1` keeps it; every change bumps the partition epoch. New replicas
  without directories keep the directories of the replicas they had and get UNASSIGNED for new
  ones.
- RemoveTopicRecord removes the topic, its partitions and its configs. ClearElrRecord (empty
  name: every topic) clears ELR and last known ELR of each partition that has some (a partition
  change: the partition epoch moves).
- ConfigRecord with a null value deletes the key; ClientQuotaRecord with `remove` deletes it;
  FeatureLevelRecord with level 0 removes the feature.
- BrokerRegistrationChangeRecord: fenced 1 fences, -1 unfences, 0 keeps; in_controlled_shutdown
  1 sets it, 0 keeps; an empty log_dirs list keeps them; a null cordoned list keeps it.
  Fence/Unfence/Change records must carry the broker's current epoch.
- Begin/End/AbortTransactionRecord: records inside a transaction are held back and applied at
  its End; an Abort drops them (Kafka's metadata loader publishes a transaction whole or not).
- NoOpRecord changes nothing.
"""

from kraft.image.batches import batch_metadata_records, snapshot_metadata_records
from kraft.image.changes import Change, coalesce, sentence
from kraft.image.entities import (
    NO_LEADER,
    NO_LEADER_CHANGE,
    Acl,
    Broker,
    Controller,
    DelegationToken,
    Endpoint,
    ImageError,
    Partition,
    ProducerIds,
    ScramCredential,
    SupportedFeature,
    Topic,
    partition_name,
    quota_entity_text,
)
from kraft.image.export import image_json, image_records, lowest_version, partition_json
from kraft.image.model import MetadataImage
from kraft.image.partitions import merge_partition_change

__all__ = [
    "NO_LEADER",
    "NO_LEADER_CHANGE",
    "Acl",
    "Broker",
    "Change",
    "Controller",
    "DelegationToken",
    "Endpoint",
    "ImageError",
    "MetadataImage",
    "Partition",
    "ProducerIds",
    "ScramCredential",
    "SupportedFeature",
    "Topic",
    "batch_metadata_records",
    "coalesce",
    "image_json",
    "image_records",
    "lowest_version",
    "merge_partition_change",
    "partition_json",
    "partition_name",
    "quota_entity_text",
    "sentence",
    "snapshot_metadata_records",
]
