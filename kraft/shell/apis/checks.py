"""Validation of remote values, where they enter (issue #12): one check a kind, used by every API.

Requests (we are the server): a value out of range makes the request `topic_partition_valid=False`,
which the core answers with a top-level INVALID_REQUEST (never a partition-level one: a Kafka peer
halts on that). Answers (we are the client): a value out of range raises `DecodeError`, so the peer
task reports the request as failed and the core backs off and retries.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

import idna

from kraft.election import EPOCH_MAX
from kraft.types import Endpoint
from wire.errors import DecodeError, ErrorCode
from wire.registry import METADATA_PARTITION

P = TypeVar("P")

# A DNS name: at most 253 characters (without a final dot), labels of 1..63 letters, digits,
# hyphens (not first or last) and underscores (Docker/Kubernetes service names).
HOST_CHARS_MAX = 253
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\Z")
PORT_MIN = 1  # port 0 cannot be connected to
PORT_MAX = 65535


class WireEndpoint(Protocol):
    """A host and port as every endpoint structure of the raft APIs carries them."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...


class WireNodeEndpoint(WireEndpoint, Protocol):
    @property
    def node_id(self) -> int: ...


class IndexedPartition(Protocol):
    @property
    def partition_index(self) -> int: ...


IndexedT = TypeVar("IndexedT", bound=IndexedPartition)
IndexedT_co = TypeVar("IndexedT_co", bound=IndexedPartition, covariant=True)


class NamedTopic(Protocol[IndexedT_co]):
    """A topic as Vote, BeginQuorumEpoch, EndQuorumEpoch and DescribeQuorum carry it."""

    @property
    def topic_name(self) -> str: ...
    @property
    def partitions(self) -> Sequence[IndexedT_co]: ...


def valid_epoch(epoch: int) -> bool:
    """An epoch this node may adopt: one it can still increment and encode."""
    return 0 <= epoch <= EPOCH_MAX


def epochs_in_range(*epochs: int) -> bool:
    """Request epochs a node could adopt (or compare): none above `EPOCH_MAX`. Negative ones keep
    their Kafka meaning and are judged by the core's handlers, exactly as Kafka's."""
    return all(epoch <= EPOCH_MAX for epoch in epochs)


def valid_host(host: str) -> bool:
    """An IP literal, or a name `trio.open_tcp_stream` can look up: ASCII as it is, anything else
    through IDNA 2008 with UTS #46 mapping (what trio does; it raises `UnicodeError`, not
    `OSError`, for a name it cannot encode)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
    except (UnicodeError, idna.IDNAError):
        return False
    name = name.removesuffix(".")
    if not name or len(name) > HOST_CHARS_MAX:
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def valid_endpoint(host: str, port: int) -> bool:
    return PORT_MIN <= port <= PORT_MAX and valid_host(host)


def endpoints_usable(endpoints: Iterable[WireEndpoint]) -> bool:
    """A request's LeaderEndpoints: every one a host and port we could connect to."""
    return all(valid_endpoint(e.host, e.port) for e in endpoints)


def leader_request_valid(leader_epoch: int, leader_endpoints: Iterable[WireEndpoint]) -> bool:
    """BeginQuorumEpoch/EndQuorumEpoch: an epoch we could adopt, endpoints we could connect to."""
    return epochs_in_range(leader_epoch) and endpoints_usable(leader_endpoints)


def our_partition(
    topics: Sequence[tuple[str, Sequence[P]]], topic_name: str, index: Callable[[P], int]
) -> P | None:
    """The single partition of the single topic, if the topic is `topic_name` and the partition
    ours; else None. `topics` is (name, partitions) per topic; `index` reads a partition's index
    (`PartitionIndex` in most messages, `Partition` in Fetch/FetchSnapshot requests, `Index` in
    FetchSnapshot answers)."""
    if len(topics) != 1:
        return None
    name, partitions = topics[0]
    if name != topic_name or len(partitions) != 1:
        return None
    partition = partitions[0]
    return partition if index(partition) == METADATA_PARTITION else None


def our_named_partition(topics: Sequence[NamedTopic[IndexedT]], topic_name: str) -> IndexedT | None:
    """`our_partition` of topics named by `TopicName`, partitions indexed by `PartitionIndex`."""
    return our_partition(
        [(t.topic_name, t.partitions) for t in topics], topic_name, _partition_index
    )


def _partition_index(partition: IndexedPartition) -> int:
    return partition.partition_index


# ------------------------------------------------------------------------- answers we get


def error_code(value: int) -> ErrorCode:
    """An error code from a peer; one this build does not know is UNKNOWN_SERVER_ERROR."""
    try:
        return ErrorCode(value)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR


def top_level_error(value: int) -> ErrorCode:
    """The error of an answer without a usable partition: its own, else INVALID_REQUEST."""
    return error_code(value if value != ErrorCode.NONE else ErrorCode.INVALID_REQUEST)


def checked_epoch(epoch: int, what: str) -> int:
    if not valid_epoch(epoch):
        raise DecodeError(f"{what} {epoch} out of range")
    return epoch


def node_endpoints_to_core(endpoints: Iterable[WireNodeEndpoint]) -> dict[int, Endpoint]:
    """An answer's NodeEndpoints: every one must be a usable host and port."""
    for e in endpoints:
        if not valid_endpoint(e.host, e.port):
            raise DecodeError(f"node {e.node_id} endpoint {e.host!r}:{e.port} is not usable")
    return {e.node_id: Endpoint(e.host, e.port) for e in endpoints}
