"""The fake voters of the live fuzz harness: they serve the node's requests with valid or mutated
answers, and send it unsolicited hostile requests.

`FakeVoters` is the half of `tests.fuzz.live.Campaign` that speaks for voters 2 and 3: it reads
and writes the campaign's state (the epoch and leader the fakes show, what the node showed, the
mutation counters and RNGs), which `Campaign` owns and initializes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import struct
from typing import Any

import trio

from tests.fuzz import mutate
from tests.fuzz.live_node import (
    API_VERSIONS,
    BEGIN,
    DESCRIBE_QUORUM,
    END,
    FAKE_IDS,
    FETCH,
    FETCH_SNAPSHOT,
    HOSTILE_ANSWER_TIMEOUT_S,
    NO_LEADER,
    NODE_ID,
    VERSIONS,
    VOTE,
    begin_request,
    describe_quorum_request,
    end_request,
    epoch_of_answer,
    exchange,
    fetch_request,
    fetch_snapshot_request,
    vote_request,
)
from tests.fuzz.mutate import BAD_HOSTS, BAD_PORTS_INT32, INT32, INT64
from wire.errors import WireError
from wire.framing import FrameDecoder
from wire.headers import decode_request, decode_response, encode_request, encode_response
from wire.messages import begin_quorum_epoch as bqe
from wire.messages import describe_quorum as dq
from wire.messages import end_quorum_epoch as eqe
from wire.messages import fetch as fe
from wire.messages import fetch_snapshot as fs
from wire.messages import vote as vo
from wire.registry import METADATA_TOPIC_ID, METADATA_TOPIC_NAME

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


CLOSE = b"\x00close"  # sentinel frame: the fake closes the connection instead of answering


def replace_partition(body: Any, **changes: Any) -> Any:
    """`body` with fields of its first partition replaced (Fetch: `responses`, else `topics`)."""
    name = "responses" if hasattr(body, "responses") else "topics"
    topics = getattr(body, name, None)
    if not topics or not topics[0].partitions:
        return body
    topic = topics[0]
    partition = dataclasses.replace(topic.partitions[0], **changes)
    return dataclasses.replace(body, **{name: [dataclasses.replace(topic, partitions=[partition])]})


def replace_epoch(body: Any, api_key: int, epoch: int) -> Any:
    if api_key == FETCH:
        if not body.responses or not body.responses[0].partitions:
            return body
        part = body.responses[0].partitions[0]
        leader = dataclasses.replace(part.current_leader, leader_epoch=epoch)
        return replace_partition(body, current_leader=leader)
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


def fetch_semantics(rng: random.Random, body: Any, context: dict[str, int]) -> tuple[Any, str]:
    """A Fetch answer that decodes fine and means nonsense."""
    p = fe.FetchResponse.FetchableTopicResponse.PartitionData
    offset, epoch = context["offset"], context["epoch"]
    what = rng.choice(["diverging", "snapshot", "high-watermark", "log-start", "leader"])
    if what == "diverging":
        # At or beyond our log end, or wholly below it (HW checks); inside a batch: its own kind.
        end = rng.choice([-1, 0, offset, offset + 100, INT64[1], INT64[0]])
        d_epoch = rng.choice([epoch, epoch - 1, 0, INT32[1], -1])
        return replace_partition(
            body, diverging_epoch=p.EpochEndOffset(epoch=d_epoch, end_offset=end), records=b""
        ), f"diverging epoch {d_epoch} end offset {end} (fetch offset {offset})"
    if what == "snapshot":
        end = rng.choice([0, offset, offset + 1000, INT64[1], INT64[0]])
        s_epoch = rng.choice([0, epoch, INT32[1], -1])
        return replace_partition(
            body, snapshot_id=p.SnapshotId(end_offset=end, epoch=s_epoch), records=b""
        ), f"snapshot id ({end}, {s_epoch})"
    if what == "high-watermark":
        value = rng.choice([INT64[1], offset + 1000, -2, INT64[0]])
        return replace_partition(
            body, high_watermark=value
        ), f"high watermark {value} (fetch offset {offset})"
    if what == "log-start":
        value = rng.choice([INT64[1], offset + 1000, -2, INT64[0]])
        return replace_partition(body, log_start_offset=value), f"log start offset {value}"
    leader_id = rng.choice([NODE_ID, 99, -1, INT32[1]])
    l_epoch = rng.choice([epoch + 1, epoch - 1, -1, 0])
    return replace_partition(
        body, current_leader=p.LeaderIdAndEpoch(leader_id=leader_id, leader_epoch=l_epoch)
    ), f"current leader {leader_id} epoch {l_epoch}"


class FakeVoters:
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
            body = replace_partition(body, records=records, high_watermark=context["offset"])
        elif kind == "answer-fetch-semantics" and api_key == FETCH:
            body, detail = fetch_semantics(rng, body, context)
        elif kind == "answer-diverging-inside-batch" and api_key == FETCH:
            # Our valid batches hold 1-2 records: offset - 1 is often inside the node's last batch.
            p = fe.FetchResponse.FetchableTopicResponse.PartitionData
            end = max(0, context["offset"] - 1)
            diverging = p.EpochEndOffset(epoch=context["epoch"], end_offset=end)
            body = replace_partition(body, diverging_epoch=diverging, records=b"")
            detail = f"diverging epoch {context['epoch']} end offset {end} (fetch offset {end + 1})"
        elif kind == "answer-error-code":
            code = rng.choice(ERROR_CODES)
            top = rng.random() < 0.5
            body = (
                dataclasses.replace(body, error_code=code)
                if top
                else replace_partition(body, error_code=code)
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
            body = replace_epoch(body, api_key, value)
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
            body, api = begin_request(any_id, epoch, "127.0.0.1", self.fake_ports[fake]), BEGIN
            detail = f"BeginQuorumEpoch leader {any_id} epoch {epoch}"
        elif kind == "request-begin-endpoint":
            host = rng.choice(BAD_HOSTS)
            port = rng.choice([0, 1, 65535])
            body, api = begin_request(fake, e + 1, host, port), BEGIN
            detail = f"BeginQuorumEpoch leader {fake} epoch {e + 1} endpoint {host!r}:{port}"
        elif kind == "request-epoch-extreme":
            epoch = rng.choice(EPOCH_EXTREMES)
            which = rng.choice([BEGIN, VOTE, END])
            if which == BEGIN:
                body = begin_request(fake, epoch, "127.0.0.1", self.fake_ports[fake])
            elif which == VOTE:
                body = vote_request(fake, epoch, e, INT64[1], rng.random() < 0.5)
            else:
                body = end_request(fake, epoch, [NODE_ID], "127.0.0.1", self.fake_ports[fake])
            api, detail = which, f"{type(body).__name__} epoch {epoch}"
        elif kind == "request-end-epoch":
            candidates = rng.choice([[NODE_ID], [99], [-1], [NODE_ID] * 50, []])
            body, api = (
                end_request(any_id, epoch, candidates, "127.0.0.1", self.fake_ports[fake]),
                END,
            )
            detail = f"EndQuorumEpoch leader {any_id} epoch {epoch} candidates {candidates[:3]}"
        elif kind == "request-vote":
            last_epoch = rng.choice([-1, 0, e, e + 1, INT32[1], INT32[0]])
            pre = rng.random() < 0.5
            voter = rng.choice([NODE_ID, NODE_ID, 99, -1])
            body, api = vote_request(any_id, epoch, last_epoch, offset, pre, voter), VOTE
            detail = (
                f"Vote candidate {any_id} epoch {epoch} last ({offset}, {last_epoch}) "
                f"pre {pre} voter {voter}"
            )
        elif kind == "request-fetch":
            last_epoch = rng.choice([-1, 0, e, e + 1, INT32[1], INT32[0]])
            bytes_max = rng.choice([0, -1, 1, INT32[1], 1 << 20])
            body, api = fetch_request(any_id, offset, last_epoch, epoch, 0, bytes_max), FETCH
            detail = (
                f"Fetch replica {any_id} offset {offset} last epoch {last_epoch} "
                f"leader epoch {epoch} max bytes {bytes_max}"
            )
        elif kind == "request-fetch-snapshot":
            position = rng.choice([-1, 0, INT64[1], INT64[0]])
            body, api = (
                fetch_snapshot_request(
                    any_id, epoch, offset, rng.choice([-1, 0, e, INT32[1]]), position
                ),
                FETCH_SNAPSHOT,
            )
            detail = (
                f"FetchSnapshot replica {any_id} leader epoch {epoch} id end {offset} "
                f"position {position}"
            )
        else:
            base = rng.choice(
                [
                    begin_request(fake, e, "127.0.0.1", self.fake_ports[fake]),
                    end_request(fake, e, [NODE_ID], "127.0.0.1", self.fake_ports[fake]),
                    vote_request(fake, e, e, 0, True),
                    fetch_request(fake, 0, -1, e),
                    fetch_snapshot_request(fake, e, 0, 0, 0),
                    describe_quorum_request(),
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
            fallback = encode_request(DESCRIBE_QUORUM, 2, 7, "fuzz", describe_quorum_request())
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
                self._see_epoch(epoch_of_answer(api_key, body))
