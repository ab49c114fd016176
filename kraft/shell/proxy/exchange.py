"""Request/response pairs of one proxied connection: decoding, the one-line gist, JSON, filters.

Sans-I/O: `ConnectionDecoder.request(frame, at_s)` and `.response(frame, at_s)` take the frames a
`FrameTap` captured, in wire order, and return finished `Exchange`s. A response is matched to its
request by correlation id and decoded at the request's API version (a response carries neither
key nor version). Produce with acks=0 has no response: its exchange ends with the request. A
frame that cannot be decoded (unknown API, bad bytes, bigger than the capture limit) still makes
an exchange: its hex prefix and the reason are kept, and forwarding never depended on it.

`TopicNames` learns topic id → name from Metadata responses so Fetch/Produce by topic id (v13+)
print names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import wire.records as records
from kraft.shell.proxy.frames import (
    CapturedFrame,
    api_name,
    decode_request,
    decode_response,
    error_name,
    peek_correlation,
    peek_request,
    request_header_version,
)
from kraft.shell.proxy.jsonable import describe_error, to_jsonable
from wire.errors import DecodeError
from wire.fields import Message, Struct, specs_of
from wire.headers import RequestHeader

PRODUCE_KEY = 0
FETCH_KEY = 1
METADATA_KEY = 3
NO_ACKS = 0
HEX_SHOWN_BYTES = 64
GIST_PARTITIONS_SHOWN = 3


@dataclass
class TopicNames:
    by_id: dict[uuid.UUID, str] = field(default_factory=dict)

    def learn(self, body: Any) -> None:
        for topic in getattr(body, "topics", None) or []:
            topic_id = getattr(topic, "topic_id", None)
            name = getattr(topic, "name", None)
            if isinstance(topic_id, uuid.UUID) and topic_id.int and name:
                self.by_id[topic_id] = name

    def name(self, topic: Any) -> str:
        name = getattr(topic, "topic", None) or getattr(topic, "name", None)
        if name:
            return str(name)
        topic_id = getattr(topic, "topic_id", None)
        if isinstance(topic_id, uuid.UUID):
            return self.by_id.get(topic_id, str(topic_id)[:8])
        return "?"


@dataclass
class Side:
    """One frame of an exchange: decoded, or the reason it is not (with its first bytes)."""

    size_bytes: int
    body: Message | None = None
    header: RequestHeader | None = None
    error: str | None = None
    hex_prefix: str = ""

    @property
    def decoded(self) -> bool:
        return self.body is not None


@dataclass
class Exchange:
    connection: int
    client: str
    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None
    request: Side
    response: Side | None = None
    latency_ms: float | None = None
    note: str = ""  # "no response (acks=0)", "connection closed"

    @property
    def api(self) -> str:
        return api_name(self.api_key)

    def error_names(self) -> list[str]:
        names: list[str] = []
        if self.response is not None and self.response.body is not None:
            for code in _error_codes(self.response.body, self.api_version):
                name = error_name(code)
                if name not in names:
                    names.append(name)
        return names

    @property
    def undecoded(self) -> list[str]:
        out = []
        if not self.request.decoded:
            out.append(f"request: {self.request.error}")
        if self.response is not None and not self.response.decoded:
            out.append(f"response: {self.response.error}")
        return out


def _error_codes(value: Any, version: int) -> Iterable[int]:
    if not isinstance(value, Struct):
        return
    for name, spec, _ in specs_of(type(value)):
        if version not in spec.versions:
            continue
        item = getattr(value, name)
        if name == "error_code" and isinstance(item, int) and item != 0:
            yield item
        elif isinstance(item, list):
            for v in item:
                yield from _error_codes(v, version)
        elif isinstance(item, Struct):
            yield from _error_codes(item, version)


@dataclass
class _Pending:
    exchange: Exchange
    sent_at_s: float


class ConnectionDecoder:
    def __init__(self, connection: int, client: str, topics: TopicNames) -> None:
        self.connection = connection
        self.client = client
        self.topics = topics
        self._pending: dict[int, _Pending] = {}

    def request(self, frame: CapturedFrame, at_s: float) -> Exchange | None:
        peek = peek_request(frame.data)
        key, version, correlation_id = peek if peek is not None else (-1, -1, -1)
        side = Side(frame.size_bytes)
        client_id = None
        if not frame.complete:
            _undecodable(side, frame, frame.cut_reason or "incomplete frame")
        else:
            try:
                header, body, _ = decode_request(frame.data)
                side.header, side.body, client_id = header, body, header.client_id
            except DecodeError as e:
                _undecodable(side, frame, describe_error(e))
        exchange = Exchange(
            self.connection, self.client, key, version, correlation_id, client_id, side
        )
        if key == PRODUCE_KEY and getattr(side.body, "acks", None) == NO_ACKS:
            exchange.note = "no response (acks=0)"
            return exchange
        self._pending[correlation_id] = _Pending(exchange, at_s)
        return None

    def response(self, frame: CapturedFrame, at_s: float) -> Exchange:
        correlation_id = peek_correlation(frame.data)
        pending = self._pending.pop(correlation_id, None) if correlation_id is not None else None
        side = Side(frame.size_bytes)
        if pending is None:
            _undecodable(side, frame, f"no request with correlation id {correlation_id}")
            return Exchange(
                self.connection,
                self.client,
                -1,
                -1,
                correlation_id or -1,
                None,
                Side(0, error="never seen"),
                side,
            )
        exchange = pending.exchange
        exchange.response = side
        exchange.latency_ms = (at_s - pending.sent_at_s) * 1000
        if not frame.complete:
            _undecodable(side, frame, frame.cut_reason or "incomplete frame")
        elif not exchange.request.decoded:
            _undecodable(side, frame, "its request was not decoded")
        else:
            try:
                _, body, _ = decode_response(exchange.api_key, exchange.api_version, frame.data)
                side.body = body
                if exchange.api_key == METADATA_KEY:
                    self.topics.learn(body)
            except DecodeError as e:
                _undecodable(side, frame, describe_error(e))
        return exchange

    def close(self) -> list[Exchange]:
        """The requests still waiting for a response when the connection ended."""
        left = [p.exchange for p in self._pending.values()]
        for exchange in left:
            exchange.note = "connection closed before the response"
        self._pending.clear()
        return left


def _undecodable(side: Side, frame: CapturedFrame, reason: str) -> None:
    side.error = reason
    side.hex_prefix = frame.data[:HEX_SHOWN_BYTES].hex()


# ------------------------------------------------------------------------------ rendering


def _size(n: int) -> str:
    if n < 10_000:
        return f"{n} B"
    if n < 10_000_000:
        return f"{n / 1024:.0f} KiB"
    return f"{n / 1048576:.0f} MiB"


def _partitions(items: list[str]) -> str:
    shown = ", ".join(items[:GIST_PARTITIONS_SHOWN])
    more = len(items) - GIST_PARTITIONS_SHOWN
    return shown + (f" +{more} more" if more > 0 else "")


def _records_in(data: bytes | None) -> int:
    if not data:
        return 0
    try:
        scan = records.scan_batches(data)
    except DecodeError:
        return 0
    return sum(h.records_count for h in scan.headers)


def gist(exchange: Exchange, topics: TopicNames) -> str:
    """What the exchange did, in a few words: "orders-0@1200 → 512 records, HW 1712"."""
    req = exchange.request.body
    resp = exchange.response.body if exchange.response is not None else None
    key = exchange.api_key
    if key == FETCH_KEY and req is not None:
        asked = [
            f"{topics.name(t)}-{p.partition}@{p.fetch_offset}"
            for t in req.topics  # type: ignore[attr-defined]
            for p in t.partitions
        ]
        left = _partitions(asked) if asked else "session"
        if resp is None:
            return left
        count = 0
        hws = []
        for t in resp.responses:  # type: ignore[attr-defined]
            for p in t.partitions:
                count += _records_in(p.records)
                hws.append(str(p.high_watermark))
        hw = f", HW {_partitions(hws)}" if hws else ""
        return f"{left} → {count} records{hw}"
    if key == PRODUCE_KEY and req is not None:
        sent = [
            f"{topics.name(t)}-{p.index}"
            for t in req.topic_data  # type: ignore[attr-defined]
            for p in t.partition_data
        ]
        count = 0
        for t in req.topic_data:  # type: ignore[attr-defined]
            for p in t.partition_data:
                count += _records_in(p.records)
        left = f"{_partitions(sent)} {count} records"
        if resp is None:
            return left
        offsets = [
            str(p.base_offset)
            for t in resp.responses  # type: ignore[attr-defined]
            for p in t.partition_responses
        ]
        return f"{left} → offset {_partitions(offsets)}"
    if key == METADATA_KEY and req is not None:
        wanted = req.topics  # type: ignore[attr-defined]
        if wanted is None:
            left = "all topics"
        else:
            left = _partitions([topics.name(t) for t in wanted]) or "no topics"
        if resp is None:
            return left
        return f"{left} → {len(resp.brokers)} brokers, {len(resp.topics)} topics"  # type: ignore[attr-defined]
    if resp is not None and hasattr(resp, "api_keys"):
        return f"{len(resp.api_keys)} apis"
    return ""


def summary_line(exchange: Exchange, topics: TopicNames) -> str:
    """One readable line per exchange: client, API and version, gist, errors, latency, sizes."""
    who = f"#{exchange.connection} {exchange.client_id or '-'}"
    what = f"{exchange.api} v{exchange.api_version}"
    parts = [who, what]
    text = gist(exchange, topics)
    if text:
        parts.append(text)
    errors = exchange.error_names()
    if errors:
        parts.append(" ".join(errors))
    if exchange.latency_ms is not None:
        parts.append(f"{exchange.latency_ms:.1f} ms")
    sizes = _size(exchange.request.size_bytes)
    if exchange.response is not None:
        sizes += f"/{_size(exchange.response.size_bytes)}"
    parts.append(sizes)
    if exchange.note:
        parts.append(exchange.note)
    line = ", ".join(parts[2:])
    line = f"{parts[0]:<28} {parts[1]:<26} {line}"
    for problem in exchange.undecoded:
        side = exchange.request if problem.startswith("request") else exchange.response
        assert side is not None
        line += f"\n    undecoded {problem}\n      {side.hex_prefix}"
    return line


def to_json(exchange: Exchange, *, expand_records: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "connection": exchange.connection,
        "client": exchange.client,
        "client_id": exchange.client_id,
        "api": exchange.api,
        "api_key": exchange.api_key,
        "api_version": exchange.api_version,
        "correlation_id": exchange.correlation_id,
        "latency_ms": None if exchange.latency_ms is None else round(exchange.latency_ms, 3),
        "errors": exchange.error_names(),
        "request": _side_json(exchange.request, exchange, expand_records, request=True),
        "response": None
        if exchange.response is None
        else _side_json(exchange.response, exchange, expand_records, request=False),
    }
    if exchange.note:
        out["note"] = exchange.note
    return out


def _side_json(side: Side, exchange: Exchange, expand: bool, *, request: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"size_bytes": side.size_bytes}
    if side.body is None:
        out["error"] = side.error
        out["hex_prefix"] = side.hex_prefix
        return out
    if request and side.header is not None:
        from wire.catalog import spec_for

        spec = spec_for(exchange.api_key)
        assert spec is not None
        out["header"] = to_jsonable(side.header, request_header_version(spec, exchange.api_version))
    out["body"] = to_jsonable(side.body, exchange.api_version, expand=expand)
    return out


# -------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class ExchangeFilter:
    """`api=Fetch,Metadata`, `client=console` (client id substring), `error` or `error=NAME`."""

    apis: frozenset[str] = frozenset()
    client: str | None = None
    errors_only: bool = False
    error: str | None = None

    @classmethod
    def parse(cls, exprs: Iterable[str]) -> ExchangeFilter:
        apis: set[str] = set()
        client = None
        errors_only = False
        error = None
        for expr in exprs:
            name, sep, value = expr.partition("=")
            if name == "api" and sep:
                apis.update(v.strip().lower() for v in value.split(",") if v.strip())
            elif name == "client" and sep:
                client = value
            elif name == "error":
                errors_only = True
                error = value.upper() or None
            else:
                raise ValueError(
                    f"bad filter {expr!r}: use api=NAME[,NAME], client=TEXT, error or error=NAME"
                )
        return cls(frozenset(apis), client, errors_only, error)

    def matches(self, exchange: Exchange) -> bool:
        if self.apis and exchange.api.lower() not in self.apis:
            return False
        if self.client is not None and self.client not in (exchange.client_id or ""):
            return False
        if self.errors_only:
            names = exchange.error_names()
            if exchange.undecoded:
                names.append("UNDECODED")
            if not names or (self.error is not None and self.error not in names):
                return False
        return True
