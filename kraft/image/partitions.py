"""How a partition changes: Kafka's merge of a PartitionChangeRecord into a partition, and the
changes people care about between two registrations of one partition (`kraft.image.changes`)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from kraft.image.changes import Change
from kraft.image.entities import (
    NO_LEADER_CHANGE,
    NO_RECOVERY_STATE_CHANGE,
    UNASSIGNED_DIRECTORY,
    ImageError,
    Partition,
)
from wire.messages.quorum_state import uuid_to_base64 as kafka_uuid
from wire.metadata import records as r


def directories_for(old: Partition, new_replicas: tuple[int, ...]) -> tuple[uuid.UUID, ...]:
    """A replica set changed without directories: kept replicas keep theirs, new ones get none."""
    if not old.directories:
        return ()
    by_replica = dict(zip(old.replicas, old.directories, strict=False))
    return tuple(by_replica.get(b, UNASSIGNED_DIRECTORY) for b in new_replicas)


def merge_partition_change(before: Partition, rec: r.PartitionChangeRecord) -> Partition:
    """A partition after a PartitionChangeRecord, as Kafka merges one: null fields and the
    sentinels (`NO_LEADER_CHANGE`, `NO_RECOVERY_STATE_CHANGE`) keep the old value; a new leader
    (even the same one) bumps the leader epoch; every change bumps the partition epoch."""
    replicas = before.replicas if rec.replicas is None else tuple(rec.replicas)
    if rec.directories:
        if len(rec.directories) != len(replicas):
            raise ImageError(
                f"PartitionChangeRecord: {len(rec.directories)} directories for "
                f"{len(replicas)} replicas"
            )
        directories = tuple(rec.directories)
    elif rec.replicas is not None:
        directories = directories_for(before, replicas)
    else:
        directories = before.directories
    leader, leader_epoch = before.leader, before.leader_epoch
    if rec.leader != NO_LEADER_CHANGE:
        leader, leader_epoch = rec.leader, before.leader_epoch + 1
    recovery = before.leader_recovery_state
    if rec.leader_recovery_state != NO_RECOVERY_STATE_CHANGE:
        recovery = rec.leader_recovery_state

    def keep(new: list[int] | None, old: tuple[int, ...]) -> tuple[int, ...]:
        return old if new is None else tuple(new)

    return replace(
        before,
        replicas=replicas,
        directories=directories,
        isr=keep(rec.isr, before.isr),
        removing_replicas=keep(rec.removing_replicas, before.removing_replicas),
        adding_replicas=keep(rec.adding_replicas, before.adding_replicas),
        leader=leader,
        leader_epoch=leader_epoch,
        leader_recovery_state=recovery,
        partition_epoch=before.partition_epoch + 1,
        elr=keep(rec.eligible_leader_replicas, before.elr),
        last_known_elr=keep(rec.last_known_elr, before.last_known_elr),
    )


def partition_diff(topic: str, before: Partition, after: Partition) -> list[Change]:
    """The changes people care about between two registrations of one partition."""
    ident: dict[str, Any] = {"topic": topic, "partition": after.partition_id}
    out = []
    if before.leader != after.leader or before.leader_epoch != after.leader_epoch:
        out.append(
            Change(
                "partition-leader",
                {
                    **ident,
                    "before": before.leader,
                    "after": after.leader,
                    "leader_epoch": after.leader_epoch,
                },
            )
        )
    if before.replicas != after.replicas or (
        before.adding_replicas,
        before.removing_replicas,
    ) != (after.adding_replicas, after.removing_replicas):
        out.append(
            Change(
                "partition-replicas",
                {
                    **ident,
                    "before": list(before.replicas),
                    "after": list(after.replicas),
                    "adding": list(after.adding_replicas),
                    "removing": list(after.removing_replicas),
                },
            )
        )
    if before.isr != after.isr:
        out.append(
            Change("partition-isr", {**ident, "before": list(before.isr), "after": list(after.isr)})
        )
    if before.elr != after.elr or before.last_known_elr != after.last_known_elr:
        out.append(
            Change(
                "partition-elr",
                {
                    **ident,
                    "before": list(before.elr),
                    "after": list(after.elr),
                    "last_known_elr": list(after.last_known_elr),
                },
            )
        )
    if before.leader_recovery_state != after.leader_recovery_state:
        out.append(
            Change(
                "partition-recovery",
                {
                    **ident,
                    "before": before.leader_recovery_state,
                    "after": after.leader_recovery_state,
                },
            )
        )
    if before.directories != after.directories:
        out.append(
            Change(
                "partition-directories",
                {**ident, "after": [kafka_uuid(d) for d in after.directories]},
            )
        )
    return out
