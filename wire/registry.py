"""API key → request/response classes and supported versions: what pykraft speaks and advertises.

Schemas followed: Apache Kafka's message schemas of the **4.0 line** (trunk at
`e6d242113625f20108b64bf54e796fcbcff6d8a7`, 2024-12-27, i.e. Kafka 4.0.0's protocol), extended with
the later 4.x version ranges that newer clients pick: Fetch v18 (`FetchPartition.HighWatermark`,
tagged 1, KIP-1166), Metadata v0-3 reinstated, ListOffsets v11 (KIP-1023; no field change),
AddRaftVoter v1 (`AckWhenCommitted`, KIP-1186, Kafka 4.2) and Produce v13 (topic ids, KIP-516).

`API_SPECS` is the single source of what ApiVersions advertises (`api_versions_response`), except
that specs with `advertised=False` (FindCoordinator: advertising group APIs makes librdkafka use
them) are declared and decodable but never listed. Which APIs a given listener serves is the
node's choice; it passes the keys it serves to `api_versions_response`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from uuid import UUID

from wire.fields import VERSION_MAX, Message, Versions
from wire.messages import (
    add_raft_voter,
    api_versions,
    begin_quorum_epoch,
    describe_cluster,
    describe_quorum,
    end_quorum_epoch,
    fetch,
    fetch_snapshot,
    find_coordinator,
    list_offsets,
    metadata,
    offset_for_leader_epoch,
    produce,
    remove_raft_voter,
    sasl_authenticate,
    sasl_handshake,
    update_raft_voter,
    vote,
)

METADATA_TOPIC_NAME = "__cluster_metadata"
METADATA_TOPIC_ID = UUID(int=1)  # Kafka's fixed id, base64 AAAAAAAAAAAAAAAAAAAAAQ
METADATA_PARTITION = 0
API_VERSIONS_KEY = api_versions.ApiVersionsRequest.API_KEY


@dataclass(frozen=True, slots=True)
class ApiSpec:
    name: str
    api_key: int
    request_cls: type[Message]
    response_cls: type[Message]
    min_version: int
    max_version: int
    flexible_min_version: int  # VERSION_MAX-ish (0x7fff) when never flexible
    advertised: bool = True

    @property
    def versions(self) -> Versions:
        return Versions(self.min_version, self.max_version)

    def is_flexible(self, version: int) -> bool:
        return version >= self.flexible_min_version


def api_spec(name: str, request: type[Message], response: type[Message], **kw: Any) -> ApiSpec:
    """The spec of one API from its request and response classes (which must agree)."""
    assert request.API_KEY == response.API_KEY, name
    assert request.VERSIONS == response.VERSIONS, name
    assert request.FLEXIBLE.lo == response.FLEXIBLE.lo, name
    return ApiSpec(
        name=name,
        api_key=request.API_KEY,
        request_cls=request,
        response_cls=response,
        min_version=request.VERSIONS.lo,
        max_version=request.VERSIONS.hi,
        # a never-flexible API (Versions.NONE, whose lo is 1) must not look flexible from v1
        flexible_min_version=(
            request.FLEXIBLE.lo if request.FLEXIBLE != Versions.NONE else VERSION_MAX
        ),
        **kw,
    )


_ALL = (
    api_spec("Produce", produce.ProduceRequest, produce.ProduceResponse),
    api_spec("Fetch", fetch.FetchRequest, fetch.FetchResponse),
    api_spec("ListOffsets", list_offsets.ListOffsetsRequest, list_offsets.ListOffsetsResponse),
    api_spec("Metadata", metadata.MetadataRequest, metadata.MetadataResponse),
    api_spec(
        "FindCoordinator",
        find_coordinator.FindCoordinatorRequest,
        find_coordinator.FindCoordinatorResponse,
        advertised=False,
    ),
    api_spec(
        "SaslHandshake",
        sasl_handshake.SaslHandshakeRequest,
        sasl_handshake.SaslHandshakeResponse,
    ),
    api_spec("ApiVersions", api_versions.ApiVersionsRequest, api_versions.ApiVersionsResponse),
    api_spec(
        "OffsetForLeaderEpoch",
        offset_for_leader_epoch.OffsetForLeaderEpochRequest,
        offset_for_leader_epoch.OffsetForLeaderEpochResponse,
    ),
    api_spec("Vote", vote.VoteRequest, vote.VoteResponse),
    api_spec(
        "BeginQuorumEpoch",
        begin_quorum_epoch.BeginQuorumEpochRequest,
        begin_quorum_epoch.BeginQuorumEpochResponse,
    ),
    api_spec(
        "EndQuorumEpoch",
        end_quorum_epoch.EndQuorumEpochRequest,
        end_quorum_epoch.EndQuorumEpochResponse,
    ),
    api_spec(
        "SaslAuthenticate",
        sasl_authenticate.SaslAuthenticateRequest,
        sasl_authenticate.SaslAuthenticateResponse,
    ),
    api_spec(
        "DescribeQuorum",
        describe_quorum.DescribeQuorumRequest,
        describe_quorum.DescribeQuorumResponse,
    ),
    api_spec(
        "FetchSnapshot", fetch_snapshot.FetchSnapshotRequest, fetch_snapshot.FetchSnapshotResponse
    ),
    api_spec(
        "DescribeCluster",
        describe_cluster.DescribeClusterRequest,
        describe_cluster.DescribeClusterResponse,
    ),
    api_spec(
        "AddRaftVoter", add_raft_voter.AddRaftVoterRequest, add_raft_voter.AddRaftVoterResponse
    ),
    api_spec(
        "RemoveRaftVoter",
        remove_raft_voter.RemoveRaftVoterRequest,
        remove_raft_voter.RemoveRaftVoterResponse,
    ),
    api_spec(
        "UpdateRaftVoter",
        update_raft_voter.UpdateRaftVoterRequest,
        update_raft_voter.UpdateRaftVoterResponse,
    ),
)

API_SPECS: Mapping[int, ApiSpec] = MappingProxyType({s.api_key: s for s in _ALL})
API_KEYS_BY_NAME: Mapping[str, int] = MappingProxyType({s.name: s.api_key for s in _ALL})


def request_header_version(api_key: int, api_version: int) -> int:
    """2 if the body version is flexible, else 1 (Kafka 4.x no longer uses request header v0)."""
    return 2 if API_SPECS[api_key].is_flexible(api_version) else 1


def response_header_version(api_key: int, api_version: int) -> int:
    """1 if the body version is flexible, else 0; ApiVersions responses always use v0 (KIP-511)."""
    if api_key == API_VERSIONS_KEY:
        return 0
    return 1 if API_SPECS[api_key].is_flexible(api_version) else 0


def api_versions_response(
    api_keys: Iterable[int] | None = None,
    *,
    error_code: int = 0,
    throttle_time_ms: int = 0,
    finalized_features_epoch: int = -1,
    supported_features: Iterable[tuple[str, int, int]] = (),
    finalized_features: Iterable[tuple[str, int, int]] = (),
) -> api_versions.ApiVersionsResponse:
    """An ApiVersionsResponse listing `api_keys` (default: every advertised API) from the registry.

    Features are `(name, min_version, max_version)` for supported and `(name, min_version_level,
    max_version_level)` for finalized ones (e.g. `("kraft.version", 0, 1)`).
    """
    keys = sorted(
        s.api_key for s in _ALL if s.advertised and (api_keys is None or s.api_key in api_keys)
    )
    if api_keys is not None:
        unknown = set(api_keys) - set(API_SPECS)
        assert not unknown, f"unknown api keys {unknown}"
    R = api_versions.ApiVersionsResponse
    return R(
        error_code=error_code,
        api_keys=[
            R.ApiVersion(
                api_key=k,
                min_version=API_SPECS[k].min_version,
                max_version=API_SPECS[k].max_version,
            )
            for k in keys
        ],
        throttle_time_ms=throttle_time_ms,
        supported_features=[
            R.SupportedFeatureKey(name=n, min_version=lo, max_version=hi)
            for n, lo, hi in supported_features
        ],
        finalized_features_epoch=finalized_features_epoch,
        finalized_features=[
            R.FinalizedFeatureKey(name=n, min_version_level=lo, max_version_level=hi)
            for n, lo, hi in finalized_features
        ],
    )
