"""`kraft dump-log PATH...`: print log segments and snapshots offline, as kafka-dump-log.sh does.

The text output is Kafka's DumpLogSegments output, line for line (checked against Kafka 4.3.1's
own tool on Kafka's and pykraft's segments): `Dumping <file>`, `Log starting offset: N` (or
`Snapshot end offset: N, epoch: E`), one `baseOffset: ... isvalid: true` line per batch, and with
`--deep-iteration` one `| offset: ...` line per record, control records decoded as Kafka prints
them (`LeaderChange: {...}`, `SnapshotHeader {...}`, `KRaftVoters {...}`, `endTxnMarker: ...`).
Payloads are printed only with `--print-data-log` (which implies `--deep-iteration`), as UTF-8
text like Kafka's default decoder. A batch cut short at the end of the file prints Kafka's
`Found N invalid bytes at the end of <name>`.

Beyond Kafka: directories (their `.log` and `.checkpoint` files in name order, then
`leader-epoch-checkpoint` and `quorum-state`), those two small text files, and a live node's
preallocated zeros after the data, reported as such instead of failing. `--json` prints one JSON
document (a list with one object per file, one batch per line) with the same flags deciding
whether records and payloads are included; payloads are text, or hex when not printable.

Streams: a file is read one batch at a time and every batch is printed as soon as it is read, so
memory stays constant however large the segment; a live node's files can be dumped while it
appends (a batch being written shows up as a torn tail).

Exit status: 0 when every path was a readable log file (torn tails and bad CRCs are reported, not
fatal); 1 with one line on stderr for a missing path, a file that is not a record log, or a
corrupt header that stops the scan before any batch.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from kraft.cli.render import (
    describe_header,
    describe_metadata,
    java_json,
    java_utf8,
    kafka_json,
    metadata_line,
    text_or_hex,
)
from wire.errors import DecodeError
from wire.records.batch import (
    BATCH_HEADER_BYTES,
    BatchHeader,
    ControlRecordType,
    TimestampType,
    crc_ok,
    read_batch_header,
)
from wire.records.control import decode_control_record
from wire.records.record import Record, decode_records

SEGMENT_SUFFIX = ".log"
SNAPSHOT_SUFFIX = ".checkpoint"
BOOTSTRAP_CHECKPOINT = "bootstrap.checkpoint"
QUORUM_STATE = "quorum-state"
LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint"
NO_SEQUENCE = -1
SEQUENCE_MAX = 2**31 - 1
# How much of a tail is read at a time to tell preallocated zeros from damage.
ZERO_SCAN_CHUNK_BYTES = 1 << 20
TIMESTAMP_TYPE_NAMES = {TimestampType.CREATE_TIME: "CreateTime"}
# Kafka's names for control types in `controlType: NAME(id)` and the labels it prints values with.
CONTROL_LABELS = {
    ControlRecordType.LEADER_CHANGE: "LeaderChange:",
    ControlRecordType.SNAPSHOT_HEADER: "SnapshotHeader",
    ControlRecordType.SNAPSHOT_FOOTER: "SnapshotFooter",
    ControlRecordType.KRAFT_VERSION: "KRaftVersion",
    ControlRecordType.KRAFT_VOTERS: "KRaftVoters",
}
_END_TXN_VALUE = struct.Struct(">hi")  # version, coordinator epoch


class NotALogError(Exception):
    """A path that is not a record log (one line for the user)."""


@dataclass(frozen=True)
class Options:
    deep_iteration: bool = False
    print_data_log: bool = False
    # Kafka's --cluster-metadata-decoder: data record values decoded as metadata records
    metadata_decoder: bool = False
    # ... printed as one readable line each (`TopicRecord v0 name=...`) instead of Kafka's JSON
    metadata_lines: bool = False


def _kind(path: Path) -> str:
    if path.name.endswith(SNAPSHOT_SUFFIX):
        return "snapshot"
    if path.name.endswith(SEGMENT_SUFFIX):
        return "segment"
    return "file"


def _timestamp_type(header: BatchHeader) -> str:
    return TIMESTAMP_TYPE_NAMES.get(header.timestamp_type, "LogAppendTime")


def _increment_sequence(sequence: int, increment: int) -> int:
    """Kafka's producer sequences wrap from Int.MAX to 0."""
    if sequence > SEQUENCE_MAX - increment:
        return increment - (SEQUENCE_MAX - sequence) - 1
    return sequence + increment


