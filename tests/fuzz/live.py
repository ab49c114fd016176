"""Live fuzz harness: one real node, two fake voters, hostile answers and hostile requests.

Theory of operation:
- A real node process (`python -m kraft.cli server`) runs as voter 1 of a 3-voter quorum whose
  voters 2 and 3 are fake peers: trio servers in this process on free ports, speaking the wire
  codec. The fakes drive the node through its roles in cycles: FOLLOWER (a fake sends a valid
  BeginQuorumEpoch and serves the node's Fetches with small valid batches), then CANDIDATE and
  LEADER (the fake leader resigns with EndQuorumEpoch naming voter 1; the fakes answer its Vote
  requests and then fetch from it as followers). Hostile Vote/BeginQuorumEpoch requests move it
  through unattached/voted too.
- Within a cycle, each answer to the node's own requests is mutated with some probability
  (structure-aware field mutations, record batches with valid CRCs and nonsense headers, absurd
  diverging epochs / snapshot ids / error codes / endpoints, wrong correlation ids, answers of the
  wrong API, damaged frames, closed connections), and the fakes send unsolicited hostile requests
  (absurd epochs, offsets, endpoints, field-mutated and damaged requests). Every mutation is one
  count; each has an index, and its own RNG is `Random(f"{seed}:{index}")`.
- After every burst the node must be alive, answer ApiVersions and Metadata on a new connection,
  and its stderr must show no traceback. Every `restart_every` mutations it is stopped (SIGTERM,
  which must exit 0, or SIGKILL, alternately) and restarted on the same log directory, which must
  succeed. Epochs at the int32 limit (which no fake can outrank) are sent only in the last bursts
  before a periodic restart; a node whose epoch ended up beyond `EPOCH_RESET_ABOVE` is wiped
  after that restart check. Every `IDLE_FLOOD_EVERY` mutations, 4,200 idle connections are opened
  and a newcomer must still be served.
- A failed check is a `Finding` (the check, the last mutations with their indexes, the stderr
  tail); the node is then restarted (and wiped if it cannot restart) and the campaign goes on.

Replay: the run is seeded (`--seed`), but the node's timing is not, so a replay reproduces the
same mutation stream, not necessarily the same interleaving; `--kinds` narrows it to a few kinds
(one kind alone usually reproduces a crash within a few dozen mutations).

    python -m tests.fuzz.live --mutations 100000 --seed 1 [--kinds a,b] [--json out.json]
        [--restart-every N] [--time-limit-s S] [--findings-max N] [--dir keep-files-here]

Exit status 0 when nothing was found, 1 otherwise; findings are printed as they happen.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from tests.e2e.cluster import free_ports
from tests.fuzz import mutate
from tests.fuzz.mutate import BAD_HOSTS, BAD_PORTS_INT32, INT32, INT64
from wire.errors import WireError
from wire.framing import FrameDecoder
from wire.headers import decode_request, decode_response, encode_request, encode_response
from wire.messages import api_versions as av
from wire.messages import begin_quorum_epoch as bqe
from wire.messages import describe_quorum as dq
from wire.messages import end_quorum_epoch as eqe
from wire.messages import fetch as fe
from wire.messages import fetch_snapshot as fs
from wire.messages import metadata as md
from wire.messages import vote as vo
from wire.records.batch import iter_batches
from wire.registry import METADATA_TOPIC_ID, METADATA_TOPIC_NAME

ROOT = Path(__file__).resolve().parents[2]
# The node is configured with it (`cluster.id`): a Raft request with another id is refused.
CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg"
NODE_ID = 1
FAKE_IDS = (2, 3)
FETCH, VOTE, BEGIN, END, DESCRIBE_QUORUM, FETCH_SNAPSHOT = 1, 52, 53, 54, 55, 59
API_VERSIONS, METADATA = 18, 3
VERSIONS = {FETCH: 17, VOTE: 2, BEGIN: 1, END: 1, DESCRIBE_QUORUM: 2, FETCH_SNAPSHOT: 1}
NO_EPOCH = -1
NO_LEADER = -1
EPOCH_MAX = INT32[1] - 1  # the node refuses INT32_MAX: it leaves no epoch for an election
# Above this a fake can no longer outrank the node for a whole lifetime: wipe at the next restart.
EPOCH_RESET_ABOVE = EPOCH_MAX - 100_000
# Field mutations early in a lifetime keep int32 values at most here: far below the limit.
INT32_CAP_EARLY = 1 << 30
CHECK_TIMEOUT_S = 10.0
SLOW_CHECK_GRACE_S = 30.0
PROGRESS_TIMEOUT_S = 20.0
# A fake takes the lead in a new epoch up to this many times, waiting this long for a Fetch.
DRIVE_ATTEMPTS = 4
DRIVE_ATTEMPT_S = 5.0
BURST_MUTATIONS = 60
# Hostile requests go out on this many connections at once; an answer is awaited this long.
HOSTILE_SENDERS = 8
HOSTILE_ANSWER_TIMEOUT_S = 0.3
FINDINGS_MAX = 30
BURST_TIME_MAX_S = 3.0
REPORT_INTERVAL_MS = 100
IDLE_FLOOD_CONNECTIONS = 4200
IDLE_FLOOD_EVERY = 4000  # mutations; a flood takes tens of seconds on a busy machine
IDLE_FLOOD_NEWCOMER_TIMEOUT_S = 90.0
NODE_PROPERTIES = {
    "controller.quorum.election.timeout.ms": "500",
    "controller.quorum.fetch.timeout.ms": "1500",
    "controller.quorum.election.backoff.max.ms": "100",
    "controller.quorum.request.timeout.ms": "600",
    "controller.quorum.retry.backoff.ms": "10",
}
NODE_ARGS = ["--throughput", "100", "--record-size", "32"]
ERROR_CODES = (-32768, -1, 1, 3, 6, 7, 35, 42, 74, 75, 76, 92, 101, 104, 105, 32767)

# Kinds of answers to the node's own requests, and of unsolicited requests, with their weights.
ANSWER_KINDS: dict[str, int] = {
    "answer-field": 30,
    "answer-batches": 14,
    "answer-fetch-semantics": 12,
    "answer-diverging-inside-batch": 2,
    "answer-error-code": 6,
    "answer-endpoints": 6,
    "answer-epoch-extreme": 6,  # only in the last bursts of a lifetime (see _pick)
    "answer-correlation-id": 4,
    "answer-wrong-api": 4,
    "answer-frame": 6,
    "answer-close": 2,
    "answer-none": 1,
}
REQUEST_KINDS: dict[str, int] = {
    "request-begin-epoch": 8,
    "request-begin-endpoint": 5,
    "request-end-epoch": 5,
    "request-vote": 10,
    "request-fetch": 14,
    "request-fetch-snapshot": 5,
    "request-field": 20,
    "request-frame": 8,
    "request-epoch-extreme": 6,  # idem
}
KINDS = (*ANSWER_KINDS, *REQUEST_KINDS, "idle-connections")
EPOCH_EXTREMES = (INT32[1], INT32[1] - 1)
EPOCH_EXTREME_KINDS = frozenset({"answer-epoch-extreme", "request-epoch-extreme"})


class FuzzError(Exception):
    """A check failed; the message says which and how."""


@dataclass
class Mutation:
    index: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}: {self.detail}"


@dataclass
class Finding:
    check: str
    mutations: list[str]
    stderr_tail: str

    def __str__(self) -> str:
        recent = "\n    ".join(self.mutations) or "(none)"
        return f"{self.check}\n  last mutations:\n    {recent}\n  stderr tail:\n{self.stderr_tail}"


@dataclass
class Report:
    seed: int
    mutations: int = 0
    per_kind: collections.Counter[str] = field(default_factory=collections.Counter)
    roles_seen: collections.Counter[str] = field(default_factory=collections.Counter)
    cycles: collections.Counter[str] = field(default_factory=collections.Counter)
    restarts: int = 0
    wipes: int = 0
    harness_errors: int = 0
    slow_checks: int = 0  # checks answered only after CHECK_TIMEOUT_S (a starved machine)
    idle_flood_newcomer_s: float = 0.0  # the longest a newcomer waited after an idle flood
    seconds_in: collections.Counter[str] = field(default_factory=collections.Counter)
    findings: list[Finding] = field(default_factory=list)
    duration_s: float = 0.0

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.per_kind.items()))
        roles = ", ".join(f"{k} {n}" for k, n in sorted(self.roles_seen.items()))
        cycles = ", ".join(f"{k} {n}" for k, n in sorted(self.cycles.items()))
        return (
            f"seed {self.seed}: {self.mutations} mutations in {self.duration_s:.1f} s, "
            f"{self.restarts} restarts ({self.wipes} wiped), {len(self.findings)} findings, "
            f"{self.harness_errors} harness errors, {self.slow_checks} slow checks, "
            "a newcomer waited up to "
            f"{self.idle_flood_newcomer_s:.1f} s after an idle flood\n"
            f"  kinds: {kinds}\n  cycles: {cycles}\n  roles in stats: {roles}\n"
            f"  seconds in: {', '.join(f'{k} {v:.0f}' for k, v in self.seconds_in.items())}"
            + "".join(f"\n  finding x{n}: {check}" for check, n in self.distinct_findings())
        )

    def distinct_findings(self) -> list[tuple[str, int]]:
        return collections.Counter(f.check for f in self.findings).most_common()

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "mutations": self.mutations,
            "per_kind": dict(self.per_kind),
            "roles_seen": dict(self.roles_seen),
            "cycles": dict(self.cycles),
            "restarts": self.restarts,
            "wipes": self.wipes,
            "harness_errors": self.harness_errors,
            "slow_checks": self.slow_checks,
            "idle_flood_newcomer_s": round(self.idle_flood_newcomer_s, 1),
            "seconds_in": {k: round(v, 1) for k, v in self.seconds_in.items()},
            "duration_s": round(self.duration_s, 1),
            "findings": [dataclasses.asdict(f) for f in self.findings],
        }


# ---------------------------------------------------------------------------- the real node


class Node:
    """The node process under test: voter 1, started and restarted on one log directory."""

    def __init__(self, directory: Path, port: int, fake_ports: dict[int, int]) -> None:
        self.directory = directory
        self.port = port
        self.log_dirs = directory / "logs"
        voters = [f"{NODE_ID}@127.0.0.1:{port}"]
        voters += [f"{i}@127.0.0.1:{p}" for i, p in sorted(fake_ports.items())]
        properties = {
            "node.id": str(NODE_ID),
            "process.roles": "controller",
            "listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "PLAINTEXT",
            "controller.quorum.voters": ",".join(voters),
            "log.dirs": str(self.log_dirs),
            "cluster.id": CLUSTER_ID,
            **NODE_PROPERTIES,
        }
        self.config_path = directory / "server.properties"
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        self.stats_path = directory / "stats.jsonl"
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self._stderr_seen = 0

    @property
    def stderr_path(self) -> Path:
        return self.directory / f"stderr-{self.runs}.txt"

    def start(self, seed: int) -> None:
        self.runs += 1
        self._stderr_seen = 0
        command = [sys.executable, "-m", "kraft.cli", "server", "--config", str(self.config_path)]
        command += ["--stats-file", str(self.stats_path)]
        command += ["--report-interval-ms", str(REPORT_INTERVAL_MS), "--seed", str(seed)]
        with (
            (self.directory / f"stdout-{self.runs}.txt").open("wb") as out,
            self.stderr_path.open("wb") as err,
        ):
            self.process = subprocess.Popen(
                [*command, *NODE_ARGS],
                cwd=ROOT,
                stdout=out,
                stderr=err,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def new_stderr(self) -> str:
        """Stderr written since the last call (this run)."""
        try:
            data = self.stderr_path.read_bytes()
        except FileNotFoundError:
            return ""
        text = data[self._stderr_seen :].decode(errors="replace")
        self._stderr_seen = len(data)
        return text

    def stderr_tail(self, lines: int = 15) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join("    " + line for line in text.splitlines()[-lines:])

    def last_stats(self) -> dict[str, Any] | None:
        try:
            with self.stats_path.open("rb") as f:
                f.seek(max(0, f.seek(0, os.SEEK_END) - 2048))
                lines = f.read().splitlines()
        except FileNotFoundError:
            return None
        for line in reversed(lines):
            with contextlib.suppress(ValueError):
                value: dict[str, Any] = json.loads(line)
                return value
        return None

    async def stop(self, *, graceful: bool) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
        deadline = trio.current_time() + 15
        while self.process.poll() is None:
            if trio.current_time() > deadline:
                self.process.kill()
                self.process.wait()
                raise FuzzError("SIGTERM: the node did not exit within 15 s")
            await trio.sleep(0.02)
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def wipe(self) -> None:
        shutil.rmtree(self.log_dirs, ignore_errors=True)
        self.stats_path.unlink(missing_ok=True)  # its epochs are gone with the log

    def exception_line(self) -> str:
        """The last line of the last traceback on stderr (this run), or ''."""
        try:
            lines = self.stderr_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        if not any("Traceback" in line for line in lines):
            return ""
        for line in reversed(lines):
            text = line.strip(" |+-")
            if (
                text
                and not text.startswith(("File ", "^", "~"))
                and ("Error" in text or "Exception" in text)
            ):
                return text
        return ""


# ----------------------------------------------------------------------- talking to the node


async def _read_frame(
    stream: trio.SocketStream, decoder: FrameDecoder, buffered: list[bytes]
) -> bytes:
    while not buffered:
        data = await stream.receive_some(1 << 20)
        if not data:
            raise trio.BrokenResourceError("closed by the node")
        buffered.extend(decoder.feed(data))
    return buffered.pop(0)


async def exchange(port: int, frame: bytes, timeout_s: float) -> bytes | None:
    """Send one request frame on a new connection; the answer payload, or None when the node
    closed the connection or did not answer within `timeout_s` (both fine for hostile input)."""
    with trio.move_on_after(timeout_s):
        try:
            stream = await trio.open_tcp_stream("127.0.0.1", port)
        except OSError:
            return None
        try:
            await stream.send_all(frame)
            return await _read_frame(stream, FrameDecoder(), [])
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError, WireError):
            return None
        finally:
            await trio.aclose_forcefully(stream)
    return None


async def check_serving(port: int) -> None:
    """ApiVersions and Metadata on a new connection, each answered correctly."""
    request = av.ApiVersionsRequest(client_software_name="fuzz", client_software_version="1")
    answer = await exchange(
        port, encode_request(API_VERSIONS, 3, 41, "fuzz", request), CHECK_TIMEOUT_S
    )
    if answer is None:
        raise FuzzError("ApiVersions: no answer")
    got_id, body = decode_response(API_VERSIONS, 3, answer)
    if got_id != 41 or body.error_code != 0:
        raise FuzzError(f"ApiVersions: correlation id {got_id}, error {body.error_code}")
    topics = [md.MetadataRequest.MetadataRequestTopic(name=METADATA_TOPIC_NAME)]
    meta = md.MetadataRequest(topics=topics)
    answer = await exchange(port, encode_request(METADATA, 12, 42, "fuzz", meta), CHECK_TIMEOUT_S)
    if answer is None:
        raise FuzzError("Metadata: no answer")
    got_id, mbody = decode_response(METADATA, 12, answer)
    if got_id != 42 or not mbody.brokers:
        raise FuzzError(f"Metadata: correlation id {got_id}, brokers {mbody.brokers!r}")


def _begin(
    leader: int, epoch: int, host: str, port: int, voter: int = NODE_ID
) -> bqe.BeginQuorumEpochRequest:
    b = bqe.BeginQuorumEpochRequest
    return b(
        cluster_id=CLUSTER_ID,
        voter_id=voter,
        topics=[
            b.TopicData(
                topic_name=METADATA_TOPIC_NAME,
                partitions=[b.TopicData.PartitionData(leader_id=leader, leader_epoch=epoch)],
            )
        ],
        leader_endpoints=[b.LeaderEndpoint(name="PLAINTEXT", host=host, port=port)],
    )


def _end(
    leader: int, epoch: int, candidates: list[int], host: str, port: int
) -> eqe.EndQuorumEpochRequest:
    e = eqe.EndQuorumEpochRequest
    p = e.TopicData.PartitionData
    return e(
        cluster_id=CLUSTER_ID,
        topics=[
            e.TopicData(
                topic_name=METADATA_TOPIC_NAME,
                partitions=[
                    p(
                        leader_id=leader,
                        leader_epoch=epoch,
                        preferred_candidates=[p.ReplicaInfo(candidate_id=c) for c in candidates],
                    )
                ],
            )
        ],
        leader_endpoints=[e.LeaderEndpoint(name="PLAINTEXT", host=host, port=port)],
    )


def _vote(
    candidate: int,
    epoch: int,
    last_epoch: int,
    last_offset: int,
    pre_vote: bool,
    voter: int = NODE_ID,
) -> vo.VoteRequest:
    v = vo.VoteRequest
    part = v.TopicData.PartitionData(
        replica_epoch=epoch,
        replica_id=candidate,
        last_offset_epoch=last_epoch,
        last_offset=last_offset,
        pre_vote=pre_vote,
    )
    return v(
        cluster_id=CLUSTER_ID,
        voter_id=voter,
        topics=[v.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[part])],
    )


def _fetch(
    replica: int,
    offset: int,
    last_epoch: int,
    leader_epoch: int,
    max_wait_ms: int = 0,
    max_bytes: int = 1 << 20,
) -> fe.FetchRequest:
    r = fe.FetchRequest
    part = r.FetchTopic.FetchPartition(
        current_leader_epoch=leader_epoch,
        fetch_offset=offset,
        last_fetched_epoch=last_epoch,
        log_start_offset=-1,
        partition_max_bytes=max_bytes,
    )
    return r(
        cluster_id=CLUSTER_ID,
        replica_state=r.ReplicaState(replica_id=replica, replica_epoch=-1),
        max_wait_ms=max_wait_ms,
        max_bytes=max_bytes,
        topics=[r.FetchTopic(topic_id=METADATA_TOPIC_ID, partitions=[part])],
    )


def _fetch_snapshot(
    replica: int, leader_epoch: int, end_offset: int, epoch: int, position: int
) -> fs.FetchSnapshotRequest:
    s = fs.FetchSnapshotRequest
    p = s.TopicSnapshot.PartitionSnapshot
    part = p(
        current_leader_epoch=leader_epoch,
        snapshot_id=p.SnapshotId(end_offset=end_offset, epoch=epoch),
        position=position,
    )
    return s(
        cluster_id=CLUSTER_ID,
        replica_id=replica,
        topics=[s.TopicSnapshot(name=METADATA_TOPIC_NAME, partitions=[part])],
    )


def _describe_quorum() -> dq.DescribeQuorumRequest:
    d = dq.DescribeQuorumRequest
    return d(
        topics=[
            d.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[d.TopicData.PartitionData()])
        ]
    )


def _epoch_of_answer(api_key: int, body: Any) -> int | None:
    """The leader epoch a node's answer reports, if any."""
    try:
        if api_key == FETCH:
            return int(body.responses[0].partitions[0].current_leader.leader_epoch)
        if api_key in (VOTE, BEGIN, END):
            return int(body.topics[0].partitions[0].leader_epoch)
    except (IndexError, AttributeError):
        return None
    return None


