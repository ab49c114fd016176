"""`kraft tail` records/s on a real Kafka controller's metadata log (issue #11 closing note).

Starts a real quorum from the Kafka jars (`tests.kafka.controllers`: 3 `kafka.Kafka` controllers
and one broker, Kafka's default snapshot thresholds so the log from offset 0 stays in place),
fills its metadata log with real records cheaply: kafka-python's Admin client creates `--topics`
topics, then sends IncrementalAlterConfigs over all of them, a few topic config keys each with a
new value every round (one ConfigRecord per key and topic; rounds until `--records`). Then it
times `kraft tail --from-beginning --until-high-watermark` from offset 0 to the high watermark,
output to /dev/null, `--runs` times (median), and tries kafka-python as an ordinary consumer of
`__cluster_metadata` (from a controller, then from the broker), noting why it cannot read it
when it cannot. Writes one JSON document (figures, load average at each run) to `--output`
(default `bench/results/tail-real.json`, git-ignored).

    .venv/bin/python -m bench.tail_real --records 100000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, KafkaAdminClient, NewTopic

from tests.kafka.controllers import KafkaControllerQuorum

ROOT = Path(__file__).resolve().parents[1]
METADATA_TOPIC = "__cluster_metadata"
# Topic config keys whose value changes every round (each change is one ConfigRecord).
CONFIG_KEYS = (
    "retention.ms",
    "retention.bytes",
    "segment.ms",
    "max.message.bytes",
    "flush.messages",
    "flush.ms",
    "delete.retention.ms",
    "min.compaction.lag.ms",
    "file.delete.delay.ms",
    "segment.jitter.ms",
)
CONSUMER_TIMEOUT_MS = 20_000


def load_average() -> float:
    return os.getloadavg()[0]


def fill(bootstrap_broker: str, records: int, topics: int) -> int:
    """Real metadata records through the broker: topics, then rounds of config changes."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_broker, request_timeout_ms=120_000)
    try:
        names = [f"bench-{n}" for n in range(topics)]
        admin.create_topics([NewTopic(name, 1, 1) for name in names])
        per_round = topics * len(CONFIG_KEYS)
        rounds = -(-records // per_round)
        for round_no in range(rounds):
            resources = [
                ConfigResource(
                    "TOPIC",
                    name,
                    {key: str(1_000_000 + round_no) for key in CONFIG_KEYS},
                )
                for name in names
            ]
            result = admin.alter_configs(resources, incremental=True)
            failed = [
                (name, error)
                for by_name in result.values()
                for name, error in by_name.items()
                if error is not None and getattr(error, "errno", 0) != 0
            ]
            if failed:
                raise SystemExit(f"IncrementalAlterConfigs round {round_no}: {failed[:3]}")
        return rounds * per_round
    finally:
        admin.close()


def tail_command(bootstrap: str) -> list[str]:
    return [
        *(sys.executable, "-m", "kraft.cli", "tail", "--bootstrap-controller", bootstrap),
        *("--from-beginning", "--until-high-watermark", "--timeout-ms", "60000"),
    ]


def time_tail(bootstrap: str) -> float:
    """Seconds for `kraft tail` from offset 0 to the high watermark, output to /dev/null."""
    start = time.perf_counter()
    subprocess.run(
        tail_command(bootstrap),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        check=True,
        timeout=600,
    )
    return time.perf_counter() - start


def count_tail_lines(bootstrap: str) -> int:
    result = subprocess.run(
        tail_command(bootstrap),
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=600,
    )
    return result.stdout.count(b"\n")


def consume_with_kafka_python(bootstrap: str, end_offset: int) -> dict[str, Any]:
    """kafka-python as an ordinary consumer of `__cluster_metadata`-0 from offset 0."""
    start = time.perf_counter()
    seen = 0
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            consumer_timeout_ms=CONSUMER_TIMEOUT_MS,
            request_timeout_ms=CONSUMER_TIMEOUT_MS + 5000,
        )
    except Exception as exc:  # the reason is the figure here
        return {"records": 0, "error": f"{type(exc).__name__}: {exc}"}
    try:
        if METADATA_TOPIC not in consumer.topics():
            return {
                "records": 0,
                "error": f"{bootstrap}'s Metadata does not list {METADATA_TOPIC}: Kafka keeps the "
                "metadata log out of the topics clients can fetch",
            }
        partition = TopicPartition(METADATA_TOPIC, 0)
        consumer.assign([partition])
        consumer.seek(partition, 0)
        for message in consumer:
            seen += 1
            if message.offset + 1 >= end_offset:
                break
    except Exception as exc:
        return {"records": seen, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        consumer.close()
    elapsed_s = time.perf_counter() - start
    if seen == 0:
        return {"records": 0, "error": f"no record within {CONSUMER_TIMEOUT_MS} ms"}
    return {
        "records": seen,
        "seconds": round(elapsed_s, 3),
        "records_per_s": round(seen / elapsed_s),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="config records to write")
    parser.add_argument("--topics", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "tail-real.json"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pykraft-tailreal-") as tmp:
        quorum = KafkaControllerQuorum(Path(tmp), frequent_snapshots=False)
        try:
            quorum.start(timeout_s=300)
            fill_start = time.monotonic()
            written = fill(quorum.bootstrap_broker, args.records, args.topics)
            fill_s = time.monotonic() - fill_start
            status = quorum.quorum_status()
            high_watermark = int(status["HighWatermark"])
            leader = int(status["LeaderId"])
            segments = sorted(quorum.controller_log_dir(leader).glob("*.log"))
            log_bytes = sum(p.stat().st_size for p in segments)
            first_segment = segments[0].name if segments else None
            # A first pass warms the page cache and checks the tail prints every offset.
            printed = count_tail_lines(quorum.bootstrap_controllers)
            runs = []
            for _ in range(args.runs):
                load = load_average()
                seconds = time_tail(quorum.bootstrap_controllers)
                runs.append(
                    {
                        "seconds": round(seconds, 3),
                        "records_per_s": round(high_watermark / seconds),
                        "load_average_1m": load,
                    }
                )
            kafka_python = {
                "from_controller": consume_with_kafka_python(
                    quorum.controllers[leader].address, high_watermark
                ),
                "from_broker": consume_with_kafka_python(quorum.bootstrap_broker, high_watermark),
            }
        finally:
            quorum.close()
    result = {
        "kafka": "4.3.1, 3 controllers + 1 broker (tests/kafka/controllers.py)",
        "config_records_written": written,
        "fill_seconds": round(fill_s, 1),
        "high_watermark": high_watermark,
        "leader_log_bytes": log_bytes,
        "leader_first_segment": first_segment,
        "tail_lines_printed": printed,
        "tail_runs": runs,
        "tail_records_per_s_median": statistics.median(r["records_per_s"] for r in runs),
        "kafka_python": kafka_python,
        "cpus": os.cpu_count(),
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
