"""The entities of Kafka's metadata image (brokers, controllers, topics, partitions, ACLs, ...) and
the record values they are read with (sentinels, resource types, mechanisms).

Plain values, frozen but for a `Topic` (its partitions by id, which the replay edits);
`kraft.image.model.MetadataImage` keeps them and replays records into them. See the package
docstring (`kraft.image`) for the rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wire.messages.quorum_state import uuid_to_base64 as kafka_uuid

# PartitionChangeRecord sentinels (Kafka's LeaderConstants and LeaderRecoveryState).
NO_LEADER = -1
NO_LEADER_CHANGE = -2
NO_RECOVERY_STATE_CHANGE = -1
# BrokerRegistrationChangeRecord.fenced (Kafka's BrokerRegistrationFencingChange).
FENCING_NONE, FENCING_FENCE, FENCING_UNFENCE = 0, 1, -1
# BrokerRegistrationChangeRecord.in_controlled_shutdown.
SHUTDOWN_NONE, SHUTDOWN_IN_CONTROLLED_SHUTDOWN = 0, 1
# Kafka's DirectoryId.UNASSIGNED: a replica added without a directory.
UNASSIGNED_DIRECTORY = uuid.UUID(int=0)
# ConfigRecord.resource_type (Kafka's ConfigResource.Type).
CONFIG_RESOURCE_TYPES = {
    2: "topic",
    4: "broker",
    8: "broker-logger",
    16: "client-metrics",
    32: "group",
}
# UserScramCredentialRecord.mechanism (Kafka's ScramMechanism).
SCRAM_MECHANISMS = {1: "SCRAM-SHA-256", 2: "SCRAM-SHA-512"}
# ZkMigrationStateRecord.zk_migration_state (Kafka's ZkMigrationState).
ZK_MIGRATION_STATES = {0: "NONE", 1: "PRE_MIGRATION", 2: "MIGRATION", 3: "POST_MIGRATION"}


class ImageError(Exception):
    """A record that does not fit the image (a partition of an unknown topic, ...): one line."""


@dataclass(frozen=True)
class Endpoint:
    name: str
    host: str
    port: int
    security_protocol: int

    def __str__(self) -> str:
        return f"{self.name}://{self.host}:{self.port}"


@dataclass(frozen=True)
class SupportedFeature:
    name: str
    min_version: int
    max_version: int


@dataclass(frozen=True)
class Broker:
    """One broker registration (RegisterBrokerRecord, then fencing and change records)."""

    id: int
    incarnation_id: uuid.UUID
    epoch: int
    endpoints: tuple[Endpoint, ...] = ()
    features: tuple[SupportedFeature, ...] = ()
    rack: str | None = None
    fenced: bool = True
    in_controlled_shutdown: bool = False
    is_migrating_zk_broker: bool = False
    log_dirs: tuple[uuid.UUID, ...] = ()
    cordoned_log_dirs: tuple[uuid.UUID, ...] | None = None


@dataclass(frozen=True)
class Controller:
    """One controller registration (RegisterControllerRecord)."""

    id: int
    incarnation_id: uuid.UUID
    zk_migration_ready: bool = False
    endpoints: tuple[Endpoint, ...] = ()
    features: tuple[SupportedFeature, ...] = ()


@dataclass(frozen=True)
class Partition:
    """One partition registration. ELR lists are empty when the records carry none.

    `directories` is as the records give it (empty when they carry none; Kafka's own image fills
    in its "migrating" placeholder instead)."""

    topic_id: uuid.UUID
    partition_id: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    removing_replicas: tuple[int, ...] = ()
    adding_replicas: tuple[int, ...] = ()
    leader: int = NO_LEADER
    leader_recovery_state: int = 0
    leader_epoch: int = 0
    partition_epoch: int = 0
    directories: tuple[uuid.UUID, ...] = ()
    elr: tuple[int, ...] = ()
    last_known_elr: tuple[int, ...] = ()


@dataclass
class Topic:
    name: str
    id: uuid.UUID
    partitions: dict[int, Partition] = field(default_factory=dict)

    @property
    def replication_factor(self) -> int:
        first = self.partitions.get(0) or next(iter(self.partitions.values()), None)
        return 0 if first is None else len(first.replicas)


@dataclass(frozen=True)
class ProducerIds:
    """The next producer id block start (ProducerIdsRecord), and who asked for the last block."""

    next_producer_id: int
    broker_id: int = -1
    broker_epoch: int = -1


@dataclass(frozen=True)
class Acl:
    id: uuid.UUID
    resource_type: int
    resource_name: str
    pattern_type: int
    principal: str
    host: str
    operation: int
    permission_type: int


@dataclass(frozen=True)
class ScramCredential:
    name: str
    mechanism: int
    salt: bytes
    stored_key: bytes
    server_key: bytes
    iterations: int


@dataclass(frozen=True)
class DelegationToken:
    token_id: str
    owner: str
    requester: str
    renewers: tuple[str, ...]
    issue_timestamp: int
    max_timestamp: int
    expiration_timestamp: int


# A client quota entity: ((entity type, entity name or None for the default), ...), sorted.
QuotaEntity = tuple[tuple[str, str | None], ...]
# A config resource: (ConfigRecord.resource_type, resource name; "" is the cluster default).
ConfigResource = tuple[int, str]


def partition_name(topic: str, partition_id: int) -> str:
    return f"{topic}-{partition_id}"


def endpoints_from(items: Iterable[Any]) -> tuple[Endpoint, ...]:
    return tuple(Endpoint(e.name, e.host, e.port, e.security_protocol) for e in items)


def features_from(items: Iterable[Any]) -> tuple[SupportedFeature, ...]:
    return tuple(
        SupportedFeature(x.name, x.min_supported_version, x.max_supported_version) for x in items
    )


def quota_entity_text(entity: QuotaEntity) -> str:
    """`user=alice,client-id=<default>` (Kafka's kafka-configs wording for a default entity)."""
    return ",".join(f"{kind}={'<default>' if name is None else name}" for kind, name in entity)


def acl_fields(acl: Acl) -> dict[str, Any]:
    return {
        "acl_id": kafka_uuid(acl.id),
        "principal": acl.principal,
        "host": acl.host,
        "resource_type": acl.resource_type,
        "resource": acl.resource_name,
        "pattern_type": acl.pattern_type,
        "operation": acl.operation,
        "permission_type": acl.permission_type,
    }
