"""Changes to a metadata image, as data (`Change`) and as sentences for people (`sentence`).

A `Change` is a kind (below) and JSON-ready fields; `Change.to_json()` is `{"change": kind,
**fields}`. Kinds and their fields:

- `snapshot-loaded`: topics, partitions, brokers, controllers (counts of the new image)
- `feature-level`: feature, before (None: unset), after (0: removed)
- `broker-registered`: broker, epoch, endpoints, rack, fenced, reregistered
- `broker-unregistered`: broker
- `broker-fenced` / `broker-unfenced`: broker, epoch
- `broker-controlled-shutdown`: broker, epoch, in_controlled_shutdown
- `broker-log-dirs`: broker, epoch, log_dirs, cordoned
- `controller-registered`: controller, endpoints, reregistered
- `topic-created`: topic, topic_id, and after `coalesce` partitions, replication_factor
- `topic-deleted`: topic, topic_id, partitions
- `partition-created`: topic, partition, replicas, leader (one PartitionRecord; `coalesce` folds
  them into `topic-created` or `partitions-created`)
- `partitions-created`: topic, partitions (ids), replication_factor
- `partition-leader`: topic, partition, before, after, leader_epoch
- `partition-replicas`: topic, partition, before, after, adding, removing
- `partition-isr`: topic, partition, before, after
- `partition-elr`: topic, partition, before, after, last_known_elr
- `partition-recovery`: topic, partition, before, after (leader recovery state)
- `partition-directories`: topic, partition, after
- `config-set`: resource_type, resource, name, value, before; `config-deleted`: same, no value
- `quota-set`: entity, key, value, before; `quota-removed`: entity, key, before
- `producer-ids`: broker, next_producer_id
- `acl-created` / `acl-deleted`: acl_id, principal, host, resource_type, resource, pattern_type,
  operation, permission_type
- `scram-set`: user, mechanism, iterations; `scram-deleted`: user, mechanism
- `token-set`: token_id, owner; `token-removed`: token_id
- `zk-migration-state`: state
- `transaction-aborted`: records (how many were dropped), reason
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NO_LEADER = -1
RECOVERING = 1  # LeaderRecoveryState.RECOVERING


@dataclass(frozen=True)
class Change:
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def to_json(self) -> dict[str, Any]:
        return {"change": self.kind, **self.fields}


def coalesce(changes: list[Change]) -> list[Change]:
    """One batch's changes for people: a topic's `partition-created` changes are folded into its
    `topic-created` (same batch) or into one `partitions-created` per topic."""
    created: dict[str, int] = {}  # topic -> index of its topic-created in `out`
    added: dict[str, int] = {}  # topic -> index of its partitions-created in `out`
    out: list[Change] = []
    for change in changes:
        if change.kind == "topic-created":
            created[change["topic"]] = len(out)
            out.append(
                Change(change.kind, {**change.fields, "partitions": 0, "replication_factor": 0})
            )
            continue
        if change.kind != "partition-created":
            out.append(change)
            continue
        topic = change["topic"]
        rf = len(change["replicas"])
        if topic in created:
            i = created[topic]
            fields = out[i].fields
            out[i] = Change(
                "topic-created",
                {
                    **fields,
                    "partitions": fields["partitions"] + 1,
                    "replication_factor": fields["replication_factor"] or rf,
                },
            )
        elif topic in added:
            i = added[topic]
            fields = out[i].fields
            out[i] = Change(
                "partitions-created",
                {**fields, "partitions": [*fields["partitions"], change["partition"]]},
            )
        else:
            added[topic] = len(out)
            out.append(
                Change(
                    "partitions-created",
                    {"topic": topic, "partitions": [change["partition"]], "replication_factor": rf},
                )
            )
    return out


def _leader(broker: int) -> str:
    return "none" if broker == NO_LEADER else str(broker)


def _ids(ids: list[int]) -> str:
    return "[" + ",".join(str(i) for i in ids) + "]"


def _resource(change: Change) -> str:
    kind, name = change["resource_type"], change["resource"]
    if kind == "broker" and name == "":
        return "cluster-wide broker default"
    return f"{kind} {name}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def sentence(change: Change) -> str:
    """One line for people: `topic orders created: 3 partitions, RF 3`, `broker 2 fenced`,
    `partition orders-1 leader 1 → 3`."""
    c = change
    part = f"partition {c.fields.get('topic')}-{c.fields.get('partition')}"
    match c.kind:
        case "snapshot-loaded":
            return (
                f"snapshot loaded: {_plural(c['topics'], 'topic')}, "
                f"{_plural(c['partitions'], 'partition')}, {_plural(c['brokers'], 'broker')}, "
                f"{_plural(c['controllers'], 'controller')}"
            )
        case "feature-level":
            if not c["after"]:
                return f"feature {c['feature']} removed (was {c['before']})"
            if c["before"] is None:
                return f"feature {c['feature']} set to level {c['after']}"
            return f"feature {c['feature']} level {c['before']} → {c['after']}"
        case "broker-registered":
            verb = "re-registered" if c["reregistered"] else "registered"
            rack = f", rack {c['rack']}" if c["rack"] is not None else ""
            state = ", fenced" if c["fenced"] else ""
            where = " ".join(c["endpoints"]) or "no endpoints"
            return f"broker {c['broker']} {verb} (epoch {c['epoch']}) at {where}{rack}{state}"
        case "broker-unregistered":
            return f"broker {c['broker']} unregistered"
        case "broker-fenced":
            return f"broker {c['broker']} fenced"
        case "broker-unfenced":
            return f"broker {c['broker']} unfenced"
        case "broker-controlled-shutdown":
            if c["in_controlled_shutdown"]:
                return f"broker {c['broker']} in controlled shutdown"
            return f"broker {c['broker']} out of controlled shutdown"
        case "broker-log-dirs":
            cordoned = f", {len(c['cordoned'])} cordoned" if c["cordoned"] else ""
            return f"broker {c['broker']} log dirs: {len(c['log_dirs'])}{cordoned}"
        case "controller-registered":
            verb = "re-registered" if c["reregistered"] else "registered"
            where = " ".join(c["endpoints"]) or "no endpoints"
            return f"controller {c['controller']} {verb} at {where}"
        case "topic-created":
            if "partitions" in c.fields and c["partitions"]:
                return (
                    f"topic {c['topic']} created: {_plural(c['partitions'], 'partition')}, "
                    f"RF {c['replication_factor']}"
                )
            return f"topic {c['topic']} created"
        case "topic-deleted":
            return f"topic {c['topic']} deleted ({_plural(c['partitions'], 'partition')})"
        case "partition-created":
            return f"{part} created: replicas {_ids(c['replicas'])}, leader {_leader(c['leader'])}"
        case "partitions-created":
            ids = c["partitions"]
            which = ", ".join(str(i) for i in ids)
            return f"topic {c['topic']}: {_plural(len(ids), 'partition')} added ({which})"
        case "partition-leader":
            if c["before"] == c["after"]:
                return f"{part} leader {_leader(c['after'])} re-elected (epoch {c['leader_epoch']})"
            return (
                f"{part} leader {_leader(c['before'])} → {_leader(c['after'])} "
                f"(epoch {c['leader_epoch']})"
            )
        case "partition-replicas":
            moving = ""
            if c["adding"] or c["removing"]:
                moving = f" (adding {_ids(c['adding'])}, removing {_ids(c['removing'])})"
            return f"{part} replicas {_ids(c['before'])} → {_ids(c['after'])}{moving}"
        case "partition-isr":
            return f"{part} ISR {_ids(c['before'])} → {_ids(c['after'])}"
        case "partition-elr":
            return f"{part} ELR {_ids(c['before'])} → {_ids(c['after'])}"
        case "partition-recovery":
            state = "recovering" if c["after"] == RECOVERING else "recovered"
            return f"{part} leader {state}"
        case "partition-directories":
            return f"{part} directories reassigned"
        case "config-set":
            was = f" (was {c['before']})" if c["before"] is not None else ""
            return f"{_resource(c)} config {c['name']}={c['value']}{was}"
        case "config-deleted":
            return f"{_resource(c)} config {c['name']} deleted (was {c['before']})"
        case "quota-set":
            return f"quota {c['entity']} {c['key']}={c['value']:g}"
        case "quota-removed":
            return f"quota {c['entity']} {c['key']} removed"
        case "producer-ids":
            return (
                f"producer ids: next block starts at {c['next_producer_id']} (broker {c['broker']})"
            )
        case "acl-created" | "acl-deleted":
            verb = "created" if c.kind == "acl-created" else "deleted"
            return f"ACL {verb}: {c['principal']} from {c['host']} on {c['resource']}"
        case "scram-set":
            return f"user {c['user']} {c['mechanism']} credential set"
        case "scram-deleted":
            return f"user {c['user']} {c['mechanism']} credential deleted"
        case "token-set":
            return f"delegation token {c['token_id']} of {c['owner']} set"
        case "token-removed":
            return f"delegation token {c['token_id']} removed"
        case "zk-migration-state":
            return f"ZooKeeper migration state {c['state']}"
        case "transaction-aborted":
            reason = f": {c['reason']}" if c["reason"] else ""
            return (
                f"metadata transaction aborted ({_plural(c['records'], 'record')} dropped){reason}"
            )
    return f"{c.kind} {c.fields}"
