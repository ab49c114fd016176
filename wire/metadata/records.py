"""Values of the data records in `__cluster_metadata` (Kafka 4.3.1's metadata schemas).

One dataclass per record type, every version, declared like the RPC messages (`wire.fields`).
All are flexible from v0. `API_KEY` is the metadata record type (the frame's `apiKey`, see
`wire.metadata`), not an RPC key. Keys 6, 13 and 16 are retired (pre-3.0 records) and not declared.

Versions added after 4.0 (from Kafka's `MetadataRecordType` in 4.3.1): RegisterBrokerRecord v4 and
BrokerRegistrationChangeRecord v3 (tagged `cordoned_log_dirs`), ClearElrRecord (28).
Only tools decode these: the node stores and replicates metadata batches as bytes.
"""

# ruff: noqa: RUF009  (field specs are dataclasses.field() calls, evaluated once at class creation)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from wire.fields import Message, Struct, Versions, f


@dataclass(frozen=True)
class RegisterBrokerRecord(Message):
    API_KEY: ClassVar[int] = 0
    VERSIONS: ClassVar[Versions] = Versions(0, 4)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class BrokerEndpoint(Struct):
        name: str = f("string", "0+")
        host: str = f("string", "0+")
        port: int = f("uint16", "0+")
        security_protocol: int = f("int16", "0+")

    @dataclass(frozen=True)
    class BrokerFeature(Struct):
        name: str = f("string", "0+")
        min_supported_version: int = f("int16", "0+")
        max_supported_version: int = f("int16", "0+")

    broker_id: int = f("int32", "0+")
    is_migrating_zk_broker: bool = f("bool", "2+")
    incarnation_id: uuid.UUID = f("uuid", "0+")
    broker_epoch: int = f("int64", "0+")
    end_points: list[BrokerEndpoint] = f([BrokerEndpoint], "0+")
    features: list[BrokerFeature] = f([BrokerFeature], "0+")
    rack: str | None = f("string", "0+", nullable="0+")
    fenced: bool = f("bool", "0+", default=True)
    in_controlled_shutdown: bool = f("bool", "1+")
    log_dirs: list[uuid.UUID] = f("[]uuid", "3+", tagged="3+", tag=0)
    # 4.3 (v4): log directories cordoned on this broker; null when the broker does not say
    cordoned_log_dirs: list[uuid.UUID] | None = f(
        "[]uuid", "4+", nullable="4+", default=None, tagged="4+", tag=1
    )


@dataclass(frozen=True)
class UnregisterBrokerRecord(Message):
    API_KEY: ClassVar[int] = 1
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    broker_id: int = f("int32", "0+")
    broker_epoch: int = f("int64", "0+")


@dataclass(frozen=True)
class TopicRecord(Message):
    API_KEY: ClassVar[int] = 2
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    name: str = f("string", "0+")
    topic_id: uuid.UUID = f("uuid", "0+")


@dataclass(frozen=True)
class PartitionRecord(Message):
    API_KEY: ClassVar[int] = 3
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    partition_id: int = f("int32", "0+", default=-1)
    topic_id: uuid.UUID = f("uuid", "0+")
    replicas: list[int] = f("[]int32", "0+")
    isr: list[int] = f("[]int32", "0+")
    removing_replicas: list[int] = f("[]int32", "0+")
    adding_replicas: list[int] = f("[]int32", "0+")
    leader: int = f("int32", "0+", default=-1)
    leader_recovery_state: int = f("int8", "0+", tagged="0+", tag=0)
    leader_epoch: int = f("int32", "0+", default=-1)
    partition_epoch: int = f("int32", "0+", default=-1)
    directories: list[uuid.UUID] = f("[]uuid", "1+")
    eligible_leader_replicas: list[int] | None = f(
        "[]int32", "2+", nullable="2+", default=None, tagged="2+", tag=1
    )
    last_known_elr: list[int] | None = f(
        "[]int32", "2+", nullable="2+", default=None, tagged="2+", tag=2
    )


@dataclass(frozen=True)
class ConfigRecord(Message):
    API_KEY: ClassVar[int] = 4
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    resource_type: int = f("int8", "0+")
    resource_name: str = f("string", "0+")
    name: str = f("string", "0+")
    value: str | None = f("string", "0+", nullable="0+")