def last_sequence(header: BatchHeader) -> int:
    if header.base_sequence == NO_SEQUENCE:
        return NO_SEQUENCE
    return _increment_sequence(header.base_sequence, header.last_offset_delta)


def _record_sequence(header: BatchHeader, record: Record) -> int:
    if header.base_sequence == NO_SEQUENCE:
        return NO_SEQUENCE
    return _increment_sequence(header.base_sequence, record.offset - header.base_offset)


def _size(data: bytes | None) -> int:
    return -1 if data is None else len(data)


def dump_text_file(path: Path, data: bytes) -> dict[str, Any]:
    """The two small text files beside the segments: quorum-state (JSON) and the epoch history."""
    try:
        text = data.decode()
        if path.name == QUORUM_STATE:
            return {"path": str(path), "kind": QUORUM_STATE, "state": json.loads(text)}
        lines = text.split()
        version, count = int(lines[0]), int(lines[1])
        pairs = lines[2:]
        if len(pairs) != 2 * count:
            raise ValueError(f"{count} entries announced, {len(pairs) // 2} present")
        entries = [
            {"epoch": int(pairs[i]), "start_offset": int(pairs[i + 1])}
            for i in range(0, len(pairs), 2)
        ]
    except (ValueError, IndexError) as exc:
        raise NotALogError(f"{path}: malformed {path.name}: {exc}") from None
    return {
        "path": str(path),
        "kind": LEADER_EPOCH_CHECKPOINT,
        "version": version,
        "epochs": entries,
    }


def describe_control(record: Record) -> dict[str, Any]:
    """A control record as data: its type name and Kafka's JSON of its value."""
    try:
        kind, value = decode_control_record(record)
    except DecodeError as exc:
        return {"type": None, "error": str(exc)}
    if not isinstance(kind, ControlRecordType):
        return {"type": f"UNKNOWN({kind})", "type_id": kind, "value": None}
    out: dict[str, Any] = {"type": kind.name, "type_id": int(kind), "value": None}
    if value is not None:
        out["value"] = kafka_json(value, getattr(value, "version", 0))
    elif kind in (ControlRecordType.ABORT, ControlRecordType.COMMIT):
        raw = record.value or b""
        if len(raw) >= _END_TXN_VALUE.size:
            _version, coordinator_epoch = _END_TXN_VALUE.unpack_from(raw)
            out["value"] = {"coordinatorEpoch": coordinator_epoch}
    return out


def describe_record(header: BatchHeader, record: Record, options: Options) -> dict[str, Any]:
    out: dict[str, Any] = {
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key_size": _size(record.key),
        "value_size": _size(record.value),
        "sequence": _record_sequence(header, record),
        "header_keys": [key for key, _ in record.headers],
    }
    if header.is_control:
        out["control"] = describe_control(record)
    elif options.metadata_decoder:
        out["metadata"] = describe_metadata(record.value, framed_only=False)
    elif options.print_data_log:
        key_text, key_encoding = text_or_hex(record.key)
        value_text, value_encoding = text_or_hex(record.value)
        out.update(
            key=key_text, key_encoding=key_encoding, value=value_text, value_encoding=value_encoding
        )
        # What Kafka's default (String) decoder prints: UTF-8, bad bytes replaced.
        out["_key_utf8"] = None if record.key is None else java_utf8(record.key)
        out["_value_utf8"] = None if record.value is None else java_utf8(record.value)
    return out


def describe_batch(
    data: bytes, position: int, header: BatchHeader, options: Options
) -> dict[str, Any]:
    """A whole batch (`data`, read from `position`) as data, records when asked."""
    out = describe_header(header, position, crc_ok(data, 0, header))
    out["last_sequence"] = last_sequence(header)
    out["delete_horizon_ms"] = header.base_timestamp if header.has_delete_horizon else None
    out["timestamp_type"] = _timestamp_type(header)
    if options.deep_iteration or options.print_data_log or options.metadata_decoder:
        try:
            records = decode_records(data, 0, header, verify_crc=False)
        except DecodeError as exc:
            out["records_error"] = str(exc)
        else:
            out["records"] = [describe_record(header, r, options) for r in records]
    return out


