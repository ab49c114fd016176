"""The consumer-facing Kafka APIs of a node: ordinary Kafka consumers tail `__cluster_metadata`.

Every node serves, on its one listener and next to the Raft APIs, what a Kafka consumer with
manual assignment needs and nothing more (no group APIs, so clients never start group
coordination): Metadata, ListOffsets, OffsetForLeaderEpoch, consumer Fetch, DescribeCluster, and
Produce (advertised because librdkafka will not fetch without Produce v3+, answered with an error).

Hook for the node (it owns dispatch; these are pure functions of a request, its version and a
`NodeView` snapshot, plus the `ConsumerPort` for reading batches and long-polling):
- `CONSUMER_API_VERSIONS`: api key -> (min, max) to advertise in ApiVersions.
- `await dispatch(api_key, version, request, port)` for api keys in `CONSUMER_APIS`; returns the
  response dataclass, or None when Kafka sends no response (Produce with acks=0).
- Fetch: `is_consumer_fetch(request, version)` decides; consumer fetches go to
  `await serve_fetch(request, version, port)`, the rest to the Raft path.
"""

from __future__ import annotations

from kraft.shell.consumer.fetch import handle_produce, is_consumer_fetch, plan_fetch, serve_fetch
from kraft.shell.consumer.metadata import handle_describe_cluster, handle_metadata
from kraft.shell.consumer.offsets import handle_list_offsets, handle_offset_for_leader_epoch
from kraft.shell.consumer.view import ConsumerPort, NodeView
from wire.fields import Message
from wire.messages.describe_cluster import DescribeClusterRequest
from wire.messages.fetch import FetchRequest
from wire.messages.list_offsets import ListOffsetsRequest
from wire.messages.metadata import MetadataRequest
from wire.messages.offset_for_leader_epoch import OffsetForLeaderEpochRequest
from wire.messages.produce import ProduceRequest
from wire.registry import API_SPECS

PRODUCE_KEY = ProduceRequest.API_KEY
FETCH_KEY = FetchRequest.API_KEY
LIST_OFFSETS_KEY = ListOffsetsRequest.API_KEY
METADATA_KEY = MetadataRequest.API_KEY
OFFSET_FOR_LEADER_EPOCH_KEY = OffsetForLeaderEpochRequest.API_KEY
DESCRIBE_CLUSTER_KEY = DescribeClusterRequest.API_KEY

# APIs routed to `dispatch` (Fetch is shared with Raft and routed by `is_consumer_fetch`).
CONSUMER_APIS = frozenset(
    {PRODUCE_KEY, LIST_OFFSETS_KEY, METADATA_KEY, OFFSET_FOR_LEADER_EPOCH_KEY, DESCRIBE_CLUSTER_KEY}
)
# Every version the codec has: newer clients pick the newest (CLIENTS.md).
CONSUMER_API_VERSIONS: dict[int, tuple[int, int]] = {
    key: (API_SPECS[key].min_version, API_SPECS[key].max_version)
    for key in sorted(CONSUMER_APIS | {FETCH_KEY})
}


async def dispatch(
    api_key: int, version: int, request: Message, port: ConsumerPort
) -> Message | None:
    """Answer one consumer API request (api key in `CONSUMER_APIS`) from a fresh view."""
    view = port.view()
    if isinstance(request, MetadataRequest):
        return handle_metadata(request, version, view)
    if isinstance(request, ListOffsetsRequest):
        return await handle_list_offsets(request, version, view, port)
    if isinstance(request, OffsetForLeaderEpochRequest):
        return handle_offset_for_leader_epoch(request, version, view)
    if isinstance(request, DescribeClusterRequest):
        return handle_describe_cluster(request, version, view)
    if isinstance(request, ProduceRequest):
        return handle_produce(request, version, view)
    raise AssertionError(f"api key {api_key} is not a consumer API")


__all__ = [
    "CONSUMER_APIS",
    "CONSUMER_API_VERSIONS",
    "ConsumerPort",
    "NodeView",
    "dispatch",
    "handle_describe_cluster",
    "handle_list_offsets",
    "handle_metadata",
    "handle_offset_for_leader_epoch",
    "handle_produce",
    "is_consumer_fetch",
    "plan_fetch",
    "serve_fetch",
]