@dataclass(frozen=True)
class PartitionChangeRecord(Message):
    API_KEY: ClassVar[int] = 5
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    partition_id: int = f("int32", "0+", default=-1)
    topic_id: uuid.UUID = f("uuid", "0+")
    isr: list[int] | None = f("[]int32", "0+", nullable="0+", default=None, tagged="0+", tag=0)
    leader: int = f("int32", "0+", default=-2, tagged="0+", tag=1)
    replicas: list[int] | None = f("[]int32", "0+", nullable="0+", default=None, tagged="0+", tag=2)
    removing_replicas: list[int] | None = f(
        "[]int32", "0+", nullable="0+", default=None, tagged="0+", tag=3
    )
    adding_replicas: list[int] | None = f(
        "[]int32", "0+", nullable="0+", default=None, tagged="0+", tag=4
    )
    leader_recovery_state: int = f("int8", "0+", default=-1, tagged="0+", tag=5)
    directories: list[uuid.UUID] | None = f(
        "[]uuid", "1+", nullable="1+", default=None, tagged="1+", tag=8
    )
    eligible_leader_replicas: list[int] | None = f(
        "[]int32", "2+", nullable="2+", default=None, tagged="2+", tag=6
    )
    last_known_elr: list[int] | None = f(
        "[]int32", "2+", nullable="2+", default=None, tagged="2+", tag=7
    )


@dataclass(frozen=True)
class FenceBrokerRecord(Message):
    API_KEY: ClassVar[int] = 7
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    id: int = f("int32", "0+")
    epoch: int = f("int64", "0+")


@dataclass(frozen=True)
class UnfenceBrokerRecord(Message):
    API_KEY: ClassVar[int] = 8
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    id: int = f("int32", "0+")
    epoch: int = f("int64", "0+")


@dataclass(frozen=True)
class RemoveTopicRecord(Message):
    API_KEY: ClassVar[int] = 9
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    topic_id: uuid.UUID = f("uuid", "0+")


@dataclass(frozen=True)
class DelegationTokenRecord(Message):
    API_KEY: ClassVar[int] = 10
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    owner: str = f("string", "0+")
    requester: str = f("string", "0+")
    renewers: list[str] = f("[]string", "0+")
    issue_timestamp: int = f("int64", "0+")
    max_timestamp: int = f("int64", "0+")
    expiration_timestamp: int = f("int64", "0+")
    token_id: str = f("string", "0+")


@dataclass(frozen=True)
class UserScramCredentialRecord(Message):
    API_KEY: ClassVar[int] = 11
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    name: str = f("string", "0+")
    mechanism: int = f("int8", "0+")
    salt: bytes = f("bytes", "0+")
    stored_key: bytes = f("bytes", "0+")
    server_key: bytes = f("bytes", "0+")
    iterations: int = f("int32", "0+")


@dataclass(frozen=True)
class FeatureLevelRecord(Message):
    API_KEY: ClassVar[int] = 12
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    name: str = f("string", "0+")
    feature_level: int = f("int16", "0+")


@dataclass(frozen=True)
class ClientQuotaRecord(Message):
    API_KEY: ClassVar[int] = 14
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class EntityData(Struct):
        entity_type: str = f("string", "0+")
        entity_name: str | None = f("string", "0+", nullable="0+")

    entity: list[EntityData] = f([EntityData], "0+")
    key: str = f("string", "0+")
    value: float = f("float64", "0+")
    remove: bool = f("bool", "0+")


@dataclass(frozen=True)
class ProducerIdsRecord(Message):
    API_KEY: ClassVar[int] = 15
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    broker_id: int = f("int32", "0+")
    broker_epoch: int = f("int64", "0+", default=-1)
    next_producer_id: int = f("int64", "0+")


@dataclass(frozen=True)
class BrokerRegistrationChangeRecord(Message):
    API_KEY: ClassVar[int] = 17
    VERSIONS: ClassVar[Versions] = Versions(0, 3)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    broker_id: int = f("int32", "0+")
    broker_epoch: int = f("int64", "0+")
    fenced: int = f("int8", "0+", tagged="0+", tag=0)
    in_controlled_shutdown: int = f("int8", "1+", tagged="1+", tag=1)
    log_dirs: list[uuid.UUID] = f("[]uuid", "2+", tagged="2+", tag=2)
    # 4.3 (v3): log directories cordoned on this broker; null when unchanged
    cordoned_log_dirs: list[uuid.UUID] | None = f(
        "[]uuid", "3+", nullable="3+", default=None, tagged="3+", tag=3
    )


