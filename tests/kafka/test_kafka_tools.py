"""Apache Kafka 4.3.1's own tools against pykraft, and pykraft's tools against Kafka's files.

Kafka → pykraft: `MetadataQuorumCommand describe --status/--replication` (through
`--bootstrap-controller` and `--bootstrap-server`), `ConsoleConsumer --partition 0 --offset
earliest --max-messages N`, `GetOffsetShell`, `DumpLogSegments` (with and without
`--cluster-metadata-decoder`) and `MetadataShell --snapshot` each run against a live pykraft
quorum or its files; their parsed output is compared with pykraft's own view (`kraft
describe-quorum --json`, `kraft dump-log --json`, the nodes' stats).

pykraft → Kafka: `kraft dump-log` over a Kafka TestRaftServer's log directory gives the same
batches, and the same text, as DumpLogSegments.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kraft.cli import main
from tests.cli.segments import snapshot_batches, write_corner_cases
from tests.e2e.cluster import ROOT, Cluster, free_ports
from tests.kafka.kafka import BIN_KAFKA, KafkaRaftServer, kafka_env, require_kafka, run_tool
from tests.kafka.metadata_shell import metadata_shell
from wire.records.builder import build_data_batch
from wire.records.control import build_leader_change_batch

pytestmark = pytest.mark.slow

METADATA_QUORUM = "org.apache.kafka.tools.MetadataQuorumCommand"
CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
GET_OFFSET_SHELL = "org.apache.kafka.tools.GetOffsetShell"
DUMP_LOG_SEGMENTS = "org.apache.kafka.tools.DumpLogSegments"
OBSERVER_ID = 42
TOPIC = "__cluster_metadata"


def kraft(*args: str) -> subprocess.CompletedProcess[str]:
    """A `kraft` tool run in this process (an interpreter start per call is seconds on a loaded
    machine): its exit status and output, as from a subprocess."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(["kraft", *args], code, out.getvalue(), err.getvalue())


def kafka(main_class: str, *args: str) -> str:
    """A Kafka tool's stdout; the test fails with its stderr when it exits non-zero."""
    result = run_tool(main_class, *args)
    assert result.returncode == 0, f"{main_class} {args}: {result.stderr[-3000:]}"
    return result.stdout


def own_view(bootstrap: str) -> dict[str, Any]:
    result = kraft("describe-quorum", "--bootstrap-server", bootstrap, "--json")
    assert result.returncode == 0, result.stderr
    view: dict[str, Any] = json.loads(result.stdout)
    return view


def own_dump(*args: str) -> list[dict[str, Any]]:
    result = kraft("dump-log", "--json", *args)
    assert result.returncode == 0, result.stderr
    reports: list[dict[str, Any]] = json.loads(result.stdout)
    return reports


