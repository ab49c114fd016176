"""Sans-I/O frame work for the proxy and `kraft decode`: split, decode, re-encode, rewrite.

Every API is looked up in `wire.catalog` (`spec_for`), never in a list of our own, so the proxy
decodes whatever the wire layer declares. Header versions follow Kafka's rule: request header v2
when the body version is flexible (else v1; v0 only for ControlledShutdown v0, which is gone),
response header v1 when flexible except ApiVersions (always v0, KIP-511).

`FrameTap` follows one direction of a TCP stream as it is forwarded: it finds the frame
boundaries in the chunks as they pass, copies at most `capture_bytes_max` of each frame for
decoding (bounded memory on big Fetch/Produce frames: a bigger frame is forwarded whole but only
its first bytes are kept, and it is reported as too big to decode), and may hold back a frame
the caller wants to rewrite (Metadata, FindCoordinator, DescribeCluster responses under
`--rewrite`) until it is complete.
"""

from __future__ import annotations

import dataclasses
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kraft.shell.proxy.error_names import ERROR_NAMES
from wire.catalog import spec_for
from wire.compiler import build_into, decode_stream, encode_into, message_codec, parse_from
from wire.errors import DecodeError, ErrorCode
from wire.fields import Message, Struct, specs_of
from wire.headers import RequestHeader, ResponseHeader
from wire.primitives import Buffer
from wire.registry import ApiSpec

API_VERSIONS_KEY = 18
SIZE_PREFIX_BYTES = 4
# what a response peek needs (the correlation id) and a request peek (key, version, correlation)
REQUEST_PEEK_BYTES = 8
RESPONSE_PEEK_BYTES = 4
_SIZE = struct.Struct(">i")
_REQUEST_PEEK = struct.Struct(">hhi")


class UnknownApiError(DecodeError):
    """An api key or version the catalog does not declare: the frame is shown as hex."""


def api_name(api_key: int) -> str:
    spec = spec_for(api_key)
    return spec.name if spec is not None else f"api-{api_key}"


def error_name(code: int) -> str:
    name = ERROR_NAMES.get(code)
    if name is not None:
        return name
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"error {code}"


def _spec(api_key: int, api_version: int) -> ApiSpec:
    spec = spec_for(api_key)
    if spec is None:
        raise UnknownApiError(f"api key {api_key} is not in the catalog", offset=0, field="header")
    if not spec.min_version <= api_version <= spec.max_version:
        raise UnknownApiError(
            f"{spec.name} v{api_version} is outside v{spec.min_version}-{spec.max_version}",
            offset=2,
            field="request_api_version",
        )
    return spec


def request_header_version(spec: ApiSpec, api_version: int) -> int:
    return 2 if api_version >= spec.flexible_min_version else 1


def response_header_version(spec: ApiSpec, api_version: int) -> int:
    if spec.api_key == API_VERSIONS_KEY:
        return 0
    return 1 if api_version >= spec.flexible_min_version else 0


def peek_request(payload: bytes | bytearray | memoryview) -> tuple[int, int, int] | None:
    """(api key, api version, correlation id) of a request payload, if it is long enough."""
    if len(payload) < REQUEST_PEEK_BYTES:
        return None
    key, version, correlation_id = _REQUEST_PEEK.unpack_from(payload, 0)
    return key, version, correlation_id


def peek_correlation(payload: bytes | bytearray | memoryview) -> int | None:
    if len(payload) < RESPONSE_PEEK_BYTES:
        return None
    return int(_SIZE.unpack_from(payload, 0)[0])


def decode_request(payload: bytes | memoryview) -> tuple[RequestHeader, Message, ApiSpec]:
    """A request payload (no size prefix) → (header, body, spec); `DecodeError` otherwise."""
    peek = peek_request(payload)
    if peek is None:
        raise DecodeError("frame too short for a request header", offset=0, field="header")
    spec = _spec(peek[0], peek[1])
    stream = Buffer(payload)
    hv = request_header_version(spec, peek[1])
    header = parse_from(message_codec(RequestHeader, hv), stream)
    body = decode_stream(spec.request_cls, stream, peek[1])
    return header, body, spec


def decode_response(
    api_key: int, api_version: int, payload: bytes | memoryview
) -> tuple[int, Message, ApiSpec]:
    """A response payload → (correlation id, body, spec), its version taken from the request."""
    spec = _spec(api_key, api_version)
    stream = Buffer(payload)
    hv = response_header_version(spec, api_version)
    header = parse_from(message_codec(ResponseHeader, hv), stream)
    body = decode_stream(spec.response_cls, stream, api_version)
    return header.correlation_id, body, spec


def encode_request_payload(header: RequestHeader, body: Message) -> bytes:
    """The payload (no size prefix) a decoded request came from, byte for byte."""
    spec = _spec(header.request_api_key, header.request_api_version)
    out = io.BytesIO()
    hv = request_header_version(spec, header.request_api_version)
    build_into(out, message_codec(RequestHeader, hv), header, hv)
    encode_into(out, body, header.request_api_version)
    return out.getvalue()


def encode_response_payload(
    api_key: int, api_version: int, correlation_id: int, body: Message
) -> bytes:
    spec = _spec(api_key, api_version)
    out = io.BytesIO()
    hv = response_header_version(spec, api_version)
    build_into(
        out, message_codec(ResponseHeader, hv), ResponseHeader(correlation_id=correlation_id), hv
    )
    encode_into(out, body, api_version)
    return out.getvalue()


# ------------------------------------------------------------------------------ rewriting

