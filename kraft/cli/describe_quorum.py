"""`kraft describe-quorum`: the quorum's state, with kafka-metadata-quorum.sh's columns.

Finds the leader with DescribeCluster (endpoint type 2, controllers: KIP-919, as Kafka's admin
client does with `--bootstrap-controller`; Metadata when a node lacks it), then sends
DescribeQuorum to the leader, the only node that answers it (others say NOT_LEADER_OR_FOLLOWER;
the tool then asks again, following the leader for a few seconds).

The text is kafka-metadata-quorum's, line for line (checked against Kafka 4.3.1's tool on the same
quorum). `--status`: ClusterId, LeaderId, LeaderEpoch, HighWatermark, MaxFollowerLag,
MaxFollowerLagTimeMs, CurrentVoters, CurrentObservers; MaxFollowerLag and MaxFollowerLagTimeMs by
Kafka's rule: the voter furthest behind is the first voter with the smallest log end offset, its
lag is the leader's log end offset minus its own, its lag time the leader's last caught-up time
minus its own (0 when that voter is the leader, -1 when a time is unknown). `--replication`: the
leader's row first, then the other voters, then observers: NodeId, DirectoryId (the zero Uuid
for a static voter), LogEndOffset, Lag (leader's log end offset minus the replica's),
LastFetchTimestamp, LastCaughtUpTimestamp, Status (Leader, Follower, Observer), each cell padded
to its column and followed by a tab; `--human-readable` shows times as "N ms ago". `--json`
prints the same data as one JSON object. An id-less observer never appears: the leader keeps no
state for replica id -1.

Exit status: 0 on success, 1 with one line on stderr when no node answers, the cluster id differs
from `--cluster-id`, or the leader keeps moving.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from kraft.cli.tail import add_bootstrap_argument
from kraft.shell import run_async
from kraft.shell.client.connection import ConnectionFailed, parse_bootstrap
from kraft.shell.client.describe import TIMEOUT_MS_DEFAULT, DescribeError, describe

REPLICATION_HEADER = (
    "NodeId",
    "DirectoryId",
    "LogEndOffset",
    "Lag",
    "LastFetchTimestamp",
    "LastCaughtUpTimestamp",
    "Status",
)
# Kafka prints a replica without a directory id (a static voter) as the zero Uuid.
ZERO_DIRECTORY_ID = "AAAAAAAAAAAAAAAAAAAAAA"


def _brief(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        item: dict[str, Any] = {"id": r["node_id"]}
        if r["directory_id"] is not None:
            item["directoryId"] = r["directory_id"]
        if r["endpoints"]:
            item["endpoints"] = r["endpoints"]
        out.append(item)
    return json.dumps(out)


def _time(value: int, human: bool, now_ms: int) -> str:
    if not human or value < 0:
        return str(value)
    return f"{max(now_ms - value, 0)} ms ago"


def status_lines(result: dict[str, Any]) -> list[str]:
    """`describe --status` as kafka-metadata-quorum prints it: a label padded to 24 columns."""
    lines = [
        ("ClusterId", result["cluster_id"]),
        ("LeaderId", result["leader_id"]),
        ("LeaderEpoch", result["leader_epoch"]),
        ("HighWatermark", result["high_watermark"]),
        ("MaxFollowerLag", result["max_follower_lag"]),
        ("MaxFollowerLagTimeMs", result["max_follower_lag_time_ms"]),
        ("CurrentVoters", _brief(result["voters"])),
        ("CurrentObservers", _brief(result["observers"])),
    ]
    return [f"{name + ':':<24}{value}" for name, value in lines]


def replication_rows(result: dict[str, Any], human: bool, now_ms: int) -> list[list[str]]:
    """`describe --replication` rows, Kafka's order: the leader, the other voters, observers."""
    leader = [r for r in result["voters"] if r["status"] == "Leader"]
    followers = [r for r in result["voters"] if r["status"] != "Leader"]
    rows = [list(REPLICATION_HEADER)]
    for r in leader + followers + result["observers"]:
        rows.append(
            [
                str(r["node_id"]),
                r["directory_id"] or ZERO_DIRECTORY_ID,
                str(r["log_end_offset"]),
                "-1" if r["lag"] is None else str(r["lag"]),
                _time(r["last_fetch_timestamp"], human, now_ms),
                _time(r["last_caught_up_timestamp"], human, now_ms),
                r["status"],
            ]
        )
    return rows


def table_lines(rows: list[list[str]]) -> list[str]:
    """Kafka's tool table: every cell padded to its column's width and followed by a tab."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "".join(cell.ljust(w) + "\t" for cell, w in zip(row, widths, strict=True)) for row in rows
    ]


def print_text(result: dict[str, Any], args: argparse.Namespace) -> None:
    if args.replication:
        now_ms = int(time.time() * 1000)
        lines = table_lines(replication_rows(result, args.human_readable, now_ms))
    else:
        lines = status_lines(result)
    print("\n".join(lines))


def run(args: argparse.Namespace) -> int:
    if args.human_readable and not args.replication:
        print(
            "kraft describe-quorum: error: --human-readable goes with --replication",
            file=sys.stderr,
        )
        return 2
    try:
        bootstrap = parse_bootstrap(args.bootstrap_server)
    except ValueError as exc:
        print(f"kraft describe-quorum: error: {exc}", file=sys.stderr)
        return 2
    try:
        result = run_async(
            lambda: describe(bootstrap, cluster_id=args.cluster_id, timeout_ms=args.timeout_ms)
        )
    except (DescribeError, ConnectionFailed) as exc:
        print(f"kraft describe-quorum: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_text(result, args)
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "describe-quorum",
        help="show the quorum like kafka-metadata-quorum.sh describe",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bootstrap_argument(parser)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--status", action="store_true", help="leader, epoch, HW, lag (default)")
    what.add_argument("--replication", action="store_true", help="one row per replica")
    parser.add_argument("--human-readable", action="store_true", help="times as 'N ms ago'")
    parser.add_argument("--cluster-id", help="refuse a quorum with another cluster id")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument(
        "--timeout-ms", type=int, default=TIMEOUT_MS_DEFAULT, help="default %(default)s"
    )
    parser.set_defaults(run=run)
