"""Decoded Kafka structs as JSON-ready data (shared by `kraft decode` and `kraft proxy --json`).

Field names are the upstream names in snake_case, only the fields the decoded version has. uuids
print as `{"base64": Kafka's form, "hex": ...}`; bytes as hex. `records` fields become their
batches: header fields and CRC verdict always, the records themselves (control records decoded by
type) only with `records=True`, so a big Fetch is summarised without walking every record.
"""

from __future__ import annotations

import uuid
from typing import Any

import wire.records as records
from wire.errors import DecodeError
from wire.fields import Struct, specs_of
from wire.messages.quorum_state import uuid_to_base64


def describe_error(e: DecodeError) -> str:
    where = f"at byte {e.offset}" if e.offset is not None else "at an unknown byte"
    field = f" in field {e.field}" if e.field else ""
    return f"cannot decode {where}{field}: {e.reason}"


def to_jsonable(obj: Struct, version: int, *, expand: bool = True) -> dict[str, Any]:
    """A decoded struct as JSON-ready data: only the fields `version` has."""
    out: dict[str, Any] = {}
    for name, spec, _ in specs_of(type(obj)):
        if version not in spec.versions:
            continue
        value = getattr(obj, name)
        if spec.kafka_type == "records":
            out[name] = None if value is None else expand_records(value, expand=expand)
        else:
            out[name] = _value(value, version, expand)
    if obj.unknown_tagged_fields:
        out["unknown_tagged_fields"] = [
            {"tag": tag, "data": data.hex()} for tag, data in obj.unknown_tagged_fields
        ]
    return out


def _value(value: Any, version: int, expand: bool) -> Any:
    if isinstance(value, Struct):
        return to_jsonable(value, version, expand=expand)
    if isinstance(value, list):
        return [_value(v, version, expand) for v in value]
    if isinstance(value, uuid.UUID):
        return {"base64": uuid_to_base64(value), "hex": value.hex}
    if isinstance(value, bytes):
        return value.hex()
    return value


def expand_records(data: bytes, *, expand: bool = True) -> dict[str, Any]:
    """Record batches as JSON: each batch's header, CRC verdict and (if `expand`) records."""
    out: dict[str, Any] = {"size_bytes": len(data)}
    try:
        scan = records.scan_batches(data)
    except DecodeError as e:
        out["error"] = describe_error(e)
        return out
    batches = []
    for pos, header in zip(scan.positions, scan.headers, strict=True):
        batch: dict[str, Any] = {"position": pos}
        batch.update(
            {
                "base_offset": header.base_offset,
                "batch_length": header.batch_length,
                "partition_leader_epoch": header.partition_leader_epoch,
                "magic": header.magic,
                "crc": header.crc,
                "crc_ok": records.crc_ok(data, pos, header),
                "attributes": header.attributes,
                "compression": header.compression.name
                if hasattr(header.compression, "name")
                else header.compression,
                "is_control": header.is_control,
                "is_transactional": header.is_transactional,
                "last_offset_delta": header.last_offset_delta,
                "base_timestamp": header.base_timestamp,
                "max_timestamp": header.max_timestamp,
                "producer_id": header.producer_id,
                "producer_epoch": header.producer_epoch,
                "base_sequence": header.base_sequence,
                "records_count": header.records_count,
            }
        )
        if expand:
            try:
                batch["records"] = [
                    _record(r, header.is_control)
                    for r in records.decode_records(data, pos, header, verify_crc=False)
                ]
            except DecodeError as e:
                batch["error"] = describe_error(e)
        batches.append(batch)
    out["batches"] = batches
    if scan.trailing_partial:
        out["trailing_partial_bytes"] = len(data) - scan.valid_bytes
    return out


def _record(record: Any, is_control: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key": None if record.key is None else record.key.hex(),
        "value": None if record.value is None else record.value.hex(),
        "headers": [{"key": k, "value": None if v is None else v.hex()} for k, v in record.headers],
    }
    if is_control:
        try:
            kind, value = records.decode_control_record(record)
        except DecodeError as e:
            out["control_error"] = describe_error(e)
            return out
        out["control_type"] = kind.name if hasattr(kind, "name") else kind
        if value is not None:
            out["control_value"] = to_jsonable(value, getattr(value, "version", 0))
    return out
