"""`kraft image`: Kafka's metadata image of a live quorum, printed once or kept live (`--watch`).

Follows the quorum as an id-less observer (`kraft.shell.client.observer.RaftObserver`, the
plumbing of `kraft tail`): from the log start, which on a Kafka quorum is usually a snapshot the
observer downloads (its records become the starting image), then every committed batch of the
log, replayed into `kraft.image.MetadataImage` (controllers, brokers with endpoints, fencing and
epochs, topics, partitions with leader/ISR/ELR/epochs, configs, features, quotas, producer ids,
ACLs, SCRAM users, delegation tokens).

Printed once (the default): the image at the high watermark seen at start-up (`--offset N`: the
image of the records below N; N may not be below the log start, which a snapshot covers), in
the style of kafka-topics --describe and kafka-metadata-shell. `--json`: one JSON object,
`{"offset", "snapshot" (the end offset of the snapshot it started from, or null), "image"}`.

`--watch`: the image now, then each committed change as it commits, one sentence a line,
prefixed by its offset ("topic orders created: 3 partitions, RF 3", "broker 2 fenced",
"partition orders-1 leader 1 → 3 (epoch 4)"); `--from-beginning` prints every change from the
log start instead of the image first (a snapshot is one "snapshot loaded" line), `--offset N`
the changes from offset N on. With `--json`, one JSON object a line: the image object first,
then `{"offset", "change", ...fields}` (the kinds are listed in `kraft.image.changes`).
A watch that falls behind the leader's log start (paused, or slower than the quorum's snapshots
plus retention) does not stop: the observer installs the leader's latest snapshot and the image
restarts from it, as Kafka's own metadata listeners do; that is one "snapshot loaded" line
(a `snapshot-loaded` change) at the snapshot's end offset, then the changes after it.

Records of a type or version this build does not know are skipped, said once per type on stderr.
Exit status: 0 on a normal stop (Ctrl-C included); 141 when the reader of its output goes away
(`| head`); 1 with one line on stderr when the quorum cannot be reached (`--timeout-ms`), has
another cluster id, or the log holds a record that does not fit the image.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from kraft.cli import run_observer_tool
from kraft.cli.tail import TIMEOUT_MS_DEFAULT, add_bootstrap_argument
from kraft.image import (
    Change,
    ImageError,
    MetadataImage,
    batch_metadata_records,
    image_json,
    quota_entity_text,
    sentence,
    snapshot_metadata_records,
)
from kraft.image.batches import AnyMetadataRecord
from kraft.image.entities import CONFIG_RESOURCE_TYPES, NO_LEADER, SCRAM_MECHANISMS
from kraft.shell.client.connection import parse_bootstrap
from kraft.shell.client.observer import EARLIEST, RaftObserver, in_worker_thread
from kraft.shell.client.state import CommittedBatch, ObserverError
from wire.messages.list_offsets import LATEST_TIMESTAMP
from wire.messages.quorum_state import uuid_to_base64 as kafka_uuid
from wire.metadata import MetadataRecord, UnknownMetadataRecord


def _offset(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an offset, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"an offset is 0 or more, got {value}")
    return value


@dataclass(frozen=True)
class Step:
    """The changes of one batch (at `offset`, its first record's), or of the starting snapshot."""

    offset: int
    changes: list[Change]
    from_snapshot: bool = False
    # A snapshot loaded mid-stream: the observer fell behind the leader's log start (its
    # retention deleted records not yet fetched) and the image restarts from the leader's
    # latest snapshot, as Kafka's own metadata listeners do.
    reloaded: bool = False


class ImageFollower:
    """Replays what the observer releases into `image`: the snapshot the local log starts at
    (once the observer knows its start), then each committed batch; and a newer snapshot
    whenever the observer had to jump to one (it fell behind the leader's log start)."""

    def __init__(self, observer: RaftObserver, err: TextIO) -> None:
        self.observer = observer
        self.image = MetadataImage()
        self.started = False  # the starting point (snapshot or empty log start) is applied
        self.snapshot_offset: int | None = None  # the end offset of the snapshot loaded last
        self.offset = 0  # the image holds every record below this offset
        self.reloads = 0  # snapshots loaded mid-stream
        self.err = err
        self._unknown_said: set[tuple[int, int]] = set()

    async def step(self, until: int | None) -> list[Step]:
        """One poll: what committed since (records below `until` only), the snapshot first."""
        start_before = self.observer.start_offset
        batches = await self.observer.poll()
        start = self.observer.start_offset
        if start is None or (self.started and start == start_before):
            return [s for batch in batches for s in self._apply(batch, until)]
        # The observer (include_snapshot) just set its start: at the beginning, or after a
        # jump past the log it had (a snapshot install); this poll's batches are then the
        # content of the snapshot its local log starts at (offsets from 0 inside it).
        reloaded = self.started
        self.started = True
        self.offset = start
        if start == 0:
            return [s for batch in batches for s in self._apply(batch, until)]
        if not batches or batches[0].base_offset != 0:
            raise ObserverError(f"the log starts at {start} but no snapshot ends there")
        data = b"".join(batch.data for batch in batches)

        def load() -> list[Change]:
            return self.image.load_snapshot(self._known(snapshot_metadata_records(data)))

        # A worker thread: the observer's Raft core keeps running meanwhile.
        changes = await in_worker_thread(load)
        self.snapshot_offset = start
        self.reloads += reloaded
        return [Step(start, changes, from_snapshot=True, reloaded=reloaded)]

    def _known(self, records: list[AnyMetadataRecord]) -> list[MetadataRecord]:
        for rec in records:
            if isinstance(rec, UnknownMetadataRecord):
                key = (rec.api_key, rec.version)
                if key not in self._unknown_said:
                    self._unknown_said.add(key)
                    print(
                        f"kraft image: skipping metadata records of type {rec.api_key} "
                        f"version {rec.version} ({rec.reason})",
                        file=self.err,
                        flush=True,
                    )
        return [rec for rec in records if isinstance(rec, MetadataRecord)]

    def _apply(self, batch: CommittedBatch, until: int | None) -> list[Step]:
        out: list[Step] = []
        for _, records in batch_metadata_records(batch.data, first_offset=batch.first_offset):
            kept = [(o, rec) for o, rec in records if until is None or o < until]
            if kept:
                try:
                    changes = self.image.apply_batch(self._known([rec for _, rec in kept]))
                except ImageError as exc:
                    raise ImageError(f"offset {kept[0][0]}: {exc}") from None
                out.append(Step(kept[0][0], changes))
        end = batch.last_offset + 1
        self.offset = end if until is None else min(end, until)
        return out


async def _high_watermark(observer: RaftObserver) -> int:
    conn = await observer.leader_connection()
    try:
        return await observer.list_offset(conn, LATEST_TIMESTAMP)
    finally:
        await observer.close()  # the observer opens its own connections from here on


async def image_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    observer = RaftObserver(
        parse_bootstrap(args.bootstrap_server),
        start=EARLIEST,
        cluster_id=args.cluster_id,
        give_up_after_ms=args.timeout_ms,
        log_dir=args.log_dir,
        fail_if_refused=True,
        include_snapshot=True,
    )
    async with observer:
        follower = ImageFollower(observer, sys.stderr)
        if args.watch:
            return await _watch(args, follower, out)
        return await _once(args, follower, out)


async def _say_if_past_the_end(follower: ImageFollower, offset: int) -> None:
    """An offset past the committed end is awaited, never silently (as `kraft tail`)."""
    high_watermark = await _high_watermark(follower.observer)
    if offset > high_watermark:
        print(
            f"kraft image: offset {offset} is past the end of the committed log "
            f"(high watermark {high_watermark}): waiting for it",
            file=follower.err,
            flush=True,
        )


async def _once(args: argparse.Namespace, follower: ImageFollower, out: TextIO) -> int:
    until = args.offset
    if until is None:
        until = await _high_watermark(follower.observer)
    else:
        await _say_if_past_the_end(follower, until)
    # Nothing below offset 0: the empty image (the log may not even have a first record).
    while until > 0 and (not follower.started or follower.offset < until):
        await follower.step(until)
        start = follower.observer.start_offset
        if start is not None and until < start:
            if args.offset is not None:
                raise ObserverError(
                    f"offset {until} is below the log start {start} (a snapshot covers it): "
                    f"the image can be built from offset {start} on"
                )
            until = start  # a snapshot newer than the high watermark seen: the image there
    _print_image(follower, args.json, out)
    return 0


async def _watch(args: argparse.Namespace, follower: ImageFollower, out: TextIO) -> int:
    # Changes are printed from `print_from` on; before it the image is built silently and
    # printed whole once it is reached. Loading the starting snapshot is a change only with
    # --from-beginning: otherwise it is where the image starts (it may be newer than the high
    # watermark seen at start-up; then the image is printed at the snapshot's offset).
    if args.from_beginning:
        print_from = 0
    elif args.offset is not None:
        print_from = args.offset
        await _say_if_past_the_end(follower, print_from)
    else:
        print_from = await _high_watermark(follower.observer)
    shown = args.from_beginning
    while True:
        for step in await follower.step(None):
            starting_point = step.from_snapshot and not step.reloaded and not args.from_beginning
            if step.offset < print_from or starting_point:
                continue
            for change in step.changes:
                if args.json:
                    line = json.dumps({"offset": step.offset, **change.to_json()})
                else:
                    line = f"{step.offset}: {sentence(change)}"
                print(line, file=out, flush=True)
        start = follower.observer.start_offset
        if args.offset is not None and start is not None and args.offset < start:
            raise ObserverError(
                f"offset {args.offset} is below the log start {start} (a snapshot covers it): "
                f"changes can be followed from offset {start} on"
            )
        if not shown and follower.started and follower.offset >= print_from:
            shown = True
            _print_image(follower, args.json, out)


# ----------------------------------------------------------------------------- text


def _ids(ids: tuple[int, ...] | list[int]) -> str:
    return ",".join(str(i) for i in ids)


def _print_image(follower: ImageFollower, as_json: bool, out: TextIO) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "offset": follower.offset,
                    "snapshot": follower.snapshot_offset,
                    "image": image_json(follower.image),
                }
            ),
            file=out,
            flush=True,
        )
        return
    for line in image_lines(follower.image, follower.offset, follower.snapshot_offset):
        print(line, file=out)
    out.flush()


