"""`kraft decode`: Kafka frames from hex, hex dumps, proxy captures or pcap files, decoded.

Input (`kraft.cli.capture`): hex frames as arguments, or lines on stdin: plain hex (one frame per
line; `0x` prefixes, `,`, `:` and whitespace ignored; blank lines and `#` comments skipped),
`xxd` / `hexdump -C` dumps, `tcpdump -X` output, `kraft proxy --save` lines; or `--pcap FILE`.
Each frame may carry its 4-byte size prefix or not (`--framed auto` takes a prefix equal to the
length that follows, and otherwise decodes the frame as unframed before calling it a truncated
one). Loose frames are requests by default; `--response --api-key K --api-version V` for
responses. Streams (tcpdump, pcap, proxy captures) are cut into frames and each response is
decoded at the version of the request with its correlation id.

Output: one readable line per frame or exchange (API and error names next to the numbers), or
with `--json` one JSON object each: `{"api": ..., "header": {...}, "body": {...}}` for a frame
(plus `errors`, the names of its non-zero error codes), the proxy's exchange objects for streams.
Field names are the upstream names in snake_case, only the fields the decoded version has; uuids
print as `{"base64": Kafka's form, "hex": ...}`; bytes as hex; `records` fields are expanded into
batches (header fields, CRC check, records; control records decoded by type).
A frame that cannot be decoded gives one line on stderr naming it, the byte offset and the field;
the others are still decoded and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from kraft.cli.capture import Blob, Flow, SavedFrame, TextError, parse_text, read_pcap
from kraft.shell.proxy.exchange import (
    ConnectionDecoder,
    Exchange,
    TopicNames,
    summary_line,
    to_json,
)
from kraft.shell.proxy.frames import (
    CapturedFrame,
    FrameTap,
    error_name,
    request_header_version,
)
from kraft.shell.proxy.frames import decode_request as decode_request_payload
from kraft.shell.proxy.frames import decode_response as decode_response_payload
from kraft.shell.proxy.jsonable import describe_error, expand_records, to_jsonable
from wire.catalog import CATALOG, spec_for
from wire.errors import DecodeError, UnsupportedRequestError, UnsupportedVersionError

__all__ = ["decode_frame", "expand_records", "strip_prefix", "to_jsonable"]
STREAM_CAPTURE_BYTES_MAX = 1 << 31


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode Kafka frames (hex, hex dumps, tcpdump -X, pcap) into text or JSON",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("frames", nargs="*", help="hex frames (default: lines on stdin)")
    parser.add_argument("--pcap", metavar="FILE", help="a pcap/pcapng capture of Kafka traffic")
    parser.add_argument("--response", action="store_true", help="loose frames are responses")
    parser.add_argument("--api-key", help="api key (number or name, e.g. 1 or Fetch) of responses")
    parser.add_argument("--api-version", type=int, help="api version of responses")
    parser.add_argument(
        "--framed",
        choices=("auto", "yes", "no"),
        default="auto",
        help="whether frames start with the int32 size prefix (default: auto-detect)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per frame/exchange")
    parser.add_argument("--indent", type=int, default=None, help="pretty-print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    api_key: int | None = None
    if args.response:
        if args.api_key is None or args.api_version is None:
            print("kraft decode: --response needs --api-key and --api-version", file=sys.stderr)
            return 2
        api_key = _parse_api_key(args.api_key)
        if api_key is None:
            print(f"kraft decode: unknown api key {args.api_key!r}", file=sys.stderr)
            return 2
    printer = _Printer(args)
    if args.pcap:
        try:
            flows = read_pcap(args.pcap)
        except (OSError, ValueError) as e:
            print(f"kraft decode: cannot read {args.pcap}: {e}", file=sys.stderr)
            return 1
        for flow in flows:
            printer.flow(flow)
        return printer.status
    lines: Iterable[str] = args.frames if args.frames else sys.stdin
    index = 0
    saved: dict[int, ConnectionDecoder] = {}
    for item in parse_text(lines):
        if isinstance(item, TextError):
            index += 1
            printer.error(f"frame {index}: {item}")
        elif isinstance(item, Blob):
            index += 1
            try:
                result = decode_frame(item.data, args.framed, api_key, args.api_version)
            except (DecodeError, UnsupportedVersionError) as e:
                printer.error(f"frame {index}: {_describe(e)}")
                continue
            printer.frame(result)
        elif isinstance(item, SavedFrame):
            decoder = saved.setdefault(
                item.connection, ConnectionDecoder(item.connection, "", printer.topics)
            )
            frame = CapturedFrame(len(item.data) - 4, item.data[4:])
            if item.request:
                printer.exchange(decoder.request(frame, 0.0))
            else:
                printer.exchange(decoder.response(frame, 0.0))
        else:
            for flow in item:
                printer.flow(flow)
    for decoder in saved.values():
        for exchange in decoder.close():
            printer.exchange(exchange)
    return printer.status


class _Printer:
    def __init__(self, args: argparse.Namespace) -> None:
        self.json = args.json
        self.indent = args.indent
        self.status = 0
        self.topics = TopicNames()
        self.connections = 0

    def error(self, text: str) -> None:
        print(text, file=sys.stderr)
        self.status = 1

    def frame(self, result: dict[str, Any]) -> None:
        # `| head` closing the pipe is kraft.cli.main's (quiet, 141).
        if self.json:
            print(json.dumps(result, indent=self.indent), flush=True)
            return
        header = result["header"]
        what = "request" if "request_api_key" in header else "response"
        version = header.get("request_api_version", result.get("api_version"))
        client = f" client {header['client_id']}" if header.get("client_id") else ""
        body = json.dumps(_named_errors(result["body"]), separators=(",", ":"))
        print(
            f"{result['api']} v{version} {what} correlation {header['correlation_id']}{client}: "
            f"{body}",
            flush=True,
        )

    def exchange(self, exchange: Exchange | None) -> None:
        if exchange is None:
            return
        if exchange.undecoded:
            self.error(
                f"#{exchange.connection} {exchange.api} correlation {exchange.correlation_id}: "
                + "; ".join(exchange.undecoded)
            )
        if self.json:
            print(json.dumps(to_json(exchange, expand_records=True), indent=self.indent))
        else:
            exchange.latency_ms = None  # a capture's timing is not the wire's
            print(summary_line(exchange, self.topics), flush=True)

    def flow(self, flow: Flow) -> None:
        self.connections += 1
        decoder = ConnectionDecoder(self.connections, flow.client, self.topics)
        for gap in flow.gaps:
            self.error(f"#{self.connections} {flow.client} ↔ {flow.server}: {gap}")
        for data, request in ((flow.to_server, True), (flow.to_client, False)):
            tap = FrameTap(STREAM_CAPTURE_BYTES_MAX)
            _, frames = tap.feed(bytes(data))
            if tap.broken is not None:
                self.error(f"#{self.connections} {flow.client} ↔ {flow.server}: {tap.broken}")
            if tap.buffered_bytes or tap._size is not None:
                self.error(f"#{self.connections}: the capture ends inside a frame")
            for frame in frames:
                if request:
                    self.exchange(decoder.request(frame, 0.0))
                else:
                    self.exchange(decoder.response(frame, 0.0))
        for exchange in decoder.close():
            self.exchange(exchange)


def _named_errors(value: Any) -> Any:
    """JSON data with every non-zero `*error_code` shown as "3 UNKNOWN_TOPIC_OR_PARTITION"."""
    if isinstance(value, dict):
        return {
            k: f"{v} {error_name(v)}"
            if k.endswith("error_code") and isinstance(v, int) and v
            else _named_errors(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_named_errors(v) for v in value]
    return value


def _error_names(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k.endswith("error_code") and isinstance(v, int) and v:
                yield error_name(v)
            else:
                yield from _error_names(v)
    elif isinstance(value, list):
        for v in value:
            yield from _error_names(v)


def _parse_api_key(text: str) -> int | None:
    try:
        key = int(text)
    except ValueError:
        by_name = {spec.name.lower(): k for k, spec in CATALOG.items()}
        return by_name.get(text.lower())
    return key if spec_for(key) is not None else None


def _describe(e: Exception) -> str:
    if isinstance(e, DecodeError):
        return describe_error(e)
    if isinstance(e, UnsupportedRequestError):
        return f"unsupported api key {e.api_key} version {e.api_version}"
    return str(e)


def strip_prefix(raw: bytes, framed: str) -> tuple[bytes, int]:
    """(payload, prefix bytes removed) by the `--framed` rule, before any decoding.

    Under `auto` this takes a prefix only when it equals the length that follows; `decode_frame`
    then tries the other reading when the first fails.
    """
    has = len(raw) >= 4 and int.from_bytes(raw[:4], "big", signed=True) == len(raw) - 4
    if framed == "yes":
        if len(raw) < 4:
            raise DecodeError("frame shorter than its size prefix", offset=0, field="size")
        if not has:
            size = int.from_bytes(raw[:4], "big", signed=True)
            raise DecodeError(
                f"size prefix {size} but {len(raw) - 4} bytes follow", offset=0, field="size"
            )
        return raw[4:], 4
    if framed == "auto" and has:
        return raw[4:], 4
    return raw, 0


def _looks_prefixed(raw: bytes) -> bool:
    """A size prefix (a frame < 64 KiB) followed by a known request api key and version."""
    if len(raw) < 8 or raw[:2] != b"\0\0":
        return False
    spec = spec_for(int.from_bytes(raw[4:6], "big", signed=True))
    version = int.from_bytes(raw[6:8], "big", signed=True)
    size = int.from_bytes(raw[:4], "big")
    return size >= 8 and spec is not None and spec.min_version <= version <= spec.max_version


def decode_frame(
    raw: bytes, framed: str, api_key: int | None, api_version: int | None
) -> dict[str, Any]:
    payload, skipped = strip_prefix(raw, framed)
    try:
        return _decode_payload(payload, skipped, api_key, api_version)
    except (DecodeError, UnsupportedVersionError) as first:
        if framed != "auto":
            raise
        # the other reading: an unframed frame whose first bytes equal its length, or (below)
        # a frame that is not a whole framed one
        if skipped:
            try:
                return _decode_payload(raw, 0, api_key, api_version)
            except (DecodeError, UnsupportedVersionError):
                raise first from None
        if api_key is None and _looks_prefixed(raw):
            # unframed decoding failed and the bytes look like a cut or padded framed frame:
            # that is the likelier story to tell
            size = int.from_bytes(raw[:4], "big")
            raise DecodeError(
                f"size prefix {size} but {len(raw) - 4} bytes follow", offset=0, field="size"
            ) from None
        raise


def _decode_payload(
    payload: bytes, skipped: int, api_key: int | None, api_version: int | None
) -> dict[str, Any]:
    try:
        if api_key is None:
            header, body, spec = decode_request_payload(payload)
            version = header.request_api_version
            return {
                "api": spec.name,
                "header": to_jsonable(header, request_header_version(spec, version)),
                "body": to_jsonable(body, version),
            }
        assert api_version is not None
        correlation_id, body, spec = decode_response_payload(api_key, api_version, payload)
    except DecodeError as e:
        if skipped and e.offset is not None:
            raise DecodeError(e.reason, offset=e.offset + skipped, field=e.field) from None
        raise
    data = to_jsonable(body, api_version)
    return {
        "api": spec.name,
        "api_version": api_version,
        "header": {"correlation_id": correlation_id},
        "body": data,
        "errors": sorted(set(_error_names(data))),
    }
