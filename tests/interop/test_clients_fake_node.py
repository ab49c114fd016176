"""Real Kafka clients tail `__cluster_metadata` from the consumer handlers behind a socket.

A fake one-node leader (tests/consumer/fake_server.py) serves the handlers of
`kraft.shell.consumer`; each client reads from the beginning and must get exactly the committed
data records, in order, nothing past the high watermark, then new records as the high watermark
moves (long poll). The multi-process quorum scenarios are in test_quorum_clients.py.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator

import pytest
import trio

from kraft.types import ReplicaAddress
from tests.consumer.fake_server import FakeServer
from tests.consumer.fakes import FakePort
from tests.interop.clients import parse_errors, require_module, require_program

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
        port.set(voters=(ReplicaAddress(1, "127.0.0.1", listen_port),))
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


PAST_THE_END = 1_000


def run_bounded(command: list[str], timeout_s: float) -> subprocess.CompletedProcess[bytes]:
    """Run `command`; a hang is killed and reported with its output (rc None), not lost."""
    try:
        return subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(command, -1, exc.stdout or b"", exc.stderr or b"")


@pytest.mark.parametrize(("reset", "expected"), [("earliest", COMMITTED), ("latest", [])])
async def test_kcat_past_the_end_resets(leader: str, reset: str, expected: list[bytes]) -> None:
    """kcat started past the log end resets per auto.offset.reset and ends at the partition end
    (-e), without a single parse error."""
    kcat = require_program("kcat")
    command = [kcat, "-C", "-b", leader, "-t", TOPIC, "-p", "0", "-o", str(PAST_THE_END), "-e"]
    command += ["-X", f"auto.offset.reset={reset}", "-X", "debug=fetch,protocol", "-f", "%s\\n"]
    result = await trio.to_thread.run_sync(run_bounded, command, 30)
    stderr = result.stderr.decode(errors="replace")
    errors = parse_errors(stderr)
    assert errors == [], f"{len(errors)} parse errors, first: {errors[:2]}"

    assert result.returncode == 0, stderr[-3000:]
    assert result.stdout.decode().splitlines() == [v.decode() for v in expected]


def confluent_past_the_end(bootstrap: str, reset: str) -> tuple[list[bytes], int, list[str]]:
    """From an assignment past the end: the values read until the partition end, the offset of
    that end (-1: never reached), and every parse error logged or reported."""
    import logging

    from confluent_kafka import Consumer, KafkaError, TopicPartition

    problems: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            problems.extend(parse_errors(record.getMessage()))

    logger = logging.getLogger(f"librdkafka-{reset}")
    logger.propagate = False
    logger.addHandler(Collect())
    logger.setLevel(logging.DEBUG)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "pykraft-dummy",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": reset,
            "debug": "fetch,protocol",
            "error_cb": lambda error: problems.append(str(error)),
        },
        logger=logger,
    )
    try:
        consumer.assign([TopicPartition(TOPIC, 0, PAST_THE_END)])
        values: list[bytes] = []
        for _ in range(40):
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is None:
                values.append(message.value())
            elif error.code() == KafkaError._PARTITION_EOF:
                return values, message.offset(), problems
            else:
                problems.append(str(error))
        return values, -1, problems
    finally:
        consumer.close()


@pytest.mark.parametrize(("reset", "expected"), [("earliest", COMMITTED), ("latest", [])])
async def test_confluent_kafka_past_the_end_resets(
    leader: str, reset: str, expected: list[bytes]
) -> None:
    require_module("confluent_kafka")
    values, end_offset, problems = await trio.to_thread.run_sync(
        confluent_past_the_end, leader, reset
    )
    assert problems == [], f"{len(problems)} parse errors, first: {problems[:2]}"
    assert values == expected
    # The end reached is the high watermark: the leader change + the committed records.
    assert end_offset == len(COMMITTED) + 1
