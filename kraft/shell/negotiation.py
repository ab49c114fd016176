"""Per-connection API version negotiation with a peer, as Kafka's `NetworkClient` does.

Theory of operation (REAL-KAFKA.md §2):
- Every new outbound connection first sends ApiVersions at the newest version we speak (v4). A
  peer that does not speak it answers UNSUPPORTED_VERSION in the v0 layout, listing its own
  ApiVersions range; we retry once at the highest version both speak. Any other error, or an
  answer that does not decode, ends the connection (`NegotiationError`), as Kafka disconnects.
- The peer's answer becomes a `PeerVersions`. Each request then goes out at the newest version
  both sides speak: min(our max, the peer's max), provided it is at least both minima and at
  least the lowest version that can carry the request (`request_floor`: raft matches Fetch by
  topic id, so Fetch needs v13; a pre-vote needs Vote v2, since `PreVote` is not ignorable).
- A request the peer cannot take never goes out: the core gets that API's answer with the
  top-level error UNSUPPORTED_VERSION (`unsupported_version_answer`), exactly what Kafka's
  `KafkaNetworkChannel` hands its raft client. For a pre-vote that means "stand for election at
  once" (KIP-996), for the rest a back-off and a retry.

Our own ranges are the registry's (`wire.registry.API_SPECS`), which are also what our listener
advertises, so two pykraft nodes settle on the newest versions and a Kafka 4.x peer on the newest
both speak (Kafka 4.3 raft: Vote 0-2, Begin/EndQuorumEpoch 0-1, Fetch 4-18, FetchSnapshot 0-1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from kraft import rpc
from kraft.shell import apis
from wire.errors import DecodeError, ErrorCode, UnsupportedVersionError, WireError
from wire.headers import decode_response, encode_request
from wire.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from wire.registry import API_SPECS, API_VERSIONS_KEY

CLIENT_SOFTWARE_NAME = "pykraft"
CLIENT_SOFTWARE_VERSION = "1.0"
_API_VERSIONS_V0 = 0


class NegotiationError(Exception):
    """No usable ApiVersions answer: close the connection. `refused` when the peer answered
    (an error, or bytes we cannot read), False when the connection broke first."""

    def __init__(self, message: str, *, refused: bool = True) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True, slots=True)
class PeerVersions:
    """The version range of every API a peer advertised (api key -> (min, max))."""

    ranges: Mapping[int, tuple[int, int]]

    def pick(self, api_key: int, floor: int = 0) -> int | None:
        """The newest version both sides speak, not below `floor`; None when there is none."""
        theirs = self.ranges.get(api_key)
        spec = API_SPECS.get(api_key)
        if theirs is None or spec is None:
            return None
        low = max(theirs[0], spec.min_version, floor)
        high = min(theirs[1], spec.max_version)
        return high if high >= low else None


def request_api_key(request: rpc.Request) -> int:
    return apis.for_request(request).WIRE_REQUEST.API_KEY


def request_floor(request: rpc.Request) -> int:
    """The lowest version that carries everything `request` says."""
    return apis.for_request(request).request_floor(request)


def pick_version(request: rpc.Request, peer: PeerVersions) -> int | None:
    """The version `request` goes out at to `peer`; None: the peer cannot take it."""
    api = apis.for_request(request)
    return peer.pick(api.WIRE_REQUEST.API_KEY, api.request_floor(request))


def unsupported_version_answer(request: rpc.Request) -> rpc.Response:
    """The answer the core gets for a request the peer's versions cannot carry."""
    response: rpc.Response = apis.for_request(request).CORE_RESPONSE(
        error_code=ErrorCode.UNSUPPORTED_VERSION
    )
    return response


def api_versions_request(correlation_id: int, client_id: str, version: int) -> bytes:
    """The ApiVersions frame that opens a connection."""
    body = ApiVersionsRequest(
        client_software_name=CLIENT_SOFTWARE_NAME, client_software_version=CLIENT_SOFTWARE_VERSION
    )
    return encode_request(API_VERSIONS_KEY, version, correlation_id, client_id, body)


def parse_api_versions(payload: bytes, version: int, correlation_id: int) -> PeerVersions | int:
    """The peer's answer to `api_versions_request`: its versions, or the ApiVersions version to
    retry with (UNSUPPORTED_VERSION). `NegotiationError` for anything else."""
    try:
        got_id, body = decode_response(API_VERSIONS_KEY, version, payload)
    except (DecodeError, UnsupportedVersionError):
        # An UNSUPPORTED_VERSION answer comes in the v0 layout whatever we asked for.
        try:
            got_id, body = decode_response(API_VERSIONS_KEY, _API_VERSIONS_V0, payload)
        except WireError as exc:
            raise NegotiationError(f"undecodable ApiVersions answer: {exc}") from None
    if got_id != correlation_id:
        raise NegotiationError(f"ApiVersions answer has correlation id {got_id}")
    assert isinstance(body, ApiVersionsResponse)
    ranges = {k.api_key: (k.min_version, k.max_version) for k in body.api_keys}
    if body.error_code == ErrorCode.UNSUPPORTED_VERSION:
        retry = PeerVersions(ranges).pick(API_VERSIONS_KEY)
        if retry is None or retry >= version:
            raise NegotiationError("peer speaks no ApiVersions version we speak")
        return retry
    if body.error_code != ErrorCode.NONE:
        raise NegotiationError(f"ApiVersions answered with error code {body.error_code}")
    return PeerVersions(MappingProxyType(ranges))


def newest_api_versions_version() -> int:
    return API_SPECS[API_VERSIONS_KEY].max_version
