"""Metadata records in the tools: `kraft tail` prints them decoded one per line (`--json` full,
`--raw` as bytes), `kraft dump-log --cluster-metadata-decoder` as Kafka's DumpLogSegments does;
unknown or newer types/versions and random bytes come out as type + hex, never a crash.
(Byte-exact output against Kafka's own tool: tests/kafka/test_metadata_serde.py.)"""

from __future__ import annotations

import io
import json
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from kraft.cli import build_parser, main
from kraft.cli.render import describe_record, java_double, record_line
from kraft.cli.tail import tail
from kraft.shell.client.connection import Address
from kraft.types import ReplicaAddress
from tests.consumer.fake_server import FakeServer
from tests.consumer.fakes import FakePort
from wire.metadata import encode_metadata_record
from wire.metadata.records import ClientQuotaRecord, PartitionRecord, TopicRecord
from wire.records.builder import build_data_batch
from wire.records.record import Record

TOPIC_ID = uuid.UUID(int=7)
TOPIC = encode_metadata_record(TopicRecord(name="orders", topic_id=TOPIC_ID), 0)
PARTITION = encode_metadata_record(
    PartitionRecord(partition_id=0, topic_id=TOPIC_ID, replicas=[1, 2], isr=[1], leader=1), 2
)
UNKNOWN_TYPE = b"\x01\x63\x00\xde\xad"  # type 99
NEWER_VERSION = b"\x01\x02\x07" + TOPIC[3:]  # TopicRecord v7
TRUNCATED = TOPIC[:-4]


def line_of(value: bytes) -> str:
    return record_line(describe_record(Record(0, 0, None, value), False, decode_metadata=True))


def test_one_readable_line_per_record() -> None:
    assert line_of(TOPIC) == "TopicRecord v0 name=orders topicId=AAAAAAAAAAAAAAAAAAAABw"
    assert line_of(PARTITION).startswith("PartitionRecord v2 partitionId=0 topicId=")
    assert "replicas=[1,2] isr=[1]" in line_of(PARTITION)
    assert line_of(UNKNOWN_TYPE) == (
        "metadata type 99 v0 (undecodable: unknown metadata record type 99) hex=dead"
    )
    assert line_of(NEWER_VERSION).startswith("metadata type 2 v7 (undecodable: TopicRecord has no")
    assert line_of(NEWER_VERSION).endswith(f"hex={TOPIC[3:].hex()}")
    assert line_of(TRUNCATED).startswith("metadata type 2 v0 (undecodable: truncated input")
    # not framed as a metadata record at all: text or hex as before
    assert line_of(b"hello") == "value (text): hello"


def test_random_values_never_crash() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        value = rng.choice([b"\x01", b""]) + rng.randbytes(rng.randint(0, 30))
        assert line_of(value)


def test_java_doubles() -> None:
    cases = {
        100.0: "100.0",
        1e7: "1.0E7",
        1e-4: "1.0E-4",
        -3.491203989169556e8: "-3.491203989169556E8",
    }
    for value, text in cases.items():
        assert java_double(value) == text
    quota = encode_metadata_record(ClientQuotaRecord(key="k", value=2.5e9), 0)
    assert "value=2.5E9" in line_of(quota)


def segment(tmp_path: Path) -> Path:
    path = tmp_path / "00000000000000000000.log"
    values = [TOPIC, PARTITION, UNKNOWN_TYPE, b"garbage!"]
    path.write_bytes(build_data_batch(0, 1, 1_700_000_000_000, values))
    return path


def test_dump_log_metadata_decoder_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump-log", "--cluster-metadata-decoder", str(segment(tmp_path))]) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [line for line in lines if line.startswith("| offset:")]
    assert len(records) == 4
    assert records[0].endswith(
        ' payload: {"type":"TOPIC_RECORD","version":0,'
        '"data":{"name":"orders","topicId":"AAAAAAAAAAAAAAAAAAAABw"}}'
    )
    assert " payload: Error at 2, skipping. unknown metadata record type 99" in records[2]
    assert " payload: Error at 3, skipping. unsupported metadata frame version" in records[3]


def test_dump_log_metadata_decoder_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump-log", "--json", "--cluster-metadata-decoder", str(segment(tmp_path))]) == 0
    [report] = json.loads(capsys.readouterr().out)
    metadata = [r["metadata"] for r in report["batches"][0]["records"]]
    assert metadata[0] == {
        "type": "TOPIC_RECORD",
        "type_id": 2,
        "version": 0,
        "data": {"name": "orders", "topicId": "AAAAAAAAAAAAAAAAAAAABw"},
    }
    assert metadata[2]["type_id"] == 99 and metadata[2]["hex"] == "dead"
    assert metadata[3]["type_id"] is None and metadata[3]["hex"] == b"garbage!".hex()


@pytest.fixture
async def served() -> AsyncIterator[FakePort]:
    port = FakePort()
    server = FakeServer(port)
    async with trio.open_nursery() as nursery:
        listen_port = await nursery.start(server.serve)
        port.set(voters=(ReplicaAddress(1, "127.0.0.1", listen_port),))
        port.append_leader_change(3)
        port.append_data(3, [TOPIC, UNKNOWN_TYPE, b"hello"])
        port.sync()
        yield port
        nursery.cancel_scope.cancel()


async def run_tail(port: FakePort, *extra: str) -> list[str]:
    where = Address("127.0.0.1", port.view().voters[0].port)
    argv = ["tail", "--bootstrap-server", str(where), "--from-beginning", "--max-records", "4"]
    out = io.StringIO()
    with trio.fail_after(20):
        assert await tail(build_parser(argv).parse_args([*argv, *extra]), out) == 0
    return out.getvalue().splitlines()


async def test_tail_prints_metadata_records(served: FakePort) -> None:
    lines = await run_tail(served)
    assert lines[1].startswith("offset: 1 epoch: 3 ")
    assert lines[1].endswith(" TopicRecord v0 name=orders topicId=AAAAAAAAAAAAAAAAAAAABw")
    assert lines[2].endswith(" hex=dead") and "metadata type 99 v0" in lines[2]
    assert lines[3].endswith("value (text): hello")
    raw = await run_tail(served, "--raw")
    assert raw[1].endswith(f"value (hex): {TOPIC.hex()}")
    full = [json.loads(line) for line in await run_tail(served, "--json")]
    assert full[1]["metadata"]["data"] == {"name": "orders", "topicId": "AAAAAAAAAAAAAAAAAAAABw"}
    assert full[1]["value"] == TOPIC.hex() and "metadata" not in full[3]


def test_dump_log_metadata_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump-log", "--metadata-lines", str(segment(tmp_path))]) == 0
    records = [x for x in capsys.readouterr().out.splitlines() if x.startswith("| offset:")]
    assert records[0].endswith(
        " headerKeys: [] TopicRecord v0 name=orders topicId=AAAAAAAAAAAAAAAAAAAABw"
    )
    assert records[2].endswith(
        " metadata type 99 v0 (undecodable: unknown metadata record type 99) hex=dead"
    )
    assert records[3].endswith(f" hex={b'garbage!'.hex()}")
