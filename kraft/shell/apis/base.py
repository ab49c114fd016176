"""`RaftApi`: what every raft API module defines, so the registry (`kraft.shell.apis`) can serve it.

A module holds one API's four directions between the wire dataclasses and `kraft.rpc` values:
server side `request_to_core` (a peer's request) and `response_to_wire` (the core's answer),
client side `request_to_wire` (the core's request) and `response_to_core` (the peer's answer).
Each takes the message version and a `Context`. The registry keys each module by its wire
message's own `API_KEY`; mypy checks every registered module against this protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kraft import rpc
from kraft.shell.identity import METADATA_LOG, TopicIdentity
from wire.fields import Message


@dataclass(frozen=True, slots=True)
class Context:
    """What a translation needs besides the message: the log the node replicates (Kafka's
    TestRaftServer replicates another one), our listener's name (LeaderEndpoints, DescribeQuorum
    nodes) and, for a Fetch answer, the record bytes its `LogRead` resolved to."""

    topic: TopicIdentity = METADATA_LOG
    listener_name: str = ""
    records: bytes = b""


def no_floor(request: object) -> int:
    """Every version of the API carries every request of the core."""
    return 0


class RaftApi(Protocol):
    @property
    def WIRE_REQUEST(self) -> type[Message]: ...
    @property
    def CORE_REQUEST(self) -> type: ...
    @property
    def CORE_RESPONSE(self) -> type: ...
    # The version we send (the newest the registry has, as of Kafka 4.x), unless negotiated lower.
    @property
    def OUTBOUND_VERSION(self) -> int: ...

    def request_to_core(self, version: int, body: Any, context: Context) -> rpc.Request: ...
    def response_to_wire(self, version: int, response: Any, context: Context) -> Message: ...
    def request_to_wire(self, version: int, request: Any, context: Context) -> Message: ...
    def response_to_core(self, version: int, body: Any, context: Context) -> rpc.Response: ...

    def request_floor(self, request: Any) -> int:
        """The lowest version that carries everything `request` says (`negotiation`)."""
        ...
