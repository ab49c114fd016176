"""The live fuzz harness's real node (`Node`: voter 1 as a process, started, stopped, restarted on
one log directory), its settings, and the plain ways to talk to it: one exchange on a fresh
connection, the serving check (ApiVersions and Metadata), and valid Raft requests to mutate.
`tests.fuzz.live` explains the campaign.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import trio

from tests.fuzz.mutate import INT32
from wire.errors import WireError
from wire.framing import FrameDecoder
from wire.headers import decode_response, encode_request
from wire.messages import api_versions as av
from wire.messages import begin_quorum_epoch as bqe
from wire.messages import describe_quorum as dq
from wire.messages import end_quorum_epoch as eqe
from wire.messages import fetch as fe
from wire.messages import fetch_snapshot as fs
from wire.messages import metadata as md
from wire.messages import vote as vo
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
BURST_TIME_S_MAX = 3.0
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


class FuzzError(Exception):
    """A check failed; the message says which and how."""


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


async def read_frame(
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
            return await read_frame(stream, FrameDecoder(), [])
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


def begin_request(
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


def end_request(
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


def vote_request(
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


def fetch_request(
    replica: int,
    offset: int,
    last_epoch: int,
    leader_epoch: int,
    wait_ms_max: int = 0,
    bytes_max: int = 1 << 20,
) -> fe.FetchRequest:
    r = fe.FetchRequest
    part = r.FetchTopic.FetchPartition(
        current_leader_epoch=leader_epoch,
        fetch_offset=offset,
        last_fetched_epoch=last_epoch,
        log_start_offset=-1,
        partition_max_bytes=bytes_max,
    )
    return r(
        cluster_id=CLUSTER_ID,
        replica_state=r.ReplicaState(replica_id=replica, replica_epoch=-1),
        max_wait_ms=wait_ms_max,
        max_bytes=bytes_max,
        topics=[r.FetchTopic(topic_id=METADATA_TOPIC_ID, partitions=[part])],
    )


def fetch_snapshot_request(
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


def describe_quorum_request() -> dq.DescribeQuorumRequest:
    d = dq.DescribeQuorumRequest
    return d(
        topics=[
            d.TopicData(topic_name=METADATA_TOPIC_NAME, partitions=[d.TopicData.PartitionData()])
        ]
    )


def epoch_of_answer(api_key: int, body: Any) -> int | None:
    """The leader epoch a node's answer reports, if any."""
    try:
        if api_key == FETCH:
            return int(body.responses[0].partitions[0].current_leader.leader_epoch)
        if api_key in (VOTE, BEGIN, END):
            return int(body.topics[0].partitions[0].leader_epoch)
    except (IndexError, AttributeError):
        return None
    return None


def fuzz_error(raised: BaseException) -> FuzzError:
    """The FuzzError in `raised` (trio nurseries wrap it in exception groups); else re-raise."""
    if isinstance(raised, FuzzError):
        return raised
    if isinstance(raised, BaseExceptionGroup):
        matched, rest = raised.split(FuzzError)
        if matched is not None and rest is None:
            return fuzz_error(matched.exceptions[0])
    raise raised
