"""`kraft tail`'s per-record path (issue #16: tail ≥ 2x kafka-python's records/s): a data record's
line is computed from its value alone, and says exactly what the general rendering says."""

from __future__ import annotations

import argparse
import random

import pytest

from kraft.cli import render, tail
from kraft.cli.render import describe_record, record_line, text_or_hex, value_line
from kraft.shell.client.state import committed_batches
from tests.cli.test_metadata_decoding import NEWER_VERSION, PARTITION, TOPIC, TRUNCATED
from tests.cli.test_metadata_decoding import UNKNOWN_TYPE as UNKNOWN_TYPE_VALUE
from wire.records.builder import build_data_batch
from wire.records.record import Record

RNG = random.Random(16)
VALUES: list[bytes | None] = [
    None,
    b"",
    b"hello",
    "grüße, 世界".encode(),
    b"tab\there",
    b"del\x7f",
    "\u2028 line separator".encode(),  # valid UTF-8, not printable
    b"\xff\xfe",
    b"\x81\x00\x02\x00",  # a non-minimal uvarint 1: framed as a metadata record
    TOPIC,
    PARTITION,
    UNKNOWN_TYPE_VALUE,
    NEWER_VERSION,
    TRUNCATED,
    *(bytes([b]) for b in range(256)),
    *(RNG.randbytes(RNG.randint(1, 40)) for _ in range(2000)),
    *(bytes(RNG.choice(b"\x01\x81 az\xc3\xa9\x80\xe2") for _ in range(6)) for _ in range(2000)),
]


def reference_text_or_hex(data: bytes | None) -> tuple[str | None, str]:
    """The rule `text_or_hex` states: printable UTF-8 as text, anything else as hex."""
    if data is None:
        return None, "null"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.hex(), "hex"
    return (text, "text") if text.isprintable() else (data.hex(), "hex")


@pytest.mark.parametrize("decode_metadata", [True, False])
def test_value_line_is_the_general_rendering(decode_metadata: bool) -> None:
    for value in VALUES:
        described = describe_record(Record(0, 0, None, value), False, decode_metadata)
        assert value_line(value, decode_metadata) == record_line(described), value
        assert text_or_hex(value) == reference_text_or_hex(value), value


def test_data_batches_print_without_describing_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what is printed is decoded: no `Record`s, no per-record dicts (the old path cost
    about 12 µs per record, three times the new one), and lines equal to the general path's."""
    values = [v for v in VALUES if v is not None][:600]
    data = build_data_batch(40, 5, 1_700_000_000_000, values)
    [batch] = committed_batches(data, 45, 45)  # released from offset 45: the first five skipped
    args = argparse.Namespace(json=False, raw=False)
    expected = [
        f"offset: {r.offset} epoch: 5 timestamp: {r.timestamp} "
        f"{record_line(describe_record(r, False, decode_metadata=True))}\n"
        for r in batch.records()
    ]

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the general path")

    monkeypatch.setattr(render, "describe_record", refuse)
    chunk, count = tail._batch_chunk(batch, args)
    assert chunk.decode().splitlines(keepends=True) == expected
    assert count == len(values) - 5
    # `--max-records`: the first records only; another ASCII-based encoding gives its bytes.
    chunk, count = tail._batch_chunk(batch, args, "latin-1", "replace", limit=7)
    assert chunk == "".join(expected[:7]).encode("latin-1", "replace")
    assert count == 7