def _all_zeros(f: BinaryIO, position: int, end: int) -> bool:
    f.seek(position)
    while position < end:
        chunk = f.read(min(ZERO_SCAN_CHUNK_BYTES, end - position))
        if not chunk or chunk.count(0) != len(chunk):
            return False
        position += len(chunk)
    return True


def scan_file(path: Path, options: Options) -> Iterator[dict[str, Any]]:
    """The batches of one segment or snapshot, one at a time, then a summary dict (the last item,
    with `"summary": True`): torn tail, corrupt header, valid and preallocated bytes."""
    try:
        f = path.open("rb")
    except OSError as exc:
        raise NotALogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        position = 0
        torn: dict[str, Any] | None = None
        corrupt: str | None = None
        preallocated = 0
        while position < size:
            f.seek(position)
            head = f.read(BATCH_HEADER_BYTES)
            # Only where no batch starts can the rest be zeros: a live or crashed node's
            # preallocated tail.
            if len(head) < BATCH_HEADER_BYTES:
                if _all_zeros(f, position, size):
                    preallocated = size - position
                else:
                    torn = {
                        "position": position,
                        "bytes": size - position,
                        "reason": "partial batch header",
                    }
                break
            try:
                header = read_batch_header(head)
            except DecodeError as exc:
                if _all_zeros(f, position, size):
                    preallocated = size - position
                else:
                    corrupt = f"position {position}: {exc.reason}"
                break
            if size - position < header.size_bytes:
                torn = {
                    "position": position,
                    "bytes": size - position,
                    "reason": f"batch of {header.size_bytes} bytes cut at {size - position}",
                }
                break
            data = head + f.read(header.size_bytes - BATCH_HEADER_BYTES)
            if len(data) < header.size_bytes:  # the file shrank under us (a truncation)
                torn = {"position": position, "bytes": len(data), "reason": "file truncated"}
                break
            yield describe_batch(data, position, header, options)
            position += header.size_bytes
        yield {
            "summary": True,
            "torn_tail": torn,
            "corrupt": corrupt,
            "valid_bytes": position,
            "preallocated_bytes": preallocated,
        }


def file_info(path: Path) -> dict[str, Any]:
    """What is known of a file before its batches: name-derived offsets, size."""
    out: dict[str, Any] = {"path": str(path), "kind": _kind(path)}
    try:
        out["size_bytes"] = path.stat().st_size
    except OSError as exc:
        raise NotALogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    stem = path.name.rsplit(".", 1)[0]
    if out["kind"] == "segment" and stem.isdigit():
        out["log_start_offset"] = int(stem)
    elif out["kind"] == "snapshot" and path.name != BOOTSTRAP_CHECKPOINT:
        end_offset, _, epoch = stem.partition("-")
        if end_offset.isdigit() and epoch.isdigit():
            out["snapshot_id"] = {"end_offset": int(end_offset), "epoch": int(epoch)}
    return out


def check_file(path: Path) -> None:
    """`NotALogError` unless `path` holds at least one batch, or is an empty/zero-filled segment
    or snapshot (reads only up to the first batch)."""
    if path.name in (QUORUM_STATE, LEADER_EPOCH_CHECKPOINT):
        dump_text_file(path, _read_small(path))
        return
    info = file_info(path)
    first = next(scan_file(path, Options()))
    if "summary" not in first:
        return
    if first["corrupt"] is not None or (info["kind"] == "file" and info["size_bytes"]):
        reason = first["corrupt"] if first["corrupt"] is not None else "no record batch"
        raise NotALogError(f"{path}: not a record log ({reason})")


def _read_small(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise NotALogError(f"{path}: cannot read: {exc.strerror or exc}") from None


def expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.name.endswith((SEGMENT_SUFFIX, SNAPSHOT_SUFFIX))
            )
            if not found:
                raise NotALogError(f"{path}: no .log or .checkpoint files in this directory")
            files.extend(found)
            files.extend(
                path / name
                for name in (LEADER_EPOCH_CHECKPOINT, QUORUM_STATE)
                if (path / name).is_file()
            )
        elif path.exists():
            files.append(path)
        else:
            raise NotALogError(f"{path}: no such file or directory")
    return files


