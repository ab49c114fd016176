"""Kafka's MetadataShell as an oracle for `kraft.image`: its `tree /` of a snapshot file, and the
same tree written from a `MetadataImage` in the shell's own wording (its `toString`s as printed
by Kafka 4.3.1), so the two can be compared leaf by leaf.

Covered: brokers, controllers, configs, topics (by id: name, id, every partition registration),
finalized features (metadata.version is printed as a release name there: only its presence is
compared), the next producer id, ACLs, SCRAM credentials, delegation tokens, and the client quota
entities (Kafka 4.3.1's shell lists no quota values under them, and names an entity with a
default part in a way of its own: those are counted only).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from kraft.image import MetadataImage
from kraft.image.entities import (
    Acl,
    Broker,
    Controller,
    DelegationToken,
    Endpoint,
    Partition,
    ScramCredential,
    SupportedFeature,
)
from tests.kafka.kafka import run_tool
from wire.messages.quorum_state import uuid_to_base64

METADATA_SHELL = "org.apache.kafka.shell.MetadataShell"
SECURITY_PROTOCOLS = {0: "PLAINTEXT", 1: "SSL", 2: "SASL_PLAINTEXT", 3: "SASL_SSL"}
RECOVERY_STATES = {0: "RECOVERED", 1: "RECOVERING"}
CONFIG_TYPES = {2: "TOPIC", 4: "BROKER", 8: "BROKER_LOGGER", 16: "CLIENT_METRICS", 32: "GROUP"}
NO_PRODUCER_ID = -1
# Kafka's ResourceType, PatternType, AclOperation, AclPermissionType codes.
RESOURCE_TYPES = {
    2: "TOPIC",
    3: "GROUP",
    4: "CLUSTER",
    5: "TRANSACTIONAL_ID",
    6: "DELEGATION_TOKEN",
}
PATTERN_TYPES = {3: "LITERAL", 4: "PREFIXED"}
OPERATIONS = {
    2: "ALL",
    3: "READ",
    4: "WRITE",
    5: "CREATE",
    6: "DELETE",
    7: "ALTER",
    8: "DESCRIBE",
    9: "CLUSTER_ACTION",
    10: "DESCRIBE_CONFIGS",
    11: "ALTER_CONFIGS",
    12: "IDEMPOTENT_WRITE",
}
PERMISSIONS = {2: "DENY", 3: "ALLOW"}
SCRAM_MECHANISMS = {1: "SCRAM-SHA-256", 2: "SCRAM-SHA-512"}
QUOTA_ENTITY_TYPES = {"user": "user", "client-id": "clientId", "ip": "ip"}

Tree = dict[str, Any]


# Kafka 4.3.1's shell, given a command, runs it once its loader's last applied offset moved,
# which can be before its publisher installed the image: it then prints nothing, or the tree of
# the empty image (metadata.version unset). Seen about one run in three under load; asked again.
SHELL_ATTEMPTS = 5


def _before_the_image(out: str) -> bool:
    lines = [line.strip() for line in out.splitlines()]
    if not lines:
        return True
    for at, line in enumerate(lines[:-1]):
        if line == "metadataVersion:" and lines[at + 1] == "Optional.empty":
            return True
    return False


def metadata_shell(snapshot: Path, *command: str) -> str:
    """MetadataShell's output for `command` over `snapshot` (a snapshot or a log segment whose
    records set metadata.version), asked again while the shell answered before its image."""
    out = ""
    for _ in range(SHELL_ATTEMPTS):
        result = run_tool(METADATA_SHELL, "--snapshot", str(snapshot), *command, timeout_s=120)
        assert result.returncode == 0, result.stderr[-2000:]
        out = result.stdout
        if not _before_the_image(out):
            return out
    return out


def shell_tree_of_snapshot(snapshot: Path) -> Tree:
    """`MetadataShell --snapshot FILE tree /`, parsed. The shell locks the snapshot's log dir, so
    it reads a copy (a live controller holds the lock on the original)."""
    with tempfile.TemporaryDirectory(prefix="metadata-shell-") as tmp:
        partition_dir = Path(tmp) / "data" / "__cluster_metadata-0"
        partition_dir.mkdir(parents=True)
        copy = partition_dir / snapshot.name
        shutil.copyfile(snapshot, copy)
        return parse_tree(metadata_shell(copy, "tree", "/"))


def parse_tree(text: str) -> Tree:
    """The shell's indented tree (`name:` lines open a node, two spaces a level; other lines
    are a file's content) as nested dicts: a file's node maps its content to None."""
    root: Tree = {}
    stack: list[tuple[int, Tree]] = [(-1, root)]
    for line in text.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        while stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1]
        stripped = line.strip()
        if stripped.endswith(":"):
            node: Tree = {}
            parent[stripped[:-1]] = node
            stack.append((depth, node))
        else:
            parent[stripped] = None
    return root


def leaf(tree: Tree) -> str:
    """The content of a file node."""
    assert len(tree) == 1, tree
    return next(iter(tree))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _ints(values: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def _endpoints(endpoints: tuple[Endpoint, ...]) -> str:
    return (
        "["
        + ", ".join(
            f"Endpoint(listenerName='{e.name}', "
            f"securityProtocol={SECURITY_PROTOCOLS[e.security_protocol]}, "
            f"host='{e.host}', port={e.port})"
            for e in endpoints
        )
        + "]"
    )


def _features(features: tuple[SupportedFeature, ...]) -> str:
    ordered = sorted(features, key=lambda f: f.name)
    return "{" + ", ".join(f"{f.name}: {f.min_version}-{f.max_version}" for f in ordered) + "}"


def broker_text(b: Broker) -> str:
    rack = "Optional.empty" if b.rack is None else f"Optional[{b.rack}]"
    dirs = ", ".join(uuid_to_base64(d) for d in sorted(b.log_dirs))
    if b.cordoned_log_dirs is None:
        cordoned = "null"  # the record did not say (before RegisterBrokerRecord v4)
    else:
        cordoned = "[" + ", ".join(uuid_to_base64(d) for d in sorted(b.cordoned_log_dirs)) + "]"
    return (
        f"BrokerRegistration(id={b.id}, epoch={b.epoch}, "
        f"incarnationId={uuid_to_base64(b.incarnation_id)}, listeners={_endpoints(b.endpoints)}, "
        f"supportedFeatures={_features(b.features)}, rack={rack}, fenced={_bool(b.fenced)}, "
        f"inControlledShutdown={_bool(b.in_controlled_shutdown)}, "
        f"isMigratingZkBroker={_bool(b.is_migrating_zk_broker)}, directories=[{dirs}], "
        f"cordonedDirectories={cordoned})"
    )


def controller_text(c: Controller) -> str:
    return (
        f"ControllerRegistration(id={c.id}, incarnationId={uuid_to_base64(c.incarnation_id)}, "
        f"zkMigrationReady={_bool(c.zk_migration_ready)}, listeners={_endpoints(c.endpoints)}, "
        f"supportedFeatures={_features(c.features)})"
    )


def partition_text(p: Partition) -> str:
    dirs = ", ".join(uuid_to_base64(d) for d in p.directories)
    return (
        f"PartitionRegistration(replicas={_ints(p.replicas)}, directories=[{dirs}], "
        f"isr={_ints(p.isr)}, removingReplicas={_ints(p.removing_replicas)}, "
        f"addingReplicas={_ints(p.adding_replicas)}, elr={_ints(p.elr)}, "
        f"lastKnownElr={_ints(p.last_known_elr)}, leader={p.leader}, "
        f"leaderRecoveryState={RECOVERY_STATES[p.leader_recovery_state]}, "
        f"leaderEpoch={p.leader_epoch}, partitionEpoch={p.partition_epoch})"
    )


def acl_text(a: Acl) -> str:
    return (
        f"StandardAcl[resourceType={RESOURCE_TYPES[a.resource_type]}, "
        f"resourceName={a.resource_name}, patternType={PATTERN_TYPES[a.pattern_type]}, "
        f"principal={a.principal}, host={a.host}, operation={OPERATIONS[a.operation]}, "
        f"permissionType={PERMISSIONS[a.permission_type]}]"
    )


def scram_text(s: ScramCredential) -> str:
    return (
        f"ScramCredentialData(salt={s.salt.hex()}, storedKey={s.stored_key.hex()}, "
        f"serverKey={s.server_key.hex()}, iterations={s.iterations})"
    )


def token_text(t: DelegationToken) -> str:
    # Kafka 4.3.1's DelegationTokenData.toString, parentheses as it prints them.
    return (
        f"DelegationTokenDatatokenId={t.token_id}(owner={t.owner}(tokenRequester={t.requester}"
        f"(renewers={', '.join(t.renewers)}, issueTimestamp={t.issue_timestamp}, "
        f"maxTimestamp={t.max_timestamp}), expiryTimestamp={t.expiration_timestamp}"
    )


def quota_entity_name(entity: tuple[tuple[str, str | None], ...]) -> str | None:
    """The shell's node name of a quota entity; None when it has a default part."""
    if any(name is None for _, name in entity):
        return None
    parts = sorted(f"{QUOTA_ENTITY_TYPES[kind]}({name})" for kind, name in entity)
    return "_".join(parts)


