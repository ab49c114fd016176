"""Metadata record frame codec: round trips for every (type, version), and every frame flaw
Kafka's `MetadataRecordSerde` rejects is a DecodeError (byte-exactness against Kafka itself is
`tests/kafka/test_metadata_serde.py`)."""

from __future__ import annotations

import contextlib
import random
import uuid

import pytest

from tests.wire.metadata_samples import random_record
from wire.errors import DecodeError, EncodeError
from wire.messages.control_records import LeaderChangeMessage
from wire.metadata import (
    MetadataRecord,
    UnknownMetadataRecord,
    decode_metadata_record,
    decode_metadata_record_or_unknown,
    encode_metadata_record,
)
from wire.metadata.records import METADATA_RECORD_TYPES, TopicRecord

TOPIC = TopicRecord(name="orders", topic_id=uuid.UUID(int=7))
# frame 1, type 2, version 0, compact string "orders", uuid, no tagged fields
TOPIC_FRAME = bytes.fromhex("010200" + "07" + b"orders".hex() + f"{7:032x}" + "00")


def test_topic_record_frame_layout() -> None:
    assert encode_metadata_record(TOPIC, 0) == TOPIC_FRAME
    assert decode_metadata_record(TOPIC_FRAME) == MetadataRecord(TOPIC, 0)


@pytest.mark.parametrize(
    ("key", "version"),
    [(key, v) for key, cls in METADATA_RECORD_TYPES.items() for v in cls.VERSIONS],
)
def test_round_trip_every_type_and_version(key: int, version: int) -> None:
    rng = random.Random(key * 100 + version)
    cls = METADATA_RECORD_TYPES[key]
    for _ in range(20):
        record = random_record(rng, cls, version)
        frame = encode_metadata_record(record, version)
        assert decode_metadata_record(frame) == MetadataRecord(record, version)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"\x00" + TOPIC_FRAME[1:], "frame version 0"),
        (b"\x02" + TOPIC_FRAME[1:], "frame version 2"),
        (TOPIC_FRAME + b"\x00", "trailing"),
        (TOPIC_FRAME[:-3], "truncated input"),
        (b"\x01\x02", "truncated"),
        (b"\x01\x06\x00", "unknown metadata record type 6"),
        (b"\x01\x02\x01" + TOPIC_FRAME[3:], "has no version 1"),
        (b"\x01\xff\xff\x03\x00", "exceeds int16"),
    ],
)
def test_bad_frames_are_decode_errors(frame: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_metadata_record(frame)


def test_tools_decode_keeps_unknown_types_and_versions_as_bytes() -> None:
    unknown_type = b"\x01\x63\x00" + b"\xde\xad"
    assert decode_metadata_record_or_unknown(unknown_type) == UnknownMetadataRecord(
        99, 0, b"\xde\xad", "unknown metadata record type 99"
    )
    newer = b"\x01\x02\x05" + TOPIC_FRAME[3:]
    result = decode_metadata_record_or_unknown(newer)
    assert isinstance(result, UnknownMetadataRecord)
    assert (result.api_key, result.version, result.body) == (2, 5, TOPIC_FRAME[3:])
    assert decode_metadata_record_or_unknown(TOPIC_FRAME) == MetadataRecord(TOPIC, 0)


def test_random_bytes_never_raise_anything_but_decode_error() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        data = b"\x01" + rng.randbytes(rng.randint(0, 40))
        with contextlib.suppress(DecodeError):
            decode_metadata_record_or_unknown(data)


def test_encode_refuses_non_metadata_records_and_bad_versions() -> None:
    with pytest.raises(EncodeError):
        encode_metadata_record(LeaderChangeMessage(), 0)
    with pytest.raises(EncodeError):
        encode_metadata_record(TOPIC, 1)
