"""Finding the quorum from bootstrap servers: one Metadata request (and ListOffsets) per node.

Any node of a pykraft quorum answers Metadata for `__cluster_metadata` with the leader, its
epoch, the cluster id and the voters as brokers (id and endpoint). That is all a Raft observer
started from bootstrap servers alone needs to build its `QuorumConfig` (kraft.version 0: the
core needs the static voter set), and all a consumer-mode observer needs to find the leader.
Newly learned endpoints are added to `known` so later rediscoveries can use them.

Kafka's controllers do not serve Metadata on their controller listener (it is absent from their
ApiVersions answer); they serve DescribeCluster, which with endpoint type 2 (controllers,
KIP-919) names the cluster id, the active controller (the Raft leader) and every controller's
endpoint. A node that does not advertise Metadata is asked that instead; the leader epoch is then
unknown (-1) and the Raft core learns it from its first Fetch answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import trio

from kraft.shell.client.connection import (
    CONNECT_TIMEOUT_MS,
    Address,
    Connection,
    ConnectionFailed,
)
from kraft.shell.client.state import ObserverError
from kraft.types import CONSUMER_REPLICA_ID, NO_EPOCH, NO_LEADER, NO_OFFSET
from wire import METADATA_PARTITION, METADATA_TOPIC_NAME
from wire.errors import ErrorCode
from wire.messages.describe_cluster import DescribeClusterRequest, DescribeClusterResponse
from wire.messages.describe_quorum import DescribeQuorumRequest, DescribeQuorumResponse

# ListOffsets' special timestamps, named once with the handler that answers them.
from wire.messages.list_offsets import LATEST_TIMESTAMP, ListOffsetsRequest, ListOffsetsResponse
from wire.messages.metadata import MetadataRequest, MetadataResponse

REDISCOVER_BACKOFF_MS = 100
ENDPOINT_TYPE_CONTROLLERS = 2


@dataclass(frozen=True, slots=True)
class QuorumInfo:
    """One node's view: the voters with endpoints, the cluster id and the leader (if any)."""

    voters: dict[int, Address]
    cluster_id: str | None
    leader_id: int
    leader_epoch: int

    @property
    def leader_address(self) -> Address | None:
        return self.voters.get(self.leader_id) if self.leader_id >= 0 else None


async def ask_metadata(
    address: Address, expected_cluster_id: str | None, timeout_ms: int = CONNECT_TIMEOUT_MS
) -> QuorumInfo:
    """Metadata for `__cluster_metadata` from `address` within `timeout_ms` (connecting
    included); `ObserverError` on a cluster mismatch."""
    with trio.move_on_after(timeout_ms / 1000):
        answer = await _metadata(address, expected_cluster_id, timeout_ms)
        if isinstance(answer, QuorumInfo):  # a Kafka controller, asked DescribeCluster
            return answer
        return _quorum_info(address, expected_cluster_id, answer)
    raise ConnectionFailed(
        f"{address}: no Kafka answer in {timeout_ms} ms (is a pykraft or Kafka node listening?)"
    )


async def _metadata(address: Address, expected_cluster_id: str | None, timeout_ms: int) -> object:
    """The node's Metadata answer, or, from a node that serves no Metadata (Kafka's controllers
    advertise neither Metadata nor ListOffsets), its `QuorumInfo` from DescribeCluster."""
    conn = await Connection.open(address, timeout_ms)
    try:
        if MetadataRequest.API_KEY not in conn.api_versions:
            return await _ask_controllers(conn, expected_cluster_id)
        topic = MetadataRequest.MetadataRequestTopic(name=METADATA_TOPIC_NAME)
        version = conn.version_for(MetadataRequest.API_KEY)
        response: object = await conn.request(MetadataRequest(topics=[topic]), version)
        return response
    finally:
        await conn.aclose()


def _quorum_info(address: Address, expected_cluster_id: str | None, response: object) -> QuorumInfo:
    if not isinstance(response, MetadataResponse):
        raise ConnectionFailed(f"{address}: unexpected answer to Metadata")
    _check_cluster_id(address, response.cluster_id, expected_cluster_id)
    voters = {b.node_id: Address(b.host, b.port) for b in response.brokers}
    leader_id, leader_epoch = NO_LEADER, NO_EPOCH
    for topic_info in response.topics:
        if topic_info.name != METADATA_TOPIC_NAME or topic_info.error_code:
            continue
        for partition in topic_info.partitions:
            if partition.partition_index == METADATA_PARTITION:
                leader_id, leader_epoch = partition.leader_id, partition.leader_epoch
    return QuorumInfo(voters, response.cluster_id, leader_id, leader_epoch)


def _check_cluster_id(address: Address, found: str | None, expected: str | None) -> None:
    if expected is not None and found is not None and found != expected:
        raise ObserverError(f"{address}: cluster id {found!r}, expected {expected!r}")


async def _ask_controllers(conn: Connection, expected_cluster_id: str | None) -> QuorumInfo:
    """A Kafka controller's view through DescribeCluster (endpoint type 2: the controllers)."""
    version = conn.version_for(DescribeClusterRequest.API_KEY)
    if version < 1:
        raise ConnectionFailed(f"{conn.address}: serves neither Metadata nor DescribeCluster v1+")
    request = DescribeClusterRequest(endpoint_type=ENDPOINT_TYPE_CONTROLLERS)
    response = await conn.request(request, version)
    if not isinstance(response, DescribeClusterResponse):
        raise ConnectionFailed(f"{conn.address}: unexpected answer to DescribeCluster")
    if response.error_code != ErrorCode.NONE:
        raise ConnectionFailed(f"{conn.address}: DescribeCluster error {response.error_code}")
    _check_cluster_id(conn.address, response.cluster_id, expected_cluster_id)
    voters = {b.broker_id: Address(b.host, b.port) for b in response.brokers}
    return QuorumInfo(voters, response.cluster_id, response.controller_id, NO_EPOCH)


