"""Request/response headers and whole frames: the one place that picks header versions.

Rules (Kafka's `ApiMessageType.requestHeaderVersion/responseHeaderVersion`, KIP-511):
- request header v2 if the body version is flexible for that API, else v1 (v0 is only decoded);
- `client_id` is a classic nullable int16 string in every header version, even v2;
- response header v1 (with a tagged section) iff the body version is flexible, EXCEPT ApiVersions,
  whose response header is always v0;
- an ApiVersions request above the supported maximum is still parsed as header v2 so the server can
  answer UNSUPPORTED_VERSION with a v0 body (`api_versions_unsupported_response`).

Frames produced here carry the int32 size prefix; frames consumed here are payloads without it
(as `wire.framing.FrameDecoder` yields them). Offsets in `DecodeError`s are frame-payload offsets.

Headers are Messages like any other: construct builds and parses them (`wire.compiler`), header and
body in one stream, so a frame is written once and read once (built in a `wire.framing.FrameWriter`,
which joins the writes once: a Fetch answer's records are copied once). The api key and version are
peeked with construct's `Int16sb` to pick the header version before the header is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from construct import Int16sb

from wire.compiler import build_into, decode_stream, encode_into, message_codec, parse_from
from wire.errors import DecodeError, ErrorCode, UnsupportedRequestError, UnsupportedVersionError
from wire.fields import Message, Versions, f
from wire.framing import FrameWriter
from wire.primitives import Buffer
from wire.registry import (
    API_SPECS,
    API_VERSIONS_KEY,
    request_header_version,
    response_header_version,
)

KEY_VERSION_BYTES = 4
KEY_VERSION_CORRELATION_BYTES = 8


@dataclass(frozen=True)
class RequestHeader(Message):
    VERSIONS: ClassVar[Versions] = Versions(0, 2)
    FLEXIBLE: ClassVar[Versions] = Versions(2)

    request_api_key: int = f("int16", "0+")
    request_api_version: int = f("int16", "0+")
    correlation_id: int = f("int32", "0+")
    # Kafka keeps ClientId a classic string in header v2 for compatibility with old brokers
    client_id: str | None = f("string", "1+", nullable="1+", flexible="none")


@dataclass(frozen=True)
class ResponseHeader(Message):
    VERSIONS: ClassVar[Versions] = Versions(0, 1)
    FLEXIBLE: ClassVar[Versions] = Versions(1)

    correlation_id: int = f("int32", "0+")


def encode_request(
    api_key: int, api_version: int, correlation_id: int, client_id: str | None, body: Message
) -> bytes:
    """A whole request frame, size prefix included."""
    spec = API_SPECS.get(api_key)
    if spec is None or api_version not in spec.versions:
        raise UnsupportedVersionError(api_key, api_version)
    assert type(body) is spec.request_cls, f"{type(body).__name__} is not api key {api_key}"
    out = FrameWriter()
    header = RequestHeader(
        request_api_key=api_key,
        request_api_version=api_version,
        correlation_id=correlation_id,
        client_id=client_id,
    )
    hv = request_header_version(api_key, api_version)
    build_into(out, message_codec(RequestHeader, hv), header, hv)
    encode_into(out, body, api_version)
    return out.frame()


def encode_response(api_key: int, api_version: int, correlation_id: int, body: Message) -> bytes:
    """A whole response frame, size prefix included, header version chosen by the rule."""
    spec = API_SPECS.get(api_key)
    if spec is None:
        raise UnsupportedVersionError(api_key, api_version)
    assert type(body) is spec.response_cls, f"{type(body).__name__} is not api key {api_key}"
    out = FrameWriter()
    hv = response_header_version(api_key, api_version)
    build_into(
        out, message_codec(ResponseHeader, hv), ResponseHeader(correlation_id=correlation_id), hv
    )
    encode_into(out, body, api_version)
    return out.frame()


def decode_request(frame: bytes | memoryview) -> tuple[RequestHeader, Any]:
    """Decode a request frame payload (no size prefix) into (header, body dataclass).

    Raises `UnsupportedRequestError` for an unknown api key or version, `DecodeError` otherwise.
    """
    if len(frame) < KEY_VERSION_BYTES:
        raise DecodeError("frame too short for a request header", offset=0, field="header")
    stream = Buffer(frame)
    api_key = Int16sb._parse(stream, None, "request_api_key")
    api_version = Int16sb._parse(stream, None, "request_api_version")
    stream.seek(0)
    spec = API_SPECS.get(api_key)
    if spec is None or api_version not in spec.versions:
        correlation_id = None
        client_id = None
        if api_key == API_VERSIONS_KEY and api_version > 0:
            # KIP-511: parse the header (v2 from v3 on) so the error can reach the client
            hv = 2 if api_version >= 3 else 1
            try:
                header = parse_from(message_codec(RequestHeader, hv), stream)
                correlation_id, client_id = header.correlation_id, header.client_id
            except DecodeError:
                correlation_id = None
        if correlation_id is None and len(frame) >= KEY_VERSION_CORRELATION_BYTES:
            stream.seek(0)
            correlation_id = parse_from(message_codec(RequestHeader, 0), stream).correlation_id
        raise UnsupportedRequestError(api_key, api_version, correlation_id, client_id)
    hv = request_header_version(api_key, api_version)
    header = parse_from(message_codec(RequestHeader, hv), stream)
    body = decode_stream(spec.request_cls, stream, api_version)
    return header, body


def decode_response(api_key: int, api_version: int, frame: bytes | memoryview) -> tuple[int, Any]:
    """Decode a response frame payload (no size prefix) into (correlation_id, body)."""
    spec = API_SPECS.get(api_key)
    if spec is None or api_version not in spec.versions:
        raise UnsupportedVersionError(api_key, api_version)
    hv = response_header_version(api_key, api_version)
    stream = Buffer(frame)
    header = parse_from(message_codec(ResponseHeader, hv), stream)
    return header.correlation_id, decode_stream(spec.response_cls, stream, api_version)


def api_versions_unsupported_response(correlation_id: int) -> bytes:
    """The frame a server sends for an ApiVersions request version it does not support.

    Kafka answers with a v0 body (error UNSUPPORTED_VERSION, one entry: ApiVersions' own range) and
    response header v0, so that a client of any version can parse it and retry lower.
    """
    from wire.messages.api_versions import ApiVersionsResponse

    spec = API_SPECS[API_VERSIONS_KEY]
    body = ApiVersionsResponse(
        error_code=ErrorCode.UNSUPPORTED_VERSION,
        api_keys=[
            ApiVersionsResponse.ApiVersion(
                api_key=API_VERSIONS_KEY,
                min_version=spec.min_version,
                max_version=spec.max_version,
            )
        ],
    )
    return encode_response(API_VERSIONS_KEY, 0, correlation_id, body)