@pytest.fixture(scope="module")
def quorum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three pykraft voters at a slow workload (50 records/s), plus `kraft tail --id 42` so the
    quorum has an observer to describe."""
    require_kafka()
    cluster = Cluster(tmp_path_factory.mktemp("quorum"), 3, args=["--throughput", "50"])
    observer: subprocess.Popen[bytes] | None = None
    try:
        cluster.start()
        cluster.wait_for(cluster.leader, 30, "a leader")
        bootstrap = ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes.values())
        observer = subprocess.Popen(
            [
                *(sys.executable, "-m", "kraft.cli", "tail", "--bootstrap-server", bootstrap),
                *("--id", str(OBSERVER_ID), "--from-beginning"),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cluster.wait_for(
            lambda: [o["node_id"] for o in own_view(bootstrap)["observers"]] == [OBSERVER_ID],
            30,
            "the observer to be listed",
        )
        yield cluster
    finally:
        if observer is not None:
            observer.kill()
            observer.wait(10)
        cluster.close()


def bootstrap_of(cluster: Cluster) -> str:
    return ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes.values())


# ---- MetadataQuorumCommand ------------------------------------------------------------------


def parse_status(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z]+", name):
            assert line[: len(name) + 1].ljust(24) == line[:24], line  # Kafka's 24-column labels
            out[name] = value.strip()
    return out


@pytest.mark.parametrize("endpoint", ["--bootstrap-controller", "--bootstrap-server"])
def test_metadata_quorum_status(quorum: Cluster, endpoint: str) -> None:
    bootstrap = bootstrap_of(quorum)
    before = own_view(bootstrap)
    kafka_text = kafka(METADATA_QUORUM, endpoint, bootstrap, "describe", "--status")
    after = own_view(bootstrap)
    ours_text = kraft("describe-quorum", "--bootstrap-server", bootstrap, "--status").stdout
    theirs, ours = parse_status(kafka_text), parse_status(ours_text)
    assert (
        list(theirs)
        == list(ours)
        == [
            "ClusterId",
            "LeaderId",
            "LeaderEpoch",
            "HighWatermark",
            "MaxFollowerLag",
            "MaxFollowerLagTimeMs",
            "CurrentVoters",
            "CurrentObservers",
        ]
    )
    assert theirs["ClusterId"] == before["cluster_id"]
    assert int(theirs["LeaderId"]) == before["leader_id"] == after["leader_id"]
    assert int(theirs["LeaderEpoch"]) == before["leader_epoch"]
    leader = quorum.nodes[before["leader_id"]].last()
    assert leader is not None and leader["role"] == "leader"
    assert before["high_watermark"] <= int(theirs["HighWatermark"]) <= after["high_watermark"]
    # Kafka's lag is the leader's log end minus the furthest voter's, read between our two looks.
    leader_end_after = max(v["log_end_offset"] for v in after["voters"])
    furthest_before = min(v["log_end_offset"] for v in before["voters"])
    assert 0 <= int(theirs["MaxFollowerLag"]) <= leader_end_after - furthest_before
    # A time difference between two fetches of a live quorum (generous: a loaded machine).
    assert -60_000 <= int(theirs["MaxFollowerLagTimeMs"]) <= 60_000
    for name in ("ClusterId", "LeaderId", "LeaderEpoch", "CurrentVoters", "CurrentObservers"):
        assert theirs[name] == ours[name], name
    voters = json.loads(theirs["CurrentVoters"])
    assert [v["id"] for v in voters] == [1, 2, 3]
    assert [v["endpoints"] for v in voters] == [
        [f"PLAINTEXT://127.0.0.1:{quorum.nodes[i].port}"] for i in (1, 2, 3)
    ]
    assert [o["id"] for o in json.loads(theirs["CurrentObservers"])] == [OBSERVER_ID]


def parse_table(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if "\t" in line]
    assert lines and all(line.endswith("\t") for line in lines), text
    return [line.split("\t")[:-1] for line in lines]


@pytest.mark.parametrize("endpoint", ["--bootstrap-controller", "--bootstrap-server"])
def test_metadata_quorum_replication(quorum: Cluster, endpoint: str) -> None:
    bootstrap = bootstrap_of(quorum)
    before = own_view(bootstrap)
    start_ms = int(time.time() * 1000)
    theirs = parse_table(kafka(METADATA_QUORUM, endpoint, bootstrap, "describe", "--replication"))
    ours = parse_table(
        kraft("describe-quorum", "--bootstrap-server", bootstrap, "--replication").stdout
    )
    after = own_view(bootstrap)
    end_ms = int(time.time() * 1000)
    assert theirs[0] == ours[0]  # the header, padded alike
    assert [c.rstrip() for c in theirs[0]] == [
        "NodeId",
        "DirectoryId",
        "LogEndOffset",
        "Lag",
        "LastFetchTimestamp",
        "LastCaughtUpTimestamp",
        "Status",
    ]
    leader_id = before["leader_id"]
    followers = [v for v in (1, 2, 3) if v != leader_id]
    expected_order = [str(leader_id), *map(str, followers), str(OBSERVER_ID)]
    for table in (theirs, ours):
        rows = [[c.rstrip() for c in row] for row in table[1:]]
        assert [r[0] for r in rows] == expected_order  # leader first, then voters, observers
        assert [r[6] for r in rows] == ["Leader", "Follower", "Follower", "Observer"]
        assert all(r[1] == "AAAAAAAAAAAAAAAAAAAAAA" for r in rows[:3])  # static voters
        by_id = {int(r[0]): r for r in rows}
        low = min(v["log_end_offset"] for v in before["voters"] + before["observers"])
        high = max(v["log_end_offset"] for v in after["voters"] + after["observers"])
        for node_id, row in by_id.items():
            assert low <= int(row[2]) <= high, row
            assert int(row[3]) == int(by_id[leader_id][2]) - int(row[2])
            for stamp in map(int, row[4:6]):
                assert start_ms - 60_000 <= stamp <= end_ms, (node_id, row)
    # Same column widths (every timestamp has 13 digits, every cell is padded to its column).
    assert [[len(c) for c in row] for row in theirs] == [[len(c) for c in row] for row in ours]


# ---- ConsoleConsumer and GetOffsetShell -----------------------------------------------------


def committed_records(cluster: Cluster, high_watermark: int) -> list[dict[str, Any]]:
    """The data records below `high_watermark`, payloads as bytes, from `kraft dump-log`."""
    leader = cluster.leader()
    assert leader is not None
    [report] = [
        r for r in own_dump("--print-data-log", str(leader.log_dir)) if r["kind"] == "segment"
    ][:1]
    records = []
    for batch in report["batches"]:
        for record in batch.get("records", []):
            if "value" in record and record["offset"] < high_watermark:
                raw = record["value"] or ""
                record["bytes"] = (
                    bytes.fromhex(raw) if record["value_encoding"] == "hex" else raw.encode()
                )
                records.append(record)
    return records


def test_console_consumer(quorum: Cluster) -> None:
    bootstrap = bootstrap_of(quorum)
    count = 25
    quorum.wait_for(lambda: own_view(bootstrap)["high_watermark"] > 2 * count, 30, "records")
    require_kafka()
    result = subprocess.run(
        [
            *(str(BIN_KAFKA), CONSOLE_CONSUMER, "--bootstrap-server", bootstrap, "--topic", TOPIC),
            *("--partition", "0", "--offset", "earliest", "--max-messages", str(count)),
            *("--formatter-property", "print.offset=true"),
            *("--formatter-property", "print.timestamp=true"),
            *("--formatter-property", "print.partition=true"),
        ],
        capture_output=True,
        timeout=90,
        check=False,
        env=kafka_env(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Processed a total of {count} messages".encode() in result.stderr
    high_watermark = own_view(bootstrap)["high_watermark"]
    records = committed_records(quorum, high_watermark)[:count]
    assert len(records) == count
    # Byte for byte what Kafka's default formatter prints for pykraft's records: the control
    # batch at offset 0 skipped, the random payloads exactly as stored.
    expected = b"".join(
        f"CreateTime:{r['timestamp']}\tPartition:0\tOffset:{r['offset']}\t".encode()
        + r["bytes"]
        + b"\n"
        for r in records
    )
    assert result.stdout == expected


def test_get_offset_shell(quorum: Cluster) -> None:
    """Latest (-1), max timestamp (-3) and by timestamp, against the leader's committed log."""
    bootstrap = bootstrap_of(quorum)

    def offset(*args: str) -> int:
        text = kafka(GET_OFFSET_SHELL, "--bootstrap-server", bootstrap, "--topic", TOPIC, *args)
        lines = [line for line in text.splitlines() if line.startswith(f"{TOPIC}:0:")]
        assert len(lines) == 1, text
        return int(lines[0].rsplit(":", 1)[1])

    before = own_view(bootstrap)["high_watermark"]
    latest = offset("--time", "-1")
    max_timestamp = offset("--time", "-3")
    after = own_view(bootstrap)["high_watermark"]
    assert before <= latest <= after
    leader = quorum.leader()
    assert leader is not None
    [report] = [r for r in own_dump(str(leader.log_dir)) if r["kind"] == "segment"][:1]
    # A timestamp: the first batch whose max timestamp reaches it (all records of a raft batch
    # share one timestamp), below the high watermark.
    batches = [b for b in report["batches"] if b["last_offset"] < before]
    target = batches[len(batches) // 2]["max_timestamp"]
    expected = next(b["base_offset"] for b in batches if b["max_timestamp"] >= target)
    assert offset("--time", str(target)) == expected
    # Max timestamp (-3): the first committed batch holding the largest timestamp, committed when
    # asked: at or past everything committed before, below the high watermark after.
    [report] = [r for r in own_dump(str(leader.log_dir)) if r["kind"] == "segment"][:1]
    newest_before = max(b["max_timestamp"] for b in batches)
    [answer] = [b for b in report["batches"] if b["base_offset"] == max_timestamp]
    assert answer["last_offset"] < after and answer["max_timestamp"] >= newest_before
    assert all(
        b["max_timestamp"] < answer["max_timestamp"]
        for b in report["batches"]
        if b["last_offset"] < answer["base_offset"]
    )


# ---- DumpLogSegments over pykraft's files, and kraft dump-log over Kafka's -----------------

ALL_MODES: list[list[str]] = [[], ["--deep-iteration"], ["--print-data-log"]]
# Batch lines alone, and everything (the record lines of --deep-iteration plus payloads).
BOTH_ENDS: list[list[str]] = [[], ["--print-data-log"]]


def compare_dumps(files: list[Path], modes: list[list[str]]) -> dict[str, str]:
    """Kafka's DumpLogSegments and `kraft dump-log` print the same text, line for line; returns
    Kafka's output per mode (flags joined by a space)."""
    outputs = {}
    for flags in modes:
        theirs = kafka(DUMP_LOG_SEGMENTS, "--files", ",".join(map(str, files)), *flags)
        ours = kraft("dump-log", *map(str, files), *flags)
        assert ours.returncode == 0, ours.stderr
        their_lines, our_lines = theirs.splitlines(), ours.stdout.splitlines()
        for n, (a, b) in enumerate(zip(their_lines, our_lines, strict=False)):
            assert a == b, f"line {n} with {flags}:\nKafka:  {a[:400]}\npykraft: {b[:400]}"
        assert len(their_lines) == len(our_lines), flags
        outputs[" ".join(flags)] = theirs
    return outputs


def parse_kafka_batches(text: str) -> list[dict[str, int]]:
    fields = (
        "baseOffset",
        "lastOffset",
        "count",
        "position",
        "size",
        "crc",
        "partitionLeaderEpoch",
    )
    out = []
    for line in text.splitlines():
        if line.startswith("baseOffset: "):
            out.append({f: int(re.search(rf"\b{f}: (-?\d+)", line).group(1)) for f in fields})  # type: ignore[union-attr]
            assert line.endswith("isvalid: true"), line
    return out


def test_dump_log_segments_over_pykraft_segments(tmp_path: Path) -> None:
    """A pykraft node's segment after a clean stop (Kafka-shaped: no preallocated zeros), in
    every mode, and with Kafka's cluster-metadata decoder."""
    require_kafka()
    cluster = Cluster(tmp_path, 1, args=["--throughput", "200", "--record-size", "64"])
    try:
        cluster.start()
        node = cluster.nodes[1]
        cluster.wait_for(lambda: ((node.last() or {}).get("high_watermark") or 0) > 300, 30, "data")
        assert node.terminate() == 0
    finally:
        cluster.close()
    [segment] = sorted(node.log_dir.glob("*.log"))
    outputs = compare_dumps([segment], BOTH_ENDS)
    ours = own_dump(str(segment))[0]
    theirs = parse_kafka_batches(outputs[""])
    assert len(theirs) > 10
    assert theirs == [
        {
            "baseOffset": b["base_offset"],
            "lastOffset": b["last_offset"],
            "count": b["count"],
            "position": b["position"],
            "size": b["size_bytes"],
            "crc": b["crc"],
            "partitionLeaderEpoch": b["partition_leader_epoch"],
        }
        for b in ours["batches"]
    ]
    assert ours["valid_bytes"] == segment.stat().st_size
    # --cluster-metadata-decoder: batches and control records as without it; pykraft's test
    # workload is random bytes, not metadata records, so each data record is Kafka's
    # "Error at <offset>, skipping." after the same record metadata we print.
    decoded = kafka(DUMP_LOG_SEGMENTS, "--files", str(segment), "--cluster-metadata-decoder")
    deep = kraft("dump-log", "--deep-iteration", str(segment)).stdout.splitlines()
    decoded_lines = decoded.splitlines()
    assert len(decoded_lines) == len(deep)
    errors = 0
    for theirs_line, ours_line in zip(decoded_lines, deep, strict=True):
        if " payload: " in theirs_line:
            head, payload = theirs_line.split(" payload: ", 1)
            assert head == ours_line
            offset = int(ours_line.split("offset: ")[1].split()[0])
            assert payload.startswith(f"Error at {offset}, skipping."), payload
            errors += 1
        else:
            assert theirs_line == ours_line
    data_records = sum(
        b["count"] for b in own_dump(str(segment))[0]["batches"] if not b["is_control"]
    )
    assert errors == data_records > 0


def test_dump_log_segments_on_a_live_segment(quorum: Cluster, tmp_path: Path) -> None:
    """A running node's active segment ends in preallocated zeros: Kafka's tool prints every
    batch, then stops with "Found record size 0 smaller than minimum record overhead" (as it
    would on Kafka's own `log.preallocate=true` segments); kraft dump-log reports the zeros."""
    leader = quorum.leader()
    assert leader is not None
    [live] = sorted(leader.log_dir.glob("*.log"))[:1]
    # One instant of the live file, so both tools read the same bytes.
    segment = tmp_path / live.name
    segment.write_bytes(live.read_bytes())
    result = run_tool(DUMP_LOG_SEGMENTS, "--files", str(segment))
    ours = kraft("dump-log", str(segment)).stdout.splitlines()
    assert ours[-1].startswith("Preallocated zeros after the data: "), ours[-1]
    assert result.returncode == 1
    assert "Found record size 0 smaller than minimum record overhead" in result.stderr
    assert result.stdout.splitlines() == ours[:-1]
    assert len(ours) > 4


def test_dump_log_segments_corner_cases(tmp_path: Path) -> None:
    """Every shape DumpLogSegments prints differently (producer state, transactions and their
    markers, LogAppendTime, delete horizon, all codecs, every raft control record, ill-formed
    UTF-8 payloads, a snapshot, a torn tail, a bad CRC): the same text from both tools."""
    segment = write_corner_cases(tmp_path / "log")
    snapshot = tmp_path / "log" / "00000000000000000004-0000000002.checkpoint"
    snapshot.write_bytes(b"".join(snapshot_batches(4, 2)))
    damaged = tmp_path / "damaged" / "00000000000000000100.log"
    damaged.parent.mkdir()
    good = build_data_batch(100, 3, 1_700_000_000_000, [b"intact"])
    bad = bytearray(build_data_batch(101, 3, 1_700_000_000_001, [b"flipped"]))
    bad[-2] ^= 0x20  # a payload byte: the CRC no longer matches, the records still parse
    damaged.write_bytes(good + bytes(bad) + good[:50])  # and a torn tail of 50 bytes
    outputs = compare_dumps([segment, snapshot, damaged], ALL_MODES)
    assert len(outputs["--deep-iteration"].splitlines()) > 60
    text = kraft("dump-log", str(damaged)).stdout
    assert "isvalid: false" in text
    assert "Found 50 invalid bytes at the end of 00000000000000000100.log" in text


def test_kraft_dump_log_over_kafka_test_raft_server(tmp_path: Path) -> None:
    """The other way: Kafka's own segment (TestRaftServer, one voter) through kraft dump-log
    gives the batches DumpLogSegments gives, and the same text in every mode."""
    (port,) = free_ports(1)
    server = KafkaRaftServer(
        node_id=1,
        port=port,
        voters=f"1@127.0.0.1:{port}",
        directory=tmp_path / "kafka-1",
        throughput=2000,
        record_size=32,
    )
    try:
        server.start()
        server.wait_for_output("Throughput (bytes/second)", timeout_s=60)
    finally:
        server.kill()
    assert not server.fatal()
    [segment] = sorted(server.log_dir.glob("*.log"))
    outputs = compare_dumps([segment], BOTH_ENDS)
    theirs = parse_kafka_batches(outputs[""])
    reports = own_dump("--deep-iteration", str(server.log_dir))
    ours = [r for r in reports if r["kind"] == "segment"]
    assert len(ours) == 1 and ours[0]["torn_tail"] is None and ours[0]["corrupt"] is None
    assert theirs == [
        {
            "baseOffset": b["base_offset"],
            "lastOffset": b["last_offset"],
            "count": b["count"],
            "position": b["position"],
            "size": b["size_bytes"],
            "crc": b["crc"],
            "partitionLeaderEpoch": b["partition_leader_epoch"],
        }
        for b in ours[0]["batches"]
    ]
    # Kafka's raft starts its epoch with a LeaderChange control batch; its data is zeros.
    first = ours[0]["batches"][0]
    assert first["is_control"] and first["records"][0]["control"]["type"] == "LEADER_CHANGE"
    assert first["records"][0]["control"]["value"]["leaderId"] == 1
    assert len(theirs) > 3
    # The directory form also reads Kafka's quorum-state and leader-epoch-checkpoint.
    kinds = {r["kind"] for r in reports}
    assert {"quorum-state", "leader-epoch-checkpoint"} <= kinds


# ---- MetadataShell --------------------------------------------------------------------------


def metadata_record(api_key: int, body: bytes) -> bytes:
    """Kafka's metadata record framing (frame version 1, api key, version 0) around a flexible
    v0 body (ending in an empty tagged-field section)."""
    return bytes([1, api_key, 0]) + body + b"\x00"


def compact_string(text: str) -> bytes:
    data = text.encode()
    return bytes([len(data) + 1]) + data


def test_metadata_shell_over_pykraft_segments(tmp_path: Path) -> None:
    """MetadataShell reads a segment written by pykraft's disk log: a node's LeaderChange batch
    and batches of real metadata records (FeatureLevelRecord, TopicRecord) appended through
    pykraft's DiskLog, found where Kafka's image puts them."""
    from kraft.shell.disk_log import DiskLog

    require_kafka()
    topic_id = uuid.UUID(int=0x0123456789ABCDEF0123456789ABCDEF)
    feature = metadata_record(12, compact_string("metadata.version") + (27).to_bytes(2, "big"))
    topic = metadata_record(2, compact_string("pykraft-topic") + topic_id.bytes)
    directory = tmp_path / "logs" / "__cluster_metadata-0"
    directory.mkdir(parents=True)
    log, _ = DiskLog.open(directory, 1 << 30)
    try:
        log.append(build_leader_change_batch(0, 1, 1_700_000_000_000, 1, [1, 2, 3], [1, 2]))
        log.append(build_data_batch(1, 1, 1_700_000_000_001, [feature, topic]))
        log.flush()
    finally:
        log.close()
    [segment] = sorted(directory.glob("*.log"))
    reports = own_dump("--deep-iteration", str(segment))
    assert [b["count"] for b in reports[0]["batches"]] == [1, 2]
    assert reports[0]["valid_bytes"] == segment.stat().st_size  # closed: no preallocated zeros

    # One `tree /image` (a JVM start per command is slow): Kafka's image of what we wrote.
    tree = metadata_shell(segment, "tree", "/image").splitlines()

    def under(*path: str) -> str:
        """The value below a node of the tree, each level indented by two spaces."""
        at = 0
        for depth, name in enumerate(path):
            at = tree.index("  " * depth + name + ":", at)
        return tree[at + 1].strip()

    assert under("topics", "byName", "pykraft-topic", "id") == "ASNFZ4mrze8BI0VniavN7w"
    assert under("topics", "byId", "ASNFZ4mrze8BI0VniavN7w", "name") == "pykraft-topic"
    assert under("features", "metadataVersion") == "Optional[4.1-IV1]"  # level 27
    # Kafka's image remembers where it was loaded up to: our last batch's offset and epoch.
    last = reports[0]["batches"][-1]
    assert under("provenance") == (
        f"offset {last['last_offset']}, epoch {last['partition_leader_epoch']}, "
        "time 2023-11-14T22:13:20.001Z[UTC]"
    )
