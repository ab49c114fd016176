"""Describe a quorum from outside it: find the leader, ask it DescribeQuorum, return plain data.

The leader is found with DescribeCluster (endpoint type 2, controllers: KIP-919, as Kafka's admin
client does with `--bootstrap-controller`; Metadata when a node lacks it); only the leader answers
DescribeQuorum (others say NOT_LEADER_OR_FOLLOWER), so the search follows the leader for a while.
`describe()` returns the data `kraft describe-quorum` prints (see `kraft.cli.describe_quorum`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import trio

from kraft.shell.client.connection import (
    CONNECT_TIMEOUT_MS,
    Address,
    Connection,
    ConnectionFailed,
)
from kraft.types import NO_LEADER, NO_OFFSET, NO_TIMESTAMP
from wire import METADATA_PARTITION, METADATA_TOPIC_NAME
from wire.errors import ErrorCode
from wire.fields import ZERO_UUID
from wire.messages.describe_cluster import DescribeClusterRequest, DescribeClusterResponse
from wire.messages.describe_quorum import DescribeQuorumRequest, DescribeQuorumResponse
from wire.messages.metadata import MetadataRequest, MetadataResponse
from wire.messages.quorum_state import uuid_to_base64 as uuid_text

ENDPOINT_TYPE_CONTROLLERS = 2
LEADER_SEARCH_MS = 5_000
LEADER_RETRY_MS = 200
TIMEOUT_MS_DEFAULT = 10_000
# kafka-metadata-quorum's "unknown" lag time is Kafka's unknown timestamp, -1.
NO_LAG_TIME = NO_TIMESTAMP


class DescribeError(Exception):
    pass


async def _find_leader(
    address: Address, timeout_ms: int
) -> tuple[str | None, int, dict[int, Address]]:
    """(cluster id, leader id, endpoints by node id) as one node sees them."""
    conn = await Connection.open(address, timeout_ms)
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
    bootstrap: list[Address], *, cluster_id: str | None = None, timeout_ms: int = TIMEOUT_MS_DEFAULT
) -> dict[str, Any]:
    """The quorum description as data (see module docstring)."""
    deadline = trio.current_time() + timeout_ms / 1000
    known = list(bootstrap)
    last_error = "no node answered"
    reached = False
    while trio.current_time() < deadline:
        refused = 0
        for address in list(known):
            try:
                found_cluster_id, leader_id, endpoints = await _bounded(
                    address, deadline, _find_leader
                )
            except ConnectionFailed as exc:
                last_error = str(exc)
                refused += exc.refused
                continue
            reached = True
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
                result = await _bounded(leader, deadline, _describe_at)
            except ConnectionFailed as exc:
                last_error = str(exc)
                continue
            if result is None:
                last_error = f"{leader}: not the leader any more"
                continue
            result["cluster_id"] = found_cluster_id
            return result
        if not reached and refused == len(known):
            # Nothing listens at any address given: a typo or stopped nodes, not slowness.
            raise DescribeError(f"cannot describe the quorum: {last_error}")
        await trio.sleep(LEADER_RETRY_MS / 1000)
    raise DescribeError(f"cannot describe the quorum: {last_error}")


_T = TypeVar("_T")


async def _bounded(
    address: Address, deadline: float, ask: Callable[[Address, int], Awaitable[_T]]
) -> _T:
    """`ask(address, ms)` within the time left before `deadline` (at most CONNECT_TIMEOUT_MS
    to connect), so one silent node cannot hold the tool past its `--timeout-ms`."""
    left_ms = max(int((deadline - trio.current_time()) * 1000), 1)
    with trio.move_on_at(deadline):
        return await ask(address, min(left_ms, CONNECT_TIMEOUT_MS))
    raise ConnectionFailed(
        f"{address}: no Kafka answer in {left_ms} ms (is a pykraft or Kafka node listening?)"
    )


async def _describe_at(address: Address, timeout_ms: int) -> dict[str, Any] | None:
    conn = await Connection.open(address, timeout_ms)
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
    leader_end = leader_state.log_end_offset if leader_state is not None else NO_OFFSET
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
            "lag": leader_end - state.log_end_offset if leader_end >= 0 else None,
            "last_fetch_timestamp": state.last_fetch_timestamp,
            "last_caught_up_timestamp": state.last_caught_up_timestamp,
            "status": status,
            "endpoints": listeners.get(state.replica_id, []),
        }

    voter_rows = [row(v, "Leader" if v.replica_id == leader_id else "Follower") for v in voters]
    observer_rows = [row(o, "Observer") for o in partition.observers]
    # kafka-metadata-quorum's figures: the voter furthest behind is the first voter with the
    # smallest log end offset (the leader itself when none is behind, giving 0 ms); its lag
    # time is the leader's last caught-up time minus its own, -1 when either is unknown.
    lag_max = 0
    lag_time_ms_max = NO_LAG_TIME
    if leader_state is not None and voters:
        furthest = min(voters, key=lambda v: v.log_end_offset)
        lag_max = leader_state.log_end_offset - furthest.log_end_offset
        if furthest is leader_state:
            lag_time_ms_max = 0
        elif leader_state.last_caught_up_timestamp >= 0 and furthest.last_caught_up_timestamp >= 0:
            lag_time_ms_max = (
                leader_state.last_caught_up_timestamp - furthest.last_caught_up_timestamp
            )
    return {
        "leader_id": leader_id,
        "leader_epoch": partition.leader_epoch,
        "high_watermark": partition.high_watermark,
        "max_follower_lag": lag_max,
        "max_follower_lag_time_ms": lag_time_ms_max,
        "voters": voter_rows,
        "observers": observer_rows,
        "describe_quorum_version": version,
    }
