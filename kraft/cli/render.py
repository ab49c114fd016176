"""Turning stored batches and records into plain data for the tools (`dump-log`, `tail`), and the
two renderings Kafka's tools use that ours copy: control values as Kafka's JSON converters write
them (`kafka_json`) and payloads as Java decodes UTF-8 (`java_utf8`).

Everything here is total over bad bytes: a batch or record that cannot be decoded becomes an
entry with an `error` string, never an exception, because the tools must keep going over a torn
or corrupt log and report what they saw.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math
import re
import uuid
from typing import Any

from wire.errors import DecodeError
from wire.fields import specs_of
from wire.messages.quorum_state import uuid_to_base64 as uuid_text
from wire.metadata import (
    METADATA_FRAME_VERSION,
    UnknownMetadataRecord,
    decode_metadata_record_or_unknown,
)
from wire.records.batch import BatchHeader, ControlRecordType
from wire.records.control import decode_control_record
from wire.records.record import Record


def jsonable(value: Any) -> Any:
    """A wire dataclass (or anything inside one) as JSON-ready data, Kafka's field names kept."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "unknown_tagged_fields"
        }
    if isinstance(value, uuid.UUID):
        return uuid_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


# A byte of an ASCII control character: in valid UTF-8 it can only stand for that character,
# which is not printable, so a value holding one is printed as hex without trying to decode it
# (random and binary values nearly always hold one within their first few bytes).
_CONTROL_BYTE = re.compile(rb"[\x00-\x1f\x7f]")


def text_or_hex(data: bytes | None) -> tuple[str | None, str]:
    """(rendering, "text" | "hex" | "null"): printable UTF-8 as text, anything else as hex."""
    if data is None:
        return None, "null"
    if _CONTROL_BYTE.search(data) is not None:
        return data.hex(), "hex"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.hex(), "hex"
    if text.isprintable():
        return text, "text"
    return data.hex(), "hex"


def describe_header(
    header: BatchHeader, position: int | None, crc_valid: bool | None
) -> dict[str, Any]:
    try:
        compression = header.compression.name.lower()
    except DecodeError:
        compression = f"unknown({header.attributes & 0x07})"
    out: dict[str, Any] = {
        "base_offset": header.base_offset,
        "last_offset": header.last_offset,
        "count": header.records_count,
        "partition_leader_epoch": header.partition_leader_epoch,
        "is_control": header.is_control,
        "is_transactional": header.is_transactional,
        "producer_id": header.producer_id,
        "producer_epoch": header.producer_epoch,
        "base_sequence": header.base_sequence,
        "base_timestamp": header.base_timestamp,
        "max_timestamp": header.max_timestamp,
        "timestamp_type": header.timestamp_type.name,
        "compression": compression,
        "magic": header.magic,
        "size_bytes": header.size_bytes,
        "crc": header.crc,
    }
    if position is not None:
        out["position"] = position
    if crc_valid is not None:
        out["crc_valid"] = crc_valid
    return out


def describe_record(
    record: Record, is_control: bool, decode_metadata: bool = False
) -> dict[str, Any]:
    """A record as data; with `decode_metadata`, a value framed as a metadata record also gets
    `metadata` (`describe_metadata`), its raw `value` kept beside it."""
    out: dict[str, Any] = {"offset": record.offset, "timestamp": record.timestamp}
    if is_control:
        try:
            kind, value = decode_control_record(record)
        except DecodeError as exc:
            out["control"] = {"type": None, "error": str(exc)}
            return out
        name = kind.name if isinstance(kind, ControlRecordType) else f"UNKNOWN({kind})"
        out["control"] = {"type": name, "value": None if value is None else jsonable(value)}
        return out
    key_text, key_encoding = text_or_hex(record.key)
    value_text, value_encoding = text_or_hex(record.value)
    out.update(
        key=key_text,
        key_encoding=key_encoding,
        value=value_text,
        value_encoding=value_encoding,
        headers=[[k, text_or_hex(v)[0]] for k, v in record.headers],
    )
    if decode_metadata:
        metadata = describe_metadata(record.value)
        if metadata is not None:
            out["metadata"] = metadata
    return out


def value_line(value: bytes | None, decode_metadata: bool) -> str:
    """`record_line(describe_record(record, False, decode_metadata))` of a data record with this
    value, computed from the value alone (`kraft tail`'s per-record path: no dicts)."""
    # A metadata frame starts with the uvarint frame version (1): a first byte whose low 7 bits
    # are not 1 cannot start it, and `describe_metadata` would say "not framed" (None).
    if decode_metadata and value and value[0] & 0x7F == METADATA_FRAME_VERSION:
        metadata = describe_metadata(value)
        if metadata is not None:
            return metadata_line(metadata)
    text, encoding = text_or_hex(value)
    if text is None:
        return "value: null"
    return f"value ({encoding}): {text}"


