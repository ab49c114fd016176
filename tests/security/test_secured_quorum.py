"""A secured 3-voter quorum (tests.security.quorum): the voters replicate over SASL_SSL with
SCRAM-SHA-512; real clients read over SSL (mutual TLS), SASL_SSL and SASL_PLAINTEXT with PLAIN
and SCRAM; Kafka's own tools describe and consume; every kind of bad client is refused with
Kafka's error or a closed connection, logged, and the quorum keeps serving; a scrape of the
metrics endpoint agrees with the status line. One quorum for the whole module."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kraft.shell.client.connection import Address, Connection, ConnectionFailed
from kraft.shell.security import CLIENT_SECURITY, load_command_config
from tests.e2e.cluster import ROOT
from tests.interop.clients import require_module, require_program
from tests.security.quorum import (
    AUTHENTICATION_TIMEOUT_MS,
    SecuredNode,
    client_properties,
    secured_cluster,
)
from wire.headers import decode_response, encode_request
from wire.messages.describe_quorum import DescribeQuorumRequest
from wire.messages.vote import VoteRequest

pytestmark = [pytest.mark.slow, pytest.mark.interop]

ILLEGAL_SASL_STATE = 34
RECORDS = 30
# (listener, protocol, mechanism): every protocol and mechanism a client may use.
CLIENT_CASES = [
    ("CONTROLLER", "SASL_SSL", "PLAIN"),
    ("CONTROLLER", "SASL_SSL", "SCRAM-SHA-512"),
    ("MTLS", "SSL", None),
    ("SASLPLAIN", "SASL_PLAINTEXT", "SCRAM-SHA-256"),
    ("SASLPLAIN", "SASL_PLAINTEXT", "PLAIN"),
]


class Quorum:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.cluster, self.nodes = secured_cluster(base)
        self.certs = base / "certs"

    def leader(self) -> SecuredNode:
        node = self.cluster.wait_for(self.cluster.leader, 60, "a leader")
        return self.nodes[node.node_id]

    def follower(self) -> SecuredNode:
        leader = self.leader()
        return next(n for i, n in self.nodes.items() if i != leader.node.node_id)

    def properties(self, name: str, protocol: str, mechanism: str | None) -> Path:
        return client_properties(self.base / f"{name}.properties", self.certs, protocol, mechanism)

    def high_watermark(self, node_id: int) -> int:
        return (self.nodes[node_id].node.last() or {}).get("high_watermark") or 0


@pytest.fixture(scope="module")
def quorum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Quorum]:
    quorum = Quorum(tmp_path_factory.mktemp("secured"))
    try:
        quorum.cluster.start()
        # Replication between the voters runs over SASL_SSL (SCRAM-SHA-512): every voter's high
        # watermark passing 100 proves the voters authenticated to each other.
        quorum.cluster.wait_for(
            lambda: all(quorum.high_watermark(i) > 100 for i in quorum.nodes),
            60,
            "every voter past offset 100",
        )
        yield quorum
    finally:
        quorum.cluster.close()


def _bootstrap(quorum: Quorum, listener: str) -> str:
    # A client of a secondary listener bootstraps at the leader (the other voters are advertised
    # by their controller listener addresses); the controller listener works from any voter.
    node = quorum.follower() if listener == "CONTROLLER" else quorum.leader()
    return f"localhost:{node.ports[listener]}"


@pytest.mark.parametrize("client", ["kafka-python", "confluent-kafka"])
@pytest.mark.parametrize(("listener", "protocol", "mechanism"), CLIENT_CASES)
def test_python_clients_read_over_every_protocol(
    quorum: Quorum, client: str, listener: str, protocol: str, mechanism: str | None
) -> None:
    require_module("kafka" if client == "kafka-python" else "confluent_kafka")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.security.read_client",
            client,
            _bootstrap(quorum, listener),
            protocol,
            mechanism or "-",
            str(quorum.certs),
            str(RECORDS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    _assert_from_the_start([int(line) for line in result.stdout.split()])


def _assert_from_the_start(offsets: list[int]) -> None:
    """The first data records in order (offset 0 is the first epoch's LeaderChange, which
    consumers skip; a later election adds another control record, hence no exact range)."""
    assert len(offsets) == RECORDS and offsets[0] == 1 and offsets == sorted(set(offsets))


def test_kcat_reads_over_sasl_ssl_scram(quorum: Quorum) -> None:
    kcat = require_program("kcat")
    result = subprocess.run(
        [
            kcat,
            "-C",
            "-b",
            _bootstrap(quorum, "CONTROLLER"),
            "-X",
            "security.protocol=SASL_SSL",
            "-X",
            "sasl.mechanisms=SCRAM-SHA-512",
            "-X",
            "sasl.username=alice",
            "-X",
            "sasl.password=alice-secret",
            "-X",
            f"ssl.ca.location={quorum.certs / 'ca.pem'}",
            "-t",
            "__cluster_metadata",
            "-p",
            "0",
            "-o",
            "beginning",
            "-c",
            str(RECORDS),
            "-f",
            "%o\\n",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    _assert_from_the_start([int(line) for line in result.stdout.split()])


def test_kraft_tools_take_a_command_config(quorum: Quorum) -> None:
    """`kraft describe-quorum` and `kraft tail` (a Raft observer) over SASL_SSL with SCRAM."""
    config = quorum.properties("kraft-scram", "SASL_SSL", "SCRAM-SHA-512")
    bootstrap = _bootstrap(quorum, "CONTROLLER")
    kraft = [sys.executable, "-m", "kraft.cli"]
    common = ["--bootstrap-server", bootstrap, "--command-config", str(config)]
    describe = subprocess.run(
        [*kraft, "describe-quorum", *common, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert describe.returncode == 0, describe.stderr
    assert json.loads(describe.stdout)["leader_id"] == quorum.leader().node.node_id
    tail = subprocess.run(
        [*kraft, "tail", *common, "--from-beginning", "--max-records", "5", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert tail.returncode == 0, tail.stderr
    assert [json.loads(line)["offset"] for line in tail.stdout.splitlines()] == list(range(5))
    wrong = quorum.base / "kraft-wrong.properties"
    wrong.write_text(config.read_text().replace("alice-secret", "guess"))
    refused = subprocess.run(
        [*kraft, "describe-quorum", "--bootstrap-server", bootstrap, "--command-config",
         str(wrong), "--status", "--timeout-ms", "3000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "SASL authentication as 'alice' failed" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_kafka_tools_describe_and_consume(quorum: Quorum) -> None:
    """Kafka's MetadataQuorumCommand (SASL_SSL, SCRAM-SHA-512, through a follower) and its
    console consumer (SASL_PLAINTEXT, SCRAM-SHA-256, at the leader)."""
    from tests.kafka.kafka import run_tool

    scram = quorum.properties("java-scram", "SASL_SSL", "SCRAM-SHA-512")
    described = run_tool(
        "org.apache.kafka.tools.MetadataQuorumCommand",
        "--bootstrap-controller",
        _bootstrap(quorum, "CONTROLLER"),
        "--command-config",
        str(scram),
        "describe",
        "--status",
    )
    assert described.returncode == 0, described.stderr[-2000:]
    leader_id = quorum.leader().node.node_id
    assert f"LeaderId:               {leader_id}" in described.stdout
    sasl_plaintext = quorum.properties("java-scram256", "SASL_PLAINTEXT", "SCRAM-SHA-256")
    consumed = run_tool(
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        "--bootstrap-server",
        _bootstrap(quorum, "SASLPLAIN"),
        "--consumer.config",
        str(sasl_plaintext),
        "--topic",
        "__cluster_metadata",
        "--partition",
        "0",
        "--offset",
        "earliest",
        "--max-messages",
        "10",
        "--formatter-property",
        "print.offset=true",
        "--formatter-property",
        "print.value=false",
    )
    assert consumed.returncode == 0, consumed.stderr[-2000:]
    offsets = [line for line in consumed.stdout.splitlines() if line.startswith("Offset:")]
    assert len(offsets) == 10 and offsets[0] == "Offset:1"


async def _open(quorum: Quorum, port: int, config: Path) -> str:
    """Try one connection with the client settings of `config`; the failure's text, or ""."""
    token = CLIENT_SECURITY.set(load_command_config(config))
    try:
        conn = await Connection.open(Address("localhost", port), connect_timeout_ms=5000)
    except ConnectionFailed as exc:
        return str(exc)
    finally:
        CLIENT_SECURITY.reset(token)
    await conn.aclose()
    return ""


