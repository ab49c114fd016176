"""Metadata and DescribeCluster: the quorum presented as a one-partition Kafka cluster.

Brokers are the voters at their advertised endpoints (clients reconnect to those addresses), the
only topic is `__cluster_metadata` (internal, Kafka's fixed topic id) with partition 0 led by the
Raft leader at leader epoch = Raft epoch, replicas = ISR = the voters. Every node answers from its
own view, leader or not, so clients bootstrapping through any node find the leader.

DescribeCluster serves both endpoint types: the node is a controller (KIP-919
`--bootstrap-controller`, endpoint type 2) and also the "broker" consumers talk to (type 1); both
list the voters, with ControllerId = the Raft leader (-1 when unknown or not listed). So Kafka's
MISMATCHED_ENDPOINT_TYPE (114, or 42 at v0) never applies; an unknown type gets
UNSUPPORTED_ENDPOINT_TYPE (115).
"""

from __future__ import annotations

from kraft.shell.consumer.checks import is_metadata_topic, is_metadata_topic_id
from kraft.shell.consumer.view import (
    METADATA_PARTITION,
    METADATA_TOPIC_ID,
    METADATA_TOPIC_NAME,
    NO_LEADER,
    NodeView,
)
from wire.errors import ErrorCode
from wire.messages.describe_cluster import DescribeClusterRequest, DescribeClusterResponse
from wire.messages.metadata import MetadataRequest, MetadataResponse

_Broker = MetadataResponse.MetadataResponseBroker
_Topic = MetadataResponse.MetadataResponseTopic
_Partition = MetadataResponse.MetadataResponseTopic.MetadataResponsePartition

# Metadata v10+ topic addressed by id only: the request carries a null name.
_ENDPOINT_TYPE_BROKERS = 1
_NULLABLE_NAME_VERSION_MIN = 12
_ENDPOINT_TYPE_CONTROLLERS = 2


def _leader_id(view: NodeView) -> int:
    return view.leader_id if view.endpoint_of(view.leader_id) is not None else NO_LEADER


def _metadata_topic(view: NodeView) -> MetadataResponse.MetadataResponseTopic:
    leader_id = _leader_id(view)
    voter_ids = view.voter_ids
    partition = _Partition(
        # A broker answers LEADER_NOT_AVAILABLE for a partition whose leader is unknown; clients
        # retry Metadata until the election ends.
        error_code=ErrorCode.NONE if leader_id != NO_LEADER else ErrorCode.LEADER_NOT_AVAILABLE,
        partition_index=METADATA_PARTITION,
        leader_id=leader_id,
        leader_epoch=view.epoch,
        replica_nodes=voter_ids,
        isr_nodes=voter_ids,
        offline_replicas=[],
    )
    return _Topic(
        error_code=ErrorCode.NONE,
        name=METADATA_TOPIC_NAME,
        topic_id=METADATA_TOPIC_ID,
        is_internal=True,
        partitions=[partition],
    )


def handle_metadata(request: MetadataRequest, version: int, view: NodeView) -> MetadataResponse:
    """Answer Metadata: all topics (null list, or an empty list at v0) = the metadata topic."""
    topics: list[MetadataResponse.MetadataResponseTopic] = []
    if request.topics is None or (version == 0 and not request.topics):
        topics.append(_metadata_topic(view))
    else:
        for wanted in request.topics:
            if wanted.name is not None:
                if is_metadata_topic(wanted.name):
                    topics.append(_metadata_topic(view))
                else:
                    topics.append(
                        _Topic(error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name=wanted.name)
                    )
            elif is_metadata_topic_id(wanted.topic_id):
                topics.append(_metadata_topic(view))
            else:
                # The response name is nullable only from v12 (the first version asking by id).
                name = None if version >= _NULLABLE_NAME_VERSION_MIN else ""
                topics.append(
                    _Topic(
                        error_code=ErrorCode.UNKNOWN_TOPIC_ID, name=name, topic_id=wanted.topic_id
                    )
                )
    brokers = [_Broker(node_id=v.node_id, host=v.host, port=v.port) for v in view.voters]
    return MetadataResponse(
        brokers=brokers,
        cluster_id=view.cluster_id,
        controller_id=_leader_id(view),
        topics=topics,
    )


def handle_describe_cluster(
    request: DescribeClusterRequest, version: int, view: NodeView
) -> DescribeClusterResponse:
    """Answer DescribeCluster with the voters, for either endpoint type (see module docstring)."""
    # v0 has no EndpointType on the wire: it asks for brokers, which we serve.
    endpoint_type = request.endpoint_type if version >= 1 else _ENDPOINT_TYPE_BROKERS
    if endpoint_type not in (_ENDPOINT_TYPE_BROKERS, _ENDPOINT_TYPE_CONTROLLERS):
        return DescribeClusterResponse(
            error_code=ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
            error_message=f"unsupported endpoint type {endpoint_type}",
            endpoint_type=endpoint_type,
            cluster_id=view.cluster_id,
        )
    brokers = [
        DescribeClusterResponse.DescribeClusterBroker(broker_id=v.node_id, host=v.host, port=v.port)
        for v in view.voters
    ]
    return DescribeClusterResponse(
        endpoint_type=endpoint_type,
        cluster_id=view.cluster_id,
        controller_id=_leader_id(view),
        brokers=brokers,
    )