def image_lines(image: MetadataImage, offset: int, snapshot_offset: int | None = None) -> list[str]:
    """The image for people: a header, then sections in kafka-topics --describe's style."""
    partitions = sum(len(t.partitions) for t in image.topics.values())
    source = "" if snapshot_offset is None else f" (from a snapshot at offset {snapshot_offset})"
    lines = [
        f"Metadata image at offset {offset}{source}: {len(image.controllers)} controllers, "
        f"{len(image.brokers)} brokers, {len(image.topics)} topics, {partitions} partitions"
    ]
    features = " ".join(f"{n}={v}" for n, v in sorted(image.features.items()))
    lines.append(f"Features: {features or '(none)'}")
    for c in sorted(image.controllers.values(), key=lambda c: c.id):
        where = " ".join(str(e) for e in c.endpoints)
        lines.append(f"Controller: {c.id}\tIncarnationId: {kafka_uuid(c.incarnation_id)}\t{where}")
    for b in sorted(image.brokers.values(), key=lambda b: b.id):
        state = "fenced" if b.fenced else "unfenced"
        if b.in_controlled_shutdown:
            state += ", in controlled shutdown"
        where = " ".join(str(e) for e in b.endpoints)
        rack = b.rack if b.rack is not None else "-"
        lines.append(f"Broker: {b.id}\tEpoch: {b.epoch}\tRack: {rack}\tState: {state}\t{where}")
    for topic in image.topics_by_name().values():
        configs = image.configs.get((2, topic.name), {})
        shown = ",".join(f"{k}={v}" for k, v in sorted(configs.items()))
        lines.append(
            f"Topic: {topic.name}\tTopicId: {kafka_uuid(topic.id)}\t"
            f"PartitionCount: {len(topic.partitions)}\t"
            f"ReplicationFactor: {topic.replication_factor}\tConfigs: {shown}"
        )
        for pid in sorted(topic.partitions):
            p = topic.partitions[pid]
            leader = "none" if p.leader == NO_LEADER else str(p.leader)
            lines.append(
                f"\tTopic: {topic.name}\tPartition: {pid}\tLeader: {leader}\t"
                f"Replicas: {_ids(p.replicas)}\tIsr: {_ids(p.isr)}\tElr: {_ids(p.elr)}\t"
                f"LastKnownElr: {_ids(p.last_known_elr)}\tLeaderEpoch: {p.leader_epoch}\t"
                f"PartitionEpoch: {p.partition_epoch}"
            )
    for (kind, name), entries in sorted(image.configs.items()):
        if kind == 2:
            continue  # shown with its topic
        what = CONFIG_RESOURCE_TYPES.get(kind, str(kind))
        shown = ",".join(f"{k}={v}" for k, v in sorted(entries.items()))
        lines.append(f"Config: {what} {name or '(cluster default)'}\t{shown}")
    for entity, values in sorted(image.client_quotas.items(), key=lambda kv: str(kv[0])):
        shown = ",".join(f"{k}={v:g}" for k, v in sorted(values.items()))
        lines.append(f"Quota: {quota_entity_text(entity)}\t{shown}")
    if image.producer_ids is not None:
        lines.append(f"ProducerIds: next block starts at {image.producer_ids.next_producer_id}")
    for a in image.acls.values():
        lines.append(
            f"Acl: {a.principal}\tHost: {a.host}\tResource: {a.resource_type}:{a.resource_name}\t"
            f"Pattern: {a.pattern_type}\tOperation: {a.operation}\tPermission: {a.permission_type}"
        )
    for name, mechanism in sorted(image.scram_credentials):
        lines.append(f"ScramUser: {name}\t{SCRAM_MECHANISMS.get(mechanism, str(mechanism))}")
    for token in sorted(image.delegation_tokens.values(), key=lambda t: t.token_id):
        lines.append(f"DelegationToken: {token.token_id}\tOwner: {token.owner}")
    return lines


