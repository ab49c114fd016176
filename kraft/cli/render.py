"""Turning stored batches and records into plain data for the tools (`dump-log`, `tail`).

Everything here is total over bad bytes: a batch or record that cannot be decoded becomes an
entry with an `error` string, never an exception, because the tools must keep going over a torn
or corrupt log and report what they saw.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

from wire.errors import DecodeError
from wire.messages.quorum_state import uuid_to_base64 as uuid_text
from wire.records.batch import BatchHeader, ControlRecordType, crc_ok
from wire.records.control import decode_control_record
from wire.records.record import Record, decode_records


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


def text_or_hex(data: bytes | None) -> tuple[str | None, str]:
    """(rendering, "text" | "hex" | "null"): printable UTF-8 as text, anything else as hex."""
    if data is None:
        return None, "null"
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


def describe_record(record: Record, is_control: bool) -> dict[str, Any]:
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
    return out


def describe_batch(
    buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader, *, with_records: bool
) -> dict[str, Any]:
    """A batch header (with CRC validity) and, when asked, its decoded records."""
    crc_valid = crc_ok(buf, pos, header)
    out = describe_header(header, pos, crc_valid)
    if with_records:
        try:
            records = decode_records(buf, pos, header, verify_crc=False)
        except DecodeError as exc:
            out["records_error"] = str(exc)
        else:
            out["records"] = [describe_record(r, header.is_control) for r in records]
    return out


def record_line(record: dict[str, Any]) -> str:
    """One human line for a described record."""
    control = record.get("control")
    if control is not None:
        if control.get("error"):
            return f"control: <undecodable: {control['error']}>"
        return f"control {control['type']}: {json.dumps(control['value'])}"
    if record["value_encoding"] == "null":
        return "value: null"
    return f"value ({record['value_encoding']}): {record['value']}"
