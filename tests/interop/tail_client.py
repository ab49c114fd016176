"""Run one third-party client as a tailer of `__cluster_metadata` partition 0, from the beginning.

    python -m tests.interop.tail_client {kafka-python|aiokafka|confluent-kafka} BOOTSTRAP

Prints `<offset> <value hex>` per data record, flushed, until killed. Run as its own process so a
client's leaked sockets and threads never touch the test process.
"""

from __future__ import annotations

import asyncio
import sys
import warnings

TOPIC = "__cluster_metadata"
POLL_MS = 500


def emit(offset: int, value: bytes | None) -> None:
    print(offset, (value or b"").hex(), flush=True)


def kafka_python(bootstrap: str) -> None:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    tp = TopicPartition(TOPIC, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    while True:
        for message in consumer.poll(timeout_ms=POLL_MS).get(tp, []):
            emit(message.offset, message.value)


def aiokafka(bootstrap: str) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def main() -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        tp = TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        while True:
            batch = await consumer.getmany(tp, timeout_ms=POLL_MS)
            for message in batch.get(tp, []):
                emit(message.offset, message.value)

    asyncio.run(main())


def confluent(bootstrap: str) -> None:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "pykraft-dummy", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(TOPIC, 0, OFFSET_BEGINNING)])
    while True:
        message = consumer.poll(POLL_MS / 1000)
        if message is not None and message.error() is None:
            emit(message.offset(), message.value())


CLIENTS = {"kafka-python": kafka_python, "aiokafka": aiokafka, "confluent-kafka": confluent}

if __name__ == "__main__":
    warnings.simplefilter("ignore")
    CLIENTS[sys.argv[1]](sys.argv[2])
