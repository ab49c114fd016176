"""Wire dataclasses ⇄ the core's RPC values (`kraft.rpc`): one module per raft API.

The core knows no versions, topic lists or -1 sentinels; these modules are where they are decided.
Each API module (`vote`, `begin_quorum_epoch`, `end_quorum_epoch`, `fetch`, `fetch_snapshot`,
`describe_quorum`) holds that API's four directions as typed functions and is a `RaftApi`
(`base`); the registry here keys each by its wire message's own API key:
- server side: `request_to_core` checks "exactly one topic with one partition and it is ours"
  (Fetch v13+ by topic id, everything else by name; RAFT-BRIEF §2.1) into `topic_partition_valid`
  and maps Kafka's sentinels to None; `response_to_wire` writes them back and fills the fields only
  the answered version has;
- client side: `request_to_wire` writes a request at the version negotiated with the peer
  (`kraft.shell.negotiation`; default: the API's `OUTBOUND_VERSION`), `response_to_core` reads the
  answer.

Remote values are validated where they enter (issue #12), by the checks in `checks`: nothing a peer
or a client sends may reach the core in a form that makes it raise, persist something it cannot
read back, or echo something it cannot encode. A bad request becomes `topic_partition_valid=False`
(the core answers a top-level INVALID_REQUEST); a bad answer raises `wire.errors.DecodeError` only,
so the peer task reports the request as failed and the core backs off and retries. Sentinel
conversions are in `sentinels`, shapes several APIs share in `common`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from kraft import rpc
from kraft.shell.apis import (
    begin_quorum_epoch,
    describe_quorum,
    end_quorum_epoch,
    fetch,
    fetch_snapshot,
    vote,
)
from kraft.shell.apis.base import Context, RaftApi
from kraft.shell.identity import METADATA_LOG, TopicIdentity
from wire.errors import DecodeError

# mypy checks each module against `RaftApi` here.
_APIS: tuple[RaftApi, ...] = (
    vote,
    begin_quorum_epoch,
    end_quorum_epoch,
    fetch,
    fetch_snapshot,
    describe_quorum,
)
BY_KEY: Mapping[int, RaftApi] = MappingProxyType({api.WIRE_REQUEST.API_KEY: api for api in _APIS})
_BY_REQUEST: Mapping[type, RaftApi] = MappingProxyType({api.CORE_REQUEST: api for api in _APIS})
RAFT_API_KEYS = frozenset(BY_KEY)


def for_request(request: rpc.Request) -> RaftApi:
    """The API that carries a request of the core."""
    return _BY_REQUEST[type(request)]


def request_to_core(
    api_key: int, version: int, body: Any, topic: TopicIdentity = METADATA_LOG
) -> rpc.Request:
    """A decoded raft request → the core's value. `api_key` must be in `RAFT_API_KEYS`;
    `topic` is the node's log (Kafka's TestRaftServer replicates another one)."""
    return BY_KEY[api_key].request_to_core(version, body, Context(topic))


def response_to_wire(
    api_key: int,
    version: int,
    response: rpc.Response,
    records: bytes,
    *,
    listener_name: str,
    topic: TopicIdentity = METADATA_LOG,
) -> Any:
    """The core's answer → the wire body for `version` (`records` resolves a Fetch LogRead)."""
    api = BY_KEY[api_key]
    assert isinstance(response, api.CORE_RESPONSE), f"{type(response).__name__} for {api_key}"
    return api.response_to_wire(version, response, Context(topic, listener_name, records))


def request_to_wire(
    request: rpc.Request,
    *,
    listener_name: str,
    version: int | None = None,
    topic: TopicIdentity = METADATA_LOG,
) -> tuple[int, int, Any]:
    """(api key, version, wire body) for a request the core sends, at `version` (default: ours);
    `topic` is the log the node replicates."""
    api = for_request(request)
    version = api.OUTBOUND_VERSION if version is None else version
    body = api.request_to_wire(version, request, Context(topic, listener_name))
    return api.WIRE_REQUEST.API_KEY, version, body


def response_to_core(
    api_key: int, version: int, body: Any, topic: TopicIdentity = METADATA_LOG
) -> rpc.Response:
    """A decoded answer from a peer → the core's value. Bad content: `DecodeError`."""
    api = BY_KEY.get(api_key)
    if api is None:
        raise DecodeError(f"unexpected answer for api key {api_key}")
    return api.response_to_core(version, body, Context(topic))


__all__ = [
    "BY_KEY",
    "RAFT_API_KEYS",
    "Context",
    "RaftApi",
    "for_request",
    "request_to_core",
    "request_to_wire",
    "response_to_core",
    "response_to_wire",
]
