"""Real Kafka clients through `kraft proxy --rewrite` to a real Kafka node (combined mode).

One Kafka 4.3.1 node (`tests.kafka.combined`) and one `kraft proxy --rewrite --json --save`
process for the module. Through the proxy only: Kafka's Admin (TopicCommand), Java producer
(ProducerPerformance), Java console consumers in a classic group and in a KIP-848 group
(`group.protocol=consumer`), kafka-python and confluent-kafka producers and consumers. Each
conversation must complete as it does without the proxy (every record produced is consumed),
the clients' Fetch/Produce/group traffic must have gone through the proxy (the rewrite kept
them there), and every saved frame of a catalogued API must decode and re-encode to its exact
bytes (`capture_check`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import ROOT, free_ports
from tests.interop.clients import require_module
from tests.kafka.combined import TOPIC_COMMAND, KafkaCombined
from tests.kafka.kafka import run_tool
from tests.proxy.capture_check import check_capture

pytestmark = [pytest.mark.slow, pytest.mark.interop]

PRODUCER_PERFORMANCE = "org.apache.kafka.tools.ProducerPerformance"
CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
JAVA_RECORDS = 500
PY_RECORDS = 50


class ProxyProcess:
    def __init__(self, directory: Path, upstream: str) -> None:
        (port,) = free_ports(1)
        self.address = f"127.0.0.1:{port}"
        self.save = directory / "capture.txt"
        self.out = directory / "proxy.jsonl"
        self.err = directory / "proxy.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kraft.cli",
                    "proxy",
                    "--listen",
                    self.address,
                    "--upstream",
                    upstream,
                    "--rewrite",
                    "--json",
                    "--save",
                    str(self.save),
                ],
                cwd=ROOT,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + 30
        while "listening" not in self.err.read_text():
            assert self.process.poll() is None, self.err.read_text()
            assert time.monotonic() < deadline, "kraft proxy did not start"
            time.sleep(0.1)

    def exchanges(self) -> list[dict]:
        return [json.loads(line) for line in self.out.read_text().splitlines()]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(20)


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCombined]:
    node = KafkaCombined(tmp_path_factory.mktemp("kafka"))
    node.start()
    try:
        yield node
    finally:
        node.close()


@pytest.fixture(scope="module")
def proxy(kafka: KafkaCombined, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    process = ProxyProcess(tmp_path_factory.mktemp("proxy"), kafka.bootstrap)
    try:
        yield process
    finally:
        process.stop()


def test_java_admin_producer_and_consumers(proxy: ProxyProcess) -> None:
    created = run_tool(
        TOPIC_COMMAND,
        "--bootstrap-server",
        proxy.address,
        "--create",
        "--topic",
        "orders",
        "--partitions",
        "2",
        "--replication-factor",
        "1",
    )
    assert created.returncode == 0, created.stderr[-2000:]
    produced = run_tool(
        PRODUCER_PERFORMANCE,
        "--topic",
        "orders",
        "--num-records",
        str(JAVA_RECORDS),
        "--record-size",
        "100",
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={proxy.address}",
        "acks=all",
        timeout_s=120,
    )
    assert produced.returncode == 0 and f"{JAVA_RECORDS} records sent" in produced.stdout, (
        produced.stdout[-1000:] + produced.stderr[-2000:]
    )
    # a classic group and a KIP-848 group, side by side
    consumers = {
        protocol: subprocess.Popen(
            [
                str(ROOT / "bin" / "kafka"),
                CONSOLE_CONSUMER,
                "--bootstrap-server",
                proxy.address,
                "--topic",
                "orders",
                "--from-beginning",
                "--max-messages",
                str(JAVA_RECORDS),
                "--timeout-ms",
                "60000",
                "--group",
                f"{protocol}-group",
                "--command-property",
                f"group.protocol={protocol}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for protocol in ("classic", "consumer")
    }
    for protocol, process in consumers.items():
        out, err = process.communicate(timeout=150)
        assert process.returncode == 0, f"{protocol}: {err[-2000:]}"
        assert len(out.splitlines()) == JAVA_RECORDS, f"{protocol}: {err[-2000:]}"


def test_kafka_python_through_the_proxy(proxy: ProxyProcess) -> None:
    require_module("kafka")
    from kafka import KafkaConsumer, KafkaProducer

    producer = KafkaProducer(bootstrap_servers=proxy.address, acks="all")
    for i in range(PY_RECORDS):
        producer.send("py-topic", f"kp-{i}".encode())
    producer.flush(30)
    producer.close()
    consumer = KafkaConsumer(
        "py-topic",
        bootstrap_servers=proxy.address,
        group_id="kafka-python-group",
        auto_offset_reset="earliest",
        consumer_timeout_ms=30_000,
    )
    values = []
    for message in consumer:
        values.append(message.value)
        if len(values) == PY_RECORDS:
            break
    consumer.close()
    assert sorted(values) == sorted(f"kp-{i}".encode() for i in range(PY_RECORDS))


def test_confluent_kafka_through_the_proxy(proxy: ProxyProcess) -> None:
    require_module("confluent_kafka")
    from confluent_kafka import Consumer, Producer

    producer = Producer({"bootstrap.servers": proxy.address, "acks": "all"})
    for i in range(PY_RECORDS):
        producer.produce("ck-topic", f"ck-{i}".encode())
    assert producer.flush(30) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": proxy.address,
            "group.id": "confluent-group",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe(["ck-topic"])
    values = []
    deadline = time.monotonic() + 60
    while len(values) < PY_RECORDS and time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            values.append(message.value())
    consumer.close()
    assert sorted(values) == sorted(f"ck-{i}".encode() for i in range(PY_RECORDS))


def test_every_frame_went_through_and_decodes_exactly(proxy: ProxyProcess) -> None:
    assert proxy.stop() == 0, proxy.err.read_text()[-2000:]
    exchanges = proxy.exchanges()
    apis = {e["api"] for e in exchanges}
    # the data and group traffic stayed on the proxy (it follows the rewritten endpoints)
    assert {
        "Produce",
        "Fetch",
        "CreateTopics",
        "FindCoordinator",
        "JoinGroup",
        "SyncGroup",
        "OffsetCommit",
        "ConsumerGroupHeartbeat",
    } <= apis, apis
    fetching = {e["client_id"] for e in exchanges if e["api"] == "Fetch"}
    # on a miss, say what each client did go through the proxy with
    seen = sorted(Counter((e["client_id"], e["api"]) for e in exchanges).items(), key=str)
    assert any(c and "console-consumer" in c for c in fetching), seen
    assert any(c and c.startswith("kafka-python") for c in fetching), seen
    assert any(c and c.startswith("rdkafka") for c in fetching), seen
    undecoded = [
        e
        for e in exchanges
        if "error" in e["request"] or (e["response"] is not None and "error" in e["response"])
    ]
    report = check_capture(proxy.save)
    assert report.frames > 100 and report.cut == 0
    assert report.not_in_catalog == {}, report.not_in_catalog
    assert report.failures == [], report.failures[:20]
    assert undecoded == [], undecoded[:5]
