"""Every Kafka API: the complete catalog that the decoder (`kraft decode`) and `kraft proxy` use.

`CATALOG[api_key] -> ApiSpec` holds every request/response pair a Kafka 4.3.1 broker or controller
speaks, every version Kafka 4.3.1's own schemas list (InitProducerId v6 included, though Kafka
marks it unstable and serves it only with `unstable.api.versions.enable`). The retired keys 4-7
(LeaderAndIsr, StopReplica, UpdateMetadata, ControlledShutdown: no valid version in 4.x) are
absent. SaslHandshake (17) and SaslAuthenticate (36) are declared by the security layer and join
the catalog with it.

This is separate from `wire.registry.API_SPECS`, which is what a pykraft node speaks and
advertises; the APIs both list are the same `ApiSpec` objects (one declaration per message).

Header versions follow Kafka's rule for every API (request header v2 iff the body version is
flexible, else v1; response header v1 iff flexible, except ApiVersions: always v0), so
`decode_request`/`decode_response` here read any API's frames, where `wire.headers` reads only
the registry's.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from wire.compiler import decode_stream, message_codec, parse_from
from wire.errors import DecodeError, UnsupportedRequestError, UnsupportedVersionError
from wire.fields import Message
from wire.headers import (
    KEY_VERSION_BYTES,
    KEY_VERSION_CORRELATION_BYTES,
    RequestHeader,
    ResponseHeader,
)
from wire.messages import (
    add_offsets_to_txn,
    add_partitions_to_txn,
    allocate_producer_ids,
    alter_client_quotas,
    alter_configs,
    alter_partition,
    alter_partition_reassignments,
    alter_replica_log_dirs,
    alter_share_group_offsets,
    alter_user_scram_credentials,
    assign_replicas_to_dirs,
    broker_heartbeat,
    broker_registration,
    consumer_group_describe,
    consumer_group_heartbeat,
    controller_registration,
    create_acls,
    create_delegation_token,
    create_partitions,
    create_topics,
    delete_acls,
    delete_groups,
    delete_records,
    delete_share_group_offsets,
    delete_share_group_state,
    delete_topics,
    describe_acls,
    describe_client_quotas,
    describe_configs,
    describe_delegation_token,
    describe_groups,
    describe_log_dirs,
    describe_producers,
    describe_share_group_offsets,
    describe_topic_partitions,
    describe_transactions,
    describe_user_scram_credentials,
    elect_leaders,
    end_txn,
    envelope,
    expire_delegation_token,
    get_telemetry_subscriptions,
    heartbeat,
    incremental_alter_configs,
    init_producer_id,
    initialize_share_group_state,
    join_group,
    leave_group,
    list_config_resources,
    list_groups,
    list_partition_reassignments,
    list_transactions,
    offset_commit,
    offset_delete,
    offset_fetch,
    push_telemetry,
    read_share_group_state,
    read_share_group_state_summary,
    renew_delegation_token,
    share_acknowledge,
    share_fetch,
    share_group_describe,
    share_group_heartbeat,
    streams_group_describe,
    streams_group_heartbeat,
    sync_group,
    txn_offset_commit,
    unregister_broker,
    update_features,
    write_share_group_state,
    write_txn_markers,
)
from wire.primitives import Buffer
from wire.registry import API_SPECS, API_VERSIONS_KEY, ApiSpec, api_spec


def _spec(name: str, request: type[Message], response: type[Message]) -> ApiSpec:
    assert request.__name__ == name + "Request" and response.__name__ == name + "Response", name
    assert request.FLEXIBLE == response.FLEXIBLE, name
    return api_spec(name, request, response)


# the APIs pykraft does not speak itself, in api key order
_MORE = (
    _spec("OffsetCommit", offset_commit.OffsetCommitRequest, offset_commit.OffsetCommitResponse),
    _spec("OffsetFetch", offset_fetch.OffsetFetchRequest, offset_fetch.OffsetFetchResponse),
    _spec("JoinGroup", join_group.JoinGroupRequest, join_group.JoinGroupResponse),
    _spec("Heartbeat", heartbeat.HeartbeatRequest, heartbeat.HeartbeatResponse),
    _spec("LeaveGroup", leave_group.LeaveGroupRequest, leave_group.LeaveGroupResponse),
    _spec("SyncGroup", sync_group.SyncGroupRequest, sync_group.SyncGroupResponse),
    _spec(
        "DescribeGroups",
        describe_groups.DescribeGroupsRequest,
        describe_groups.DescribeGroupsResponse,
    ),
    _spec("ListGroups", list_groups.ListGroupsRequest, list_groups.ListGroupsResponse),
    _spec("CreateTopics", create_topics.CreateTopicsRequest, create_topics.CreateTopicsResponse),
    _spec("DeleteTopics", delete_topics.DeleteTopicsRequest, delete_topics.DeleteTopicsResponse),
    _spec(
        "DeleteRecords", delete_records.DeleteRecordsRequest, delete_records.DeleteRecordsResponse
    ),
    _spec(
        "InitProducerId",
        init_producer_id.InitProducerIdRequest,
        init_producer_id.InitProducerIdResponse,
    ),
    _spec(
        "AddPartitionsToTxn",
        add_partitions_to_txn.AddPartitionsToTxnRequest,
        add_partitions_to_txn.AddPartitionsToTxnResponse,
    ),
    _spec(
        "AddOffsetsToTxn",
        add_offsets_to_txn.AddOffsetsToTxnRequest,
        add_offsets_to_txn.AddOffsetsToTxnResponse,
    ),
    _spec("EndTxn", end_txn.EndTxnRequest, end_txn.EndTxnResponse),
    _spec(
        "WriteTxnMarkers",
        write_txn_markers.WriteTxnMarkersRequest,
        write_txn_markers.WriteTxnMarkersResponse,
    ),
    _spec(
        "TxnOffsetCommit",
        txn_offset_commit.TxnOffsetCommitRequest,
        txn_offset_commit.TxnOffsetCommitResponse,
    ),
    _spec("DescribeAcls", describe_acls.DescribeAclsRequest, describe_acls.DescribeAclsResponse),
    _spec("CreateAcls", create_acls.CreateAclsRequest, create_acls.CreateAclsResponse),
    _spec("DeleteAcls", delete_acls.DeleteAclsRequest, delete_acls.DeleteAclsResponse),
    _spec(
        "DescribeConfigs",
        describe_configs.DescribeConfigsRequest,
        describe_configs.DescribeConfigsResponse,
    ),
    _spec("AlterConfigs", alter_configs.AlterConfigsRequest, alter_configs.AlterConfigsResponse),
    _spec(
        "AlterReplicaLogDirs",
        alter_replica_log_dirs.AlterReplicaLogDirsRequest,
        alter_replica_log_dirs.AlterReplicaLogDirsResponse,
    ),
    _spec(
        "DescribeLogDirs",
        describe_log_dirs.DescribeLogDirsRequest,
        describe_log_dirs.DescribeLogDirsResponse,
    ),
    _spec(
        "CreatePartitions",
        create_partitions.CreatePartitionsRequest,
        create_partitions.CreatePartitionsResponse,
    ),
    _spec(
        "CreateDelegationToken",
        create_delegation_token.CreateDelegationTokenRequest,
        create_delegation_token.CreateDelegationTokenResponse,
    ),
    _spec(
        "RenewDelegationToken",
        renew_delegation_token.RenewDelegationTokenRequest,
        renew_delegation_token.RenewDelegationTokenResponse,
    ),
    _spec(
        "ExpireDelegationToken",
        expire_delegation_token.ExpireDelegationTokenRequest,
        expire_delegation_token.ExpireDelegationTokenResponse,
    ),
    _spec(
        "DescribeDelegationToken",
        describe_delegation_token.DescribeDelegationTokenRequest,
        describe_delegation_token.DescribeDelegationTokenResponse,
    ),
    _spec("DeleteGroups", delete_groups.DeleteGroupsRequest, delete_groups.DeleteGroupsResponse),
    _spec("ElectLeaders", elect_leaders.ElectLeadersRequest, elect_leaders.ElectLeadersResponse),
    _spec(
        "IncrementalAlterConfigs",
        incremental_alter_configs.IncrementalAlterConfigsRequest,
        incremental_alter_configs.IncrementalAlterConfigsResponse,
    ),
    _spec(
        "AlterPartitionReassignments",
        alter_partition_reassignments.AlterPartitionReassignmentsRequest,
        alter_partition_reassignments.AlterPartitionReassignmentsResponse,
    ),
    _spec(
        "ListPartitionReassignments",
        list_partition_reassignments.ListPartitionReassignmentsRequest,
        list_partition_reassignments.ListPartitionReassignmentsResponse,
    ),
    _spec("OffsetDelete", offset_delete.OffsetDeleteRequest, offset_delete.OffsetDeleteResponse),
    _spec(
        "DescribeClientQuotas",
        describe_client_quotas.DescribeClientQuotasRequest,
        describe_client_quotas.DescribeClientQuotasResponse,
    ),
    _spec(
        "AlterClientQuotas",
        alter_client_quotas.AlterClientQuotasRequest,
        alter_client_quotas.AlterClientQuotasResponse,
    ),
    _spec(
        "DescribeUserScramCredentials",
        describe_user_scram_credentials.DescribeUserScramCredentialsRequest,
        describe_user_scram_credentials.DescribeUserScramCredentialsResponse,
    ),
    _spec(
        "AlterUserScramCredentials",
        alter_user_scram_credentials.AlterUserScramCredentialsRequest,
        alter_user_scram_credentials.AlterUserScramCredentialsResponse,
    ),
    _spec(
        "AlterPartition",
        alter_partition.AlterPartitionRequest,
        alter_partition.AlterPartitionResponse,
    ),
    _spec(
        "UpdateFeatures",
        update_features.UpdateFeaturesRequest,
        update_features.UpdateFeaturesResponse,
    ),
    _spec("Envelope", envelope.EnvelopeRequest, envelope.EnvelopeResponse),
    _spec(
        "DescribeProducers",
        describe_producers.DescribeProducersRequest,
        describe_producers.DescribeProducersResponse,
    ),
    _spec(
        "BrokerRegistration",
        broker_registration.BrokerRegistrationRequest,
        broker_registration.BrokerRegistrationResponse,
    ),
    _spec(
        "BrokerHeartbeat",
        broker_heartbeat.BrokerHeartbeatRequest,
        broker_heartbeat.BrokerHeartbeatResponse,
    ),
    _spec(
        "UnregisterBroker",
        unregister_broker.UnregisterBrokerRequest,
        unregister_broker.UnregisterBrokerResponse,
    ),
    _spec(
        "DescribeTransactions",
        describe_transactions.DescribeTransactionsRequest,
        describe_transactions.DescribeTransactionsResponse,
    ),
    _spec(
        "ListTransactions",
        list_transactions.ListTransactionsRequest,
        list_transactions.ListTransactionsResponse,
    ),
    _spec(
        "AllocateProducerIds",
        allocate_producer_ids.AllocateProducerIdsRequest,
        allocate_producer_ids.AllocateProducerIdsResponse,
    ),
    _spec(
        "ConsumerGroupHeartbeat",
        consumer_group_heartbeat.ConsumerGroupHeartbeatRequest,
        consumer_group_heartbeat.ConsumerGroupHeartbeatResponse,
    ),
    _spec(
        "ConsumerGroupDescribe",
        consumer_group_describe.ConsumerGroupDescribeRequest,
        consumer_group_describe.ConsumerGroupDescribeResponse,
    ),
    _spec(
        "ControllerRegistration",
        controller_registration.ControllerRegistrationRequest,
        controller_registration.ControllerRegistrationResponse,
    ),
    _spec(
        "GetTelemetrySubscriptions",
        get_telemetry_subscriptions.GetTelemetrySubscriptionsRequest,
        get_telemetry_subscriptions.GetTelemetrySubscriptionsResponse,
    ),
    _spec(
        "PushTelemetry", push_telemetry.PushTelemetryRequest, push_telemetry.PushTelemetryResponse
    ),
    _spec(
        "AssignReplicasToDirs",
        assign_replicas_to_dirs.AssignReplicasToDirsRequest,
        assign_replicas_to_dirs.AssignReplicasToDirsResponse,
    ),
    _spec(
        "ListConfigResources",
        list_config_resources.ListConfigResourcesRequest,
        list_config_resources.ListConfigResourcesResponse,
    ),
    _spec(
        "DescribeTopicPartitions",
        describe_topic_partitions.DescribeTopicPartitionsRequest,
        describe_topic_partitions.DescribeTopicPartitionsResponse,
    ),
    _spec(
        "ShareGroupHeartbeat",
        share_group_heartbeat.ShareGroupHeartbeatRequest,
        share_group_heartbeat.ShareGroupHeartbeatResponse,
    ),
    _spec(
        "ShareGroupDescribe",
        share_group_describe.ShareGroupDescribeRequest,
        share_group_describe.ShareGroupDescribeResponse,
    ),
    _spec("ShareFetch", share_fetch.ShareFetchRequest, share_fetch.ShareFetchResponse),
    _spec(
        "ShareAcknowledge",
        share_acknowledge.ShareAcknowledgeRequest,
        share_acknowledge.ShareAcknowledgeResponse,
    ),
    _spec(
        "InitializeShareGroupState",
        initialize_share_group_state.InitializeShareGroupStateRequest,
        initialize_share_group_state.InitializeShareGroupStateResponse,
    ),
    _spec(
        "ReadShareGroupState",
        read_share_group_state.ReadShareGroupStateRequest,
        read_share_group_state.ReadShareGroupStateResponse,
    ),
    _spec(
        "WriteShareGroupState",
        write_share_group_state.WriteShareGroupStateRequest,
        write_share_group_state.WriteShareGroupStateResponse,
    ),
    _spec(
        "DeleteShareGroupState",
        delete_share_group_state.DeleteShareGroupStateRequest,
        delete_share_group_state.DeleteShareGroupStateResponse,
    ),
    _spec(
        "ReadShareGroupStateSummary",
        read_share_group_state_summary.ReadShareGroupStateSummaryRequest,
        read_share_group_state_summary.ReadShareGroupStateSummaryResponse,
    ),
    _spec(
        "StreamsGroupHeartbeat",
        streams_group_heartbeat.StreamsGroupHeartbeatRequest,
        streams_group_heartbeat.StreamsGroupHeartbeatResponse,
    ),
    _spec(
        "StreamsGroupDescribe",
        streams_group_describe.StreamsGroupDescribeRequest,
        streams_group_describe.StreamsGroupDescribeResponse,
    ),
    _spec(
        "DescribeShareGroupOffsets",
        describe_share_group_offsets.DescribeShareGroupOffsetsRequest,
        describe_share_group_offsets.DescribeShareGroupOffsetsResponse,
    ),
    _spec(
        "AlterShareGroupOffsets",
        alter_share_group_offsets.AlterShareGroupOffsetsRequest,
        alter_share_group_offsets.AlterShareGroupOffsetsResponse,
    ),
    _spec(
        "DeleteShareGroupOffsets",
        delete_share_group_offsets.DeleteShareGroupOffsetsRequest,
        delete_share_group_offsets.DeleteShareGroupOffsetsResponse,
    ),
)

CATALOG: Mapping[int, ApiSpec] = MappingProxyType(
    dict(sorted({**{s.api_key: s for s in _MORE}, **API_SPECS}.items()))
)
CATALOG_KEYS_BY_NAME: Mapping[str, int] = MappingProxyType({s.name: k for k, s in CATALOG.items()})


def spec_for(api_key: int) -> ApiSpec | None:
    """The API with this key, or None for a key no Kafka 4.x API has."""
    return CATALOG.get(api_key)


def request_header_version(api_key: int, api_version: int) -> int:
    """2 if the body version is flexible, else 1 (Kafka 4.x has no request header v0 user)."""
    return 2 if CATALOG[api_key].is_flexible(api_version) else 1


def response_header_version(api_key: int, api_version: int) -> int:
    """1 if the body version is flexible, else 0; ApiVersions responses always use v0 (KIP-511)."""
    if api_key == API_VERSIONS_KEY:
        return 0
    return 1 if CATALOG[api_key].is_flexible(api_version) else 0


def decode_request(frame: bytes | memoryview) -> tuple[RequestHeader, Any]:
    """A request frame payload (no size prefix) of any API -> (header, body).

    Raises `UnsupportedRequestError` (with the correlation id when the frame has one) for a key
    or version the catalog lacks, `DecodeError` for bytes that do not parse.
    """
    if len(frame) < KEY_VERSION_BYTES:
        raise DecodeError("frame too short for a request header", offset=0, field="header")
    stream = Buffer(frame)
    api_key = int.from_bytes(frame[0:2], "big", signed=True)
    api_version = int.from_bytes(frame[2:4], "big", signed=True)
    spec = CATALOG.get(api_key)
    if spec is None or api_version not in spec.versions:
        correlation_id = None
        if len(frame) >= KEY_VERSION_CORRELATION_BYTES:
            correlation_id = int.from_bytes(frame[4:8], "big", signed=True)
        raise UnsupportedRequestError(api_key, api_version, correlation_id)
    hv = request_header_version(api_key, api_version)
    header = parse_from(message_codec(RequestHeader, hv), stream)
    return header, decode_stream(spec.request_cls, stream, api_version)


def decode_response(api_key: int, api_version: int, frame: bytes | memoryview) -> tuple[int, Any]:
    """A response frame payload (no size prefix) of any API -> (correlation_id, body)."""
    spec = CATALOG.get(api_key)
    if spec is None or api_version not in spec.versions:
        raise UnsupportedVersionError(api_key, api_version)
    hv = response_header_version(api_key, api_version)
    stream = Buffer(frame)
    header = parse_from(message_codec(ResponseHeader, hv), stream)
    return header.correlation_id, decode_stream(spec.response_cls, stream, api_version)
