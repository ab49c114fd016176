"""A secured 3-voter pykraft quorum for the end-to-end tests (and `bench/auth_flood.py`).

Each node serves four listeners, all with Kafka's keys:
- CONTROLLER (SASL_SSL): the voters authenticate to each other with SCRAM-SHA-512 over TLS;
  clients may log in with PLAIN or SCRAM-SHA-512;
- MTLS (SSL, `ssl.client.auth=required`): a client certificate of the quorum's CA is the login;
- SASLPLAIN (SASL_PLAINTEXT): PLAIN and SCRAM-SHA-256;
- LOCAL (PLAINTEXT): for local tools;
plus a Prometheus endpoint (`metrics.port`). Certificates come from `tests.security.certs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.e2e.cluster import Cluster, NodeProcess, free_ports
from tests.security.certs import write_certs

USER, PASSWORD = "alice", "alice-secret"
VOTER_USER, VOTER_PASSWORD = "controller", "controller-secret"
AUTHENTICATION_TIMEOUT_MS = 1500
LISTENERS = ("CONTROLLER", "MTLS", "SASLPLAIN", "LOCAL")
PROTOCOLS = {
    "CONTROLLER": "SASL_SSL",
    "MTLS": "SSL",
    "SASLPLAIN": "SASL_PLAINTEXT",
    "LOCAL": "PLAINTEXT",
}
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


@dataclass
class SecuredNode:
    node: NodeProcess
    ports: dict[str, int]  # listener name -> port; "METRICS" too


def jaas(module: str, *, client: bool = False, users: bool = True) -> str:
    parts = [f"{module} required"]
    if client:
        parts.append(f'username="{VOTER_USER}" password="{VOTER_PASSWORD}"')
    if users:
        parts.append(f'user_{VOTER_USER}="{VOTER_PASSWORD}" user_{USER}="{PASSWORD}"')
    return " ".join(parts) + ";"


def secured_cluster(base: Path, *, throughput: int = 200) -> tuple[Cluster, dict[int, SecuredNode]]:
    certs = write_certs(base / "certs")
    ports = free_ports(3 * (len(LISTENERS) + 1))
    by_node: dict[int, dict[str, int]] = {}
    for index, node_id in enumerate((1, 2, 3)):
        chunk = ports[index * 5 : index * 5 + 5]
        by_node[node_id] = dict(zip((*LISTENERS, "METRICS"), chunk, strict=True))
    voters = ",".join(f"{i}@localhost:{p['CONTROLLER']}" for i, p in by_node.items())
    cluster = Cluster(base, 3, args=["--throughput", str(throughput)])
    secured = {}
    for node_id, node in cluster.nodes.items():
        mine = by_node[node_id]
        properties = {
            "node.id": str(node_id),
            "process.roles": "controller",
            "listeners": ",".join(f"{name}://localhost:{mine[name]}" for name in LISTENERS),
            "listener.security.protocol.map": ",".join(f"{k}:{v}" for k, v in PROTOCOLS.items()),
            "controller.listener.names": "CONTROLLER",
            "controller.quorum.voters": voters,
            "log.dirs": str(node.directory / "logs"),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(certs["node"]),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(certs["ca"]),
            "listener.name.mtls.ssl.client.auth": "required",
            "sasl.mechanism.controller.protocol": "SCRAM-SHA-512",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
            "listener.name.controller.scram-sha-512.sasl.jaas.config": jaas(
                SCRAM_MODULE, client=True
            ),
            "listener.name.controller.plain.sasl.jaas.config": jaas(PLAIN_MODULE),
            "listener.name.saslplain.sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256",
            "listener.name.saslplain.plain.sasl.jaas.config": jaas(PLAIN_MODULE),
            "listener.name.saslplain.scram-sha-256.sasl.jaas.config": jaas(SCRAM_MODULE),
            "pykraft.authentication.timeout.ms": str(AUTHENTICATION_TIMEOUT_MS),
            "metrics.port": str(mine["METRICS"]),
        }
        node.config_path.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        node.port = mine["LOCAL"]
        secured[node_id] = SecuredNode(node, mine)
    return cluster, secured


def client_properties(path: Path, certs: Path, protocol: str, mechanism: str | None) -> Path:
    """Kafka client properties (`--command-config`, `--consumer.config`) for one listener."""
    lines = [f"security.protocol={protocol}"]
    if "SSL" in protocol:
        lines += ["ssl.truststore.type=PEM", f"ssl.truststore.location={certs / 'ca.pem'}"]
    if protocol == "SSL":
        lines += ["ssl.keystore.type=PEM", f"ssl.keystore.location={certs / 'client.pem'}"]
    if mechanism is not None:
        module = PLAIN_MODULE if mechanism == "PLAIN" else SCRAM_MODULE
        lines += [
            f"sasl.mechanism={mechanism}",
            f'sasl.jaas.config={module} required username="{USER}" password="{PASSWORD}";',
        ]
    path.write_text("\n".join(lines) + "\n")
    return path
