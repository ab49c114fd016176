"""`kraft server`: run one node of the test raft server (what bin/test-raft-server-start.sh runs).

Exit status: 0 after a graceful shutdown (SIGTERM / Ctrl-C), 1 when a second signal stopped it at
once (a disk step may have been left running), 2 for a problem found at start-up
(bad or missing configuration, log directory unusable or locked, port in use), printed as one line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from kraft.shell.workload import RECORD_SIZE_DEFAULT, THROUGHPUT_DEFAULT

EXIT_STARTUP_ERROR = 2


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "server",
        help="run one node of the test raft server",
        description="Run one KRaft node; when it leads, append a steady random workload to "
        "__cluster_metadata and report throughput and commit latency.",
    )
    parser.add_argument("--config", metavar="FILE", help="the node's .properties file (required)")
    parser.add_argument(
        "--throughput",
        type=_positive_int,
        default=THROUGHPUT_DEFAULT,
        metavar="RECORDS_PER_S",
        help=f"records appended per second while leader (default {THROUGHPUT_DEFAULT}); "
        "a rate above what the node can do means as fast as possible",
    )
    parser.add_argument(
        "--record-size",
        type=_positive_int,
        default=RECORD_SIZE_DEFAULT,
        metavar="BYTES",
        help=f"payload bytes per record (default {RECORD_SIZE_DEFAULT})",
    )
    parser.add_argument(
        "--stats-file", metavar="PATH", help="append one JSON object per report interval"
    )
    parser.add_argument(
        "--report-interval-ms",
        type=_positive_int,
        default=5000,
        metavar="MS",
        help="status line / stats file interval (default 5000)",
    )
    parser.add_argument("--seed", type=int, help="seed of the node's random generator")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.config:
        print("Missing configuration file: use --config FILE", file=sys.stderr)
        return EXIT_STARTUP_ERROR
    from kraft.shell import run_async
    from kraft.shell.server import ServerOptions, StartupError, run_server

    options = ServerOptions(
        config_path=Path(args.config),
        throughput=args.throughput,
        record_size=args.record_size,
        stats_file=Path(args.stats_file) if args.stats_file else None,
        report_interval_ms=args.report_interval_ms,
        seed=args.seed,
    )
    try:
        return run_async(lambda: run_server(options))
    except StartupError as exc:
        print(f"kraft server: {exc}", file=sys.stderr)
        return EXIT_STARTUP_ERROR
