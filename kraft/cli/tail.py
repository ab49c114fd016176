"""`kraft tail`: follow the committed metadata log as an id-less observer (or with `--id`).

Prints one line per record: offset, epoch, timestamp, then the record: control records by type
with their decoded value; a value framed as a metadata record decoded on one line
(`TopicRecord v0 name=orders topicId=...`; an unknown or newer type or version as type + hex);
any other value as text (printable UTF-8) or hex. `--raw` skips the metadata decoding. `--json`
prints one JSON object per record instead (`metadata` holds the decoded record, as Kafka's JSON
converters write it, beside the raw `value`). Only committed records are ever printed, each
once, in offset order, across leader changes and node restarts (see `kraft.shell.client.observer`).

Starting point: `--from-beginning` (the log start), `--offset N`, or by default the current high
watermark (new records only). When the log starts with a snapshot (retention deleted what it
holds), `--from-beginning` and any offset below the log start print the snapshot's records
first (SnapshotHeader, the state, SnapshotFooter: offsets from 0 inside the snapshot), then
the log from its start. An offset past the high watermark is said so on stderr; the tail
then waits for it (or, with `--until-high-watermark`, ends). Stopping: `--max-records N`,
`--until-high-watermark` (exit once the high watermark seen at start-up is reached), or Ctrl-C.

By default the tail fetches as Kafka's id-less Raft observer does (Fetch with replica id -1,
fetch offset and last fetched epoch, DivergingEpoch and snapshots followed) but keeps no local
log: it prints each batch once the high watermark passes it, straight from the fetch answer
(`kraft.shell.client.state.StreamFetchState`). With `--log-dir` or `--id` the Raft core runs
inside the tail instead (a non-voting follower): it writes the fetched log and its own
quorum-state to that log dir (a temporary one with only `--id`), and a later tail with the same
`--log-dir` resumes from it. `--consumer` fetches like a plain Kafka consumer (no local log, no
Raft fetch: the node caps the read at its high watermark).

Exit status: 0 on a normal stop (Ctrl-C included); 141 when the reader of its output goes away
(`| head`); 1 with one line on stderr when the quorum cannot be reached
(`--timeout-ms`, default 10000), has another cluster id (`--cluster-id`), or the log cannot be
followed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from kraft.cli import run_observer_tool

if TYPE_CHECKING:
    from kraft.shell.client.observer import CommittedBatch, RaftObserver, Start

# Everything else (trio, the wire codec, the observer) is imported when the tail runs: `kraft tail
# --help` and a usage error need none of it.

TIMEOUT_MS_DEFAULT = 10_000


def add_bootstrap_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap-server",
        "--bootstrap-servers",
        "--bootstrap-controller",
        dest="bootstrap_server",
        required=True,
        metavar="HOST:PORT[,HOST:PORT...]",
        help="one or more nodes of the quorum",
    )
    parser.add_argument(
        "--command-config",
        metavar="FILE",
        help="Kafka client properties for a secured listener (security.protocol, ssl.truststore."
        "location, ssl.keystore.location, sasl.mechanism, sasl.jaas.config), as Kafka's tools",
    )


def _offset(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an offset, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"an offset is 0 or more, got {value}")
    return value


async def _high_watermark_now(observer: RaftObserver) -> int:
    """The high watermark when the tail starts, from the leader (ListOffsets latest)."""
    conn = await observer.leader_connection()
    return await observer.list_offset(conn, -1)


async def tail(args: argparse.Namespace, out: Any = None) -> int:
    from kraft.shell.client.connection import parse_bootstrap
    from kraft.shell.client.observer import EARLIEST, LATEST, Mode, RaftObserver

    out = out or sys.stdout
    start: Start = EARLIEST if args.from_beginning else LATEST
    if args.offset is not None:
        start = args.offset
    mode: Mode = "consumer" if args.consumer else "stream"
    if not args.consumer and (args.log_dir is not None or args.id is not None):
        mode = "raft"  # a kept log dir, or an observer id the leader lists: the Raft core's
    observer = RaftObserver(
        parse_bootstrap(args.bootstrap_server),
        local_id=args.id,
        start=start,
        mode=mode,
        cluster_id=args.cluster_id,
        give_up_after_ms=args.timeout_ms,
        log_dir=args.log_dir,
        fail_if_refused=True,  # nothing listening at any address: a typo, say so at once
        include_snapshot=True,
    )
    async with observer:
        return await _print_records(args, observer, start, out)


async def _print_records(
    args: argparse.Namespace, observer: RaftObserver, start: Start, out: Any
) -> int:
    until: int | None = None
    from kraft.shell.client.observer import LATEST

    if args.until_high_watermark or isinstance(start, int):
        high_watermark = await _high_watermark_now(observer)
        await observer.close()  # the observer opens its own connections from here on
        if isinstance(start, int) and start > high_watermark:
            # Not an error (the offset may be written later), but never a silent wait.
            wait = "nothing to print" if args.until_high_watermark else "waiting for it"
            print(
                f"kraft tail: offset {start} is past the end of the committed log "
                f"(high watermark {high_watermark}): {wait}",
                file=sys.stderr,
                flush=True,
            )
        if args.until_high_watermark:
            until = high_watermark
            if until <= (start if isinstance(start, int) else 0) or start == LATEST:
                return 0
    output = _Output(out if out is not None else sys.stdout)
    # `--max-records N` ends after N records (after the first one when N < 1, as it always did).
    remaining = None if args.max_records is None else max(args.max_records, 1)
    async for batch in observer.batches():
        # One write call per batch, flushed per batch: a follower sees each batch as soon as it
        # is committed, and a catch-up read does not pay a write call per record.
        chunk, count = _batch_chunk(batch, args, output.encoding, output.errors, remaining)
        output.write(chunk)
        if remaining is not None:
            remaining -= count
            if remaining <= 0:
                return 0
        if until is not None and batch.last_offset + 1 >= until:
            return 0
    return 0


class _Output:
    """The tail's output: whole chunks of encoded lines, written and flushed at once; straight to
    the byte stream under a text stream (stdout) when it has one (no str to encode again)."""

    def __init__(self, stream: Any) -> None:
        self.text = stream
        self.encoding: str = getattr(stream, "encoding", None) or "utf-8"
        self.errors: str = getattr(stream, "errors", None) or "strict"
        binary = getattr(stream, "buffer", None)
        sample = "offset: 0 value (hex): 09af\n"
        if binary is not None and sample.encode(self.encoding) != sample.encode("ascii"):
            binary = None  # the lines are made as ASCII bytes: only for ASCII-based encodings
        self.binary = binary
        if binary is not None:
            stream.flush()  # anything written as text goes first

    def write(self, chunk: bytes | bytearray) -> None:
        if self.binary is not None:
            self.binary.write(chunk)
            self.binary.flush()
        else:
            self.text.write(chunk.decode(self.encoding, self.errors))
            self.text.flush()


def _batch_chunk(
    batch: CommittedBatch,
    args: argparse.Namespace,
    encoding: str = "utf-8",
    errors: str = "strict",
    limit: int | None = None,
) -> tuple[bytes | bytearray, int]:
    """The batch's output lines (its first `limit` records) encoded, and how many they are. A
    data batch in the default format takes the per-record fast path (offset, timestamp, value:
    only what is printed is decoded, `render.data_lines`)."""
    from kraft.cli.render import data_lines, describe_record, record_line
    from wire.records.record import decode_record_values

    epoch = batch.epoch
    if not batch.is_control and not args.json:
        first_offset = batch.first_offset
        # The observer checked the CRC when it took the batch (`committed_batches`).
        values = decode_record_values(batch.data, 0, batch.header, verify_crc=False)
        if values and values[0][0] < first_offset:
            values = [v for v in values if v[0] >= first_offset]
        if limit is not None:
            values = values[:limit]
        return data_lines(values, epoch, not args.raw, encoding, errors), len(values)
    lines = []
    for record in batch.records()[:limit]:
        described = describe_record(record, batch.is_control, decode_metadata=not args.raw)
        described["epoch"] = epoch
        if args.json:
            lines.append(json.dumps(described) + "\n")
        else:
            lines.append(
                f"offset: {record.offset} epoch: {epoch} timestamp: {record.timestamp} "
                f"{record_line(described)}\n"
            )
    return "".join(lines).encode(encoding, errors), len(lines)


def run(args: argparse.Namespace) -> int:
    return run_observer_tool("tail", args.bootstrap_server, lambda: tail(args))


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tail",
        help="follow the committed metadata log as an id-less observer",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bootstrap_argument(parser)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--from-beginning", action="store_true", help="start at the log start")
    where.add_argument("--offset", type=_offset, metavar="N", help="start at offset N (0 or more)")
    parser.add_argument("--max-records", type=int, metavar="N", help="exit after N records")
    parser.add_argument(
        "--until-high-watermark",
        action="store_true",
        help="exit once the high watermark seen at start-up is reached",
    )
    parser.add_argument("--id", type=int, help="fetch as observer with this replica id")
    parser.add_argument("--cluster-id", help="refuse a quorum with another cluster id")
    parser.add_argument(
        "--consumer",
        action="store_true",
        help="fetch like a Kafka consumer (node-side HW cap) instead of as a Raft observer",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per record")
    parser.add_argument(
        "--raw",
        action="store_true",
        help="print record values as text/hex, without decoding them as metadata records",
    )
    parser.add_argument(
        "--log-dir",
        help="keep the fetched log and quorum-state here (default: a temporary directory, "
        "deleted on exit); a later tail with the same dir resumes from it",
    )
    parser.add_argument(
        "--timeout-ms",
        type=int,
        default=TIMEOUT_MS_DEFAULT,
        help="give up when no node answers for this long (default %(default)s)",
    )
    # Ctrl-C is how a tail is normally stopped (see "Exit status" above).
    parser.set_defaults(run=run, interrupted_exit=0)


__all__ = ["add_bootstrap_argument", "register", "run", "tail"]
