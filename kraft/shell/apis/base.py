"""`RaftApi`: one Raft API's four directions between the wire dataclasses and `kraft.rpc` values.

Server side: `request_to_core` (a peer's request) and `response_to_wire` (the core's answer);
client side: `request_to_wire` (the core's request) and `response_to_core` (the peer's answer).
Every direction takes the message version and a `Context`; the registry in `kraft.shell.apis`
keys each API by its wire message's own `API_KEY`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from kraft.shell.identity import METADATA_LOG, TopicIdentity
from wire.fields import Message

WireRequest = TypeVar("WireRequest", bound=Message)
WireResponse = TypeVar("WireResponse", bound=Message)
CoreRequest = TypeVar("CoreRequest")
CoreResponse = TypeVar("CoreResponse")


@dataclass(frozen=True, slots=True)
class Context:
    """What a translation needs besides the message: the log the node replicates (Kafka's
    TestRaftServer replicates another one), our listener's name (LeaderEndpoints, DescribeQuorum
    nodes) and, for a Fetch answer, the record bytes its `LogRead` resolved to."""

    topic: TopicIdentity = METADATA_LOG
    listener_name: str = ""
    records: bytes = b""


def no_floor(request: object) -> int:
    return 0


@dataclass(frozen=True, slots=True)
class RaftApi(Generic[WireRequest, WireResponse, CoreRequest, CoreResponse]):
    wire_request: type[WireRequest]
    core_request: type[CoreRequest]
    core_response: type[CoreResponse]
    # The version we send (the newest the registry has, as of Kafka 4.x), unless negotiated lower.
    outbound_version: int
    request_to_core: Callable[[int, WireRequest, Context], CoreRequest]
    response_to_wire: Callable[[int, CoreResponse, Context], WireResponse]
    request_to_wire: Callable[[int, CoreRequest, Context], WireRequest]
    response_to_core: Callable[[int, WireResponse, Context], CoreResponse]
    # The lowest version that carries everything a request says (`kraft.shell.negotiation`).
    request_floor: Callable[[CoreRequest], int] = no_floor

    @property
    def api_key(self) -> int:
        return self.wire_request.API_KEY