def data_lines(
    values: list[tuple[int, int, bytes | None]],
    epoch: int,
    decode_metadata: bool,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> bytearray:
    """`kraft tail`'s default lines for data records (offset, timestamp, value), `epoch` their
    batch's, as one chunk of bytes in `encoding` (an ASCII-compatible one): each line is
    `offset: O epoch: E timestamp: T {value_line(value, decode_metadata)}` and a newline.

    A value that holds a control byte and cannot start a metadata frame is hex (`text_or_hex`):
    that line is made as bytes, its hex in C, and appended to the chunk in place (random and
    binary values nearly all take this path; a list joined at the end copied every byte once
    more)."""
    search = _CONTROL_BYTE.search
    hexlify = binascii.hexlify
    out = bytearray()
    for offset, timestamp, value in values:
        if (
            value is not None
            and search(value) is not None
            and not (decode_metadata and value[0] & 0x7F == METADATA_FRAME_VERSION)
        ):
            out += b"offset: %d epoch: %d timestamp: %d value (hex): " % (offset, epoch, timestamp)
            out += hexlify(value)
            out += b"\n"
        else:
            line = value_line(value, decode_metadata)
            out += f"offset: {offset} epoch: {epoch} timestamp: {timestamp} {line}\n".encode(
                encoding, errors
            )
    return out


def record_line(record: dict[str, Any]) -> str:
    """One human line for a described record."""
    control = record.get("control")
    if control is not None:
        if control.get("error"):
            return f"control: <undecodable: {control['error']}>"
        return f"control {control['type']}: {json.dumps(control['value'])}"
    if record.get("metadata") is not None:
        return metadata_line(record["metadata"])
    if record["value_encoding"] == "null":
        return "value: null"
    return f"value ({record['value_encoding']}): {record['value']}"


def _kafka_name(snake: str) -> str:
    """Kafka's JSON name of a field: the schema name with its first letter lowered
    (`k_raft_version` -> `kRaftVersion`, as KRaftVersion is written)."""
    first, *rest = snake.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _kafka_json_value(value: Any, version: int) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return kafka_json(value, version)
    if isinstance(value, uuid.UUID):
        return uuid_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, list | tuple):
        return [_kafka_json_value(v, version) for v in value]
    return value


def kafka_json(message: Any, version: int) -> dict[str, Any]:
    """A control record value as Kafka's generated JSON converters write it at `version`: the
    fields present at that version, camelCase names, Uuids in base64, tagged fields left out."""
    out: dict[str, Any] = {}
    for name, spec, _default in specs_of(type(message)):
        if version not in spec.versions or version in spec.tagged:
            continue
        out[_kafka_name(name)] = _kafka_json_value(getattr(message, name), version)
    return out


def _continuation(byte: int) -> bool:
    return 0x80 <= byte <= 0xBF


def _java_malformed_length(data: bytes, i: int) -> int:
    """Bytes one U+FFFD stands for at an ill-formed UTF-8 sequence starting at `i`, by the rule
    of Java's `new String(bytes, UTF_8)` (which Kafka's tools print payloads with): a truncated
    or broken multi-byte sequence is replaced as a whole as far as its lead byte allowed it,
    where Python would replace each maximal subpart."""
    end = len(data)
    b1 = data[i]
    if 0xE0 <= b1 <= 0xEF:
        if i + 2 < end:
            b2, b3 = data[i + 1], data[i + 2]
            if (b1 == 0xE0 and (b2 & 0xE0) == 0x80) or not _continuation(b2):
                return 1
            return 2 if not _continuation(b3) else 3  # 3: an encoded surrogate
        if i + 1 < end and (
            (b1 == 0xE0 and (data[i + 1] & 0xE0) == 0x80) or not _continuation(data[i + 1])
        ):
            return 1
        return end - i  # cut off by the end of the data: one replacement for the rest
    if 0xF0 <= b1 <= 0xF7:
        if i + 3 < end:
            b2, b3 = data[i + 1], data[i + 2]
            if (
                b1 > 0xF4
                or (b1 == 0xF0 and not 0x90 <= b2 <= 0xBF)
                or (b1 == 0xF4 and (b2 & 0xF0) != 0x80)
                or not _continuation(b2)
            ):
                return 1
            return 2 if not _continuation(b3) else 3
        if b1 > 0xF4 or (
            i + 1 < end
            and (
                (b1 == 0xF0 and not 0x90 <= data[i + 1] <= 0xBF)
                or (b1 == 0xF4 and (data[i + 1] & 0xF0) != 0x80)
                or not _continuation(data[i + 1])
            )
        ):
            return 1
        if i + 2 < end and not _continuation(data[i + 2]):
            return 2
        return end - i
    return 1