def _raw_exchange(port: int, frame: bytes, wrap: ssl.SSLContext | None = None) -> bytes:
    """Send `frame` on a fresh connection and read until the node closes it (bounded)."""
    with socket.create_connection(("localhost", port), timeout=10) as raw:
        sock = wrap.wrap_socket(raw, server_hostname="localhost") if wrap else raw
        sock.sendall(frame)
        received = b""
        while True:
            try:
                data = sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not data:
                break
            received += data
        return received


async def test_bad_clients_are_refused_and_the_quorum_keeps_serving(quorum: Quorum) -> None:
    leader = quorum.leader()
    follower = quorum.follower()
    hw_before = quorum.high_watermark(leader.node.node_id)
    controller = follower.ports["CONTROLLER"]

    # Wrong password, unknown user, a mechanism the listener does not enable.
    scram = quorum.properties("bad-scram", "SASL_SSL", "SCRAM-SHA-512")
    wrong = quorum.base / "wrong.properties"
    wrong.write_text(scram.read_text().replace("alice-secret", "guess"))
    assert "Authentication failed during authentication due to invalid credentials" in (
        await _open(quorum, controller, wrong)
    )
    plain = quorum.properties("bad-plain", "SASL_PLAINTEXT", "PLAIN")
    unknown = quorum.base / "unknown.properties"
    unknown.write_text(plain.read_text().replace('username="alice"', 'username="mallory"'))
    assert "Authentication failed: Invalid username or password" in (
        await _open(quorum, leader.ports["SASLPLAIN"], unknown)
    )
    scram256 = quorum.properties("bad-mechanism", "SASL_SSL", "SCRAM-SHA-256")
    assert "SCRAM-SHA-256 is not enabled there (enabled: PLAIN, SCRAM-SHA-512)" in (
        await _open(quorum, controller, scram256)
    )

    # A plaintext client on a TLS port: no Kafka answer, the connection is closed.
    api_versions = encode_request(55, 2, 1, "plaintext", DescribeQuorumRequest())
    assert _raw_exchange(controller, api_versions)[:4] != api_versions[:4]

    # Certificates: the node's, checked against another CA; an expired client certificate and
    # one of another CA presented to the mutual-TLS listener.
    rogue = quorum.base / "rogue-trust.properties"
    rogue.write_text(
        f"security.protocol=SSL\nssl.truststore.location={quorum.certs / 'rogue-ca.pem'}\n"
    )
    assert "TLS handshake failed" in await _open(quorum, controller, rogue)
    for certificate in ("expired", "rogue"):
        bad = quorum.base / f"{certificate}-client.properties"
        bad.write_text(
            f"security.protocol=SSL\nssl.truststore.location={quorum.certs / 'ca.pem'}\n"
            f"ssl.keystore.location={quorum.certs / f'{certificate}.pem'}\n"
        )
        assert await _open(quorum, leader.ports["MTLS"], bad), certificate

    # Stalls: a TLS client that never starts its handshake, a SASL client that stops halfway.
    started = time.monotonic()
    with socket.create_connection(("localhost", controller), timeout=10) as stalled:
        assert stalled.recv(1) == b""  # closed by the node, not by the timeout above
    assert time.monotonic() - started < AUTHENTICATION_TIMEOUT_MS / 1000 + 5

    # Unauthenticated requests that would vote or describe: ILLEGAL_SASL_STATE, then closed.
    for api_key, version, body in ((52, 2, VoteRequest()), (55, 2, DescribeQuorumRequest())):
        answer = _raw_exchange(
            leader.ports["SASLPLAIN"], encode_request(api_key, version, 7, "x", body)
        )
        _, response = decode_response(api_key, version, answer[4:])
        assert response.error_code == ILLEGAL_SASL_STATE

    # Unharmed: still replicating, still serving good clients, and each refusal logged once.
    quorum.cluster.wait_for(
        lambda: quorum.high_watermark(leader.node.node_id) > hw_before + 100, 30, "progress"
    )
    assert await _open(quorum, controller, scram) == ""
    for secured in (leader, follower):
        stderr = secured.node.stderr_text()
        assert "Traceback" not in stderr
        assert "refused connection from" in stderr or secured is leader


