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

import trio

from kraft.cli.tail import add_bootstrap_argument
from kraft.client.connection import Address, Connection, ConnectionFailed, parse_bootstrap
from kraft.client.render import uuid_text
from wire import METADATA_PARTITION, METADATA_TOPIC_NAME
from wire.errors import ErrorCode
from wire.fields import ZERO_UUID
from wire.messages.describe_cluster import DescribeClusterRequest, DescribeClusterResponse
from wire.messages.describe_quorum import DescribeQuorumRequest, DescribeQuorumResponse
from wire.messages.metadata import MetadataRequest, MetadataResponse

ENDPOINT_TYPE_CONTROLLERS = 2
NO_LEADER = -1
LEADER_SEARCH_MS = 5_000
LEADER_RETRY_MS = 200
DEFAULT_TIMEOUT_MS = 10_000


class DescribeError(Exception):
    pass


async def _find_leader(address: Address) -> tuple[str | None, int, dict[int, Address]]:
    """(cluster id, leader id, endpoints by node id) as one node sees them."""
    conn = await Connection.open(address)
    try:
        if DescribeClusterRequest.API_KEY in conn.api_versions:
            request = DescribeClusterRequest(endpoint_type=ENDPOINT_TYPE_CONTROLLERS)
            version = conn.version_for(DescribeClusterRequest.API_KEY)
            if version == 0:
                request = DescribeClusterRequest()
            response = await conn.request(request, version)
            assert isinstance(response, DescribeClusterResponse)
            if response.error_code == ErrorCode.NONE:
                endpoints = {b.broker_id: Address(b.host, b.port) for b in response.brokers}
                return response.cluster_id, response.controller_id, endpoints
        topic = MetadataRequest.MetadataRequestTopic(name=METADATA_TOPIC_NAME)
        metadata = await conn.request(MetadataRequest(topics=[topic]))
        assert isinstance(metadata, MetadataResponse)
        endpoints = {b.node_id: Address(b.host, b.port) for b in metadata.brokers}
        return metadata.cluster_id, metadata.controller_id, endpoints
    finally:
        await conn.aclose()


async def describe(
    bootstrap: list[Address], *, cluster_id: str | None = None, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> dict[str, Any]:
    """The quorum description as data (see module docstring)."""
    deadline = trio.current_time() + timeout_ms / 1000
    known = list(bootstrap)
    last_error = "no node answered"
    while trio.current_time() < deadline:
        for address in list(known):
            try:
                found_cluster_id, leader_id, endpoints = await _find_leader(address)
            except ConnectionFailed as exc:
                last_error = str(exc)
                continue
            if cluster_id is not None and found_cluster_id not in (None, cluster_id):
                raise DescribeError(
                    f"{address}: cluster id {found_cluster_id!r}, expected {cluster_id!r}"
                )
            known.extend(a for a in endpoints.values() if a not in known)
            leader = endpoints.get(leader_id)
            if leader_id == NO_LEADER or leader is None:
                last_error = f"{address}: no leader known"
                continue
            try:
                result = await _describe_at(leader)
            except ConnectionFailed as exc:
                last_error = str(exc)
                continue
            if result is None:
                last_error = f"{leader}: not the leader any more"
                continue
            result["cluster_id"] = found_cluster_id
            return result
        await trio.sleep(LEADER_RETRY_MS / 1000)
    raise DescribeError(f"cannot describe the quorum: {last_error}")


async def _describe_at(address: Address) -> dict[str, Any] | None:
    conn = await Connection.open(address)
    try:
        T = DescribeQuorumRequest.TopicData
        request = DescribeQuorumRequest(
            topics=[
                T(
                    topic_name=METADATA_TOPIC_NAME,
                    partitions=[T.PartitionData(partition_index=METADATA_PARTITION)],
                )
            ]
        )
        version = conn.version_for(DescribeQuorumRequest.API_KEY)
        response = await conn.request(request, version)
    finally:
        await conn.aclose()
    assert isinstance(response, DescribeQuorumResponse)
    if response.error_code != ErrorCode.NONE:
        raise ConnectionFailed(f"{address}: DescribeQuorum error {response.error_code}")
    partition = response.topics[0].partitions[0]
    if partition.error_code == ErrorCode.NOT_LEADER_OR_FOLLOWER:
        return None
    if partition.error_code != ErrorCode.NONE:
        raise ConnectionFailed(f"{address}: DescribeQuorum error {partition.error_code}")
    return summarize(response, version)


def summarize(response: DescribeQuorumResponse, version: int) -> dict[str, Any]:
    partition = response.topics[0].partitions[0]
    leader_id = partition.leader_id
    voters = partition.current_voters
    leader_state = next((v for v in voters if v.replica_id == leader_id), None)
    leader_end = leader_state.log_end_offset if leader_state is not None else -1
    listeners = {
        node.node_id: [f"{lst.name}://{lst.host}:{lst.port}" for lst in node.listeners]
        for node in getattr(response, "nodes", [])
    }

    def row(state: Any, status: str) -> dict[str, Any]:
        directory = state.replica_directory_id
        return {
            "node_id": state.replica_id,
            "directory_id": uuid_text(directory) if directory != ZERO_UUID else None,
            "log_end_offset": state.log_end_offset,
            "lag": max(leader_end - state.log_end_offset, 0) if leader_end >= 0 else None,
            "last_fetch_timestamp": state.last_fetch_timestamp,
            "last_caught_up_timestamp": state.last_caught_up_timestamp,
            "status": status,
            "endpoints": listeners.get(state.replica_id, []),
        }

    voter_rows = [row(v, "Leader" if v.replica_id == leader_id else "Follower") for v in voters]
    observer_rows = [row(o, "Observer") for o in partition.observers]
    followers = [r for r in voter_rows if r["status"] == "Follower"]
    lags = [r["lag"] for r in followers if r["lag"] is not None]
    caught_up = [v.last_caught_up_timestamp for v in voters if v.replica_id != leader_id]
    max_lag_time_ms = -1
    if leader_state is not None and caught_up and min(caught_up) >= 0:
        max_lag_time_ms = max(leader_state.last_caught_up_timestamp - min(caught_up), 0)
    return {
        "leader_id": leader_id,
        "leader_epoch": partition.leader_epoch,
        "high_watermark": partition.high_watermark,
        "max_follower_lag": max(lags) if lags else 0,
        "max_follower_lag_time_ms": max_lag_time_ms,
        "voters": voter_rows,
        "observers": observer_rows,
        "describe_quorum_version": version,
    }


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
        result = trio.run(
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