# ---------------------------------------------------------------------------- the campaign


class Campaign:
    def __init__(
        self,
        directory: Path,
        seed: int,
        mutations: int,
        *,
        restart_every: int = 500,
        findings_max: int = FINDINGS_MAX,
        kinds: frozenset[str] | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.directory = directory
        self.seed = seed
        self.target = mutations
        self.restart_every = restart_every
        self.findings_max = findings_max
        self.deadline: float | None = None  # time.monotonic() at which to stop early
        self.progress: Callable[[Report], None] | None = None  # called every ~1000 mutations
        self.rng = random.Random(seed)
        self.log = log
        self.report = Report(seed)
        self.recent: collections.deque[Mutation] = collections.deque(maxlen=12)
        chosen = kinds or frozenset(KINDS)
        self.answer_kinds = {k: w for k, w in ANSWER_KINDS.items() if k in chosen}
        self.request_kinds = {k: w for k, w in REQUEST_KINDS.items() if k in chosen}
        self.idle_flood = "idle-connections" in chosen
        ports = free_ports(3)
        self.fake_ports = dict(zip(FAKE_IDS, ports[1:], strict=True))
        self.node = Node(directory, ports[0], self.fake_ports)
        # What the fakes want the node to see now.
        self.epoch = 0
        self.leader: int | None = None  # a fake leading `epoch`, or None
        self.mutate_probability = 0.0
        self.grant_votes = True
        # What the node showed: epochs it used, its fetches, its leadership.
        self.epoch_seen = 0
        self.fetched_at_epoch: set[tuple[int, int]] = set()
        self.leads_epoch: int | None = None
        self.high_watermark_sent = 0
        self.burst_count = 0
        self.since_restart = 0
        self.next_flood_at = IDLE_FLOOD_EVERY // 4

    # ------------------------------------------------------------------ bookkeeping

    def _next(self, kind: str) -> random.Random:
        """Count one mutation of `kind`; its own RNG, so it can be replayed alone."""
        self.report.mutations += 1
        self.report.per_kind[kind] += 1
        self.burst_count += 1
        self.since_restart += 1
        return random.Random(f"{self.seed}:{self.report.mutations}")

    @property
    def extremes_allowed(self) -> bool:
        """Epochs at the int32 limit exhaust a node (a wipe, i.e. a slow start-up), so they are
        sent only in the last bursts before a periodic restart, which then checks and wipes."""
        return self.since_restart >= self.restart_every - 2 * BURST_MUTATIONS

    def _pick(self, kinds: dict[str, int]) -> str:
        if not self.extremes_allowed:
            kinds = {k: w for k, w in kinds.items() if k not in EPOCH_EXTREME_KINDS} or kinds
        return self.rng.choices(list(kinds), weights=list(kinds.values()))[0]

    @property
    def int32_cap(self) -> int | None:
        return None if self.extremes_allowed else INT32_CAP_EARLY

    def _record(self, kind: str, detail: str) -> None:
        self.recent.append(Mutation(self.report.mutations, kind, detail))

    def _see_epoch(self, epoch: int | None) -> None:
        if epoch is not None and epoch > self.epoch_seen:
            self.epoch_seen = epoch

    def _node_epoch(self) -> int:
        stats = self.node.last_stats()
        if stats is not None:
            self._see_epoch(stats.get("epoch"))
        return self.epoch_seen

    def _exit(self) -> str:
        process = self.node.process
        return f"exit status {process.returncode if process else None}"

    @property
    def done(self) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            return True
        return self.report.mutations >= self.target

    # ------------------------------------------------------------------ fake servers

    async def serve_fake(self, voter_id: int, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        async def handler(stream: trio.SocketStream) -> None:
            decoder = FrameDecoder()
            run = self.node.runs
            try:
                while True:
                    data = await stream.receive_some(1 << 20)
                    if not data or run != self.node.runs:
                        return  # leftovers of a killed run must not teach us its epochs
                    for payload in decoder.feed(data):
                        header, body = decode_request(payload)
                        if header.request_api_key not in (*VERSIONS, API_VERSIONS):
                            return  # not a Raft request: close, as a Kafka listener would
                        frame = self.answer(
                            voter_id,
                            header.request_api_key,
                            header.request_api_version,
                            header.correlation_id,
                            body,
                        )
                        if frame is CLOSE:
                            return
                        if frame:
                            await stream.send_all(frame)
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError, WireError):
                return
            finally:
                await trio.aclose_forcefully(stream)

        listeners = await trio.open_tcp_listeners(self.fake_ports[voter_id], host="127.0.0.1")
        task_status.started()
        await trio.serve_listeners(handler, listeners)

    def answer(
        self, voter_id: int, api_key: int, version: int, correlation_id: int, body: Any
    ) -> bytes:
        """The (possibly mutated) answer frame of fake `voter_id` to a request from the node."""
        valid, context = self.valid_answer(voter_id, api_key, version, body)
        if (
            self.mutate_probability
            and self.answer_kinds
            and self.rng.random() < self.mutate_probability
        ):
            kind = self._pick(self.answer_kinds)
            rng = self._next(kind)
            try:
                frame, detail = self.mutate_answer(
                    rng, kind, api_key, version, correlation_id, valid, context
                )
            except Exception as exc:  # a bug of this harness: say so, keep the campaign going
                self.report.harness_errors += 1
                self.log(f"harness error in {kind} on {type(body).__name__}: {exc!r}")
                frame, detail = (
                    encode_response(api_key, version, correlation_id, valid),
                    "harness error",
                )
            self._record(
                kind, f"{type(body).__name__} v{version} from node to {voter_id}: {detail}"
            )
            return frame
        return encode_response(api_key, version, correlation_id, valid)

    def valid_answer(
        self, voter_id: int, api_key: int, version: int, body: Any
    ) -> tuple[Any, dict[str, int]]:
        epoch = self.epoch
        leader = self.leader if self.leader is not None else NO_LEADER
        if api_key == FETCH:
            part = body.topics[0].partitions[0]
            self._see_epoch(part.current_leader_epoch)
            self.fetched_at_epoch.add((voter_id, part.current_leader_epoch))
            r = fe.FetchResponse
            p = r.FetchableTopicResponse.PartitionData
            context = {"offset": part.fetch_offset, "epoch": epoch}
            if self.leader != voter_id or part.current_leader_epoch != epoch:
                partition = p(
                    error_code=6
                    if part.current_leader_epoch >= epoch
                    else 74,  # NOT_LEADER / FENCED
                    high_watermark=-1,
                    current_leader=p.LeaderIdAndEpoch(leader_id=leader, leader_epoch=epoch),
                )
            else:
                # A valid leader: the node's log is our prefix; one small batch more.
                records = (
                    mutate.valid_batch(part.fetch_offset, epoch, 1 + self.rng.randrange(2))
                    if self.rng.random() < 0.4
                    else b""
                )
                self.high_watermark_sent = part.fetch_offset
                partition = p(
                    high_watermark=part.fetch_offset,
                    log_start_offset=0,
                    current_leader=p.LeaderIdAndEpoch(leader_id=voter_id, leader_epoch=epoch),
                    records=records,
                )
            topic = r.FetchableTopicResponse(topic_id=METADATA_TOPIC_ID, partitions=[partition])
            endpoints = [
                r.NodeEndpoint(node_id=i, host="127.0.0.1", port=p_)
                for i, p_ in self.fake_ports.items()
            ]
            return r(responses=[topic], node_endpoints=endpoints), context
        if api_key == VOTE:
            part = body.topics[0].partitions[0]
            self._see_epoch(part.replica_epoch)
            v = vo.VoteResponse
            granted = self.grant_votes and part.replica_epoch >= epoch
            vpart = v.TopicData.PartitionData(
                leader_id=NO_LEADER, leader_epoch=part.replica_epoch, vote_granted=granted
            )
            return v(
                topics=[v.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[vpart])],
                node_endpoints=self._endpoints(v.NodeEndpoint),
            ), {"epoch": part.replica_epoch}
        if api_key in (BEGIN, END):
            part = body.topics[0].partitions[0]
            self._see_epoch(part.leader_epoch)
            if api_key == BEGIN and part.leader_id == NODE_ID:
                self.leads_epoch = part.leader_epoch
            mod: Any = (
                bqe.BeginQuorumEpochResponse if api_key == BEGIN else eqe.EndQuorumEpochResponse
            )
            bpart = mod.TopicData.PartitionData(
                leader_id=part.leader_id, leader_epoch=part.leader_epoch
            )
            return mod(
                topics=[mod.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[bpart])],
                node_endpoints=self._endpoints(mod.NodeEndpoint),
            ), {"epoch": part.leader_epoch}
        if api_key == FETCH_SNAPSHOT:
            s = fs.FetchSnapshotResponse
            sp = s.TopicSnapshot.PartitionSnapshot
            part = body.topics[0].partitions[0]
            spart = sp(
                index=0,
                error_code=98,  # SNAPSHOT_NOT_FOUND: the fakes keep no snapshots
                snapshot_id=sp.SnapshotId(
                    end_offset=part.snapshot_id.end_offset, epoch=part.snapshot_id.epoch
                ),
                current_leader=sp.LeaderIdAndEpoch(leader_id=leader, leader_epoch=epoch),
            )
            return s(topics=[s.TopicSnapshot(name=METADATA_TOPIC_NAME, partitions=[spart])]), {
                "epoch": epoch
            }
        if api_key == DESCRIBE_QUORUM:
            d = dq.DescribeQuorumResponse
            dp = d.TopicData.PartitionData
            dpart = dp(
                leader_id=leader,
                leader_epoch=epoch,
                high_watermark=self.high_watermark_sent,
                current_voters=[dp.ReplicaState(replica_id=i) for i in (NODE_ID, *FAKE_IDS)],
            )
            return d(topics=[d.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[dpart])]), {
                "epoch": epoch
            }
        if api_key == API_VERSIONS:
            from wire.registry import api_versions_response

            return api_versions_response(), {"epoch": epoch}
        raise ValueError(f"the node sent api key {api_key} to fake voter {voter_id}")

    def _endpoints(self, cls: Any) -> list[Any]:
        return [cls(node_id=i, host="127.0.0.1", port=p) for i, p in self.fake_ports.items()]

    def mutate_answer(
        self,
        rng: random.Random,
        kind: str,
        api_key: int,
        version: int,
        correlation_id: int,
        valid: Any,
        context: dict[str, int],
    ) -> tuple[bytes, str]:
        body = valid
        if kind == "answer-correlation-id":
            value = rng.choice([correlation_id + 1, correlation_id - 1, 0, -1, INT32[1], INT32[0]])
            return mutate.with_correlation_id(
                encode_response(api_key, version, correlation_id, body), value
            ), f"correlation id {value}"
        if kind == "answer-wrong-api":
            other = rng.choice(
                [
                    k
                    for k in (
                        FETCH,
                        VOTE,
                        BEGIN,
                        END,
                        DESCRIBE_QUORUM,
                        FETCH_SNAPSHOT,
                        API_VERSIONS,
                    )
                    if k != api_key
                ]
            )
            other_version = VERSIONS.get(other, 3)
            from wire.registry import API_SPECS

            other_body = API_SPECS[other].response_cls()
            return encode_response(
                other, other_version, correlation_id, other_body
            ), f"answered with an empty {type(other_body).__name__} v{other_version}"
        if kind == "answer-frame":
            return mutate.mutate_frame(rng, encode_response(api_key, version, correlation_id, body))
        if kind == "answer-close":
            return CLOSE, "connection closed instead of an answer"
        if kind == "answer-none":
            return b"", "no answer (the node's request times out)"
        detail = ""
        if kind == "answer-batches" and api_key == FETCH:
            records, detail = mutate.hostile_batches(rng, context["offset"], context["epoch"])
            body = _replace_partition(body, records=records, high_watermark=context["offset"])
        elif kind == "answer-fetch-semantics" and api_key == FETCH:
            body, detail = _fetch_semantics(rng, body, context)
        elif kind == "answer-diverging-inside-batch" and api_key == FETCH:
            # Our valid batches hold 1-2 records: offset - 1 is often inside the node's last batch.
            p = fe.FetchResponse.FetchableTopicResponse.PartitionData
            end = max(0, context["offset"] - 1)
            diverging = p.EpochEndOffset(epoch=context["epoch"], end_offset=end)
            body = _replace_partition(body, diverging_epoch=diverging, records=b"")
            detail = f"diverging epoch {context['epoch']} end offset {end} (fetch offset {end + 1})"
        elif kind == "answer-error-code":
            code = rng.choice(ERROR_CODES)
            top = rng.random() < 0.5
            body = (
                dataclasses.replace(body, error_code=code)
                if top
                else _replace_partition(body, error_code=code)
            )
            detail = f"{'top-level' if top else 'partition'} error code {code}"
        elif kind == "answer-endpoints" and hasattr(body, "node_endpoints"):
            cls = type(body).NodeEndpoint
            port_field = "int32" if api_key == FETCH else "uint16"
            host = rng.choice(BAD_HOSTS)
            port = (
                rng.choice(BAD_PORTS_INT32) if port_field == "int32" else rng.choice([0, 65535, 1])
            )
            node_id = rng.choice([*FAKE_IDS, NODE_ID, 99, -1])
            body = dataclasses.replace(
                body, node_endpoints=[cls(node_id=node_id, host=host, port=port)]
            )
            detail = f"node endpoint {node_id} at {host!r}:{port}"
        elif kind == "answer-epoch-extreme":
            value = rng.choice(EPOCH_EXTREMES)
            body = _replace_epoch(body, api_key, value)
            detail = f"leader epoch {value}"
        if not detail:
            body, detail = mutate.mutate_field(rng, body, version, self.int32_cap)
        try:
            return encode_response(api_key, version, correlation_id, body), detail
        except Exception as exc:  # a value the codec refuses to encode: send the valid answer
            return encode_response(
                api_key, version, correlation_id, valid
            ), f"{detail} (unencodable: {exc}; sent valid)"

    # ------------------------------------------------------------------ hostile requests

    def hostile_request(self, rng: random.Random, kind: str) -> tuple[bytes, str]:
        e = min(self.epoch_seen, INT32[1] - 1000)  # keep e + 1000 an int32
        fake = rng.choice(FAKE_IDS)
        any_id = rng.choice([*FAKE_IDS, NODE_ID, 99, -1, INT32[1]])
        epoch = rng.choice([e, e + 1, e - 1, 0, -1, INT32[0], e + 1000])
        offset = rng.choice([-1, 0, 1, INT64[0], INT64[1], 1 << 40])
        body: Any
        if kind == "request-begin-epoch":
            body, api = _begin(any_id, epoch, "127.0.0.1", self.fake_ports[fake]), BEGIN
            detail = f"BeginQuorumEpoch leader {any_id} epoch {epoch}"
        elif kind == "request-begin-endpoint":
            host = rng.choice(BAD_HOSTS)
            port = rng.choice([0, 1, 65535])
            body, api = _begin(fake, e + 1, host, port), BEGIN
            detail = f"BeginQuorumEpoch leader {fake} epoch {e + 1} endpoint {host!r}:{port}"
        elif kind == "request-epoch-extreme":
            epoch = rng.choice(EPOCH_EXTREMES)
            which = rng.choice([BEGIN, VOTE, END])
            if which == BEGIN:
                body = _begin(fake, epoch, "127.0.0.1", self.fake_ports[fake])
            elif which == VOTE:
                body = _vote(fake, epoch, e, INT64[1], rng.random() < 0.5)
            else:
                body = _end(fake, epoch, [NODE_ID], "127.0.0.1", self.fake_ports[fake])
            api, detail = which, f"{type(body).__name__} epoch {epoch}"
        elif kind == "request-end-epoch":
            candidates = rng.choice([[NODE_ID], [99], [-1], [NODE_ID] * 50, []])
            body, api = _end(any_id, epoch, candidates, "127.0.0.1", self.fake_ports[fake]), END
            detail = f"EndQuorumEpoch leader {any_id} epoch {epoch} candidates {candidates[:3]}"
        elif kind == "request-vote":
            last_epoch = rng.choice([-1, 0, e, e + 1, INT32[1], INT32[0]])
            pre = rng.random() < 0.5
            voter = rng.choice([NODE_ID, NODE_ID, 99, -1])
            body, api = _vote(any_id, epoch, last_epoch, offset, pre, voter), VOTE
            detail = (
                f"Vote candidate {any_id} epoch {epoch} last ({offset}, {last_epoch}) "
                f"pre {pre} voter {voter}"
            )
        elif kind == "request-fetch":
            last_epoch = rng.choice([-1, 0, e, e + 1, INT32[1], INT32[0]])
            max_bytes = rng.choice([0, -1, 1, INT32[1], 1 << 20])
            body, api = _fetch(any_id, offset, last_epoch, epoch, 0, max_bytes), FETCH
            detail = (
                f"Fetch replica {any_id} offset {offset} last epoch {last_epoch} "
                f"leader epoch {epoch} max bytes {max_bytes}"
            )
        elif kind == "request-fetch-snapshot":
            position = rng.choice([-1, 0, INT64[1], INT64[0]])
            body, api = (
                _fetch_snapshot(any_id, epoch, offset, rng.choice([-1, 0, e, INT32[1]]), position),
                FETCH_SNAPSHOT,
            )
            detail = (
                f"FetchSnapshot replica {any_id} leader epoch {epoch} id end {offset} "
                f"position {position}"
            )
        else:
            base = rng.choice(
                [
                    _begin(fake, e, "127.0.0.1", self.fake_ports[fake]),
                    _end(fake, e, [NODE_ID], "127.0.0.1", self.fake_ports[fake]),
                    _vote(fake, e, e, 0, True),
                    _fetch(fake, 0, -1, e),
                    _fetch_snapshot(fake, e, 0, 0, 0),
                    _describe_quorum(),
                ]
            )
            api = type(base).API_KEY
            if kind == "request-field":
                body, detail = mutate.mutate_field(rng, base, VERSIONS[api], self.int32_cap)
                detail = f"{type(base).__name__}: {detail}"
            else:
                frame, detail = mutate.mutate_frame(
                    rng, encode_request(api, VERSIONS[api], 7, "fuzz", base)
                )
                return frame, f"{type(base).__name__} frame: {detail}"
        try:
            return encode_request(api, VERSIONS[api], 7, "fuzz", body), detail
        except Exception as exc:
            fallback = encode_request(DESCRIBE_QUORUM, 2, 7, "fuzz", _describe_quorum())
            return fallback, f"{detail} (unencodable: {exc}; sent a DescribeQuorum)"

    async def send_hostile(self) -> None:
        kind = self._pick(self.request_kinds)
        rng = self._next(kind)
        frame, detail = self.hostile_request(rng, kind)
        self._record(kind, detail)
        answer = await exchange(self.node.port, frame, HOSTILE_ANSWER_TIMEOUT_S)
        if answer is not None and len(frame) >= 8:
            api_key = struct.unpack_from(">h", frame, 4)[0]
            with contextlib.suppress(Exception):
                _, body = decode_response(api_key, VERSIONS.get(api_key, 0), answer)
                self._see_epoch(_epoch_of_answer(api_key, body))

    # ------------------------------------------------------------------ cycles

    async def wait_for(
        self, predicate: Callable[[], bool], what: str, timeout_s: float = PROGRESS_TIMEOUT_S
    ) -> None:
        deadline = trio.current_time() + timeout_s
        while not predicate():
            if not self.node.alive:
                raise FuzzError(f"the node died ({self._exit()}) while waiting for {what}")
            if trio.current_time() > deadline:
                stats = self.node.last_stats()
                raise FuzzError(f"no progress: {what} within {timeout_s:.0f} s (stats: {stats})")
            await trio.sleep(0.01)

    async def wait_ready(self, what: str, timeout_s: float = PROGRESS_TIMEOUT_S) -> None:
        """Until the (re)started node answers ApiVersions and Metadata; it must not die."""
        deadline = trio.current_time() + timeout_s
        while True:
            if not self.node.alive:
                code = self.node.process.returncode if self.node.process else None
                raise FuzzError(f"{what}: the node exited with status {code}")
            try:
                await check_serving(self.node.port)
                return
            except FuzzError as exc:
                if trio.current_time() > deadline:
                    raise FuzzError(f"{what}: not serving after {timeout_s:.0f} s: {exc}") from None
            await trio.sleep(0.05)

    @contextlib.contextmanager
    def timed(self, what: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.report.seconds_in[what] += time.monotonic() - started

    async def drive_follower(self) -> None:
        """A fake becomes leader of a new epoch; the node must fetch from it."""
        with self.timed("drive-follower"):
            await self._drive_follower()

    async def _drive_follower(self) -> None:
        self.mutate_probability = 0.0
        leader = self.rng.choice(FAKE_IDS)
        refused: Any = None
        for _attempt in range(DRIVE_ATTEMPTS):
            if self._node_epoch() > EPOCH_RESET_ABOVE:
                await self.exhausted()
            self.leader = leader
            # Strictly above anything tried before: a hostile BeginQuorumEpoch whose answer we
            # missed may have made the node follow this leader in our epoch at a bogus endpoint,
            # and a same-epoch BeginQuorumEpoch (rightly) changes nothing.
            epoch = max(self._node_epoch(), self.epoch) + 1
            if epoch > EPOCH_MAX:
                raise FuzzError(f"the node's epoch is {epoch - 1} after the restart")
            self.epoch = epoch
            begin = _begin(leader, epoch, "127.0.0.1", self.fake_ports[leader])
            answer = await exchange(
                self.node.port, encode_request(BEGIN, 1, 1, "fuzz", begin), CHECK_TIMEOUT_S
            )
            if answer is None:
                raise FuzzError("a valid BeginQuorumEpoch got no answer")
            _, body = decode_response(BEGIN, 1, answer)
            if body.error_code != 0 or body.topics[0].partitions[0].error_code != 0:
                # Fenced: the node moved to a newer epoch than we knew (a hostile request).
                refused = body
                self._see_epoch(_epoch_of_answer(BEGIN, body))
                await trio.sleep(0.1)
                continue
            deadline = trio.current_time() + DRIVE_ATTEMPT_S
            while trio.current_time() < deadline and self.node.alive:
                if (leader, epoch) in self.fetched_at_epoch:
                    self.report.cycles["follower"] += 1
                    return
                await trio.sleep(0.01)
        if refused is not None:
            raise FuzzError(f"valid BeginQuorumEpochs were refused: {refused}")
        raise FuzzError(
            f"no progress: no Fetch to the new leader {leader} in {DRIVE_ATTEMPTS} epochs up to "
            f"{self.epoch} ({DRIVE_ATTEMPT_S:.0f} s each; stats: {self.node.last_stats()})"
        )

    async def drive_leader(self, task_status: Any) -> None:
        """The fake leader resigns in favour of the node; the fakes vote for it and follow."""
        self.mutate_probability = 0.0
        self.grant_votes = True
        self.leads_epoch = None
        old = self.leader or FAKE_IDS[0]
        self.epoch = max(self.epoch, self._node_epoch())
        self.leader = None
        frame = encode_request(
            END, 1, 1, "fuzz", _end(old, self.epoch, [NODE_ID], "127.0.0.1", self.fake_ports[old])
        )
        await exchange(self.node.port, frame, CHECK_TIMEOUT_S)
        await self.wait_for(
            lambda: self.leads_epoch is not None and self.leads_epoch >= self.epoch,
            "the node to lead (BeginQuorumEpoch from it)",
        )
        assert self.leads_epoch is not None
        self.epoch = self.leads_epoch
        self.report.cycles["leader"] += 1
        task_status.started()

    async def follow_node(self, voter_id: int) -> None:
        """A fake follower fetching from the leading node (so it commits), forever."""
        offset, last_epoch = 0, NO_EPOCH
        while True:
            frame = encode_request(
                FETCH,
                17,
                5,
                f"raft-client-{voter_id}",
                _fetch(voter_id, offset, last_epoch, self.epoch, 200),
            )
            answer = await exchange(self.node.port, frame, 2.0)
            if answer is None:
                await trio.sleep(0.05)
                continue
            with contextlib.suppress(Exception):
                _, body = decode_response(FETCH, 17, answer)
                part = body.responses[0].partitions[0]
                if part.diverging_epoch.end_offset >= 0:
                    offset, last_epoch = part.diverging_epoch.end_offset, part.diverging_epoch.epoch
                elif part.records:
                    for _, header in iter_batches(part.records):
                        offset, last_epoch = header.next_offset, header.partition_leader_epoch
            await trio.sleep(0.005)

    async def burst(self, probability: float, hostile: bool) -> None:
        """Mutated answers (at `probability`) and hostile requests until a burst is done."""
        with self.timed("burst"):
            await self._burst(probability, hostile)

    async def _burst(self, probability: float, hostile: bool) -> None:
        self.burst_count = 0
        self.mutate_probability = probability
        deadline = trio.current_time() + BURST_TIME_MAX_S

        def going() -> bool:
            return (
                self.burst_count < BURST_MUTATIONS
                and not self.done
                and trio.current_time() < deadline
                and self.node.alive
            )

        async def sender() -> None:
            while going():
                await self.send_hostile()

        try:
            if hostile and self.request_kinds:
                async with trio.open_nursery() as nursery:
                    for _ in range(HOSTILE_SENDERS):
                        nursery.start_soon(sender)
            while going():
                await trio.sleep(0.01)
        finally:
            self.mutate_probability = 0.0

    async def check(self) -> None:
        with self.timed("check"):
            await self._check()

    async def _check(self) -> None:
        if not self.node.alive:
            code = self.node.process.returncode if self.node.process else None
            raise FuzzError(f"the node died (exit status {code})")
        try:
            await check_serving(self.node.port)
        except FuzzError as exc:
            # Slow is not dead: on a starved machine a live node may take seconds to answer.
            # It gets SLOW_CHECK_GRACE_S more; answering then is counted, not a finding.
            await self.wait_ready(f"{exc}, and still not serving", SLOW_CHECK_GRACE_S)
            self.report.slow_checks += 1
            self.log(f"slow check: {exc} (then served)")
        text = self.node.new_stderr()
        if "Traceback" in text:
            raise FuzzError("traceback on stderr")
        stats = self.node.last_stats()
        if stats is not None:
            self.report.roles_seen[str(stats["role"])] += 1

    async def idle_connections(self) -> None:
        self._next("idle-connections")
        self._record(
            "idle-connections", f"{IDLE_FLOOD_CONNECTIONS} idle connections, then a new one"
        )
        streams = []
        try:
            with trio.move_on_after(30):
                for _ in range(IDLE_FLOOD_CONNECTIONS):
                    streams.append(await trio.open_tcp_stream("127.0.0.1", self.node.port))
            await trio.sleep(0.2)
            for stream in streams[:100]:  # idle clients that go away must free their places
                await trio.aclose_forcefully(stream)
            del streams[:100]
            # The node works through its accept backlog (and evicts idle connections) first: a
            # newcomer must get in, but may queue behind thousands of connects on a busy machine.
            started = trio.current_time()
            deadline = started + IDLE_FLOOD_NEWCOMER_TIMEOUT_S
            while True:
                try:
                    await check_serving(self.node.port)
                    break
                except FuzzError as exc:
                    if trio.current_time() > deadline or not self.node.alive:
                        raise FuzzError(
                            f"after {IDLE_FLOOD_CONNECTIONS} idle connections: {exc}"
                        ) from None
            waited_s = trio.current_time() - started
            self.report.idle_flood_newcomer_s = max(self.report.idle_flood_newcomer_s, waited_s)
        finally:
            for stream in streams:
                await trio.aclose_forcefully(stream)

    async def restart(self, *, graceful: bool, why: str) -> None:
        with self.timed("restart"):
            await self._restart(graceful=graceful, why=why)

    async def exhausted(self) -> None:
        """Hostile requests pushed the epoch beyond what a fake can outrank: wipe the log dir.
        Every other time, first check that the node restarts on it (the epoch-at-the-limit
        crash loop of issue #12); each check costs a node start-up, the slowest thing here."""
        self.report.cycles["epoch-exhausted"] += 1
        if self.report.cycles["epoch-exhausted"] % 2 == 1:
            await self.restart(graceful=self.rng.random() < 0.5, why="epoch exhausted")
            return
        with self.timed("restart"):
            self.node.kill()
            await self._wipe_and_start()
            self.since_restart = 0

    async def _wipe_and_start(self) -> None:
        self.report.wipes += 1
        self.node.kill()
        self.node.wipe()
        self.epoch_seen = 0
        self.epoch = 0
        self.node.start(self.rng.getrandbits(32))
        await self.wait_ready("start-up after a wipe")

    async def _restart(self, *, graceful: bool, why: str) -> None:
        self.report.restarts += 1
        self.mutate_probability = 0.0
        self.grant_votes = True
        code = await self.node.stop(graceful=graceful)
        if graceful and code != 0:
            raise FuzzError(f"SIGTERM ({why}): exit status {code}")
        self.node.start(self.rng.getrandbits(32))
        await trio.sleep(0.3)
        await self.wait_ready(f"restart after {why} stop")
        await self.check()
        if self._node_epoch() > EPOCH_RESET_ABOVE:
            await self._wipe_and_start()
        self.since_restart = 0

    async def recover_from(self, finding: FuzzError) -> None:
        with self.timed("recover"):
            await self._recover_from(finding)

    async def _recover_from(self, finding: FuzzError) -> None:
        self.node.kill()
        check = str(finding)
        crash = self.node.exception_line()
        if crash:
            check = f"{check}; node stderr: {crash}"
        self.report.findings.append(
            Finding(check, [str(m) for m in self.recent], self.node.stderr_tail())
        )
        self.log(f"FINDING (seed {self.seed}): {self.report.findings[-1]}")
        self.recent.clear()
        self.node.kill()
        self.node.start(self.rng.getrandbits(32))
        try:
            await self.wait_ready("restart after a finding")
            await self.check()
        except FuzzError as exc:
            self.node.kill()
            crash = self.node.exception_line()
            check = f"restart on the same log dir failed: {exc}" + (
                f"; node stderr: {crash}" if crash else ""
            )
            self.report.findings.append(Finding(check, [], self.node.stderr_tail()))
            self.log(
                f"FINDING (seed {self.seed}): restart failed: {exc}\n{self.node.stderr_tail()}"
            )
            await self._wipe_and_start()
        self.fetched_at_epoch.clear()
        self.since_restart = 0

    async def one_cycle(self) -> None:
        await self.drive_follower()
        for _ in range(self.rng.randint(1, 3)):
            await self.burst(self.rng.choice([0.5, 0.8, 1.0]), hostile=self.rng.random() < 0.7)
            await self.check()
            if self.done:
                return
            await self.drive_follower()  # hostile requests may have moved it: take it back
        async with trio.open_nursery() as nursery:
            # Vote answers are mutated too, so some elections fail and the node retries (candidate).
            self.mutate_probability = self.rng.choice([0.0, 0.3, 0.6])
            with self.timed("drive-leader"):
                await nursery.start(self.drive_leader)
            for voter_id in FAKE_IDS:
                nursery.start_soon(self.follow_node, voter_id)
            await self.burst(0.5, hostile=True)
            await self.check()
            nursery.cancel_scope.cancel()
        if self.idle_flood and self.report.mutations >= self.next_flood_at:
            self.next_flood_at = self.report.mutations + IDLE_FLOOD_EVERY
            with self.timed("idle-connections"):
                await self.idle_connections()

    async def run(self) -> Report:
        started = time.monotonic()
        try:
            async with trio.open_nursery() as nursery:
                for voter_id in FAKE_IDS:
                    await nursery.start(self.serve_fake, voter_id)
                self.node.start(self.rng.getrandbits(32))
                try:
                    await self.wait_ready("start-up")
                    while not self.done:
                        try:
                            await self.one_cycle()
                            if self.since_restart >= self.restart_every:
                                graceful = self.report.restarts % 2 == 0
                                await self.restart(graceful=graceful, why="periodic")
                        except (FuzzError, BaseExceptionGroup) as raised:
                            exc = _fuzz_error(raised)
                            if len(self.report.findings) >= self.findings_max:
                                self.log(f"{self.findings_max} findings: giving up")
                                break
                            await self.recover_from(exc)
                        if self.report.mutations and self.report.mutations % 1000 < BURST_MUTATIONS:
                            elapsed_s = time.monotonic() - started
                            self.report.duration_s = elapsed_s
                            if self.progress is not None:
                                self.progress(self.report)
                            self.log(
                                f"{self.report.mutations} mutations, "
                                f"{len(self.report.findings)} findings, {elapsed_s:.0f} s"
                            )
                    try:
                        await self.restart(graceful=True, why="final")
                    except FuzzError as exc:
                        await self.recover_from(exc)
                finally:
                    self.node.kill()
                    nursery.cancel_scope.cancel()
        finally:
            self.report.duration_s = time.monotonic() - started
        return self.report


def _fuzz_error(raised: BaseException) -> FuzzError:
    """The FuzzError in `raised` (trio nurseries wrap it in exception groups); else re-raise."""
    if isinstance(raised, FuzzError):
        return raised
    if isinstance(raised, BaseExceptionGroup):
        matched, rest = raised.split(FuzzError)
        if matched is not None and rest is None:
            return _fuzz_error(matched.exceptions[0])
    raise raised


CLOSE = b"\x00close"  # sentinel frame: the fake closes the connection instead of answering


def _replace_partition(body: Any, **changes: Any) -> Any:
    """`body` with fields of its first partition replaced (Fetch: `responses`, else `topics`)."""
    name = "responses" if hasattr(body, "responses") else "topics"
    topics = getattr(body, name, None)
    if not topics or not topics[0].partitions:
        return body
    topic = topics[0]
    partition = dataclasses.replace(topic.partitions[0], **changes)
    return dataclasses.replace(body, **{name: [dataclasses.replace(topic, partitions=[partition])]})


def _replace_epoch(body: Any, api_key: int, epoch: int) -> Any:
    if api_key == FETCH:
        if not body.responses or not body.responses[0].partitions:
            return body
        part = body.responses[0].partitions[0]
        leader = dataclasses.replace(part.current_leader, leader_epoch=epoch)
        return _replace_partition(body, current_leader=leader)
    topics = getattr(body, "topics", None)
    if not topics or not topics[0].partitions:
        return body
    part = topics[0].partitions[0]
    if hasattr(part, "leader_epoch"):
        part = dataclasses.replace(part, leader_epoch=epoch)
    elif hasattr(part, "current_leader"):
        part = dataclasses.replace(
            part, current_leader=dataclasses.replace(part.current_leader, leader_epoch=epoch)
        )
    return dataclasses.replace(body, topics=[dataclasses.replace(topics[0], partitions=[part])])


def _fetch_semantics(rng: random.Random, body: Any, context: dict[str, int]) -> tuple[Any, str]:
    """A Fetch answer that decodes fine and means nonsense."""
    p = fe.FetchResponse.FetchableTopicResponse.PartitionData
    offset, epoch = context["offset"], context["epoch"]
    what = rng.choice(["diverging", "snapshot", "high-watermark", "log-start", "leader"])
    if what == "diverging":
        # At or beyond our log end, or wholly below it (HW checks); inside a batch: its own kind.
        end = rng.choice([-1, 0, offset, offset + 100, INT64[1], INT64[0]])
        d_epoch = rng.choice([epoch, epoch - 1, 0, INT32[1], -1])
        return _replace_partition(
            body, diverging_epoch=p.EpochEndOffset(epoch=d_epoch, end_offset=end), records=b""
        ), f"diverging epoch {d_epoch} end offset {end} (fetch offset {offset})"
    if what == "snapshot":
        end = rng.choice([0, offset, offset + 1000, INT64[1], INT64[0]])
        s_epoch = rng.choice([0, epoch, INT32[1], -1])
        return _replace_partition(
            body, snapshot_id=p.SnapshotId(end_offset=end, epoch=s_epoch), records=b""
        ), f"snapshot id ({end}, {s_epoch})"
    if what == "high-watermark":
        value = rng.choice([INT64[1], offset + 1000, -2, INT64[0]])
        return _replace_partition(
            body, high_watermark=value
        ), f"high watermark {value} (fetch offset {offset})"
    if what == "log-start":
        value = rng.choice([INT64[1], offset + 1000, -2, INT64[0]])
        return _replace_partition(body, log_start_offset=value), f"log start offset {value}"
    leader_id = rng.choice([NODE_ID, 99, -1, INT32[1]])
    l_epoch = rng.choice([epoch + 1, epoch - 1, -1, 0])
    return _replace_partition(
        body, current_leader=p.LeaderIdAndEpoch(leader_id=leader_id, leader_epoch=l_epoch)
    ), f"current leader {leader_id} epoch {l_epoch}"


# ---------------------------------------------------------------------------- command line


@contextlib.contextmanager
def _directory(path: str | None) -> Iterator[Path]:
    if path is not None:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        yield directory
        return
    with tempfile.TemporaryDirectory(prefix="kraft-fuzz-") as tmp:
        yield Path(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz.live", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--mutations", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--restart-every", type=int, default=500)
    parser.add_argument("--findings-max", type=int, default=FINDINGS_MAX, help="then give up")
    parser.add_argument("--time-limit-s", type=float, default=None, help="stop early, reporting")
    parser.add_argument(
        "--kinds", default=None, help=f"comma-separated subset of: {', '.join(KINDS)}"
    )
    parser.add_argument(
        "--dir", default=None, help="keep the node's files here (default: a temp dir)"
    )
    parser.add_argument("--json", default=None, help="also write the report as JSON here")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4))
    kinds = None
    if args.kinds:
        kinds = frozenset(k.strip() for k in args.kinds.split(","))
        unknown = kinds - set(KINDS)
        if unknown:
            parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    try:
        with _directory(args.dir) as directory:
            campaign = Campaign(
                directory,
                seed,
                args.mutations,
                restart_every=args.restart_every,
                findings_max=args.findings_max,
                kinds=kinds,
                log=lambda s: print(s, flush=True),
            )
            if args.time_limit_s is not None:
                campaign.deadline = time.monotonic() + args.time_limit_s
            if args.json:
                json_path = Path(args.json)
                campaign.progress = lambda r: json_path.write_text(
                    json.dumps(r.to_json(), indent=1)
                )
            # SIGTERM ends the campaign like Ctrl-C, so the node process is never left behind.
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                report = trio.run(campaign.run)
            finally:
                campaign.node.kill()
    except KeyboardInterrupt:
        return 130
    print(report.summary())
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), indent=1))
    return 1 if report.findings else 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
