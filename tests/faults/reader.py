"""A consumer process for the fault tests: tail `__cluster_metadata` and note what it read.

    python -m tests.faults.reader --bootstrap 10.200.0.1:9092,... --mode raft --out FILE

Modes: `raft` (the observer library with the Raft core inside, id-less), `consumer` (the observer
library fetching as a plain Kafka consumer), `kafka` (kafka-python's `KafkaConsumer`, assigned to
partition 0 from the beginning). Each batch (observer modes) or record (kafka mode) read becomes
one line of FILE, flushed at once, so the file is complete up to the moment the reader is killed:

    B <base offset> <last offset> <epoch> <control 0|1> <sha1 of the batch bytes>
    R <offset> <sha1 of the value>

The checker (`tests.faults.verify`) compares these with the nodes' logs. The reader checks
nothing itself beyond what its library does (the observer checks each batch's CRC32C and
contiguity and stops on a violation: that ends the file early, which the checker reports).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from typing import IO

from kraft.shell import run_async
from kraft.shell.client.connection import parse_bootstrap
from kraft.shell.client.observer import EARLIEST, RaftObserver

TOPIC = "__cluster_metadata"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.reader")
    parser.add_argument("--bootstrap", required=True, metavar="HOST:PORT[,HOST:PORT...]")
    parser.add_argument("--mode", choices=["raft", "consumer", "kafka"], default="raft")
    parser.add_argument("--out", required=True)
    parser.add_argument("--log-dir", help="the raft-mode observer's log dir (default: temporary)")
    args = parser.parse_args(argv)
    with open(args.out, "a", encoding="ascii", buffering=1) as out:
        try:
            if args.mode == "kafka":
                _read_kafka(args.bootstrap, out)
            else:
                run_async(lambda: _read_observer(args.bootstrap, args.mode, args.log_dir, out))
        except KeyboardInterrupt:
            return 0
        except Exception as exc:
            print(f"reader stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    return 0


async def _read_observer(bootstrap: str, mode: str, log_dir: str | None, out: IO[str]) -> None:
    observer = RaftObserver(
        parse_bootstrap(bootstrap),
        start=EARLIEST,
        mode="raft" if mode == "raft" else "consumer",
        log_dir=log_dir,
    )
    async with observer:
        async for batch in observer.batches():
            digest = hashlib.sha1(batch.data).hexdigest()
            control = int(batch.is_control)
            out.write(
                f"B {batch.base_offset} {batch.last_offset} {batch.epoch} {control} {digest}\n"
            )


def _read_kafka(bootstrap: str, out: IO[str]) -> None:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        enable_auto_commit=False,
        request_timeout_ms=5000,
        reconnect_backoff_max_ms=500,
    )
    partition = TopicPartition(TOPIC, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    while True:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                digest = hashlib.sha1(record.value or b"").hexdigest()
                out.write(f"R {record.offset} {digest}\n")


if __name__ == "__main__":
    sys.exit(main())