async def discover(
    known: list[Address],
    *,
    expected_cluster_id: str | None,
    give_up_after_ms: int | None,
    need_leader: bool,
    fail_if_refused: bool = False,
) -> QuorumInfo:
    """Ask every known address in turn until one answers (with a leader if `need_leader`).

    Retries with a short backoff; `ObserverError` after `give_up_after_ms` (None: never), and
    at once when `fail_if_refused` and every address refused the connection (nothing listens:
    a typo, not a node that is slow to answer). One address costs at most the time left.
    """
    deadline = None
    if give_up_after_ms is not None:
        deadline = trio.current_time() + give_up_after_ms / 1000
    last_error = "no node answered"
    while True:
        refused = 0
        for address in list(known):
            attempt_ms = CONNECT_TIMEOUT_MS
            if deadline is not None:
                attempt_ms = max(min(attempt_ms, int((deadline - trio.current_time()) * 1000)), 1)
            try:
                info = await ask_metadata(address, expected_cluster_id, attempt_ms)
            except ConnectionFailed as exc:
                last_error = str(exc)
                refused += exc.refused
                continue
            for endpoint in info.voters.values():
                if endpoint not in known:
                    known.append(endpoint)
            if not info.voters:
                last_error = f"{address}: no voters in the Metadata answer"
                continue
            if need_leader and info.leader_address is None:
                last_error = f"{address}: no leader elected yet"
                continue
            return info
        if fail_if_refused and refused == len(known):
            raise ObserverError(f"cannot reach the quorum: {_every(known, 'refused')}")
        if deadline is not None and trio.current_time() >= deadline:
            raise ObserverError(f"cannot reach the quorum: {last_error}")
        await trio.sleep(REDISCOVER_BACKOFF_MS / 1000)


def _every(addresses: list[Address], problem: str) -> str:
    if len(addresses) == 1:
        return f"{addresses[0]}: connection {problem} (is a node running there?)"
    names = ", ".join(str(a) for a in addresses)
    return f"every node ({names}): connection {problem} (are the nodes running?)"


# How often a just-elected leader is asked again for its high watermark, and for how long by
# default (a tool passes its own --timeout-ms).
HIGH_WATERMARK_RETRY_MS = 100
HIGH_WATERMARK_WAIT_MS_DEFAULT = 10_000


async def list_offset(
    conn: Connection, timestamp: int, *, wait_ms: int | None = HIGH_WATERMARK_WAIT_MS_DEFAULT
) -> int:
    """ListOffsets for `__cluster_metadata`-0 (-1: latest = the high watermark, -2: earliest).

    A Kafka controller does not serve ListOffsets; its latest offset is the high watermark its
    DescribeQuorum answer gives (only the leader answers it). A leader elected a moment ago knows
    none until a majority has fetched the first batch of its epoch (Kafka answers -1 meanwhile):
    a passing state, asked again for up to `wait_ms` (None: until it knows one).
    """
    if ListOffsetsRequest.API_KEY not in conn.api_versions and timestamp == LATEST_TIMESTAMP:
        return await _quorum_high_watermark(conn, wait_ms)
    T = ListOffsetsRequest.ListOffsetsTopic
    partition = T.ListOffsetsPartition(partition_index=METADATA_PARTITION, timestamp=timestamp)
    request = ListOffsetsRequest(
        replica_id=CONSUMER_REPLICA_ID, topics=[T(name=METADATA_TOPIC_NAME, partitions=[partition])]
    )
    response = await conn.request(request)
    if not isinstance(response, ListOffsetsResponse):
        raise ConnectionFailed(f"{conn.address}: unexpected answer to ListOffsets")
    answer = response.topics[0].partitions[0]
    if answer.error_code != ErrorCode.NONE:
        raise ConnectionFailed(f"{conn.address}: ListOffsets error {answer.error_code}")
    return answer.offset


async def _quorum_high_watermark(conn: Connection, wait_ms: int | None) -> int:
    T = DescribeQuorumRequest.TopicData
    partitions = [T.PartitionData(partition_index=METADATA_PARTITION)]
    request = DescribeQuorumRequest(
        topics=[T(topic_name=METADATA_TOPIC_NAME, partitions=partitions)]
    )
    deadline = None if wait_ms is None else trio.current_time() + wait_ms / 1000
    while True:
        response = await conn.request(request)
        if not isinstance(response, DescribeQuorumResponse):
            raise ConnectionFailed(f"{conn.address}: unexpected answer to DescribeQuorum")
        if response.error_code != ErrorCode.NONE:
            raise ConnectionFailed(f"{conn.address}: DescribeQuorum error {response.error_code}")
        answer = response.topics[0].partitions[0]
        if answer.error_code != ErrorCode.NONE:
            raise ConnectionFailed(f"{conn.address}: DescribeQuorum error {answer.error_code}")
        if answer.high_watermark != NO_OFFSET:
            return answer.high_watermark
        if deadline is not None and trio.current_time() >= deadline:
            raise ObserverError(
                f"the leader at {conn.address} has known no high watermark for {wait_ms} ms "
                "(a leader just elected waits for a majority of the voters: are they up?)"
            )
        await trio.sleep(HIGH_WATERMARK_RETRY_MS / 1000)
