"""`kraft proxy`: a Kafka proxy that forwards bytes unchanged and decodes every exchange.

    kraft proxy --listen 127.0.0.1:19092 --upstream 127.0.0.1:9092 [--rewrite]

Point a client at the listen address. Each client connection gets its own upstream connection;
bytes pass unchanged both ways (a frame the proxy cannot decode is shown as hex with the reason
and still forwarded). Each request is paired with its response by correlation id and printed as
one line: connection and client id, API and version, the gist, error names, latency, sizes:

    #3 consumer-g-1   Fetch v17     orders-0@1200 → 512 records, HW 1712, 3.1 ms, 90 B/40 KiB

`--json` prints each exchange as one JSON object (header and body of both frames), `--records`
expands record batches into records (by default only batch headers are decoded), `--filter`
keeps `api=Fetch,Metadata`, `client=TEXT` (client id contains) or `error[=NAME]` exchanges
(repeatable, all must match), `--save FILE` writes every frame as `CONN > HEX` / `CONN < HEX`
lines that `kraft decode FILE` reads back.

`--rewrite` rewrites the broker and controller endpoints in Metadata, FindCoordinator and
DescribeCluster responses to ports of this proxy (one listener per upstream endpoint, opened on
first sight), so a client's whole session stays on the proxy. Frames bigger than
`--capture-bytes` are forwarded but only their first bytes are kept (memory stays bounded).
Ctrl-C stops it quietly.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any, TextIO


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "proxy",
        help="forward a Kafka connection and decode every request/response on the way",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--listen", required=True, metavar="HOST:PORT", help="where clients connect"
    )
    parser.add_argument("--upstream", required=True, metavar="HOST:PORT", help="the Kafka node")
    parser.add_argument(
        "--rewrite",
        action="store_true",
        help="rewrite broker/controller endpoints in responses to ports of this proxy",
    )
    parser.add_argument(
        "--advertise", metavar="HOST", help="host put in rewritten endpoints (default: --listen's)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per exchange")
    parser.add_argument("--records", action="store_true", help="expand record batches (--json)")
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="api=NAME[,NAME], client=TEXT, error or error=NAME (repeatable; all must match)",
    )
    parser.add_argument("--save", metavar="FILE", help="write every raw frame for `kraft decode`")
    parser.add_argument(
        "--capture-bytes",
        type=int,
        default=16 * 1024 * 1024,
        help="frames bigger than this are forwarded but not decoded (default 16 MiB)",
    )
    parser.add_argument("--quiet", action="store_true", help="no listening notices on stderr")
    parser.set_defaults(run=run, interrupted_exit=0)


def _address(text: str, what: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"--{what} {text!r}: expected HOST:PORT")
    return host.strip("[]"), int(port)


def run(args: argparse.Namespace) -> int:
    from kraft.shell import run_async
    from kraft.shell.proxy.exchange import Exchange, ExchangeFilter, summary_line, to_json
    from kraft.shell.proxy.frames import CapturedFrame
    from kraft.shell.proxy.server import Proxy, ProxyOptions, write_saved_frame

    try:
        listen = _address(args.listen, "listen")
        upstream = _address(args.upstream, "upstream")
        chosen = ExchangeFilter.parse(args.filter)
    except ValueError as e:
        print(f"kraft proxy: {e}", file=sys.stderr)
        return 2
    save: TextIO | None = None
    if args.save:
        try:
            save = open(args.save, "w")  # noqa: SIM115 (closed in the finally below)
        except OSError as e:
            print(f"kraft proxy: cannot write {args.save}: {e.strerror}", file=sys.stderr)
            return 2
        save.write("# kraft proxy capture: CONN > request, CONN < response (as on the wire)\n")
    lock = threading.Lock()
    proxy: Proxy

    def on_exchange(exchange: Exchange) -> None:
        if not chosen.matches(exchange):
            return
        if args.json:
            text = json.dumps(to_json(exchange, expand_records=args.records))
        else:
            text = summary_line(exchange, proxy.topics)
        with lock:
            print(text, flush=True)

    def on_frame(connection: int, kind: str, frame: CapturedFrame) -> None:
        if save is not None:
            write_saved_frame(save, connection, kind, frame)
            save.flush()

    def on_note(text: str) -> None:
        if not args.quiet:
            print(f"kraft proxy: {text}", file=sys.stderr, flush=True)

    proxy = Proxy(
        ProxyOptions(
            listen_host=listen[0],
            listen_port=listen[1],
            upstream_host=upstream[0],
            upstream_port=upstream[1],
            rewrite=args.rewrite,
            advertised_host=args.advertise,
            capture_bytes_max=args.capture_bytes,
        ),
        on_exchange,
        on_frame if save is not None else None,
        on_note,
    )

    try:
        # SIGTERM ends the proxy as Ctrl-C does (inside trio, also with SIGINT ignored).
        run_async(proxy.serve)
    except OSError as e:
        print(f"kraft proxy: cannot listen on {args.listen}: {e.strerror or e}", file=sys.stderr)
        return 1
    finally:
        if save is not None:
            save.close()
    return 0
