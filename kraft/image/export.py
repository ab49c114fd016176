"""An image as records (what a snapshot of it holds) and as JSON (for `kraft image --json`)."""

from __future__ import annotations

from typing import Any

from kraft.image.entities import (
    CONFIG_RESOURCE_TYPES,
    SCRAM_MECHANISMS,
    ZK_MIGRATION_STATES,
    Broker,
    Controller,
    Partition,
    quota_entity_text,
)
from kraft.image.model import MetadataImage
from wire import encode
from wire.errors import EncodeError
from wire.fields import Message
from wire.messages.quorum_state import uuid_to_base64 as kafka_uuid
from wire.metadata import MetadataRecord
from wire.metadata import records as r

METADATA_VERSION_FEATURE = "metadata.version"


def lowest_version(record: Message) -> int:
    """The lowest version of `record`'s type that carries every value it holds (old readers can
    read it; a field with its default is simply absent at a lower version)."""
    for version in range(record.VERSIONS.lo, record.VERSIONS.hi + 1):
        try:
            encode(record, version)
        except EncodeError:
            continue
        return version
    raise EncodeError(f"{type(record).__name__}: no version carries {record}")


def image_records(image: MetadataImage) -> list[MetadataRecord]:
    """The records a snapshot of `image` holds, in Kafka's snapshot order (features with
    metadata.version first, brokers, controllers, topics with their partitions, configs, client
    quotas, producer ids, ACLs, SCRAM credentials, delegation tokens); each at the lowest version
    that carries it. `MetadataImage.from_records(image_records(image)) == image`."""
    records = [*_feature_records(image)]
    if image.zk_migration_state is not None:
        records.append(r.ZkMigrationStateRecord(zk_migration_state=image.zk_migration_state))
    records += [_broker_record(b) for _, b in sorted(image.brokers.items())]
    records += [_controller_record(c) for _, c in sorted(image.controllers.items())]
    for topic in image.topics_by_name().values():
        records.append(r.TopicRecord(name=topic.name, topic_id=topic.id))
        records += [_partition_record(topic.partitions[p]) for p in sorted(topic.partitions)]
    for (resource_type, resource_name), entries in sorted(image.configs.items()):
        records += [
            r.ConfigRecord(
                resource_type=resource_type, resource_name=resource_name, name=name, value=value
            )
            for name, value in sorted(entries.items())
        ]
    for entity, values in sorted(image.client_quotas.items(), key=lambda kv: _entity_key(kv[0])):
        data = [r.ClientQuotaRecord.EntityData(kind, name) for kind, name in entity]
        records += [
            r.ClientQuotaRecord(entity=data, key=key, value=value, remove=False)
            for key, value in sorted(values.items())
        ]
    if image.producer_ids is not None:
        ids = image.producer_ids
        records.append(
            r.ProducerIdsRecord(
                broker_id=ids.broker_id,
                broker_epoch=ids.broker_epoch,
                next_producer_id=ids.next_producer_id,
            )
        )
    records += [
        r.AccessControlEntryRecord(
            id=a.id,
            resource_type=a.resource_type,
            resource_name=a.resource_name,
            pattern_type=a.pattern_type,
            principal=a.principal,
            host=a.host,
            operation=a.operation,
            permission_type=a.permission_type,
        )
        for _, a in sorted(image.acls.items())
    ]
    records += [
        r.UserScramCredentialRecord(
            name=s.name,
            mechanism=s.mechanism,
            salt=s.salt,
            stored_key=s.stored_key,
            server_key=s.server_key,
            iterations=s.iterations,
        )
        for _, s in sorted(image.scram_credentials.items())
    ]
    records += [
        r.DelegationTokenRecord(
            owner=t.owner,
            requester=t.requester,
            renewers=list(t.renewers),
            issue_timestamp=t.issue_timestamp,
            max_timestamp=t.max_timestamp,
            expiration_timestamp=t.expiration_timestamp,
            token_id=t.token_id,
        )
        for _, t in sorted(image.delegation_tokens.items())
    ]
    return [MetadataRecord(record, lowest_version(record)) for record in records]


