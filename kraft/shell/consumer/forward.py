"""Forwarding a leader-only tooling request (DescribeQuorum) from any node to the Raft leader.

Kafka clients such as kafka-python's `describe_metadata_quorum()` send DescribeQuorum to whichever
node they like, and a Kafka broker forwards it to the active controller. A pykraft node that is
not the leader does the same: it opens a connection to the leader it knows, relays the request
at the same version and returns the leader's answer unchanged. A forwarded request carries the
client id `FORWARDED_CLIENT_ID`, and a node never forwards such a request again, so two nodes
with inconsistent views cannot bounce a request between them.
"""

from __future__ import annotations

import trio

from kraft.shell.client.connection import Address, Connection, ConnectionFailed
from kraft.shell.consumer.view import NO_LEADER, NodeView
from wire.fields import Message

FORWARDED_CLIENT_ID = "pykraft-forwarded"
FORWARD_TIMEOUT_MS = 5_000


def should_forward(view: NodeView, client_id: str | None) -> bool:
    """True when another node leads (and is known) and the request was not relayed already."""
    return (
        not view.is_leader
        and view.leader_id != NO_LEADER
        and view.leader_id != view.local_id
        and view.endpoint_of(view.leader_id) is not None
        and client_id != FORWARDED_CLIENT_ID
    )


async def forward_to_leader(request: Message, version: int, view: NodeView) -> Message | None:
    """The leader's answer to `request`, or None when it cannot be reached in time."""
    leader = view.endpoint_of(view.leader_id)
    if leader is None:
        return None
    with trio.move_on_after(FORWARD_TIMEOUT_MS / 1000):
        try:
            conn = await Connection.open(
                Address(leader.host, leader.port), client_id=FORWARDED_CLIENT_ID
            )
        except ConnectionFailed:
            return None
        try:
            response: Message = await conn.request(request, version)
            return response
        except ConnectionFailed:
            return None
        finally:
            await conn.aclose()
    return None
