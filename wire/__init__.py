"""Kafka's binary protocol, sans-I/O: one typed dataclass per message, all versions.

Public API (stable; the node, sim and tools code against it):

- `wire.encode(message, version) -> bytes`: body only, no header, no size prefix.
- `wire.decode(MessageCls, data, version) -> MessageCls`: must consume exactly all of `data`;
  any bad input raises `wire.errors.DecodeError` (never another exception); a version the class
  does not have raises `wire.errors.UnsupportedVersionError`.
- Messages: `wire.messages.<api>` (vote, begin_quorum_epoch, end_quorum_epoch, fetch,
  fetch_snapshot, describe_quorum, describe_cluster, api_versions, metadata, list_offsets,
  offset_for_leader_epoch,
  produce, find_coordinator, add_raft_voter, remove_raft_voter, update_raft_voter), plus
  `control_records` (LeaderChangeMessage, SnapshotHeaderRecord, SnapshotFooterRecord,
  KRaftVersionRecord, VotersRecord) and `quorum_state` (QuorumStateData, to_json/from_json).
  Classes are named as upstream (`VoteRequest`); nested structs are nested classes named as
  upstream's struct names (`VoteRequest.TopicData.PartitionData`); fields are upstream names in
  snake_case with the schema's defaults, so `VoteRequest()` is valid. Dataclasses are frozen (use
  `dataclasses.replace`); arrays are lists; `uuid` fields are `uuid.UUID` (zero UUID default);
  `records` fields are raw `bytes | None` (batches: `wire.records`). Every struct has
  `unknown_tagged_fields` (kw-only, compared) so decode→encode is byte-exact.
- `wire.headers`: `RequestHeader`, `ResponseHeader`, `encode_request(api_key, api_version,
  correlation_id, client_id, body) -> frame`, `encode_response(api_key, api_version,
  correlation_id, body) -> frame` (frames carry the size prefix), `decode_request(payload) ->
  (RequestHeader, body)` (raises `UnsupportedRequestError` carrying `correlation_id`),
  `decode_response(api_key, api_version, payload) -> (correlation_id, body)`,
  `api_versions_unsupported_response(correlation_id) -> frame`.
- `wire.framing.FrameDecoder(frame_bytes_max=104857600).feed(data) -> list[payload]`.
- `wire.registry`: `API_SPECS[api_key] -> ApiSpec(name, api_key, request_cls, response_cls,
  min_version, max_version, flexible_min_version, advertised)`, `request_header_version`,
  `response_header_version`, `api_versions_response(api_keys=None, ...)`.
- `wire.catalog`: every Kafka 4.3.1 API (the decoder's and the proxy's view), `CATALOG[api_key]
  -> ApiSpec` (the registry's own specs for the APIs a node speaks), `spec_for(api_key)`,
  `CATALOG_KEYS_BY_NAME`, `request_header_version`/`response_header_version` and
  `decode_request`/`decode_response` for any API. Its messages are `wire.messages.<api>` too
  (`consumer_group_heartbeat`, `share_fetch`, ...), declared in the same style.
- `wire.messages.api_versions.is_valid_request(request, version)`: Kafka's client-software rule.
- Constants (here and in `wire.registry`): `METADATA_TOPIC_NAME`, `METADATA_TOPIC_ID`,
  `METADATA_PARTITION`.

Proof (tests/wire): Hypothesis round trip of every (message, version), byte-exact re-encode;
differential against kio (every version kio has, every catalog API), kafka-python 3.x and aiokafka;
Kafka 4.3.1's own serializers for every catalog (API, version, direction) (tests/kafka); golden
bytes for the corners; totality fuzz. Figures: `python -m bench.codec`.

Layering: `fields` (declarations) → `primitives` (the one type dispatch) + `tagged` → `compiler`
(cached codec per class and version) → `headers`/`registry`/`framing`. This package's `__init__`
stays light (no codec import) because the Raft core imports `wire.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

if TYPE_CHECKING:
    from wire.fields import Message

    M = TypeVar("M", bound=Message)

METADATA_TOPIC_NAME = "__cluster_metadata"
METADATA_TOPIC_ID = UUID(int=1)
METADATA_PARTITION = 0


def encode(message: Message, version: int) -> bytes:
    """Encode a message body (no header, no size prefix) at `version`."""
    from wire.compiler import encode as _encode

    return _encode(message, version)


def decode(message_cls: type[M], data: bytes | memoryview, version: int) -> M:
    """Decode a message body that must consume exactly all of `data`."""
    from wire.compiler import decode as _decode

    result: M = _decode(message_cls, data, version)
    return result
