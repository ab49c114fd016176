"""Real Kafka clients tail `__cluster_metadata` from the consumer handlers behind a socket.

A fake one-node leader (tests/consumer/fake_server.py) serves the handlers of
`kraft.shell.consumer`; each client reads from the beginning and must get exactly the committed
data records, in order, nothing past the high watermark, then new records as the high watermark
moves (long poll). The multi-process quorum scenarios are in test_quorum_clients.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import trio

from kraft.shell.consumer.view import Endpoint
from tests.consumer.fake_server import FakeServer
from tests.consumer.fakes import FakePort
from tests.interop.clients import require_module, require_program

# Third-party clients emit their own deprecation warnings at run time.
pytestmark = [pytest.mark.interop, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
TOPIC = "__cluster_metadata"
COMMITTED = [f"value-{i}".encode() for i in range(12)]
UNCOMMITTED = b"never-committed"


@pytest.fixture
async def leader() -> AsyncIterator[str]:
    port = FakePort()
    server = FakeServer(port)
    async with trio.open_nursery() as nursery:
        listen_port = await nursery.start(server.serve)
        port.set(voters=(Endpoint(1, "127.0.0.1", listen_port),))
        port.append_leader_change(3)
        for i in range(0, len(COMMITTED), 3):
            port.append_data(3, COMMITTED[i : i + 3])
        end = port.log_end_offset
        port.append_data(3, [UNCOMMITTED])
        port.sync(high_watermark=end)
        yield f"127.0.0.1:{listen_port}"
        nursery.cancel_scope.cancel()


def kafka_python_read(bootstrap: str, count: int) -> list[bytes]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=10_000
    )
    try:
        tp = TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        values: list[bytes] = []
        for message in consumer:
            values.append(message.value)
            if len(values) >= count:
                break
        return values
    finally:
        consumer.close()


async def test_kafka_python(leader: str) -> None:
    require_module("kafka")
    values = await trio.to_thread.run_sync(kafka_python_read, leader, len(COMMITTED))
    assert values == COMMITTED


def aiokafka_read(bootstrap: str, count: int) -> list[bytes]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def main() -> list[bytes]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = TopicPartition(TOPIC, 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            values: list[bytes] = []
            while len(values) < count:
                batch = await asyncio.wait_for(consumer.getmany(tp, timeout_ms=1000), 10)
                values.extend(m.value for m in batch.get(tp, []))
            return values
        finally:
            await consumer.stop()

    return asyncio.run(main())


async def test_aiokafka(leader: str) -> None:
    require_module("aiokafka")
    values = await trio.to_thread.run_sync(aiokafka_read, leader, len(COMMITTED))
    assert values == COMMITTED


async def test_kcat(leader: str) -> None:
    kcat = require_program("kcat")
    with trio.fail_after(20):
        result = await trio.run_process(
            [
                kcat,
                "-C",
                "-b",
                leader,
                "-t",
                TOPIC,
                "-p",
                "0",
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                "%o %s\\n",
            ],
            capture_stdout=True,
            capture_stderr=True,
        )
    lines = result.stdout.decode().splitlines()
    data = [line.split(" ", 1)[1].encode() for line in lines]
    assert data == COMMITTED, result.stderr.decode()[-2000:]


def confluent_read(bootstrap: str, count: int) -> list[bytes]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "pykraft-dummy", "enable.auto.commit": False}
    )
    try:
        consumer.assign([TopicPartition(TOPIC, 0, OFFSET_BEGINNING)])
        values: list[bytes] = []
        for _ in range(100):
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            values.append(message.value())
            if len(values) >= count:
                break
        return values
    finally:
        consumer.close()


async def test_confluent_kafka(leader: str) -> None:
    require_module("confluent_kafka")
    values = await trio.to_thread.run_sync(confluent_read, leader, len(COMMITTED))
    assert values == COMMITTED
