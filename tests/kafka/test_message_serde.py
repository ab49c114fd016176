"""Every Kafka API in `wire.catalog` against Kafka 4.3.1's own generated serializers.

One JVM runs `MessageSerdeHarness.java` (single-file source launch over Kafka's jars) on seeded
random messages, SAMPLES_PER_CASE per (API, version, direction), both ways:
- Kafka reads pykraft's bytes and writes them back (must be the same bytes), and its JSON
  converter's form of what it read must equal `render.metadata_json` of pykraft's message
  (`records` fields aside: Kafka's converter prints what it read of them as empty);
- Kafka builds the message from that JSON form and serializes it (must be pykraft's bytes).
Also: the API table in Kafka's jar (keys, names, version ranges with unstable versions, request
and response header versions) equals the catalog's.
"""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

import wire
from kraft.cli.render import metadata_json
from tests.kafka.kafka import TEST_JVM_OPTS, require_kafka
from tests.wire.metadata_samples import random_struct
from wire import catalog
from wire.catalog import CATALOG
from wire.fields import Message, Struct, specs_of

pytestmark = pytest.mark.slow

HARNESS = Path(__file__).with_name("MessageSerdeHarness.java")
SAMPLES_PER_CASE = 2
SEED = 20261203


def _samples() -> list[tuple[str, type[Message], int, Message]]:
    rng = random.Random(SEED)
    out = []
    for spec in CATALOG.values():
        for direction, cls in (("request", spec.request_cls), ("response", spec.response_cls)):
            for version in spec.versions:
                for _ in range(SAMPLES_PER_CASE):
                    out.append((direction, cls, version, random_struct(rng, cls, version)))
    return out


SAMPLES = _samples()


@pytest.fixture(scope="module")
def kafka() -> dict[str, Any]:
    """One JVM for everything: Kafka's API table and its answers to every sample."""
    libs = require_kafka()
    lines = []
    for direction, cls, version, message in SAMPLES:
        head = f"{cls.API_KEY} {version} {direction}"
        lines.append(f"D {head} {wire.encode(message, version).hex()}")
        lines.append(f"E {head} {json.dumps(metadata_json(message, version))}")
    result = subprocess.run(
        ["java", TEST_JVM_OPTS, "-cp", f"{libs}/*", str(HARNESS)],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    table = [line.split() for line in out if line.startswith("T ")]
    answers = [line for line in out if not line.startswith("T ")]
    assert len(answers) == len(lines), result.stderr
    return {"table": table, "decoded": answers[0::2], "encoded": answers[1::2]}


def test_api_table_matches_kafkas(kafka: dict[str, Any]) -> None:
    theirs = {}
    for _, key, name, lo, hi, request_headers, response_headers in kafka["table"]:
        theirs[int(key)] = (name, int(lo), int(hi), request_headers, response_headers)
    ours = {}
    for key, spec in CATALOG.items():
        versions = list(spec.versions)
        ours[key] = (
            spec.name,
            spec.min_version,
            spec.max_version,
            ",".join(str(catalog.request_header_version(key, v)) for v in versions),
            ",".join(str(catalog.response_header_version(key, v)) for v in versions),
        )
    assert ours == theirs


def _records_emptied(value: Any) -> Any:
    """The message with every non-null `records` field empty: Kafka's JSON converter writes the
    records it read as an empty string (their bytes are checked by the rewrite instead)."""
    if isinstance(value, list):
        return [_records_emptied(item) for item in value]
    if not isinstance(value, Struct):
        return value
    changes = {}
    for name, spec, _ in specs_of(type(value)):
        item = getattr(value, name)
        if spec.kafka_type == "records":
            changes[name] = None if item is None else b""
        elif spec.is_struct or spec.is_array:
            changes[name] = _records_emptied(item)
    return dataclasses.replace(value, **changes)


def test_kafka_reads_and_rewrites_our_bytes(kafka: dict[str, Any]) -> None:
    assert len(SAMPLES) > 1000
    for (_, cls, version, message), answer in zip(SAMPLES, kafka["decoded"], strict=True):
        where = (cls.__name__, version, message)
        status, rewritten, kafka_json = answer.split(" ", 2)
        assert status == "OK", (where, answer)
        assert rewritten == wire.encode(message, version).hex(), where
        expected = metadata_json(_records_emptied(message), version)
        assert json.loads(kafka_json) == json.loads(json.dumps(expected)), where


def test_kafka_writes_our_bytes_from_our_json(kafka: dict[str, Any]) -> None:
    for (_, cls, version, message), answer in zip(SAMPLES, kafka["encoded"], strict=True):
        where = (cls.__name__, version, message)
        status, frame = answer.split(" ", 1)
        assert status == "OK", (where, answer)
        assert frame == wire.encode(message, version).hex(), where
        assert wire.decode(cls, bytes.fromhex(frame), version) == message