def comparable(tree: Tree) -> dict[str, Any]:
    """The covered part of a parsed `tree /` as plain data."""
    image = tree["image"]
    features = {
        name.removeprefix("finalized_"): int(leaf(node))
        for name, node in image["features"].items()
        if name.startswith("finalized_")
    }
    return {
        "brokers": {k: leaf(v) for k, v in image["cluster"]["brokers"].items()},
        "controllers": {k: leaf(v) for k, v in image["cluster"]["controllers"].items()},
        "configs": {
            resource: {name: leaf(value) for name, value in entries.items()}
            for resource, entries in image["configs"].items()
        },
        "topics": {
            topic_id: {key: leaf(value) for key, value in node.items()}
            for topic_id, node in image["topics"]["byId"].items()
        },
        "features": features,
        "has_metadata_version": leaf(image["features"]["metadataVersion"]) != "Optional.empty",
        "next_producer_id": int(leaf(image["producerIds"]["nextProducerId"])),
        "acls": {k: leaf(v) for k, v in image["acls"]["byId"].items()},
        "client_quotas": len(image["clientQuotas"]),
        "named_quota_entities": sorted(n for n in image["clientQuotas"] if "(" in n),
        "scram": {
            f"{mechanism}/{user}": leaf(node)
            for mechanism, users in image["scram"].items()
            for user, node in users.items()
        },
        "delegation_tokens": {k: leaf(v) for k, v in image["delegationToken"].items()},
    }


