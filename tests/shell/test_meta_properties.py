"""Cluster identity at start-up: `cluster.id`, Kafka's `meta.properties`, the derived default,
and the Kafka test server mode."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from kraft.shell.config import ConfigError, ServerConfig, for_kafka_test_server, parse_config
from kraft.shell.identity import (
    KAFKA_TEST_SERVER_CLUSTER_ID,
    KAFKA_TEST_SERVER_LOG,
    uuid_from_text,
    uuid_to_text,
)
from kraft.shell.meta_properties import (
    MetaPropertiesError,
    default_cluster_id,
    read_meta_properties,
    resolve_identity,
)

CLUSTER = "MkU3OEVBNTcwNTJENDM2Qg"


def config(tmp_path: Path, **extra: str) -> ServerConfig:
    values = {
        "node.id": "1",
        "listeners": "PLAINTEXT://localhost:9092",
        "controller.quorum.voters": "1@localhost:9092,2@localhost:9093",
        "log.dirs": str(tmp_path / "logs"),
        **extra,
    }
    return parse_config(values)


def test_kafka_uuid_text_round_trips() -> None:
    assert uuid_to_text(uuid.UUID(int=2)) == "AAAAAAAAAAAAAAAAAAAAAg"
    assert uuid_from_text("AAAAAAAAAAAAAAAAAAAAAQ") == uuid.UUID(int=1)
    for bad in ["", "AAAA", "AAAAAAAAAAAAAAAAAAAAA!", "AAAAAAAAAAAAAAAAAAAAAAAA"]:
        with pytest.raises(ValueError):
            uuid_from_text(bad)


def test_cluster_id_key_is_validated(tmp_path: Path) -> None:
    assert config(tmp_path, **{"cluster.id": CLUSTER}).cluster_id == CLUSTER
    with pytest.raises(ConfigError, match=r"cluster\.id: .*not a Kafka Uuid"):
        config(tmp_path, **{"cluster.id": "my-cluster"})


def test_first_start_writes_meta_properties_and_later_starts_keep_it(tmp_path: Path) -> None:
    first = config(tmp_path)
    cluster_id, directory_id = resolve_identity(first, None)
    assert cluster_id == default_cluster_id(first.voters)
    assert directory_id.int != 0
    text = (tmp_path / "logs" / "meta.properties").read_text()
    assert f"cluster.id={cluster_id}\n" in text and "node.id=1\n" in text and "version=1\n" in text
    stored = read_meta_properties(tmp_path / "logs")
    assert stored is not None and stored.directory_id == directory_id
    # Later starts keep the stored identity, even if the voter set (and so the default) changed.
    later = config(tmp_path, **{"controller.quorum.voters": "1@localhost:9092"})
    assert resolve_identity(later, None) == (cluster_id, directory_id)


def test_the_default_depends_only_on_the_voter_set(tmp_path: Path) -> None:
    one = config(tmp_path).voters
    same = config(tmp_path, **{"node.id": "2"}).voters
    other = config(tmp_path, **{"controller.quorum.voters": "1@localhost:9092"}).voters
    assert default_cluster_id(one) == default_cluster_id(same)
    assert default_cluster_id(one) != default_cluster_id(other)
    uuid_from_text(default_cluster_id(one))  # a valid Kafka Uuid


def test_configured_ids_win_on_first_start_and_must_agree_later(tmp_path: Path) -> None:
    directory_id = uuid.uuid4()
    first = config(tmp_path, **{"cluster.id": CLUSTER})
    assert resolve_identity(first, directory_id) == (CLUSTER, directory_id)
    with pytest.raises(MetaPropertiesError, match=f"belongs to cluster {CLUSTER}"):
        resolve_identity(config(tmp_path, **{"cluster.id": "AAAAAAAAAAAAAAAAAAAAAQ"}), None)
    with pytest.raises(MetaPropertiesError, match="belongs to node 1"):
        resolve_identity(config(tmp_path, **{"node.id": "2"}), None)
    with pytest.raises(MetaPropertiesError, match="--replica-directory-id"):
        resolve_identity(first, uuid.uuid4())


def test_a_bad_meta_properties_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    meta = tmp_path / "logs" / "meta.properties"
    meta.write_text("version=0\nbroker.id=1\ncluster.id=x\n")
    with pytest.raises(MetaPropertiesError, match="only version=1"):
        resolve_identity(config(tmp_path), None)
    meta.write_text("version=1\ncluster.id=x\n")
    with pytest.raises(MetaPropertiesError, match="missing or bad key"):
        resolve_identity(config(tmp_path), None)


def test_kafka_test_server_mode_has_the_test_server_identity(tmp_path: Path) -> None:
    mode = for_kafka_test_server(config(tmp_path))
    assert mode.cluster_id == KAFKA_TEST_SERVER_CLUSTER_ID == "AAAAAAAAAAAAAAAAAAAAAA"
    assert mode.topic == KAFKA_TEST_SERVER_LOG
    assert mode.partition_dir == tmp_path / "logs" / "__raft_performance_test-0"
    assert KAFKA_TEST_SERVER_LOG.topic_id_text == "AAAAAAAAAAAAAAAAAAAAAg"
    assert config(tmp_path).partition_dir == tmp_path / "logs" / "__cluster_metadata-0"
    with pytest.raises(ConfigError, match="Kafka test server mode"):
        for_kafka_test_server(config(tmp_path, **{"cluster.id": CLUSTER}))
    same = dataclasses.replace(config(tmp_path), cluster_id=KAFKA_TEST_SERVER_CLUSTER_ID)
    assert for_kafka_test_server(same).cluster_id == KAFKA_TEST_SERVER_CLUSTER_ID
