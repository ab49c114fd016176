"""Which log a node replicates and which cluster it belongs to.

Two identities exist:
- pykraft's own (the default): Kafka's metadata topic `__cluster_metadata`, topic id
  `AAAAAAAAAAAAAAAAAAAAAQ` (`Uuid(0, 1)`), and a cluster id from `cluster.id` or the log dir's
  `meta.properties` (`kraft.shell.meta_properties`);
- Kafka's `TestRaftServer` (the "Kafka test server" mode, `kraft server --kafka-test-server`, which
  `bin/test-kraft-server-start.sh` implies): topic `__raft_performance_test`, topic id
  `AAAAAAAAAAAAAAAAAAAAAg` (`Uuid(0, 2)`) and the hard-coded cluster id `AAAAAAAAAAAAAAAAAAAAAA`
  (the zero Uuid), so a pykraft node can be a voter of a quorum of Kafka TestRaftServers.

Raft requests name the topic (Fetch v13+ by id, the others by name) and carry the cluster id, so a
node answers INVALID_REQUEST / INCONSISTENT_CLUSTER_ID to a node of the other identity.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

from wire.registry import METADATA_PARTITION, METADATA_TOPIC_ID, METADATA_TOPIC_NAME

UUID_TEXT_CHARS = 22


def uuid_to_text(value: uuid.UUID) -> str:
    """Kafka's `Uuid.toString()`: URL-safe base64 of the 16 bytes, no padding."""
    return base64.urlsafe_b64encode(value.bytes).rstrip(b"=").decode("ascii")


def uuid_from_text(text: str) -> uuid.UUID:
    """Kafka's `Uuid.fromString`; ValueError for anything but 22 URL-safe base64 characters."""
    if len(text) != UUID_TEXT_CHARS:
        raise ValueError(f"{text!r} is not a Kafka Uuid (22 URL-safe base64 characters)")
    try:
        raw = base64.b64decode(text + "==", altchars=b"-_", validate=True)
    except ValueError:
        raise ValueError(f"{text!r} is not a Kafka Uuid (URL-safe base64)") from None
    return uuid.UUID(bytes=raw)


@dataclass(frozen=True, slots=True)
class TopicIdentity:
    """The single topic-partition a raft node replicates."""

    name: str
    topic_id: uuid.UUID
    partition: int = METADATA_PARTITION

    @property
    def directory_name(self) -> str:
        """Kafka's partition directory name, `<topic>-<partition>`."""
        return f"{self.name}-{self.partition}"

    @property
    def topic_id_text(self) -> str:
        return uuid_to_text(self.topic_id)


METADATA_LOG = TopicIdentity(METADATA_TOPIC_NAME, METADATA_TOPIC_ID)

# Kafka's kafka.tools.TestRaftServer (core/src/main/scala/kafka/tools/TestRaftServer.scala).
KAFKA_TEST_SERVER_LOG = TopicIdentity("__raft_performance_test", uuid.UUID(int=2))
KAFKA_TEST_SERVER_CLUSTER_ID = uuid_to_text(uuid.UUID(int=0))  # AAAAAAAAAAAAAAAAAAAAAA
