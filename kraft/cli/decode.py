"""`kraft decode`: Kafka frames given as hex → one JSON object per frame, for wire-level debugging.

Input: hex frames as arguments, or one per line on stdin (blank lines and `#` comments skipped;
whitespace and `:` inside a frame ignored). Each frame may carry its 4-byte size prefix or not
(`--framed auto` strips a prefix equal to the length that follows). Request frames by default;
`--response --api-key K --api-version V` for responses.

Output: `{"api": ..., "header": {...}, "body": {...}}` per frame on stdout. Field names are the
upstream names in snake_case, only the fields the decoded version has. uuids print as
`{"base64": Kafka's form, "hex": ...}`; bytes as hex; `records` fields are expanded into batches
(header fields, CRC check, records; control records decoded by type).
A frame that cannot be decoded gives one line on stderr naming its index, the byte offset and the
field; the other frames are still decoded and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Iterable
from typing import Any

import wire.records as records
from wire.catalog import (
    CATALOG,
    CATALOG_KEYS_BY_NAME,
    decode_request,
    decode_response,
    request_header_version,
)
from wire.errors import DecodeError, UnsupportedRequestError, UnsupportedVersionError
from wire.fields import Struct, specs_of
from wire.headers import RequestHeader
from wire.messages.quorum_state import uuid_to_base64


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode Kafka request/response frames given as hex into JSON",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("frames", nargs="*", help="hex frames (default: one per line on stdin)")
    parser.add_argument("--response", action="store_true", help="frames are responses")
    parser.add_argument("--api-key", help="api key (number or name, e.g. 1 or Fetch) of responses")
    parser.add_argument("--api-version", type=int, help="api version of responses")
    parser.add_argument(
        "--framed",
        choices=("auto", "yes", "no"),
        default="auto",
        help="whether frames start with the int32 size prefix (default: auto-detect)",
    )
    parser.add_argument("--indent", type=int, default=None, help="pretty-print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    api_key: int | None = None
    if args.response:
        if args.api_key is None or args.api_version is None:
            print("kraft decode: --response needs --api-key and --api-version", file=sys.stderr)
            return 2
        api_key = _parse_api_key(args.api_key)
        if api_key is None:
            print(f"kraft decode: unknown api key {args.api_key!r}", file=sys.stderr)
            return 2
    lines: Iterable[str] = args.frames if args.frames else sys.stdin
    status = 0
    index = 0
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        index += 1
        try:
            raw = bytes.fromhex("".join(text.replace(":", " ").split()))
        except ValueError as e:
            print(f"frame {index}: not hex: {e}", file=sys.stderr)
            status = 1
            continue
        try:
            result = decode_frame(raw, args.framed, api_key, args.api_version)
        except (DecodeError, UnsupportedVersionError) as e:
            print(f"frame {index}: {_describe(e)}", file=sys.stderr)
            status = 1
            continue
        # `| head` closing the pipe is kraft.cli.main's (quiet, 141).
        print(json.dumps(result, indent=args.indent), flush=True)
    return status


def _parse_api_key(text: str) -> int | None:
    try:
        key = int(text)
    except ValueError:
        return CATALOG_KEYS_BY_NAME.get(text)
    return key if key in CATALOG else None


def _describe(e: Exception) -> str:
    if isinstance(e, DecodeError):
        where = f"at byte {e.offset}" if e.offset is not None else "at an unknown byte"
        field = f" in field {e.field}" if e.field else ""
        return f"cannot decode {where}{field}: {e.reason}"
    if isinstance(e, UnsupportedRequestError):
        return f"unsupported api key {e.api_key} version {e.api_version}"
    return str(e)


def strip_prefix(raw: bytes, framed: str) -> tuple[bytes, int]:
    """(payload, prefix bytes removed). Offsets printed are payload offsets + the prefix."""
    has = len(raw) >= 4 and int.from_bytes(raw[:4], "big", signed=True) == len(raw) - 4
    if framed == "yes":
        if len(raw) < 4:
            raise DecodeError("frame shorter than its size prefix", offset=0, field="size")
        if not has:
            size = int.from_bytes(raw[:4], "big", signed=True)
            raise DecodeError(
                f"size prefix {size} but {len(raw) - 4} bytes follow", offset=0, field="size"
            )
        return raw[4:], 4
    if framed == "auto" and has:
        return raw[4:], 4
    if framed == "auto" and len(raw) >= 6 and raw[:2] == b"\0\0":
        # looks like a size prefix (a frame < 64 KiB) followed by a known request api key: a
        # truncated or padded frame is more likely than Produce v0 (long gone from Kafka)
        size = int.from_bytes(raw[:4], "big")
        spec = CATALOG.get(int.from_bytes(raw[4:6], "big", signed=True))
        version = int.from_bytes(raw[6:8], "big", signed=True) if len(raw) >= 8 else -1
        if size >= 8 and spec is not None and version in spec.versions:
            raise DecodeError(
                f"size prefix {size} but {len(raw) - 4} bytes follow", offset=0, field="size"
            )
    return raw, 0


def decode_frame(
    raw: bytes, framed: str, api_key: int | None, api_version: int | None
) -> dict[str, Any]:
    payload, skipped = strip_prefix(raw, framed)
    try:
        if api_key is None:
            header, body = decode_request(payload)
            version = header.request_api_version
            name = CATALOG[header.request_api_key].name
            return {
                "api": name,
                "header": to_jsonable(header, _request_header_version(header)),
                "body": to_jsonable(body, version),
            }
        assert api_version is not None
        correlation_id, body = decode_response(api_key, api_version, payload)
    except DecodeError as e:
        if skipped and e.offset is not None:
            raise DecodeError(e.reason, offset=e.offset + skipped, field=e.field) from None
        raise
    return {
        "api": CATALOG[api_key].name,
        "header": {"correlation_id": correlation_id},
        "body": to_jsonable(body, api_version),
    }


def _request_header_version(header: RequestHeader) -> int:
    return request_header_version(header.request_api_key, header.request_api_version)


def to_jsonable(obj: Struct, version: int) -> dict[str, Any]:
    """A decoded struct as JSON-ready data: only the fields `version` has."""
    out: dict[str, Any] = {}
    for name, spec, _ in specs_of(type(obj)):
        if version not in spec.versions:
            continue
        value = getattr(obj, name)
        if spec.kafka_type == "records":
            out[name] = None if value is None else expand_records(value)
        else:
            out[name] = _value(value, version)
    if obj.unknown_tagged_fields:
        out["unknown_tagged_fields"] = [
            {"tag": tag, "data": data.hex()} for tag, data in obj.unknown_tagged_fields
        ]
    return out


def _value(value: Any, version: int) -> Any:
    if isinstance(value, Struct):
        return to_jsonable(value, version)
    if isinstance(value, list):
        return [_value(v, version) for v in value]
    if isinstance(value, uuid.UUID):
        return {"base64": uuid_to_base64(value), "hex": value.hex}
    if isinstance(value, bytes):
        return value.hex()
    return value


def expand_records(data: bytes) -> dict[str, Any]:
    """Record batches as JSON: each batch's header, CRC verdict and records."""
    out: dict[str, Any] = {"size_bytes": len(data)}
    try:
        scan = records.scan_batches(data)
    except DecodeError as e:
        out["error"] = _describe(e)
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
        try:
            batch["records"] = [
                _record(r, header.is_control)
                for r in records.decode_records(data, pos, header, verify_crc=False)
            ]
        except DecodeError as e:
            batch["error"] = _describe(e)
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
            out["control_error"] = _describe(e)
            return out
        out["control_type"] = kind.name if hasattr(kind, "name") else kind
        if value is not None:
            out["control_value"] = to_jsonable(value, getattr(value, "version", 0))
    return out
