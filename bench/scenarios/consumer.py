"""Consumer path: MB/s served to fetch loops reading the whole log from offset 0.

Theory of operation: a 3-voter quorum fills its log at saturation with 1 KiB records for
`fill_s`; then all voters are restarted (SIGTERM, same logs) with a trickle workload so that the
measurement is of serving *stored* batches, not of competing with the writer. Against the new
leader, three readers each read offsets [0, high watermark at start):
- a raw Fetch v4 client (`bench.fetch_client`, no record decoding): MB/s of batch bytes;
- kafka-python's KafkaConsumer (assign + seek to 0): records/s and MB/s of record values;
- `kraft tail` (the project's own tool) with its output to /dev/null, as a user would time it:
  records/s, counting the offsets [0, high watermark at start) it must print (one line per
  record, control records included; the trickle may add a few more, never fewer).
They are reported separately, with the ratio `kraft tail` / kafka-python records/s (issue #16:
≥ 2x on the same log); the raw loop is the median over `runs` passes (the first may read
from disk, later ones from the page cache, as a real catch-up reader would), the slower clients
make one pass each.
"""

from __future__ import annotations

import importlib
import subprocess
import time
from collections.abc import Callable
from typing import Any

from bench.fetch_client import METADATA_TOPIC, NO_ERROR, RawFetchClient
from bench.options import BenchOptions, ScenarioUnavailable, log, median
from bench.quorum import Quorum, Voter

SATURATING_RECORDS_PER_S = 10_000_000
TRICKLE_RECORDS_PER_S = 1
RECORD_SIZE_BYTES = 1024
FILL_S = 10.0
QUICK_FILL_S = 2.0
FETCH_BYTES_MAX = 8 * 1024 * 1024
READ_S_MAX = 300.0
# The readers start at offset 0 and must all read the same records: retention must not move the
# log start past 0 during the fill (Kafka's 100 MiB default is reached in seconds at saturation),
# and no snapshot may exist, or `kraft tail` (which, like Kafka's listeners, starts a read from 0
# at the leader's latest snapshot) would skip the log the other readers read record by record.
KEEP_WHOLE_LOG = (
    "metadata.max.retention.bytes=-1",
    "metadata.max.retention.ms=-1",
    f"metadata.log.max.record.bytes.between.snapshots={2**63 - 1}",
    "metadata.log.max.snapshot.interval.ms=0",
)
REPORT_INTERVAL_MS = 1000
TARGET_RAW_MB_PER_S = 500  # issue #6: a fetch loop served from stored batches
TARGET_TAIL_OVER_KAFKA_PYTHON = 2.0  # issue #16: kraft tail ≥ 2x kafka-python
# The command line for `kraft tail` recommended by the consumers helper ({servers} substituted).
TAIL_ARGV = (
    "tail",
    "--bootstrap-server",
    "{servers}",
    "--from-beginning",
    "--until-high-watermark",
)


def raw_fetch_pass(voter: Voter, end_offset: int) -> dict[str, float]:
    with RawFetchClient("127.0.0.1", voter.port) as client:
        offset = 0
        total_bytes = 0
        started = time.perf_counter()
        while offset < end_offset:
            result = client.fetch(offset, FETCH_BYTES_MAX)
            if result.error_code != NO_ERROR:
                raise ScenarioUnavailable(f"raw Fetch got error code {result.error_code}")
            if result.batch_count == 0:
                raise ScenarioUnavailable(f"raw Fetch made no progress at offset {offset}")
            total_bytes += result.batch_bytes
            offset = result.next_offset
            if time.perf_counter() - started > READ_S_MAX:
                raise ScenarioUnavailable("raw Fetch pass took too long")
        elapsed_s = time.perf_counter() - started
    return {"mb_per_s": total_bytes / elapsed_s / 1e6, "bytes": total_bytes, "seconds": elapsed_s}


def kafka_python_pass(voter: Voter, end_offset: int) -> dict[str, float]:
    from kafka import KafkaConsumer, TopicPartition

    partition = TopicPartition(METADATA_TOPIC, 0)
    consumer = KafkaConsumer(
        bootstrap_servers=f"127.0.0.1:{voter.port}",
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=FETCH_BYTES_MAX,
        fetch_max_bytes=FETCH_BYTES_MAX,
        consumer_timeout_ms=10_000,
    )
    try:
        consumer.assign([partition])
        consumer.seek(partition, 0)
        records = value_bytes = 0
        position = 0
        started = time.perf_counter()
        # Control batches (LeaderChange) are skipped by the client: stop at the last data offset.
        while position < end_offset - 1:
            polled = consumer.poll(timeout_ms=1000, max_records=100_000)
            if not polled:
                if consumer.position(partition) >= end_offset:
                    break
                if time.perf_counter() - started > READ_S_MAX:
                    raise ScenarioUnavailable("kafka-python pass made no progress")
                continue
            for batch in polled.values():
                records += len(batch)
                value_bytes += sum(len(r.value or b"") for r in batch)
                position = batch[-1].offset
        elapsed_s = time.perf_counter() - started
    finally:
        consumer.close()
    return {
        "records_per_s": records / elapsed_s,
        "mb_per_s": value_bytes / elapsed_s / 1e6,
        "records": records,
        "seconds": elapsed_s,
    }


