"""pykraft's metadata records against Kafka 4.3.1's own serde, byte for byte, both directions.

One JVM per direction runs `MetadataSerdeHarness.java` (single-file source launch over Kafka's
jars) on a batch of seeded random records, RECORDS_PER_VERSION per (type, version):
- decode: Kafka reads pykraft's frame with `MetadataRecordSerde`, writes it back (must be the same
  bytes) and prints its JSON (must equal `render.metadata_json`, what `dump-log` prints);
- encode: Kafka builds the record from pykraft's JSON and frames it (must be pykraft's bytes,
  which pykraft decodes back to the same record).
Also: `kraft dump-log --cluster-metadata-decoder` prints what DumpLogSegments prints, and the
table of (apiKey, name, versions) in Kafka's jar equals `METADATA_RECORD_TYPES`; the five raft
control record values round-trip through Kafka's `ControlRecordUtils` byte for byte.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import wire
from kraft.cli.render import kafka_type_name, metadata_json
from tests.kafka.kafka import TEST_JVM_OPTS, require_kafka, run_tool
from tests.wire.metadata_samples import random_record
from wire.fields import Message
from wire.messages.control_records import CONTROL_RECORD_TYPES
from wire.metadata import decode_metadata_record, encode_metadata_record
from wire.metadata.records import METADATA_RECORD_TYPES
from wire.records.builder import build_data_batch

pytestmark = pytest.mark.slow

HARNESS = Path(__file__).with_name("MetadataSerdeHarness.java")
RECORDS_PER_VERSION = 25
SEED = 20261203
DUMP_LOG_SEGMENTS = "org.apache.kafka.tools.DumpLogSegments"


def _harness(mode: str, lines: list[str]) -> list[str]:
    libs = require_kafka()
    result = subprocess.run(
        ["java", TEST_JVM_OPTS, "-cp", f"{libs}/*", str(HARNESS), mode],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert len(out) == len(lines), result.stderr
    return out


def _samples() -> list[tuple[Message, int]]:
    rng = random.Random(SEED)
    return [
        (random_record(rng, cls, version), version)
        for cls in METADATA_RECORD_TYPES.values()
        for version in cls.VERSIONS
        for _ in range(RECORDS_PER_VERSION)
    ]


def test_record_types_match_kafkas_table() -> None:
    ours = {
        key: (cls.__name__, cls.VERSIONS.lo, cls.VERSIONS.hi)
        for key, cls in METADATA_RECORD_TYPES.items()
    }
    theirs = {}
    for line in _types():
        key, _enum, lo, hi, name = line.split()
        theirs[int(key)] = (name, int(lo), int(hi))
    assert ours == theirs


def _types() -> list[str]:
    libs = require_kafka()
    result = subprocess.run(
        ["java", TEST_JVM_OPTS, "-cp", f"{libs}/*", str(HARNESS), "types"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_kafka_reads_and_rewrites_our_frames_byte_exact() -> None:
    samples = _samples()
    frames = [encode_metadata_record(record, version).hex() for record, version in samples]
    answers = _harness("decode", frames)
    for (record, version), frame, answer in zip(samples, frames, answers, strict=True):
        status, rewritten, kafka_json = answer.split(" ", 2)
        assert status == "OK", (record, answer)
        assert rewritten == frame, record
        expected = {
            "type": kafka_type_name(type(record).__name__),
            "version": version,
            "data": metadata_json(record, version),
        }
        assert json.loads(kafka_json) == json.loads(json.dumps(expected)), record


def test_kafka_writes_our_bytes_from_our_json() -> None:
    samples = _samples()
    lines = [
        f"{record.API_KEY} {version} {json.dumps(metadata_json(record, version))}"
        for record, version in samples
    ]
    answers = _harness("encode", lines)
    for (record, version), answer in zip(samples, answers, strict=True):
        status, frame = answer.split(" ", 1)
        assert status == "OK", (record, answer)
        assert frame == encode_metadata_record(record, version).hex(), record
        decoded = decode_metadata_record(bytes.fromhex(frame))
        assert (decoded.record, decoded.version) == (record, version)


def metadata_segment(path: Path) -> Path:
    """A segment holding a random record of every (type, version), then an unknown type, a
    truncated body and a value that is no metadata frame at all."""
    rng = random.Random(SEED + 1)
    values = [
        encode_metadata_record(random_record(rng, cls, version), version)
        for cls in METADATA_RECORD_TYPES.values()
        for version in cls.VERSIONS
    ]
    values += [b"\x01\x63\x00\xde\xad", b"\x01\x02\x00\x07orders", b"garbage!"]
    t = 1_700_000_000_000
    half = len(values) // 2
    segment = path / "00000000000000000000.log"
    segment.write_bytes(
        build_data_batch(0, 1, t, values[:half]) + build_data_batch(half, 1, t, values[half:])
    )
    return segment


def test_dump_log_metadata_decoder_equals_dump_log_segments(tmp_path: Path) -> None:
    segment = metadata_segment(tmp_path)
    theirs = run_tool(DUMP_LOG_SEGMENTS, "--cluster-metadata-decoder", "--files", str(segment))
    assert theirs.returncode == 0, theirs.stderr
    ours = subprocess.run(
        [sys.executable, "-m", "kraft.cli", "dump-log", "--cluster-metadata-decoder", str(segment)],
        capture_output=True,
        text=True,
        check=True,
    )
    their_lines = theirs.stdout.splitlines()
    our_lines = ours.stdout.splitlines()
    assert len(our_lines) == len(their_lines)
    skipped = 0
    for mine, kafkas in zip(our_lines, their_lines, strict=True):
        if "skipping." in kafkas:  # the reason after it is each side's own wording
            skipped += 1
            assert mine.split("skipping.")[0] == kafkas.split("skipping.")[0]
        else:
            assert mine == kafkas
    assert skipped == 3


def test_control_records_against_kafkas_control_record_utils() -> None:
    """LeaderChange, SnapshotHeader/Footer, KRaftVersion and Voters values (random, v0 as Kafka
    writes them): Kafka reads each and writes back the same bytes."""
    rng = random.Random(SEED + 2)
    samples = [
        (kind, wire.encode(random_record(rng, cls, 0), 0))
        for kind, cls in CONTROL_RECORD_TYPES.items()
        for _ in range(RECORDS_PER_VERSION)
    ]
    answers = _harness("control", [f"{kind} {value.hex()}" for kind, value in samples])
    for (kind, value), answer in zip(samples, answers, strict=True):
        assert answer == f"OK {value.hex()}", (kind, value.hex())
