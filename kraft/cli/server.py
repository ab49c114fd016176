"""`kraft server`: run one node of the test raft server (what bin/test-raft-server-start.sh runs).

`--kafka-test-server` (implied by bin/test-kraft-server-start.sh, the name of Kafka's own script)
gives the node the identity of Kafka's TestRaftServer, so it can be a voter among them; see
`kraft.shell.identity`. `--replica-directory-id` is Kafka's flag for the node's directory id.

Exit status: 0 after a graceful shutdown (SIGTERM / Ctrl-C), 1 when a second signal stopped it at
once (a disk step may have been left running), 2 for a problem found at start-up
(bad or missing configuration, log directory unusable or locked, port in use), 3 when the log
directory fails while the node runs (a full disk, an I/O error: the node stops, as Kafka halts);
each printed as one line.

Allocator: a node allocates and frees buffers of megabytes all the time (each batch the leader
builds, each Fetch answer, each frame a follower receives, up to 8 MiB). glibc serves those from
fresh `mmap`s or trims them off the heap top again, so every one of them page-faults its memory in
anew; `keep_freed_memory` makes glibc keep freed memory for reuse instead (measured on the
3-voter throughput scenario: leader CPU per committed record 1.49 against 1.87 us, medians of 3).
"""

from __future__ import annotations

import argparse
import logging
import sys
import uuid
from pathlib import Path

from kraft.shell.workload import RECORD_SIZE_DEFAULT, THROUGHPUT_DEFAULT

EXIT_STARTUP_ERROR = 2
EXIT_LOG_DIR_FAILURE = 3

# glibc `mallopt` parameters (malloc.h) and what the node sets them to.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# The largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2): above a batch or answer.
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
# Free memory at the heap top kept rather than given back (about what a node has in flight).
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Make glibc reuse freed large buffers instead of unmapping or trimming them (see the module
    docstring); False where the C library has no `mallopt` (not glibc: nothing changes)."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _positive_int(text: str) -> int:
    value = _int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _directory_id(text: str) -> uuid.UUID:
    from kraft.shell.identity import uuid_from_text

    try:
        value = uuid_from_text(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value.int == 0:
        raise argparse.ArgumentTypeError("the zero Uuid is not a directory id")
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
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
        type=_non_negative_int,
        default=THROUGHPUT_DEFAULT,
        metavar="RECORDS_PER_S",
        help=f"records appended per second while leader (default {THROUGHPUT_DEFAULT}); "
        "a rate above what the node can do means as fast as possible; 0: no workload (the "
        "log holds only the LeaderChange record of each epoch)",
    )
    parser.add_argument(
        "--record-size",
        type=_positive_int,
        default=RECORD_SIZE_DEFAULT,
        metavar="BYTES",
        help=f"payload bytes per record (default {RECORD_SIZE_DEFAULT})",
    )
    parser.add_argument(
        "--workload",
        choices=["random", "metadata"],
        default="random",
        help="what the leader writes: random payloads (default, as Kafka's test server), or "
        "metadata: a plausible evolving cluster (brokers register and fence, topics and "
        "partitions come and go, leaders move) as real metadata records, which every node "
        "applies to its image and snapshots; --throughput counts records, --record-size is "
        "unused",
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
    parser.add_argument(
        "--status-format",
        choices=["pykraft", "kafka"],
        default="pykraft",
        help="status line: pykraft's own, or Kafka TestRaftServer's `Throughput (bytes/second): "
        "..., Latency (ms): ... p75 ... p99 ... p999` (leader only), to compare like with like",
    )
    parser.add_argument("--seed", type=int, help="seed of the node's random generator")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument(
        "--replica-directory-id",
        type=_directory_id,
        metavar="UUID",
        help="this node's directory id, a Kafka Uuid such as b8tRS7h4TJ2Vt43Dp85v2A (default: "
        "from meta.properties, else a new one; zero in the Kafka test server mode)",
    )
    parser.add_argument(
        "--kafka-test-server",
        action="store_true",
        help="be a node of Kafka's TestRaftServer quorum: topic __raft_performance_test, cluster "
        "id AAAAAAAAAAAAAAAAAAAAAA, no meta.properties (bin/test-kraft-server-start.sh sets it)",
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
    keep_freed_memory()
    from kraft.shell import run_async
    from kraft.shell.server import LogDirFailure, ServerOptions, StartupError, run_server

    options = ServerOptions(
        config_path=Path(args.config),
        throughput=args.throughput,
        record_size=args.record_size,
        stats_file=Path(args.stats_file) if args.stats_file else None,
        report_interval_ms=args.report_interval_ms,
        seed=args.seed,
        kafka_test_server=args.kafka_test_server,
        replica_directory_id=args.replica_directory_id,
        status_format=args.status_format,
        workload=args.workload,
    )
    try:
        return run_async(lambda: run_server(options))
    except StartupError as exc:
        print(f"kraft server: {exc}", file=sys.stderr)
        return EXIT_STARTUP_ERROR
    except LogDirFailure as exc:
        print(f"kraft server: {exc}", file=sys.stderr)
        return EXIT_LOG_DIR_FAILURE