def _entity_key(entity: tuple[tuple[str, str | None], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((kind, "" if name is None else name) for kind, name in entity)


def _feature_records(image: MetadataImage) -> list[Message]:
    names = sorted(image.features, key=lambda n: (n != METADATA_VERSION_FEATURE, n))
    return [r.FeatureLevelRecord(name=n, feature_level=image.features[n]) for n in names]


def _broker_record(b: Broker) -> r.RegisterBrokerRecord:
    return r.RegisterBrokerRecord(
        broker_id=b.id,
        is_migrating_zk_broker=b.is_migrating_zk_broker,
        incarnation_id=b.incarnation_id,
        broker_epoch=b.epoch,
        end_points=[
            r.RegisterBrokerRecord.BrokerEndpoint(e.name, e.host, e.port, e.security_protocol)
            for e in b.endpoints
        ],
        features=[
            r.RegisterBrokerRecord.BrokerFeature(f.name, f.min_version, f.max_version)
            for f in b.features
        ],
        rack=b.rack,
        fenced=b.fenced,
        in_controlled_shutdown=b.in_controlled_shutdown,
        log_dirs=list(b.log_dirs),
        cordoned_log_dirs=None if b.cordoned_log_dirs is None else list(b.cordoned_log_dirs),
    )


def _controller_record(c: Controller) -> r.RegisterControllerRecord:
    return r.RegisterControllerRecord(
        controller_id=c.id,
        incarnation_id=c.incarnation_id,
        zk_migration_ready=c.zk_migration_ready,
        end_points=[
            r.RegisterControllerRecord.ControllerEndpoint(
                e.name, e.host, e.port, e.security_protocol
            )
            for e in c.endpoints
        ],
        features=[
            r.RegisterControllerRecord.ControllerFeature(f.name, f.min_version, f.max_version)
            for f in c.features
        ],
    )


def _partition_record(p: Partition) -> r.PartitionRecord:
    return r.PartitionRecord(
        partition_id=p.partition_id,
        topic_id=p.topic_id,
        replicas=list(p.replicas),
        isr=list(p.isr),
        removing_replicas=list(p.removing_replicas),
        adding_replicas=list(p.adding_replicas),
        leader=p.leader,
        leader_recovery_state=p.leader_recovery_state,
        leader_epoch=p.leader_epoch,
        partition_epoch=p.partition_epoch,
        directories=list(p.directories),
        # Tagged: only written when there is something to say (as Kafka does).
        eligible_leader_replicas=list(p.elr) or None,
        last_known_elr=list(p.last_known_elr) or None,
    )


# ----------------------------------------------------------------------------- JSON


def _endpoints_json(endpoints: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [
        {"name": e.name, "host": e.host, "port": e.port, "securityProtocol": e.security_protocol}
        for e in endpoints
    ]


def partition_json(p: Partition) -> dict[str, Any]:
    return {
        "partition": p.partition_id,
        "leader": p.leader,
        "leaderEpoch": p.leader_epoch,
        "partitionEpoch": p.partition_epoch,
        "replicas": list(p.replicas),
        "isr": list(p.isr),
        "eligibleLeaderReplicas": list(p.elr),
        "lastKnownElr": list(p.last_known_elr),
        "addingReplicas": list(p.adding_replicas),
        "removingReplicas": list(p.removing_replicas),
        "leaderRecoveryState": p.leader_recovery_state,
        "directories": [kafka_uuid(d) for d in p.directories],
    }


def image_json(image: MetadataImage) -> dict[str, Any]:
    """The whole image as one JSON-ready object (stable keys, sorted entries)."""
    return {
        "features": dict(sorted(image.features.items())),
        "zkMigrationState": None
        if image.zk_migration_state is None
        else ZK_MIGRATION_STATES.get(image.zk_migration_state, image.zk_migration_state),
        "controllers": [
            {
                "id": c.id,
                "incarnationId": kafka_uuid(c.incarnation_id),
                "endpoints": _endpoints_json(c.endpoints),
                "features": {f.name: [f.min_version, f.max_version] for f in c.features},
            }
            for _, c in sorted(image.controllers.items())
        ],
        "brokers": [
            {
                "id": b.id,
                "epoch": b.epoch,
                "incarnationId": kafka_uuid(b.incarnation_id),
                "endpoints": _endpoints_json(b.endpoints),
                "rack": b.rack,
                "fenced": b.fenced,
                "inControlledShutdown": b.in_controlled_shutdown,
                "logDirs": [kafka_uuid(d) for d in b.log_dirs],
                "features": {f.name: [f.min_version, f.max_version] for f in b.features},
            }
            for _, b in sorted(image.brokers.items())
        ],
        "topics": [
            {
                "name": t.name,
                "topicId": kafka_uuid(t.id),
                "partitions": [partition_json(t.partitions[p]) for p in sorted(t.partitions)],
            }
            for t in image.topics_by_name().values()
        ],
        "configs": [
            {
                "resourceType": CONFIG_RESOURCE_TYPES.get(kind, str(kind)),
                "resourceName": name,
                "configs": dict(sorted(entries.items())),
            }
            for (kind, name), entries in sorted(image.configs.items())
        ],
        "clientQuotas": [
            {"entity": quota_entity_text(entity), "quotas": dict(sorted(values.items()))}
            for entity, values in sorted(
                image.client_quotas.items(), key=lambda kv: _entity_key(kv[0])
            )
        ],
        "producerIds": None
        if image.producer_ids is None
        else {
            "nextProducerId": image.producer_ids.next_producer_id,
            "brokerId": image.producer_ids.broker_id,
            "brokerEpoch": image.producer_ids.broker_epoch,
        },
        "acls": [
            {
                "id": kafka_uuid(a.id),
                "resourceType": a.resource_type,
                "resourceName": a.resource_name,
                "patternType": a.pattern_type,
                "principal": a.principal,
                "host": a.host,
                "operation": a.operation,
                "permissionType": a.permission_type,
            }
            for _, a in sorted(image.acls.items())
        ],
        "scramCredentials": [
            {
                "user": s.name,
                "mechanism": SCRAM_MECHANISMS.get(s.mechanism, str(s.mechanism)),
                "iterations": s.iterations,
            }
            for _, s in sorted(image.scram_credentials.items())
        ],
        "delegationTokens": [
            {
                "tokenId": t.token_id,
                "owner": t.owner,
                "requester": t.requester,
                "renewers": list(t.renewers),
                "issueTimestamp": t.issue_timestamp,
                "maxTimestamp": t.max_timestamp,
                "expirationTimestamp": t.expiration_timestamp,
            }
            for _, t in sorted(image.delegation_tokens.items())
        ],
    }