@dataclass(frozen=True)
class AccessControlEntryRecord(Message):
    API_KEY: ClassVar[int] = 18
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    id: uuid.UUID = f("uuid", "0+")
    resource_type: int = f("int8", "0+")
    resource_name: str = f("string", "0+")
    pattern_type: int = f("int8", "0+")
    principal: str = f("string", "0+")
    host: str = f("string", "0+")
    operation: int = f("int8", "0+")
    permission_type: int = f("int8", "0+")


@dataclass(frozen=True)
class RemoveAccessControlEntryRecord(Message):
    API_KEY: ClassVar[int] = 19
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    id: uuid.UUID = f("uuid", "0+")


@dataclass(frozen=True)
class NoOpRecord(Message):
    API_KEY: ClassVar[int] = 20
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)


@dataclass(frozen=True)
class ZkMigrationStateRecord(Message):
    API_KEY: ClassVar[int] = 21
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    zk_migration_state: int = f("int8", "0+")


@dataclass(frozen=True)
class RemoveUserScramCredentialRecord(Message):
    API_KEY: ClassVar[int] = 22
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    name: str = f("string", "0+")
    mechanism: int = f("int8", "0+")


@dataclass(frozen=True)
class BeginTransactionRecord(Message):
    API_KEY: ClassVar[int] = 23
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    name: str | None = f("string", "0+", nullable="0+", default=None, tagged="0+", tag=0)


@dataclass(frozen=True)
class EndTransactionRecord(Message):
    API_KEY: ClassVar[int] = 24
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)


@dataclass(frozen=True)
class AbortTransactionRecord(Message):
    API_KEY: ClassVar[int] = 25
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    reason: str | None = f("string", "0+", nullable="0+", default=None, tagged="0+", tag=0)


@dataclass(frozen=True)
class RemoveDelegationTokenRecord(Message):
    API_KEY: ClassVar[int] = 26
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    token_id: str = f("string", "0+")


@dataclass(frozen=True)
class RegisterControllerRecord(Message):
    API_KEY: ClassVar[int] = 27
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    @dataclass(frozen=True)
    class ControllerEndpoint(Struct):
        name: str = f("string", "0+")
        host: str = f("string", "0+")
        port: int = f("uint16", "0+")
        security_protocol: int = f("int16", "0+")

    @dataclass(frozen=True)
    class ControllerFeature(Struct):
        name: str = f("string", "0+")
        min_supported_version: int = f("int16", "0+")
        max_supported_version: int = f("int16", "0+")

    controller_id: int = f("int32", "0+")
    incarnation_id: uuid.UUID = f("uuid", "0+")
    zk_migration_ready: bool = f("bool", "0+")
    end_points: list[ControllerEndpoint] = f([ControllerEndpoint], "0+")
    features: list[ControllerFeature] = f([ControllerFeature], "0+")


@dataclass(frozen=True)
class ClearElrRecord(Message):
    API_KEY: ClassVar[int] = 28
    VERSIONS: ClassVar[Versions] = Versions(0, 0)
    FLEXIBLE: ClassVar[Versions] = Versions(0)

    topic_name: str = f("string", "0+")  # empty: clear the ELRs of every topic


# metadata record type (the frame's apiKey) -> value class
METADATA_RECORD_TYPES: dict[int, type[Message]] = {
    cls.API_KEY: cls
    for cls in (
        RegisterBrokerRecord,
        UnregisterBrokerRecord,
        TopicRecord,
        PartitionRecord,
        ConfigRecord,
        PartitionChangeRecord,
        FenceBrokerRecord,
        UnfenceBrokerRecord,
        RemoveTopicRecord,
        DelegationTokenRecord,
        UserScramCredentialRecord,
        FeatureLevelRecord,
        ClientQuotaRecord,
        ProducerIdsRecord,
        BrokerRegistrationChangeRecord,
        AccessControlEntryRecord,
        RemoveAccessControlEntryRecord,
        NoOpRecord,
        ZkMigrationStateRecord,
        RemoveUserScramCredentialRecord,
        BeginTransactionRecord,
        EndTransactionRecord,
        AbortTransactionRecord,
        RemoveDelegationTokenRecord,
        RegisterControllerRecord,
        ClearElrRecord,
    )
}
