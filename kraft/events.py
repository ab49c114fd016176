"""Events an executor (the trio shell or the simulator) feeds into `RaftNode.handle(event, now_ms)`.

Ids: the executor allocates `inbound_id`s for requests it receives (and gets them back on
`OutboundResponse`); the core allocates `request_id`s for requests it sends (`OutboundRequest`) and
the executor echoes them back on `ResponseReceived` / `RequestFailed`. Timeouts of outbound requests
are the core's business (it knows `now_ms`): the executor never reports them. Responses or failures
for request ids the core no longer tracks (timed out, superseded) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from kraft.rpc import Request, Response
from kraft.types import ElectionState, OffsetAndEpoch


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """A decoded Raft request from a peer or a client.

    Answer it with `OutboundResponse(inbound_id)`.
    """

    inbound_id: int
    request: Request


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """The answer to our `OutboundRequest(request_id)`."""

    request_id: int
    response: Response


@dataclass(frozen=True, slots=True)
class RequestFailed:
    """Our `OutboundRequest(request_id)` will get no answer (disconnect, connect refused, ...)."""

    request_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """An inbound connection went away: drop these still-unanswered inbound requests (parked
    Fetches). Their `OutboundResponse`s, if any are emitted later, must be discarded."""

    inbound_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Persisted:
    """The log is durable (fsynced) up to `flushed_end_offset` (exclusive)."""

    flushed_end_offset: int


@dataclass(frozen=True, slots=True)
class ElectionStatePersisted:
    """The quorum-state store now durably holds `state` (the one the core asked to persist)."""

    state: ElectionState


@dataclass(frozen=True, slots=True)
class SnapshotCreated:
    """The executor wrote snapshot `snapshot_id` (end offset, epoch of the last included batch) from
    committed data at a batch boundary, and the log now starts at `log_start_offset` (unchanged, or
    the end offset of a snapshot when the prefix below it was deleted)."""

    snapshot_id: OffsetAndEpoch
    log_start_offset: int


Event = (
    RequestReceived
    | ResponseReceived
    | RequestFailed
    | ConnectionClosed
    | Persisted
    | ElectionStatePersisted
    | SnapshotCreated
)
