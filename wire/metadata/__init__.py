"""The record frame of `__cluster_metadata` data records, and decoding for tools.

A data record's value is `uvarint frame_version (1) | uvarint apiKey | uvarint version | body`,
the body being the record of `wire.metadata.records` at that version; nothing may follow it.
Frame version 0 (KRaft preview, 2.8) and any other frame version are rejected, as Kafka does.

`decode_metadata_record` raises `DecodeError` on anything it cannot decode exactly;
`decode_metadata_record_or_unknown` is the tools' form: an unknown or newer type/version becomes an
`UnknownMetadataRecord` (type, version and the raw body) instead of an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from wire.errors import DecodeError, EncodeError
from wire.fields import Message
from wire.metadata.records import METADATA_RECORD_TYPES
from wire.primitives import Buffer, encode_uvarint, read_uvarint

METADATA_FRAME_VERSION = 1
INT16_MAX = 0x7FFF

__all__ = [
    "METADATA_FRAME_VERSION",
    "METADATA_RECORD_TYPES",
    "MetadataRecord",
    "UnknownMetadataRecord",
    "decode_metadata_record",
    "decode_metadata_record_or_unknown",
    "encode_metadata_record",
]


@dataclass(frozen=True)
class MetadataRecord:
    """A decoded data record: the value class instance and the version it was written at."""

    record: Message
    version: int

    @property
    def api_key(self) -> int:
        return self.record.API_KEY

    @property
    def type_name(self) -> str:
        return type(self.record).__name__


@dataclass(frozen=True)
class UnknownMetadataRecord:
    """A frame this build cannot decode (unknown type or version, bad body): kept as bytes."""

    api_key: int
    version: int
    body: bytes
    reason: str


def encode_metadata_record(record: Message, version: int) -> bytes:
    cls = type(record)
    if METADATA_RECORD_TYPES.get(cls.API_KEY) is not cls:
        raise EncodeError(f"{cls.__name__} is not a metadata record")
    if version not in cls.VERSIONS:
        raise EncodeError(f"{cls.__name__} has no version {version} (valid: {cls.VERSIONS})")
    from wire import encode

    head = (
        encode_uvarint(METADATA_FRAME_VERSION)
        + encode_uvarint(cls.API_KEY)
        + encode_uvarint(version)
    )
    return head + encode(record, version)


def _read_frame(data: bytes | memoryview) -> tuple[int, int, int]:
    """(api_key, version, body offset) of a frame; DecodeError on a bad frame header."""
    stream = Buffer(data)
    frame_version = read_uvarint(stream)
    if frame_version != METADATA_FRAME_VERSION:
        if frame_version == 0:
            raise DecodeError("metadata frame version 0 (KRaft preview, 2.8) is not supported")
        raise DecodeError(f"unsupported metadata frame version {frame_version} (expected 1)")
    api_key = read_uvarint(stream)
    version = read_uvarint(stream)
    if api_key > INT16_MAX or version > INT16_MAX:
        raise DecodeError(f"metadata record type {api_key} or version {version} exceeds int16")
    return api_key, version, stream.tell()


def decode_metadata_record(data: bytes | memoryview) -> MetadataRecord:
    """Decode one framed data record; DecodeError on any flaw, including trailing garbage."""
    from wire import decode

    api_key, version, start = _read_frame(data)
    cls = METADATA_RECORD_TYPES.get(api_key)
    if cls is None:
        raise DecodeError(f"unknown metadata record type {api_key}")
    if version not in cls.VERSIONS:
        raise DecodeError(f"{cls.__name__} has no version {version} (valid: {cls.VERSIONS})")
    return MetadataRecord(decode(cls, memoryview(data)[start:], version), version)


def decode_metadata_record_or_unknown(
    data: bytes | memoryview,
) -> MetadataRecord | UnknownMetadataRecord:
    """The tools' decode: never raises on a well-framed record, returning it as bytes instead.

    A frame whose header itself is unreadable still raises DecodeError (there is no type to show).
    """
    api_key, version, start = _read_frame(data)
    try:
        return decode_metadata_record(data)
    except DecodeError as e:
        return UnknownMetadataRecord(api_key, version, bytes(memoryview(data)[start:]), str(e))