# ---- Kafka's text format -------------------------------------------------------------------


def batch_line(b: dict[str, Any]) -> str:
    horizon = b["delete_horizon_ms"]
    shown_horizon = "OptionalLong.empty" if horizon is None else f"OptionalLong[{horizon}]"
    return (
        f"baseOffset: {b['base_offset']} lastOffset: {b['last_offset']} count: {b['count']} "
        f"baseSequence: {b['base_sequence']} lastSequence: {b['last_sequence']} "
        f"producerId: {b['producer_id']} producerEpoch: {b['producer_epoch']} "
        f"partitionLeaderEpoch: {b['partition_leader_epoch']} "
        f"isTransactional: {str(b['is_transactional']).lower()} "
        f"isControl: {str(b['is_control']).lower()} "
        f"deleteHorizonMs: {shown_horizon} "
        f"position: {b['position']} {b['timestamp_type']}: {b['max_timestamp']} "
        f"size: {b['size_bytes']} magic: {b['magic']} compresscodec: {b['compression']} "
        f"crc: {b['crc']} isvalid: {str(b['crc_valid']).lower()}"
    )


def _control_text(control: dict[str, Any]) -> str:
    if control.get("error"):
        return f" controlError: {control['error']}"
    type_name = control["type"]
    value = control["value"]
    if type_name in ("ABORT", "COMMIT") and value is not None:
        return f" endTxnMarker: {type_name} coordinatorEpoch: {value['coordinatorEpoch']}"
    label = next((v for k, v in CONTROL_LABELS.items() if k.name == type_name), None)
    if label is None or value is None:
        shown = type_name if "(" in type_name else f"{type_name}({control['type_id']})"
        return f" controlType: {shown}"
    return f" {label} {json.dumps(value, separators=(',', ':'), ensure_ascii=False)}"


def _metadata_text(offset: int, metadata: dict[str, Any]) -> str:
    """What DumpLogSegments' metadata decoder prints as the payload: `{"type","version","data"}`
    compact, or `Error at <offset>, skipping. <reason>` (Kafka's reason text is its own)."""
    if metadata["type"] is None:
        return f"Error at {offset}, skipping. {metadata['error']}"
    shown = {k: metadata[k] for k in ("type", "version", "data")}
    return java_json(shown)


def record_line(b: dict[str, Any], r: dict[str, Any], options: Options) -> str:
    line = (
        f"| offset: {r['offset']} {b['timestamp_type']}: {r['timestamp']} "
        f"keySize: {r['key_size']} valueSize: {r['value_size']} sequence: {r['sequence']} "
        f"headerKeys: [{','.join(r['header_keys'])}]"
    )
    if "control" in r:
        return line + _control_text(r["control"])
    if "metadata" in r:
        if options.metadata_lines:
            return line + f" {metadata_line(r['metadata'])}"
        return line + f" payload: {_metadata_text(r['offset'], r['metadata'])}"
    if "_value_utf8" in r:
        if r["_key_utf8"] is not None:
            line += f" key: {r['_key_utf8']}"
        if r["_value_utf8"] is not None:
            line += f" payload: {r['_value_utf8']}"
    return line


def _write_text_file_report(report: dict[str, Any], out: IO[str]) -> None:
    if report["kind"] == QUORUM_STATE:
        out.write(f"Dumping {report['path']}\n{json.dumps(report['state'])}\n")
        return
    out.write(f"Dumping {report['path']}\n")
    out.write(f"leader-epoch-checkpoint version: {report['version']}\n")
    for entry in report["epochs"]:
        out.write(f"epoch: {entry['epoch']} startOffset: {entry['start_offset']}\n")


