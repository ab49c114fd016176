"""`kraft describe-quorum`: the quorum's state, with kafka-metadata-quorum.sh's columns.

Finds the leader with DescribeCluster (endpoint type 2, controllers: KIP-919, as Kafka's admin
client does with `--bootstrap-controller`; Metadata when a node lacks it), then sends
DescribeQuorum to the leader, the only node that answers it (others say NOT_LEADER_OR_FOLLOWER;
the tool then asks again, following the leader for a few seconds).

`--status`: ClusterId, LeaderId, LeaderEpoch, HighWatermark, MaxFollowerLag, MaxFollowerLagTimeMs,
CurrentVoters, CurrentObservers. `--replication`: one row per replica (voters, then observers):
NodeId, DirectoryId, LogEndOffset, Lag (leader's log end offset minus the replica's),
LastFetchTimestamp, LastCaughtUpTimestamp, Status (Leader, Follower, Observer). `--json` prints
the same data as one JSON object. An id-less observer never appears: the leader keeps no state
for replica id -1.

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
from kraft.shell.client.describe import DEFAULT_TIMEOUT_MS, DescribeError, describe


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


def print_text(result: dict[str, Any], args: argparse.Namespace) -> None:
    if not args.replication:
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
        for name, value in lines:
            print(f"{name + ':':<24}{value}")
        return
    now_ms = int(time.time() * 1000)
    header = (
        "NodeId",
        "DirectoryId",
        "LogEndOffset",
        "Lag",
        "LastFetchTimestamp",
        "LastCaughtUpTimestamp",
        "Status",
    )
    rows = [header]
    for r in result["voters"] + result["observers"]:
        rows.append(
            (
                str(r["node_id"]),
                r["directory_id"] or "-",
                str(r["log_end_offset"]),
                "-" if r["lag"] is None else str(r["lag"]),
                _time(r["last_fetch_timestamp"], args.human_readable, now_ms),
                _time(r["last_caught_up_timestamp"], args.human_readable, now_ms),
                r["status"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def run(args: argparse.Namespace) -> int:
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
        "--timeout-ms", type=int, default=DEFAULT_TIMEOUT_MS, help="default %(default)s"
    )
    parser.set_defaults(run=run)
