"""`MetadataImage`: Kafka's metadata image, built by replaying metadata records (sans I/O).

The image keeps the values of `kraft.image.entities`; each record type has one replay method here
(`_HANDLERS` maps a record type to it), partition changes are merged and diffed by
`kraft.image.partitions`. See the package docstring (`kraft.image`) for the API and the replay
rules.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from kraft.image.changes import Change, coalesce
from kraft.image.entities import (
    CONFIG_RESOURCE_TYPES,
    FENCING_FENCE,
    FENCING_NONE,
    FENCING_UNFENCE,
    SCRAM_MECHANISMS,
    SHUTDOWN_IN_CONTROLLED_SHUTDOWN,
    SHUTDOWN_NONE,
    ZK_MIGRATION_STATES,
    Acl,
    Broker,
    ConfigResource,
    Controller,
    DelegationToken,
    ImageError,
    Partition,
    ProducerIds,
    QuotaEntity,
    ScramCredential,
    Topic,
    acl_fields,
    endpoints_from,
    features_from,
    partition_name,
    quota_entity_text,
)
from kraft.image.partitions import merge_partition_change, partition_diff
from wire.fields import Message
from wire.messages.quorum_state import uuid_to_base64 as kafka_uuid
from wire.metadata import MetadataRecord, UnknownMetadataRecord
from wire.metadata import records as r


@dataclass
class MetadataImage:
    """The metadata image; mutated in place by `apply`. Compare two with `==`."""

    features: dict[str, int] = field(default_factory=dict)
    brokers: dict[int, Broker] = field(default_factory=dict)
    controllers: dict[int, Controller] = field(default_factory=dict)
    topics: dict[uuid.UUID, Topic] = field(default_factory=dict)
    configs: dict[ConfigResource, dict[str, str]] = field(default_factory=dict)
    client_quotas: dict[QuotaEntity, dict[str, float]] = field(default_factory=dict)
    producer_ids: ProducerIds | None = None
    acls: dict[uuid.UUID, Acl] = field(default_factory=dict)
    scram_credentials: dict[tuple[str, int], ScramCredential] = field(default_factory=dict)
    delegation_tokens: dict[str, DelegationToken] = field(default_factory=dict)
    zk_migration_state: int | None = None
    # Records between BeginTransactionRecord and its End/Abort, not applied yet (None: none open).
    pending_transaction: list[Message] | None = field(default=None, compare=False)
    # topic name -> id, kept by the replay (a snapshot of many topics stays linear)
    _topic_ids: dict[str, uuid.UUID] = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_records(cls, records: Iterable[Message | MetadataRecord]) -> MetadataImage:
        """The image a snapshot holding `records` (in order) describes."""
        image = cls()
        image.apply_batch(records)
        return image

    def load_snapshot(self, records: Iterable[Message | MetadataRecord]) -> list[Change]:
        """Replace this image with the one `records` (a whole snapshot) describe.

        Returns one `snapshot-loaded` change (a snapshot is a new starting point, not a diff)."""
        fresh = MetadataImage.from_records(records)
        self.__dict__.update(fresh.__dict__)
        return [
            Change(
                "snapshot-loaded",
                {
                    "topics": len(self.topics),
                    "partitions": sum(len(t.partitions) for t in self.topics.values()),
                    "brokers": len(self.brokers),
                    "controllers": len(self.controllers),
                },
            )
        ]

    def copy(self) -> MetadataImage:
        return copy.deepcopy(self)

    def apply_batch(self, records: Iterable[Message | MetadataRecord]) -> list[Change]:
        """`apply` each record in order; the changes coalesced for people (`changes.coalesce`):
        a topic created with its partitions in one batch is one `topic-created` change."""
        out: list[Change] = []
        for record in records:
            out.extend(self.apply(record))
        return coalesce(out)

    def apply(self, record: Message | MetadataRecord | UnknownMetadataRecord) -> list[Change]:
        """Replay one record; the changes it made (none for a no-op). `ImageError` if it does
        not fit. An `UnknownMetadataRecord` (a newer type) changes nothing."""
        if isinstance(record, UnknownMetadataRecord):
            return []
        if isinstance(record, MetadataRecord):
            record = record.record
        if self.pending_transaction is not None and not isinstance(
            record, (r.EndTransactionRecord, r.AbortTransactionRecord, r.BeginTransactionRecord)
        ):
            self.pending_transaction.append(record)
            return []
        handler = _HANDLERS.get(type(record))
        if handler is None:
            raise ImageError(f"{type(record).__name__} is not a metadata record")
        changes: list[Change] = handler(self, record)
        return changes

    # ------------------------------------------------------------------ queries

    def topic_named(self, name: str) -> Topic | None:
        if len(self._topic_ids) != len(self.topics):
            # `topics` was edited directly (not by the replay): rebuild the index.
            self._topic_ids = {t.name: t.id for t in self.topics.values()}
        topic_id = self._topic_ids.get(name)
        return None if topic_id is None else self.topics.get(topic_id)

    def topics_by_name(self) -> dict[str, Topic]:
        return {t.name: t for t in sorted(self.topics.values(), key=lambda t: t.name)}

    def partitions(self) -> Iterator[tuple[Topic, Partition]]:
        for topic in self.topics_by_name().values():
            for pid in sorted(topic.partitions):
                yield topic, topic.partitions[pid]

    def _topic(self, topic_id: uuid.UUID, what: str) -> Topic:
        topic = self.topics.get(topic_id)
        if topic is None:
            raise ImageError(f"{what}: no topic with id {topic_id}")
        return topic

    def _broker(self, broker_id: int, epoch: int, what: str) -> Broker:
        broker = self.brokers.get(broker_id)
        if broker is None:
            raise ImageError(f"{what}: broker {broker_id} is not registered")
        if broker.epoch != epoch:
            raise ImageError(
                f"{what}: broker {broker_id} has epoch {broker.epoch}, the record {epoch}"
            )
        return broker

    # ------------------------------------------------------------------ replay: cluster

    def _register_broker(self, rec: r.RegisterBrokerRecord) -> list[Change]:
        before = self.brokers.get(rec.broker_id)
        broker = Broker(
            id=rec.broker_id,
            incarnation_id=rec.incarnation_id,
            epoch=rec.broker_epoch,
            endpoints=endpoints_from(rec.end_points),
            features=features_from(rec.features),
            rack=rec.rack,
            fenced=rec.fenced,
            in_controlled_shutdown=rec.in_controlled_shutdown,
            is_migrating_zk_broker=rec.is_migrating_zk_broker,
            log_dirs=tuple(rec.log_dirs),
            cordoned_log_dirs=None
            if rec.cordoned_log_dirs is None
            else tuple(rec.cordoned_log_dirs),
        )
        self.brokers[rec.broker_id] = broker
        return [
            Change(
                "broker-registered",
                {
                    "broker": broker.id,
                    "epoch": broker.epoch,
                    "endpoints": [str(e) for e in broker.endpoints],
                    "rack": broker.rack,
                    "fenced": broker.fenced,
                    "reregistered": before is not None,
                },
            )
        ]

    def _unregister_broker(self, rec: r.UnregisterBrokerRecord) -> list[Change]:
        if self.brokers.pop(rec.broker_id, None) is None:
            raise ImageError(f"UnregisterBrokerRecord: broker {rec.broker_id} is not registered")
        return [Change("broker-unregistered", {"broker": rec.broker_id})]

    def _set_broker(self, before: Broker, after: Broker) -> list[Change]:
        self.brokers[after.id] = after
        out = []
        ident = {"broker": after.id, "epoch": after.epoch}
        if before.fenced != after.fenced:
            out.append(Change("broker-fenced" if after.fenced else "broker-unfenced", ident))
        if before.in_controlled_shutdown != after.in_controlled_shutdown:
            kind = "broker-controlled-shutdown"
            out.append(
                Change(kind, {**ident, "in_controlled_shutdown": after.in_controlled_shutdown})
            )
        if before.log_dirs != after.log_dirs or before.cordoned_log_dirs != after.cordoned_log_dirs:
            cordoned = [kafka_uuid(d) for d in after.cordoned_log_dirs or ()]
            log_dirs = [kafka_uuid(d) for d in after.log_dirs]
            out.append(
                Change("broker-log-dirs", {**ident, "log_dirs": log_dirs, "cordoned": cordoned})
            )
        return out

    def _fence_broker(self, rec: r.FenceBrokerRecord) -> list[Change]:
        broker = self._broker(rec.id, rec.epoch, "FenceBrokerRecord")
        return self._set_broker(broker, replace(broker, fenced=True))

    def _unfence_broker(self, rec: r.UnfenceBrokerRecord) -> list[Change]:
        broker = self._broker(rec.id, rec.epoch, "UnfenceBrokerRecord")
        return self._set_broker(broker, replace(broker, fenced=False))

    def _broker_change(self, rec: r.BrokerRegistrationChangeRecord) -> list[Change]:
        broker = self._broker(rec.broker_id, rec.broker_epoch, "BrokerRegistrationChangeRecord")
        fencing = {FENCING_NONE: broker.fenced, FENCING_FENCE: True, FENCING_UNFENCE: False}
        if rec.fenced not in fencing:
            raise ImageError(f"BrokerRegistrationChangeRecord: fencing value {rec.fenced}")
        shutdown = {
            SHUTDOWN_NONE: broker.in_controlled_shutdown,
            SHUTDOWN_IN_CONTROLLED_SHUTDOWN: True,
        }
        if rec.in_controlled_shutdown not in shutdown:
            raise ImageError(
                f"BrokerRegistrationChangeRecord: controlled shutdown value "
                f"{rec.in_controlled_shutdown}"
            )
        after = replace(
            broker,
            fenced=fencing[rec.fenced],
            in_controlled_shutdown=shutdown[rec.in_controlled_shutdown],
            # An empty list is the record's default: no change.
            log_dirs=tuple(rec.log_dirs) if rec.log_dirs else broker.log_dirs,
            cordoned_log_dirs=broker.cordoned_log_dirs
            if rec.cordoned_log_dirs is None
            else tuple(rec.cordoned_log_dirs),
        )
        return self._set_broker(broker, after)

    def _register_controller(self, rec: r.RegisterControllerRecord) -> list[Change]:
        controller = Controller(
            id=rec.controller_id,
            incarnation_id=rec.incarnation_id,
            zk_migration_ready=rec.zk_migration_ready,
            endpoints=endpoints_from(rec.end_points),
            features=features_from(rec.features),
        )
        before = self.controllers.get(rec.controller_id)
        self.controllers[rec.controller_id] = controller
        if before == controller:
            return []
        return [
            Change(
                "controller-registered",
                {
                    "controller": controller.id,
                    "endpoints": [str(e) for e in controller.endpoints],
                    "reregistered": before is not None,
                },
            )
        ]

    def _feature_level(self, rec: r.FeatureLevelRecord) -> list[Change]:
        before = self.features.get(rec.name)
        if rec.feature_level == 0:
            self.features.pop(rec.name, None)  # level 0: the feature is removed
        else:
            self.features[rec.name] = rec.feature_level
        if before == (rec.feature_level or None):
            return []
        return [
            Change(
                "feature-level", {"feature": rec.name, "before": before, "after": rec.feature_level}
            )
        ]

    # ------------------------------------------------------------------ replay: topics

    def _topic_record(self, rec: r.TopicRecord) -> list[Change]:
        existing = self.topic_named(rec.name)
        if existing is not None and existing.id != rec.topic_id:
            raise ImageError(f"TopicRecord: topic {rec.name} exists with another id {existing.id}")
        if rec.topic_id in self.topics:
            return []
        self.topics[rec.topic_id] = Topic(rec.name, rec.topic_id)
        self._topic_ids[rec.name] = rec.topic_id
        return [Change("topic-created", {"topic": rec.name, "topic_id": kafka_uuid(rec.topic_id)})]

    def _partition_record(self, rec: r.PartitionRecord) -> list[Change]:
        topic = self._topic(rec.topic_id, "PartitionRecord")
        if rec.directories and len(rec.directories) != len(rec.replicas):
            raise ImageError(
                f"PartitionRecord {partition_name(topic.name, rec.partition_id)}: "
                f"{len(rec.directories)} directories for {len(rec.replicas)} replicas"
            )
        partition = Partition(
            topic_id=rec.topic_id,
            partition_id=rec.partition_id,
            replicas=tuple(rec.replicas),
            isr=tuple(rec.isr),
            removing_replicas=tuple(rec.removing_replicas),
            adding_replicas=tuple(rec.adding_replicas),
            leader=rec.leader,
            leader_recovery_state=rec.leader_recovery_state,
            leader_epoch=rec.leader_epoch,
            partition_epoch=rec.partition_epoch,
            directories=tuple(rec.directories),
            elr=tuple(rec.eligible_leader_replicas or ()),
            last_known_elr=tuple(rec.last_known_elr or ()),
        )
        before = topic.partitions.get(rec.partition_id)
        topic.partitions[rec.partition_id] = partition
        if before is not None:
            return partition_diff(topic.name, before, partition)
        return [
            Change(
                "partition-created",
                {
                    "topic": topic.name,
                    "partition": rec.partition_id,
                    "replicas": list(partition.replicas),
                    "leader": partition.leader,
                },
            )
        ]

    def _partition_change(self, rec: r.PartitionChangeRecord) -> list[Change]:
        topic = self._topic(rec.topic_id, "PartitionChangeRecord")
        before = topic.partitions.get(rec.partition_id)
        name = partition_name(topic.name, rec.partition_id)
        if before is None:
            raise ImageError(f"PartitionChangeRecord: no partition {name}")
        after = merge_partition_change(before, rec)
        topic.partitions[rec.partition_id] = after
        return partition_diff(topic.name, before, after)

    def _remove_topic(self, rec: r.RemoveTopicRecord) -> list[Change]:
        topic = self.topics.pop(rec.topic_id, None)
        if topic is None:
            raise ImageError(f"RemoveTopicRecord: no topic with id {rec.topic_id}")
        self._topic_ids.pop(topic.name, None)
        # Kafka's image drops a deleted topic's configs with it (no ConfigRecords are written).
        self.configs.pop((_TOPIC_RESOURCE, topic.name), None)
        return [
            Change(
                "topic-deleted",
                {
                    "topic": topic.name,
                    "topic_id": kafka_uuid(topic.id),
                    "partitions": len(topic.partitions),
                },
            )
        ]

    def _clear_elr(self, rec: r.ClearElrRecord) -> list[Change]:
        if rec.topic_name:
            topic = self.topic_named(rec.topic_name)
            if topic is None:
                raise ImageError(f"ClearElrRecord: no topic named {rec.topic_name}")
            topics = [topic]
        else:
            topics = list(self.topics.values())
        out: list[Change] = []
        cleared = r.PartitionChangeRecord(eligible_leader_replicas=[], last_known_elr=[])
        for topic in topics:
            for pid, before in sorted(topic.partitions.items()):
                if before.elr or before.last_known_elr:
                    after = merge_partition_change(before, cleared)
                    topic.partitions[pid] = after
                    out.extend(partition_diff(topic.name, before, after))
        return out

    # ------------------------------------------------------------------ replay: the rest

    def _config(self, rec: r.ConfigRecord) -> list[Change]:
        resource = (rec.resource_type, rec.resource_name)
        entries = self.configs.get(resource, {})
        before = entries.get(rec.name)
        if rec.value is None:
            entries.pop(rec.name, None)
        else:
            entries[rec.name] = rec.value
        if entries:
            self.configs[resource] = entries
        else:
            self.configs.pop(resource, None)
        if before == rec.value:
            return []
        where = {
            "resource_type": CONFIG_RESOURCE_TYPES.get(rec.resource_type, str(rec.resource_type)),
            "resource": rec.resource_name,
            "name": rec.name,
        }
        if rec.value is None:
            return [Change("config-deleted", {**where, "before": before})]
        return [Change("config-set", {**where, "value": rec.value, "before": before})]

    def _client_quota(self, rec: r.ClientQuotaRecord) -> list[Change]:
        entity: QuotaEntity = tuple(
            sorted(((e.entity_type, e.entity_name) for e in rec.entity), key=lambda e: e[0])
        )
        values = self.client_quotas.get(entity, {})
        before = values.get(rec.key)
        if rec.remove:
            values.pop(rec.key, None)
        else:
            values[rec.key] = rec.value
        if values:
            self.client_quotas[entity] = values
        else:
            self.client_quotas.pop(entity, None)
        shown = quota_entity_text(entity)
        if rec.remove:
            if before is None:
                return []
            return [Change("quota-removed", {"entity": shown, "key": rec.key, "before": before})]
        if before == rec.value:
            return []
        return [
            Change(
                "quota-set", {"entity": shown, "key": rec.key, "value": rec.value, "before": before}
            )
        ]

    def _producer_ids(self, rec: r.ProducerIdsRecord) -> list[Change]:
        before = self.producer_ids
        if before is not None and rec.next_producer_id < before.next_producer_id:
            raise ImageError(
                f"ProducerIdsRecord: next producer id {rec.next_producer_id} goes back from "
                f"{before.next_producer_id}"
            )
        self.producer_ids = ProducerIds(rec.next_producer_id, rec.broker_id, rec.broker_epoch)
        return [
            Change(
                "producer-ids",
                {"broker": rec.broker_id, "next_producer_id": rec.next_producer_id},
            )
        ]

    def _acl(self, rec: r.AccessControlEntryRecord) -> list[Change]:
        acl = Acl(
            rec.id,
            rec.resource_type,
            rec.resource_name,
            rec.pattern_type,
            rec.principal,
            rec.host,
            rec.operation,
            rec.permission_type,
        )
        self.acls[rec.id] = acl
        return [Change("acl-created", acl_fields(acl))]

    def _remove_acl(self, rec: r.RemoveAccessControlEntryRecord) -> list[Change]:
        acl = self.acls.pop(rec.id, None)
        if acl is None:
            raise ImageError(f"RemoveAccessControlEntryRecord: no ACL with id {rec.id}")
        return [Change("acl-deleted", acl_fields(acl))]

    def _scram(self, rec: r.UserScramCredentialRecord) -> list[Change]:
        credential = ScramCredential(
            rec.name, rec.mechanism, rec.salt, rec.stored_key, rec.server_key, rec.iterations
        )
        self.scram_credentials[(rec.name, rec.mechanism)] = credential
        mechanism = SCRAM_MECHANISMS.get(rec.mechanism, str(rec.mechanism))
        return [
            Change(
                "scram-set",
                {"user": rec.name, "mechanism": mechanism, "iterations": rec.iterations},
            )
        ]

    def _remove_scram(self, rec: r.RemoveUserScramCredentialRecord) -> list[Change]:
        if self.scram_credentials.pop((rec.name, rec.mechanism), None) is None:
            return []
        mechanism = SCRAM_MECHANISMS.get(rec.mechanism, str(rec.mechanism))
        return [Change("scram-deleted", {"user": rec.name, "mechanism": mechanism})]

    def _token(self, rec: r.DelegationTokenRecord) -> list[Change]:
        token = DelegationToken(
            rec.token_id,
            rec.owner,
            rec.requester,
            tuple(rec.renewers),
            rec.issue_timestamp,
            rec.max_timestamp,
            rec.expiration_timestamp,
        )
        self.delegation_tokens[rec.token_id] = token
        return [Change("token-set", {"token_id": rec.token_id, "owner": rec.owner})]

    def _remove_token(self, rec: r.RemoveDelegationTokenRecord) -> list[Change]:
        if self.delegation_tokens.pop(rec.token_id, None) is None:
            return []
        return [Change("token-removed", {"token_id": rec.token_id})]

    def _zk_migration(self, rec: r.ZkMigrationStateRecord) -> list[Change]:
        before, self.zk_migration_state = self.zk_migration_state, rec.zk_migration_state
        if before == rec.zk_migration_state:
            return []
        state = ZK_MIGRATION_STATES.get(rec.zk_migration_state, str(rec.zk_migration_state))
        return [Change("zk-migration-state", {"state": state})]

    def _noop(self, rec: Message) -> list[Change]:
        return []

    def _begin_transaction(self, rec: r.BeginTransactionRecord) -> list[Change]:
        if self.pending_transaction is not None:
            raise ImageError("BeginTransactionRecord inside an open transaction")
        self.pending_transaction = []
        return []

    def _end_transaction(self, rec: r.EndTransactionRecord) -> list[Change]:
        pending, self.pending_transaction = self.pending_transaction, None
        if pending is None:
            raise ImageError("EndTransactionRecord without a BeginTransactionRecord")
        before = self.copy()
        out: list[Change] = []
        try:
            for record in pending:
                out.extend(self.apply(record))
        except ImageError:
            self.__dict__.update(before.__dict__)  # a transaction applies whole or not at all
            raise
        return out

    def _abort_transaction(self, rec: r.AbortTransactionRecord) -> list[Change]:
        pending, self.pending_transaction = self.pending_transaction, None
        if pending is None:
            raise ImageError("AbortTransactionRecord without a BeginTransactionRecord")
        return [Change("transaction-aborted", {"records": len(pending), "reason": rec.reason})]


_TOPIC_RESOURCE = 2


_HANDLERS: dict[type[Message], Any] = {
    r.RegisterBrokerRecord: MetadataImage._register_broker,
    r.UnregisterBrokerRecord: MetadataImage._unregister_broker,
    r.TopicRecord: MetadataImage._topic_record,
    r.PartitionRecord: MetadataImage._partition_record,
    r.ConfigRecord: MetadataImage._config,
    r.PartitionChangeRecord: MetadataImage._partition_change,
    r.FenceBrokerRecord: MetadataImage._fence_broker,
    r.UnfenceBrokerRecord: MetadataImage._unfence_broker,
    r.RemoveTopicRecord: MetadataImage._remove_topic,
    r.DelegationTokenRecord: MetadataImage._token,
    r.UserScramCredentialRecord: MetadataImage._scram,
    r.FeatureLevelRecord: MetadataImage._feature_level,
    r.ClientQuotaRecord: MetadataImage._client_quota,
    r.ProducerIdsRecord: MetadataImage._producer_ids,
    r.BrokerRegistrationChangeRecord: MetadataImage._broker_change,
    r.AccessControlEntryRecord: MetadataImage._acl,
    r.RemoveAccessControlEntryRecord: MetadataImage._remove_acl,
    r.NoOpRecord: MetadataImage._noop,
    r.ZkMigrationStateRecord: MetadataImage._zk_migration,
    r.RemoveUserScramCredentialRecord: MetadataImage._remove_scram,
    r.BeginTransactionRecord: MetadataImage._begin_transaction,
    r.EndTransactionRecord: MetadataImage._end_transaction,
    r.AbortTransactionRecord: MetadataImage._abort_transaction,
    r.RemoveDelegationTokenRecord: MetadataImage._remove_token,
    r.RegisterControllerRecord: MetadataImage._register_controller,
    r.ClearElrRecord: MetadataImage._clear_elr,
}
