"""Single-node drivers for rule tests: build a node, feed it requests, look at what it emits."""

from __future__ import annotations

import random
import uuid
from typing import Any

from kraft.config import QuorumConfig
from kraft.events import ElectionStatePersisted, Persisted, RequestReceived, ResponseReceived
from kraft.log import LogState
from kraft.node import RaftNode
from kraft.ready import OutboundRequest, OutboundResponse, Ready
from kraft.rpc import FetchRequest, Request, Response, VoteRequest
from kraft.types import Endpoint, ReplicaKey
from tests.kraft.harness import FakeCodec

VOTERS = (1, 2, 3)


def config(voters: tuple[int, ...] = VOTERS, **overrides: Any) -> QuorumConfig:
    return QuorumConfig(voters={v: Endpoint("h", 9000 + v) for v in voters}, **overrides)


def dir_id(local_id: int | None) -> uuid.UUID:
    return uuid.UUID(int=(local_id or 0) + 1000)


class Driver:
    """Wraps a node, auto-acknowledging persistence like a well-behaved executor."""

    def __init__(
        self,
        local_id: int | None = 1,
        voters: tuple[int, ...] = VOTERS,
        stored: Any = None,
        log: LogState | None = None,
        now_ms: int = 0,
        seed: int = 0,
        **overrides: Any,
    ) -> None:
        self.now_ms = now_ms
        self.node = RaftNode(
            config(voters, **overrides),
            local_id,
            dir_id(local_id),
            stored,
            log or LogState(),
            FakeCodec(),
            random.Random(seed),
            now_ms,
        )
        self.readies: list[Ready] = []
        self.next_inbound = 1
        self.stored = stored
        self.flushed = self.node.log_end_offset
        self.ack(self.node.poll(now_ms))

    def ack(self, ready: Ready, *, flush: bool = True) -> Ready:
        """Record the Ready and feed back persistence (unless `flush` is False)."""
        self.readies.append(ready)
        if ready.election_state is not None:
            self.stored = ready.election_state
            self.readies.append(
                self.node.handle(ElectionStatePersisted(ready.election_state), self.now_ms)
            )
        if ready.flush and flush:
            self.flushed = self.node.log_end_offset
            self.ack(self.node.handle(Persisted(self.flushed), self.now_ms))
        return ready

    def advance(self, ms: int) -> Ready:
        self.now_ms += ms
        return self.ack(self.node.poll(self.now_ms))

    def request(self, request: Request) -> tuple[Ready, int]:
        inbound_id = self.next_inbound
        self.next_inbound += 1
        ready = self.ack(self.node.handle(RequestReceived(inbound_id, request), self.now_ms))
        return ready, inbound_id

    def answer(self, request: Request) -> Response:
        """Send a request and return the response emitted for it (now or after persist)."""
        ready, inbound_id = self.request(request)
        for message in ready.messages():
            if isinstance(message, OutboundResponse) and message.inbound_id == inbound_id:
                return message.response
        raise AssertionError(f"no response in {ready}")

    def respond(self, request_id: int, response: Response) -> Ready:
        return self.ack(self.node.handle(ResponseReceived(request_id, response), self.now_ms))

    def sent(self, kind: type | None = None) -> list[OutboundRequest]:
        """Every outbound request emitted so far (optionally of one request type)."""
        out = []
        for ready in self.readies:
            for message in ready.messages():
                if isinstance(message, OutboundRequest) and (
                    kind is None or isinstance(message.request, kind)
                ):
                    out.append(message)
        return out

    def clear(self) -> None:
        self.readies.clear()


def vote(
    candidate: int,
    epoch: int,
    last_epoch: int = 0,
    last_offset: int = 0,
    *,
    pre_vote: bool = False,
    voter: int | None = None,
    cluster_id: str | None = None,
) -> VoteRequest:
    return VoteRequest(
        cluster_id=cluster_id,
        topic_partition_valid=True,
        candidate_key=ReplicaKey(candidate, dir_id(candidate)),
        candidate_epoch=epoch,
        last_offset_epoch=last_epoch,
        last_offset=last_offset,
        pre_vote=pre_vote,
        voter_key=None if voter is None else ReplicaKey(voter, None),
    )


def fetch(
    replica_id: int,
    epoch: int,
    offset: int,
    last_epoch: int,
    *,
    max_wait_ms: int = 0,
    high_watermark: int | None = None,
) -> FetchRequest:
    return FetchRequest(
        cluster_id=None,
        topic_partition_valid=True,
        replica_id=replica_id,
        max_wait_ms=max_wait_ms,
        fetch_offset=offset,
        last_fetched_epoch=last_epoch,
        current_leader_epoch=epoch,
        max_bytes=1 << 20,
        replica_directory_id=dir_id(replica_id) if replica_id >= 0 else None,
        high_watermark=high_watermark,
    )