def test_metrics_agree_with_the_status_line(quorum: Quorum) -> None:
    leader = quorum.leader()
    url = f"http://127.0.0.1:{leader.ports['METRICS']}/metrics"

    def scrape() -> dict[str, float]:
        with urllib.request.urlopen(url, timeout=10) as answer:
            text = answer.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    for _ in range(20):  # a new interval may end between the two reads: retry until it did not
        before = leader.node.last()
        metrics = scrape()
        after = leader.node.last()
        if before == after and before is not None:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the status line kept changing during the scrape")
    prefix = "kafka_server_raft_metrics_"
    assert metrics[prefix + 'current_state{state="leader"}'] == 1
    assert metrics[prefix + "current_leader"] == before["leader_id"] == leader.node.node_id
    assert metrics[prefix + "current_epoch"] == before["epoch"]
    assert metrics[prefix + "high_watermark"] >= before["high_watermark"]
    assert metrics[prefix + "log_end_offset"] >= before["log_end_offset"]
    assert metrics["pykraft_workload_committed_records_per_second"] == pytest.approx(
        before["committed_records_per_s"]
    )
    assert metrics['pykraft_workload_commit_latency_ms{quantile="0.99"}'] == pytest.approx(
        before["commit_latency_ms_p99"]
    )
    assert metrics[prefix + "append_records_rate"] > 0
    assert 0 < metrics[prefix + "commit_latency_avg"] <= metrics[prefix + "commit_latency_max"]
    assert 0 <= metrics[prefix + "poll_idle_ratio_avg"] <= 1
    assert metrics["process_resident_memory_bytes"] > 0
    follower = scrape_follower = quorum.follower()
    with urllib.request.urlopen(
        f"http://127.0.0.1:{scrape_follower.ports['METRICS']}/metrics", timeout=10
    ) as answer:
        text = answer.read().decode()
    assert 'current_state{state="follower"} 1.0' in text
    assert f"{prefix}current_leader {float(leader.node.node_id)}" in text
    assert follower.node.alive
