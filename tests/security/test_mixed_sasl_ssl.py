"""A mixed quorum over SASL_SSL: one Kafka 4.3.1 TestRaftServer and two pykraft nodes whose voters
authenticate to each other with SASL PLAIN over TLS (Kafka's test server has no metadata store
for SCRAM credentials, so PLAIN is the mechanism both implementations can check). Whoever leads,
the other implementation replicates from it over the secured listener; after `kill -9` of the
leader a new one is elected and replication goes on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import free_ports
from tests.kafka.kafka import KafkaRaftServer, PykraftRaftServer, kafka_role, require_kafka
from tests.security.certs import write_certs

pytestmark = [pytest.mark.slow]

JAAS = (
    "org.apache.kafka.common.security.plain.PlainLoginModule required "
    'username="controller" password="controller-secret" user_controller="controller-secret";'
)


def _security(certs: dict[str, Path], port: int) -> dict[str, str]:
    return {
        "listeners": f"CONTROLLER://localhost:{port}",
        "listener.security.protocol.map": "CONTROLLER:SASL_SSL",
        "controller.listener.names": "CONTROLLER",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(certs["node"]),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(certs["ca"]),
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": JAAS,
    }


@pytest.fixture
def mixed(tmp_path: Path) -> Iterator[tuple[KafkaRaftServer, list[PykraftRaftServer]]]:
    require_kafka()
    certs = write_certs(tmp_path / "certs")
    ports = free_ports(3)
    voters = ",".join(f"{i}@localhost:{p}" for i, p in zip((1, 2, 3), ports, strict=True))
    kafka = KafkaRaftServer(
        1,
        ports[0],
        voters,
        tmp_path / "kafka-1",
        throughput=200,
        extra_properties=_security(certs, ports[0]),
    )
    pykraft = [
        PykraftRaftServer(
            i,
            ports[i - 1],
            voters,
            tmp_path / f"pykraft-{i}",
            throughput=200,
            extra_properties=_security(certs, ports[i - 1]),
        )
        for i in (2, 3)
    ]
    try:
        kafka.start()
        for node in pykraft:
            node.start()
        yield kafka, pykraft
    finally:
        kafka.kill()
        for node in pykraft:
            node.kill()


def _wait(predicate, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _hw(node: PykraftRaftServer) -> int:
    stats = node.current_stats()
    return (stats[-1].get("high_watermark") or 0) if stats else 0


def _leader(kafka: KafkaRaftServer, pykraft: list[PykraftRaftServer]) -> int | None:
    role = kafka_role(kafka)
    if role is not None and role[0] == "Leader":
        return kafka.node_id
    for node in pykraft:
        if node.role() is not None and node.role()[0] == "leader":  # type: ignore[index]
            return node.node_id
    return None


def test_kafka_and_pykraft_replicate_over_sasl_ssl(
    mixed: tuple[KafkaRaftServer, list[PykraftRaftServer]],
) -> None:
    kafka, pykraft = mixed
    first = _wait(lambda: _leader(kafka, pykraft), 90, "a leader")
    _wait(lambda: all(_hw(n) > 300 for n in pykraft), 60, "replication over SASL_SSL")
    kafka_log = kafka.log_dir / "00000000000000000000.log"
    _wait(lambda: kafka_log.exists() and kafka_log.stat().st_size > 50_000, 60, "Kafka's log")

    # kill -9 the leader: the others (one of each implementation if pykraft led) elect anew.
    if first == kafka.node_id:
        kafka.kill()
    else:
        next(n for n in pykraft if n.node_id == first).kill()
    survivors = [n for n in pykraft if n.alive]
    second = _wait(
        lambda: (leader := _leader(kafka, survivors)) not in (None, first) and leader,
        60,
        "a new leader",
    )
    marks = {n.node_id: _hw(n) for n in survivors}
    _wait(lambda: all(_hw(n) > marks[n.node_id] + 300 for n in survivors), 60, "progress")
    assert second != first
    assert "Encountered fatal fault" not in kafka.stderr_text()
    for node in pykraft:
        assert "refused connection" not in node.stderr_text()
        assert "Traceback" not in node.stderr_text()