def kraft_tail_pass(
    options: BenchOptions, voters: list[Voter], end_offset: int
) -> dict[str, float]:
    """`bin/kraft tail` as a user runs it (process start-up included), stdout to /dev/null (no
    reader in this process competes with it for the CPU); it exits 0 only once it has printed
    every offset below the high watermark it saw at start-up, which is ≥ `end_offset`."""
    cli = importlib.import_module("kraft.cli")
    if not any(name == "tail" for name, _, _ in cli.TOOLS):
        raise ScenarioUnavailable("kraft tail does not exist yet")
    servers = ",".join(f"127.0.0.1:{v.port}" for v in voters)
    argv = [a.format(servers=servers) for a in TAIL_ARGV]
    started = time.perf_counter()
    out = subprocess.run(
        [str(options.root / "bin" / "kraft"), *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=READ_S_MAX,
    )
    elapsed_s = time.perf_counter() - started
    if out.returncode != 0:
        tail = out.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise ScenarioUnavailable(f"kraft tail exited {out.returncode}: {' | '.join(tail)}")
    return {"records_per_s": end_offset / elapsed_s, "records": end_offset, "seconds": elapsed_s}


def run(options: BenchOptions) -> dict[str, Any]:
    fill_s = QUICK_FILL_S if options.quick else FILL_S
    figures: dict[str, Any] = {"record_size_bytes": RECORD_SIZE_BYTES, "fill_s": fill_s}
    with Quorum(
        options,
        throughput=SATURATING_RECORDS_PER_S,
        record_size=RECORD_SIZE_BYTES,
        report_interval_ms=REPORT_INTERVAL_MS,
        extra_properties=KEEP_WHOLE_LOG,
    ) as q:
        time.sleep(fill_s)
        old = q.leader()
        old_epoch = (old.last() or {}).get("epoch", -1) if old else -1
        q.restart_all(TRICKLE_RECORDS_PER_S)
        leader, line = q.wait_committing(60, epoch_above=old_epoch)
        end_offset = int(line["high_watermark"])
        figures["end_offset"] = end_offset
        log(options, f"consumer: reading [0, {end_offset}) from node {leader.node_id}")
        readers: dict[str, Callable[[], dict[str, float]]] = {
            "raw_fetch": lambda: raw_fetch_pass(leader, end_offset),
            "kafka_python": lambda: kafka_python_pass(leader, end_offset),
            "kraft_tail": lambda: kraft_tail_pass(options, q.voters, end_offset),
        }
        for name, reader in readers.items():
            # The slow clients read ~0.5 GB at tens of MB/s: one pass each keeps the run short.
            pass_count = options.effective_runs if name == "raw_fetch" else 1
            try:
                passes = [reader() for _ in range(pass_count)]
            except ScenarioUnavailable as exc:
                figures[name] = {"unavailable": str(exc)}
                continue
            summary: dict[str, Any] = {
                key: median([p[key] for p in passes]) for key in passes[0] if key.endswith("_per_s")
            }
            summary["passes"] = passes
            figures[name] = summary
    if all("unavailable" in figures[name] for name in readers):
        raise ScenarioUnavailable("; ".join(figures[name]["unavailable"] for name in readers))
    return figures


def rows(figures: dict[str, Any]) -> list[Any]:
    from bench.report import Row, fmt_num, verdict

    end = figures["end_offset"]
    size = figures["record_size_bytes"]
    labels = {
        "raw_fetch": "raw Fetch loop from offset 0: MB/s",
        "kafka_python": "kafka-python from offset 0: MB/s",
        "kraft_tail": "kraft tail from offset 0 to /dev/null: records/s",
    }
    out = []
    for name, label in labels.items():
        figure = figures.get(name, {})
        if "unavailable" in figure:
            out.append(Row("consumer", label, "—", figure["unavailable"]))
            continue
        key = "records_per_s" if name == "kraft_tail" else "mb_per_s"
        note = f"{end:,} offsets of {size} B records"
        if "records_per_s" in figure and name != "kraft_tail":
            note += f"; {fmt_num(figure['records_per_s'])} records/s"
        value = fmt_num(figure[key], 1 if key == "mb_per_s" else 0)
        target = ""
        if name == "raw_fetch":
            target = verdict("≥ 500 MB/s", figure["mb_per_s"] >= TARGET_RAW_MB_PER_S)
        out.append(Row("consumer", label, value, note, target))
    ratio = tail_over_kafka_python(figures)
    if ratio is not None:
        out.append(
            Row(
                "consumer",
                "kraft tail / kafka-python records/s, same log",
                f"{ratio:.2f}x",
                "one pass each; tail to /dev/null, kafka-python counts records in-process",
                verdict("≥ 2x", ratio >= TARGET_TAIL_OVER_KAFKA_PYTHON),
            )
        )
    return out


def tail_over_kafka_python(figures: dict[str, Any]) -> float | None:
    """`kraft tail` records/s over kafka-python's on the same log; None if either is missing."""
    tail, theirs = figures.get("kraft_tail", {}), figures.get("kafka_python", {})
    if "records_per_s" not in tail or not theirs.get("records_per_s"):
        return None
    return float(tail["records_per_s"]) / float(theirs["records_per_s"])
