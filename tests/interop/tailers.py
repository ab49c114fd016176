"""Background tailers of `__cluster_metadata` partition 0, one per client, for the quorum tests.

Each runs until `stop_at` (a shared, later-set target offset) is reached or its deadline passes,
and collects `(offset, value)` of every data record it received, in arrival order (duplicates
kept, so the test can see them). Control records are skipped by the clients themselves.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

TOPIC = "__cluster_metadata"
POLL_MS = 500


@dataclass
class Target:
    """The offset every tailer must reach before stopping (set once the workload is done)."""

    offset: int | None = None
    deadline: float = field(default_factory=lambda: time.monotonic() + 300)

    def reached(self, next_offset: int) -> bool:
        return (self.offset is not None and next_offset >= self.offset) or (
            time.monotonic() > self.deadline
        )


@dataclass
class Tailer:
    name: str
    records: list[tuple[int, bytes]] = field(default_factory=list)
    next_offset: int = 0
    error: str | None = None
    thread: threading.Thread | None = None
    process: subprocess.Popen[bytes] | None = None

    def join(self, timeout_s: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout_s)


def start_kafka_python(bootstrap: str, target: Target) -> Tailer:
    tailer = Tailer("kafka-python")

    def run() -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                from kafka import KafkaConsumer, TopicPartition

            consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
            tp = TopicPartition(TOPIC, 0)
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            try:
                while not target.reached(tailer.next_offset):
                    for message in consumer.poll(timeout_ms=POLL_MS).get(tp, []):
                        tailer.records.append((message.offset, message.value))
                        tailer.next_offset = message.offset + 1
            finally:
                consumer.close()
        except Exception as exc:  # reported by the test
            tailer.error = repr(exc)

    tailer.thread = threading.Thread(target=run, daemon=True)
    tailer.thread.start()
    return tailer


def start_aiokafka(bootstrap: str, target: Target) -> Tailer:
    tailer = Tailer("aiokafka")

    async def main() -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = TopicPartition(TOPIC, 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            while not target.reached(tailer.next_offset):
                batch = await consumer.getmany(tp, timeout_ms=POLL_MS)
                for message in batch.get(tp, []):
                    tailer.records.append((message.offset, message.value))
                    tailer.next_offset = message.offset + 1
        finally:
            await consumer.stop()

    def run() -> None:
        try:
            asyncio.run(main())
        except Exception as exc:
            tailer.error = repr(exc)

    tailer.thread = threading.Thread(target=run, daemon=True)
    tailer.thread.start()
    return tailer


def start_confluent(bootstrap: str, target: Target) -> Tailer:
    tailer = Tailer("confluent-kafka")

    def run() -> None:
        try:
            from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

            consumer = Consumer(
                {
                    "bootstrap.servers": bootstrap,
                    "group.id": "pykraft-dummy",
                    "enable.auto.commit": False,
                }
            )
            consumer.assign([TopicPartition(TOPIC, 0, OFFSET_BEGINNING)])
            try:
                while not target.reached(tailer.next_offset):
                    message = consumer.poll(POLL_MS / 1000)
                    if message is None or message.error() is not None:
                        continue
                    tailer.records.append((message.offset(), message.value()))
                    tailer.next_offset = message.offset() + 1
            finally:
                consumer.close()
        except Exception as exc:
            tailer.error = repr(exc)

    tailer.thread = threading.Thread(target=run, daemon=True)
    tailer.thread.start()
    return tailer


def start_process(name: str, command: list[str], out_path: Path) -> Tailer:
    tailer = Tailer(name)
    with out_path.open("wb") as out:
        tailer.process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
    return tailer


def parse_kcat(data: bytes) -> list[tuple[int, bytes]]:
    """Output of `kcat -f '%o:%S:%s\\n'`: offset, value size, raw value bytes."""
    records = []
    pos = 0
    while pos < len(data):
        colon = data.index(b":", pos)
        offset = int(data[pos:colon])
        colon2 = data.index(b":", colon + 1)
        size = int(data[colon + 1 : colon2])
        start = colon2 + 1
        if start + size + 1 > len(data):
            break  # a line still being written
        records.append((offset, data[start : start + size]))
        pos = start + size + 1
    return records


def parse_kraft_tail(text: str) -> list[tuple[int, bytes]]:
    records = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            break
        if "control" in item:
            continue
        value = item["value"]
        data = bytes.fromhex(value) if item["value_encoding"] == "hex" else value.encode()
        records.append((item["offset"], data))
    return records