# ----------------------------------------------------------------------------- command


def run(args: argparse.Namespace) -> int:
    if args.from_beginning and not args.watch:
        print("kraft image: error: --from-beginning goes with --watch", file=sys.stderr)
        return 2
    return run_observer_tool(
        "image", args.bootstrap_server, lambda: image_command(args), (ImageError,)
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "image",
        help="show Kafka's metadata image of a live quorum, once or live (--watch)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bootstrap_argument(parser)
    parser.add_argument(
        "--watch", action="store_true", help="keep following: print each committed change"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--from-beginning",
        action="store_true",
        help="with --watch: print every change from the log start",
    )
    where.add_argument(
        "--offset",
        type=_offset,
        metavar="N",
        help="the image of the records below N (with --watch: the changes from N on)",
    )
    parser.add_argument("--json", action="store_true", help="JSON instead of text")
    parser.add_argument("--cluster-id", help="refuse a quorum with another cluster id")
    parser.add_argument(
        "--log-dir",
        type=Path,
        help="keep the fetched log here (default: a temporary directory, deleted on exit)",
    )
    parser.add_argument(
        "--timeout-ms",
        type=int,
        default=TIMEOUT_MS_DEFAULT,
        help="give up when no node answers for this long (default %(default)s)",
    )
    # Ctrl-C is how a watch is normally stopped.
    parser.set_defaults(run=run, interrupted_exit=0)


__all__ = ["ImageFollower", "image_command", "image_lines", "register", "run"]