def comparable_image(image: MetadataImage) -> dict[str, Any]:
    """The same data written from a `MetadataImage`."""
    configs: dict[str, dict[str, str]] = {}
    for (kind, name), entries in image.configs.items():
        resource = CONFIG_TYPES[kind] + (f":{name}" if name else "")
        configs[resource] = dict(entries)
    topics = {}
    for topic in image.topics.values():
        node = {str(pid): partition_text(p) for pid, p in topic.partitions.items()}
        node["id"] = uuid_to_base64(topic.id)
        node["name"] = topic.name
        topics[uuid_to_base64(topic.id)] = node
    return {
        "brokers": {str(i): broker_text(b) for i, b in image.brokers.items()},
        "controllers": {str(i): controller_text(c) for i, c in image.controllers.items()},
        "configs": configs,
        "topics": topics,
        "features": {n: v for n, v in image.features.items() if n != "metadata.version"},
        "has_metadata_version": "metadata.version" in image.features,
        "next_producer_id": NO_PRODUCER_ID
        if image.producer_ids is None
        else image.producer_ids.next_producer_id,
        "acls": {uuid_to_base64(i): acl_text(a) for i, a in image.acls.items()},
        "client_quotas": len(image.client_quotas),
        "named_quota_entities": sorted(
            name for name in map(quota_entity_name, image.client_quotas) if name is not None
        ),
        "scram": {
            f"{SCRAM_MECHANISMS[mechanism]}/{user}": scram_text(s)
            for (user, mechanism), s in image.scram_credentials.items()
        },
        "delegation_tokens": {t: token_text(d) for t, d in image.delegation_tokens.items()},
    }
