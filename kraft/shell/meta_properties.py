"""`meta.properties`: which cluster, node and directory a log dir belongs to (Kafka's format).

Kafka's `kafka-storage format` writes `<log dir>/meta.properties` (`version=1`, `cluster.id`,
`node.id`, `directory.id`) and a node refuses to start on a log dir of another cluster or node.
pykraft keeps the same file in its metadata log dir, but writes it itself on the first start, so
a node needs no format step:

- the cluster id is `cluster.id` from the configuration, else the one already in meta.properties,
  else a default derived from the voter set (`default_cluster_id`): every node started from the
  same `controller.quorum.voters` agrees on it, and a node with another voter set (say, a second
  quorum next to the quick-start node that lists it as a voter by mistake) gets another one, so
  each side answers the other's Raft requests with INCONSISTENT_CLUSTER_ID instead of joining;
- the directory id is `--replica-directory-id`, else the stored one, else a fresh random Uuid;
- a configured cluster id, node id or directory id that contradicts the stored file is a start-up
  error (one line), as in Kafka: the data belongs to something else.

The Kafka test server mode does not use this file (Kafka's TestRaftServer does not either): its
cluster id is fixed, and its directory id is `--replica-directory-id` (zero when not given).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jproperties  # type: ignore[import-untyped,unused-ignore]

from kraft.shell.config import HostPort, ServerConfig
from kraft.shell.durable_files import write_file_atomically
from kraft.shell.identity import uuid_from_text, uuid_to_text
from kraft.types import ZERO_DIRECTORY_ID

META_PROPERTIES = "meta.properties"
META_PROPERTIES_VERSION = 1
# Prefix of the hashed text, so the derived id cannot collide with a hash of something else.
_DEFAULT_ID_DOMAIN = b"pykraft cluster of voters "


class MetaPropertiesError(Exception):
    """A meta.properties that cannot be read or contradicts the configuration (one line)."""


@dataclass(frozen=True, slots=True)
class MetaProperties:
    cluster_id: str
    node_id: int
    directory_id: uuid.UUID

    def to_text(self) -> str:
        return (
            "#\n#Written by pykraft\n"
            f"cluster.id={self.cluster_id}\n"
            f"directory.id={uuid_to_text(self.directory_id)}\n"
            f"node.id={self.node_id}\n"
            f"version={META_PROPERTIES_VERSION}\n"
        )


def default_cluster_id(voters: Mapping[int, HostPort]) -> str:
    """A cluster id that depends only on the voter set (`id@host:port`, sorted by id)."""
    text = ",".join(f"{i}@{a.host}:{a.port}" for i, a in sorted(voters.items()))
    digest = hashlib.sha256(_DEFAULT_ID_DOMAIN + text.encode()).digest()
    return uuid_to_text(uuid.UUID(bytes=digest[:16]))


def read_meta_properties(log_dir: Path) -> MetaProperties | None:
    """The log dir's meta.properties, None when there is none."""
    path = log_dir / META_PROPERTIES
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MetaPropertiesError(f"cannot read {path}: {exc.strerror}") from None
    props = jproperties.Properties()
    try:
        props.load(raw, "utf-8")
    except Exception as exc:  # jproperties raises assorted errors on malformed input
        raise MetaPropertiesError(f"{path}: not a valid .properties file: {exc}") from None
    values = {str(k): str(v.data).strip() for k, v in props.items()}
    if values.get("version") != str(META_PROPERTIES_VERSION):
        raise MetaPropertiesError(
            f"{path}: version={values.get('version')!r}; only version={META_PROPERTIES_VERSION} "
            "(KRaft) is supported"
        )
    try:
        cluster_id = values["cluster.id"]
        node_id = int(values["node.id"])
        directory_text = values.get("directory.id")
        directory_id = ZERO_DIRECTORY_ID if not directory_text else uuid_from_text(directory_text)
    except (KeyError, ValueError) as exc:
        raise MetaPropertiesError(f"{path}: missing or bad key: {exc}") from None
    return MetaProperties(cluster_id, node_id, directory_id)


def resolve_identity(config: ServerConfig, directory_id: uuid.UUID | None) -> tuple[str, uuid.UUID]:
    """(cluster id, directory id) of a pykraft-mode node, writing meta.properties on first start."""
    log_dir = config.metadata_log_dir
    stored = read_meta_properties(log_dir)
    path = log_dir / META_PROPERTIES
    if stored is None:
        meta = MetaProperties(
            cluster_id=config.cluster_id or default_cluster_id(config.voters),
            node_id=config.node_id,
            directory_id=directory_id or uuid.uuid4(),
        )
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            write_file_atomically(path, meta.to_text())
        except OSError as exc:
            raise MetaPropertiesError(f"cannot write {path}: {exc.strerror}") from None
        return meta.cluster_id, meta.directory_id
    if config.cluster_id is not None and config.cluster_id != stored.cluster_id:
        raise MetaPropertiesError(
            f"{path}: this log dir belongs to cluster {stored.cluster_id}, but cluster.id is "
            f"{config.cluster_id} (use another log dir, or fix cluster.id)"
        )
    if stored.node_id != config.node_id:
        raise MetaPropertiesError(
            f"{path}: this log dir belongs to node {stored.node_id}, but node.id is "
            f"{config.node_id} (use another log dir, or fix node.id)"
        )
    if directory_id is not None and stored.directory_id not in (directory_id, ZERO_DIRECTORY_ID):
        raise MetaPropertiesError(
            f"{path}: directory.id is {uuid_to_text(stored.directory_id)}, but "
            f"--replica-directory-id is {uuid_to_text(directory_id)}"
        )
    return stored.cluster_id, directory_id or stored.directory_id