def write_text(path: Path, options: Options, out: IO[str]) -> None:
    if path.name in (QUORUM_STATE, LEADER_EPOCH_CHECKPOINT):
        _write_text_file_report(dump_text_file(path, _read_small(path)), out)
        return
    info = file_info(path)
    out.write(f"Dumping {path}\n")
    if "log_start_offset" in info:
        out.write(f"Log starting offset: {info['log_start_offset']}\n")
    elif path.name == BOOTSTRAP_CHECKPOINT:
        out.write("KRaft bootstrap snapshot\n")
    elif "snapshot_id" in info:
        sid = info["snapshot_id"]
        out.write(f"Snapshot end offset: {sid['end_offset']}, epoch: {sid['epoch']}\n")
    for item in scan_file(path, options):
        if "summary" in item:
            _write_summary(path, item, out)
            break
        out.write(batch_line(item) + "\n")
        if "records_error" in item:
            out.write(f"| records: <undecodable: {item['records_error']}>\n")
        for r in item.get("records", ()):
            out.write(record_line(item, r, options) + "\n")


def _write_summary(path: Path, summary: dict[str, Any], out: IO[str]) -> None:
    if summary["preallocated_bytes"]:
        out.write(f"Preallocated zeros after the data: {summary['preallocated_bytes']} bytes\n")
    if summary["torn_tail"] is not None:
        torn = summary["torn_tail"]
        out.write(f"Found {torn['bytes']} invalid bytes at the end of {path.name}\n")
    if summary["corrupt"] is not None:
        out.write(f"Corrupt batch header at {summary['corrupt']}; scan stopped\n")


# ---- --json: one document, streamed --------------------------------------------------------


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """A batch without the text-only fields (`_key_utf8`, `_value_utf8`)."""
    for r in item.get("records", ()):
        r.pop("_key_utf8", None)
        r.pop("_value_utf8", None)
    return item


def write_json(path: Path, options: Options, out: IO[str]) -> None:
    """One file's object, its batches written one per line as they are read."""
    if path.name in (QUORUM_STATE, LEADER_EPOCH_CHECKPOINT):
        out.write(json.dumps(dump_text_file(path, _read_small(path))))
        return
    head = json.dumps(file_info(path))
    out.write(head[:-1] + ', "batches": [')
    separator = "\n"
    for item in scan_file(path, options):
        if "summary" in item:
            del item["summary"]
            out.write('\n], "torn_tail": ' + json.dumps(item)[len('{"torn_tail": ') :])
            break
        out.write(separator + json.dumps(_public(item)))
        separator = ",\n"


def run(args: argparse.Namespace) -> int:
    paths = list(args.paths)
    for group in args.files or ():
        paths.extend(p for p in group.split(",") if p)
    if not paths:
        print("kraft dump-log: error: give the files to dump (PATH or --files)", file=sys.stderr)
        return 2
    options = Options(
        deep_iteration=(args.deep_iteration or args.print_data_log) and not args.headers_only,
        print_data_log=args.print_data_log and not args.headers_only,
        metadata_decoder=(args.cluster_metadata_decoder or args.metadata_lines)
        and not args.headers_only,
        metadata_lines=args.metadata_lines,
    )
    try:
        files = expand(paths)
        for path in files:  # every file is a log, before anything is printed
            check_file(path)
    except NotALogError as exc:
        print(f"kraft dump-log: error: {exc}", file=sys.stderr)
        return 1
    out = sys.stdout
    if args.json:
        out.write("[")
        for i, path in enumerate(files):
            out.write(",\n" if i else "\n")
            write_json(path, options, out)
        out.write("\n]\n")
    else:
        for path in files:
            write_text(path, options, out)
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dump-log",
        help="print metadata log segments and snapshot files (offline, like kafka-dump-log.sh)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="segment, snapshot or directory")
    parser.add_argument(
        "--files", action="append", metavar="FILE,...", help="comma-separated files (Kafka's flag)"
    )
    parser.add_argument(
        "--deep-iteration", action="store_true", help="one line per record, control records decoded"
    )
    parser.add_argument(
        "--print-data-log",
        action="store_true",
        help="also print each record's key and payload (implies --deep-iteration)",
    )
    parser.add_argument(
        "--cluster-metadata-decoder",
        action="store_true",
        help="decode data records as metadata records, as Kafka's flag does (implies "
        "--deep-iteration); unknown types and versions are shown as type + hex",
    )
    parser.add_argument(
        "--metadata-lines",
        action="store_true",
        help="decode metadata records as --cluster-metadata-decoder does, but print each as one "
        "readable line (TopicRecord v0 name=... topicId=...)",
    )
    parser.add_argument("--headers-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="one JSON document (a list of files)")
    parser.add_argument("--compact", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=run)