def java_utf8(data: bytes) -> str:
    """`data` decoded as Java's `new String(bytes, UTF_8)` does (see `_java_malformed_length`)."""
    parts: list[str] = []
    position = 0
    while True:
        try:
            parts.append(data[position:].decode("utf-8"))
            return "".join(parts)
        except UnicodeDecodeError as exc:
            start = position + exc.start
            parts.append(data[position:start].decode("utf-8"))
            parts.append("\ufffd")
            position = start + _java_malformed_length(data, start)


def metadata_json(message: Any, version: int) -> dict[str, Any]:
    """A metadata record as Kafka's generated JSON converters write it at `version` (what
    DumpLogSegments `--cluster-metadata-decoder` prints as `data`): like `kafka_json`, but tagged
    fields are written too when they differ from their default, as the converters do."""
    out: dict[str, Any] = {}
    for name, spec, default in specs_of(type(message)):
        if version not in spec.versions:
            continue
        value = getattr(message, name)
        if version in spec.tagged and value == default:
            continue
        out[_kafka_name(name)] = _metadata_json_value(value, version)
    return out


def _metadata_json_value(value: Any, version: int) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return metadata_json(value, version)
    if isinstance(value, list | tuple):
        return [_metadata_json_value(v, version) for v in value]
    return _kafka_json_value(value, version)


def java_double(value: float) -> str:
    """A double as Java's `Double.toString` (and so Jackson) writes it: `100.0`, `1.0E7`, `-3.5E-4`.

    The digits are Python's shortest round-trip digits; JDK 19+ prints the same (older JDKs may
    print a longer tail on a few values)."""
    if math.isnan(value) or math.isinf(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text else text + ".0"
    digits_text, exponent_text = f"{abs(value):.16e}".split("e")
    shortest = repr(abs(value))  # shortest round-trip digits, maybe in e-notation
    mantissa = shortest.split("e")[0].replace(".", "").lstrip("0").rstrip("0") or "0"
    exponent = int(exponent_text)
    del digits_text
    sign = "-" if value < 0 else ""
    return f"{sign}{mantissa[0]}.{mantissa[1:] or '0'}E{exponent}"


def java_json(value: Any) -> str:
    """Compact JSON as Jackson writes it: no spaces, non-ASCII kept, doubles as Java prints them."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{java_json(k)}:{java_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(java_json(v) for v in value) + "]"
    if isinstance(value, float):
        return java_double(value)
    return json.dumps(value, ensure_ascii=False)


def describe_metadata(value: bytes | None, framed_only: bool = True) -> dict[str, Any] | None:
    """A data record's value as a metadata record, or None when it is not framed as one
    (`framed_only`; else such a value is described as undecodable, `type_id` None).

    Decoded: `{"type", "type_id", "version", "data"}` (`type` as Kafka's MetadataRecordType
    names it, `data` as its JSON converters write it). A frame of an unknown or newer type or
    version, or with a bad body: `{"type": None, "type_id", "version", "hex", "error"}`.
    """
    try:
        decoded = decode_metadata_record_or_unknown(value or b"")
    except DecodeError as exc:
        if framed_only:
            return None  # no metadata frame header: not a metadata record at all
        hex_text = "" if value is None else value.hex()
        return {"type": None, "type_id": None, "version": None, "hex": hex_text, "error": str(exc)}
    if isinstance(decoded, UnknownMetadataRecord):
        return {
            "type": None,
            "type_id": decoded.api_key,
            "version": decoded.version,
            "hex": decoded.body.hex(),
            "error": decoded.reason,
        }
    return {
        "type": kafka_type_name(decoded.type_name),
        "type_id": decoded.api_key,
        "version": decoded.version,
        "data": metadata_json(decoded.record, decoded.version),
    }


def kafka_type_name(class_name: str) -> str:
    """`RegisterBrokerRecord` -> `REGISTER_BROKER_RECORD`, as MetadataRecordType names it."""
    return "".join(
        f"_{ch}" if ch.isupper() and i else ch.upper() for i, ch in enumerate(class_name)
    )


def metadata_line(metadata: dict[str, Any]) -> str:
    """One readable line: `TopicRecord v0 name=orders topicId=...`, or type + hex when unknown."""
    if metadata["type_id"] is None:
        return f"metadata record (undecodable: {metadata['error']}) hex={metadata['hex']}"
    if metadata["type"] is None:
        return (
            f"metadata type {metadata['type_id']} v{metadata['version']} (undecodable: "
            f"{metadata['error']}) hex={metadata['hex']}"
        )
    name = "".join(part.capitalize() for part in metadata["type"].split("_"))
    fields = " ".join(
        f"{k}={v if isinstance(v, str) else java_json(v)}" for k, v in metadata["data"].items()
    )
    return f"{name} v{metadata['version']} {fields}".rstrip()