# Responses whose broker/controller endpoints a client follows: rewritten under --rewrite.
REWRITTEN_APIS = frozenset({3, 10, 60})  # Metadata, FindCoordinator, DescribeCluster


def rewrite_endpoints(
    value: Any, version: int, remap: Callable[[str, int], tuple[str, int]]
) -> Any:
    """`value` with every (host, port) pair the version carries replaced by `remap(host, port)`.

    Generic over the structs: any struct with `host` and `port` fields (Metadata brokers,
    FindCoordinator's coordinator(s), DescribeCluster brokers or controllers). Empty hosts and
    negative ports (an error answer) are left alone.
    """
    if not isinstance(value, Struct):
        return value
    changes: dict[str, Any] = {}
    names = {name for name, spec, _ in specs_of(type(value)) if version in spec.versions}
    if {"host", "port"} <= names and value.host and value.port >= 0:  # type: ignore[attr-defined]
        host, port = remap(value.host, value.port)  # type: ignore[attr-defined]
        changes.update(host=host, port=port)
    for name in names:
        item = getattr(value, name)
        if isinstance(item, list) and item and isinstance(item[0], Struct):
            changes[name] = [rewrite_endpoints(v, version, remap) for v in item]
        elif isinstance(item, Struct):
            changes[name] = rewrite_endpoints(item, version, remap)
    return dataclasses.replace(value, **changes) if changes else value


# ------------------------------------------------------------------------------- the tap


@dataclass
class CapturedFrame:
    """One frame seen on the wire: its size and its first `len(data)` payload bytes."""

    size_bytes: int
    data: bytes
    rewritten: bytes | None = None  # the payload sent instead, under --rewrite
    # why only a prefix was kept: bigger than the capture limit, or the decoder fell behind
    cut_reason: str | None = None

    @property
    def complete(self) -> bool:
        return len(self.data) == self.size_bytes and self.cut_reason is None


@dataclass
class FrameTap:
    """Frame boundaries of one direction, found as chunks pass (see the module docstring).

    `feed(chunk)` returns (bytes to forward now, frames that ended in this chunk). `hold(peek)`
    is asked once per frame with its first payload bytes (up to `peek_bytes`): True keeps the
    frame back until it is complete, then `transform(payload)` gives the payload to send.
    """

    capture_bytes_max: int
    peek_bytes: int = REQUEST_PEEK_BYTES
    hold: Callable[[bytes], bool] | None = None
    transform: Callable[[bytes], bytes] | None = None
    _head: bytearray = field(default_factory=bytearray)  # size prefix + peek of the frame
    _size: int | None = None
    _remaining: int = 0
    _capture: bytearray = field(default_factory=bytearray)
    _holding: bool = False
    _released_head: bool = False
    # set when the stream stops looking like Kafka framing: everything passes through unseen
    broken: str | None = None

    def feed(self, chunk: bytes) -> tuple[bytes, list[CapturedFrame]]:
        if self.broken is not None:
            return chunk, []
        out = bytearray()
        frames: list[CapturedFrame] = []
        view = memoryview(chunk)
        pos = 0
        while pos < len(view):
            if self._size is None:
                need = SIZE_PREFIX_BYTES - len(self._head)
                self._head += view[pos : pos + need]
                pos += min(need, len(view) - pos)
                if len(self._head) < SIZE_PREFIX_BYTES:
                    break
                size = _SIZE.unpack_from(self._head, 0)[0]
                if size < 0:
                    # not Kafka framing (or a desynchronised stream): stop looking, keep going
                    self.broken = f"negative frame size {size} ({bytes(self._head).hex()})"
                    out += self._head
                    out += view[pos:]
                    self._head.clear()
                    return bytes(out), frames
                self._size = size
                self._remaining = self._size
                self._capture.clear()
                self._holding = False
                self._released_head = False
            # the payload's first bytes decide whether to hold the frame
            if not self._released_head:
                peek = min(self.peek_bytes, self._size)
                need = peek - len(self._capture)
                if need > 0:
                    take = view[pos : pos + need]
                    self._capture += take
                    self._remaining -= len(take)
                    pos += len(take)
                    if len(self._capture) < peek:
                        break
                self._holding = self.hold is not None and self.hold(bytes(self._capture))
                if not self._holding:
                    out += self._head
                    out += self._capture
                self._released_head = True
            take = view[pos : pos + self._remaining]
            pos += len(take)
            self._remaining -= len(take)
            if self._holding or len(self._capture) < self.capture_bytes_max:
                room = len(take) if self._holding else self.capture_bytes_max - len(self._capture)
                self._capture += take[:room]
            if not self._holding:
                out += take
            if self._remaining == 0:
                frames.append(self._finish(out))
        return bytes(out), frames

    def _finish(self, out: bytearray) -> CapturedFrame:
        assert self._size is not None
        captured = CapturedFrame(self._size, bytes(self._capture))
        if len(captured.data) < self._size:
            captured.cut_reason = (
                f"{self._size} bytes, more than the capture limit of {self.capture_bytes_max}"
            )
        if self._holding:
            payload = captured.data
            if self.transform is not None:
                try:
                    payload = self.transform(captured.data)
                except Exception:
                    # a response the rewrite cannot handle (bad bytes, an encoder refusal) is
                    # forwarded unchanged and reported by the decoder: never a dropped connection
                    payload = captured.data
            if payload is not captured.data:
                captured.rewritten = payload
            out += _SIZE.pack(len(payload))
            out += payload
        self._head.clear()
        self._size = None
        self._capture = bytearray()
        return captured

    @property
    def buffered_bytes(self) -> int:
        return len(self._capture)
