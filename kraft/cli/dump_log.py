"""`kraft dump-log PATH...`: print log segments and snapshots offline, like kafka-dump-log.sh.

Accepts segment files (`<base offset>.log`), raft snapshots (`<end offset>-<epoch>.checkpoint`),
the `quorum-state` and `leader-epoch-checkpoint` files, and directories (their `.log` and
`.checkpoint` files in name order, then those two files when present). Each file is read once as
bytes, so a live node's files can be dumped while it appends: a batch still being written shows
up as a torn tail, which is reported and is not an error. For every batch: the header, whether
its CRC32C is valid, and (unless `--headers-only`) its records with control records decoded
(LeaderChange, SnapshotHeader/Footer, KRaftVersion, Voters) and data as text or hex.

Exit status: 0 when every path was a readable log file (torn tails and bad CRCs are reported,
not fatal); 1 with one line on stderr for a missing path, a file that is not a record log, or a
corrupt header that stops the scan.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kraft.cli.render import describe_batch, record_line
from wire.errors import DecodeError
from wire.records.batch import BATCH_HEADER_BYTES, read_batch_header

SEGMENT_SUFFIX = ".log"
SNAPSHOT_SUFFIX = ".checkpoint"
QUORUM_STATE = "quorum-state"
LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint"


class NotALogError(Exception):
    """A path that is not a record log (one line for the user)."""


def _kind(path: Path) -> str:
    if path.name.endswith(SNAPSHOT_SUFFIX):
        return "snapshot"
    if path.name.endswith(SEGMENT_SUFFIX):
        return "segment"
    return "file"


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


def dump_file(path: Path, *, with_records: bool) -> dict[str, Any]:
    """Everything about one file as data; `NotALogError` if it is not a record log at all."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotALogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if path.name in (QUORUM_STATE, LEADER_EPOCH_CHECKPOINT):
        return dump_text_file(path, data)
    out: dict[str, Any] = {"path": str(path), "kind": _kind(path), "size_bytes": len(data)}
    if out["kind"] == "snapshot":
        stem = path.name[: -len(SNAPSHOT_SUFFIX)]
        end_offset, _, epoch = stem.partition("-")
        if end_offset.isdigit() and epoch.isdigit():
            out["snapshot_id"] = {"end_offset": int(end_offset), "epoch": int(epoch)}
    batches: list[dict[str, Any]] = []
    pos = 0
    torn: dict[str, Any] | None = None
    corrupt: str | None = None
    preallocated = 0
    while pos < len(data):
        # Only where no batch starts can the rest be zeros (counting them at every batch would
        # make a large segment quadratic): a live or crashed node's preallocated tail.
        if len(data) - pos < BATCH_HEADER_BYTES:
            if data.count(0, pos) == len(data) - pos:
                preallocated = len(data) - pos
            else:
                torn = {"position": pos, "bytes": len(data) - pos, "reason": "partial batch header"}
            break
        try:
            header = read_batch_header(data, pos)
        except DecodeError as exc:
            if data.count(0, pos) == len(data) - pos:
                preallocated = len(data) - pos
            else:
                corrupt = f"position {pos}: {exc.reason}"
            break
        if len(data) - pos < header.size_bytes:
            torn = {
                "position": pos,
                "bytes": len(data) - pos,
                "reason": f"batch of {header.size_bytes} bytes cut at {len(data) - pos}",
            }
            break
        batches.append(describe_batch(data, pos, header, with_records=with_records))
        pos += header.size_bytes
    if not batches and (corrupt is not None or (out["kind"] == "file" and data)):
        reason = corrupt if corrupt is not None else "no record batch"
        raise NotALogError(f"{path}: not a record log ({reason})")
    out["batches"] = batches
    out["torn_tail"] = torn
    out["corrupt"] = corrupt
    out["valid_bytes"] = pos
    out["preallocated_bytes"] = preallocated
    return out


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


def _print_text(report: dict[str, Any]) -> None:
    if report["kind"] == QUORUM_STATE:
        print(f"Dumping {report['path']} (quorum-state)\n{json.dumps(report['state'])}")
        return
    if report["kind"] == LEADER_EPOCH_CHECKPOINT:
        print(f"Dumping {report['path']} (leader-epoch-checkpoint, version {report['version']})")
        for entry in report["epochs"]:
            print(f"epoch: {entry['epoch']} startOffset: {entry['start_offset']}")
        return
    print(f"Dumping {report['path']} ({report['kind']}, {report['size_bytes']} bytes)")
    if "snapshot_id" in report:
        sid = report["snapshot_id"]
        print(f"Snapshot end offset: {sid['end_offset']} epoch: {sid['epoch']}")
    for b in report["batches"]:
        print(
            f"baseOffset: {b['base_offset']} lastOffset: {b['last_offset']} count: {b['count']} "
            f"partitionLeaderEpoch: {b['partition_leader_epoch']} isControl: "
            f"{str(b['is_control']).lower()} isTransactional: "
            f"{str(b['is_transactional']).lower()} position: {b['position']} "
            f"{b['timestamp_type']}: {b['max_timestamp']} size: {b['size_bytes']} "
            f"magic: {b['magic']} compresscodec: {b['compression']} crc: {b['crc']} "
            f"crcValid: {str(b['crc_valid']).lower()}"
        )
        if "records_error" in b:
            print(f"| records: <undecodable: {b['records_error']}>")
        for r in b.get("records", []):
            print(f"| offset: {r['offset']} timestamp: {r['timestamp']} {record_line(r)}")
    if report.get("preallocated_bytes"):
        print(f"Preallocated zeros after the data: {report['preallocated_bytes']} bytes")
    if report["torn_tail"] is not None:
        t = report["torn_tail"]
        print(f"Torn tail at position {t['position']}: {t['bytes']} bytes ({t['reason']})")
    if report["corrupt"] is not None:
        print(f"Corrupt batch header at {report['corrupt']}; scan stopped")


def run(args: argparse.Namespace) -> int:
    try:
        files = expand(args.paths)
        reports = [dump_file(p, with_records=not args.headers_only) for p in files]
    except NotALogError as exc:
        print(f"kraft dump-log: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(reports, sys.stdout, indent=None if args.compact else 2)
        print()
    else:
        for report in reports:
            _print_text(report)
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dump-log",
        help="print metadata log segments and snapshot files (offline, like kafka-dump-log.sh)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="segment, snapshot or directory")
    parser.add_argument("--headers-only", action="store_true", help="batch headers, no records")
    parser.add_argument("--json", action="store_true", help="one JSON document (a list of files)")
    parser.add_argument("--compact", action="store_true", help="with --json: no indentation")
    parser.set_defaults(run=run)
