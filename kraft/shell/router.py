"""Request dispatch for the node's listener: API key → handler, as one table.

- ApiVersions: answered here, listing exactly the APIs in the table with the versions the
  registry decodes (an unsupported ApiVersions version never reaches this point: the connection
  answers it with Kafka's v0-format UNSUPPORTED_VERSION body). A v3+ request whose client software
  name/version do not match Kafka's pattern gets INVALID_REQUEST, as Kafka does.
- Raft APIs (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch from replicas, DescribeQuorum,
  FetchSnapshot): translated and queued to the node loop, which fills the slot.
- Consumer APIs (`kraft.shell.consumer`: Metadata, ListOffsets, OffsetForLeaderEpoch,
  DescribeCluster, Produce, and consumer-style Fetch): run as a task of the connection, so a
  parked consumer Fetch never blocks the reader; the slot keeps the answers in order.
- DescribeQuorum at a non-leader: forwarded to the leader (`kraft.shell.consumer.forward`), as a
  Kafka broker forwards it to the active controller; the core answers if the leader is unreachable.
- Anything else: the connection is closed (Kafka's behaviour for an API a listener does not serve).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kraft.shell import apis, consumer
from kraft.shell.connection import CloseConnection, InboundConnection, ResponseSlot
from kraft.shell.consumer import forward
from kraft.shell.consumer.view import NodeView
from kraft.shell.identity import KAFKA_TEST_SERVER_CLUSTER_ID
from kraft.shell.node_loop import NodeLoop
from kraft.types import NO_LEADER, ReplicaAddress
from wire.errors import ErrorCode
from wire.headers import RequestHeader, encode_response
from wire.messages.api_versions import ApiVersionsRequest, is_valid_request
from wire.messages.describe_quorum import DescribeQuorumRequest
from wire.messages.fetch import FetchRequest
from wire.messages.sasl_authenticate import SaslAuthenticateRequest
from wire.messages.sasl_handshake import SaslHandshakeRequest
from wire.registry import API_SPECS, API_VERSIONS_KEY, api_versions_response

# SaslHandshake (17) and SaslAuthenticate (36) are answered by the connection itself
# (kraft.shell.connection), on every listener as Kafka does.
SASL_API_KEYS = frozenset({SaslHandshakeRequest.API_KEY, SaslAuthenticateRequest.API_KEY})
SERVED_API_KEYS = frozenset(
    apis.RAFT_API_KEYS
    | consumer.CONSUMER_APIS
    | SASL_API_KEYS
    | {API_VERSIONS_KEY, FetchRequest.API_KEY}
)


class NodePort:
    """`kraft.shell.consumer.ConsumerPort` over the node loop (read-only views + batch reads).

    The log and leadership facts of a view are the core's own consumer view
    (`RaftNode.consumer_view`, kraft/handlers/consumer.py), taken at once so they agree; this
    adds only what the shell knows (cluster id, listeners, shutdown of the loop)."""

    def __init__(self, loop: NodeLoop) -> None:
        self._loop = loop

    def view(self) -> NodeView:
        loop = self._loop
        config = loop.config
        voters = tuple(
            ReplicaAddress(voter_id, address.host, address.port)
            for voter_id, address in sorted(config.voters.items())
        )
        own = config.voters.get(config.node_id)
        listener = config.controller_listener
        endpoint = ReplicaAddress(
            config.node_id, own.host if own else listener.host, own.port if own else listener.port
        )
        log = loop.node.consumer_view()
        leader_id = log.leader.leader_id
        return NodeView(
            # A server always resolves one; a bare loop (tests) has the test server's.
            cluster_id=config.cluster_id or KAFKA_TEST_SERVER_CLUSTER_ID,
            local_id=config.node_id,
            leader_id=NO_LEADER if leader_id is None else leader_id,
            epoch=log.leader.epoch,
            is_leader=log.is_leader,
            high_watermark=log.high_watermark,
            log_start_offset=log.log_start_offset,
            log_end_offset=log.log_end_offset,
            epoch_history=log.epoch_history,
            voters=voters,
            listener=endpoint,
            shutting_down=loop.shutting_down or log.shutting_down,
        )

    async def read_batches(self, start_offset: int, end_offset: int, bytes_max: int) -> bytes:
        return await self._loop.read_batches(start_offset, end_offset, bytes_max)

    async def wait_for_change(self, timeout_ms: int) -> None:
        await self._loop.wait_for_change(timeout_ms)


class ListenerPort:
    """The node port as seen through one secondary listener (issue #14): this node's own entry
    among the voters (Metadata, DescribeCluster, leader endpoints) is its address on that
    listener, so a client of that listener that talks to this node stays on it; the other
    voters are only known by their controller listener addresses."""

    def __init__(self, base: NodePort, node_id: int, host: str, port: int) -> None:
        self._base = base
        self._endpoint = ReplicaAddress(node_id, host, port)

    def view(self) -> NodeView:
        view = self._base.view()
        voters = tuple(
            self._endpoint if voter.node_id == self._endpoint.node_id else voter
            for voter in view.voters
        )
        return dataclasses.replace(view, voters=voters, listener=self._endpoint)

    async def read_batches(self, start_offset: int, end_offset: int, bytes_max: int) -> bytes:
        return await self._base.read_batches(start_offset, end_offset, bytes_max)

    async def wait_for_change(self, timeout_ms: int) -> None:
        await self._base.wait_for_change(timeout_ms)


class Router:
    """The listener's `Dispatcher`."""

    def __init__(self, loop: NodeLoop) -> None:
        self._loop = loop
        self._port = NodePort(loop)
        # The consumer module advertises every version the registry has, as we do.
        for key, versions in consumer.CONSUMER_API_VERSIONS.items():
            assert versions == (API_SPECS[key].min_version, API_SPECS[key].max_version), key
        self._api_versions_body = api_versions_response(api_keys=sorted(SERVED_API_KEYS))
        self._listener_ports: dict[str, ListenerPort] = {}

    def _port_for(self, connection: InboundConnection) -> NodePort | ListenerPort:
        """The port of the listener `connection` arrived on (see `ListenerPort`)."""
        listener = connection.listener
        config = self._loop.config
        if listener is None or listener.name == config.controller_listener_name:
            return self._port
        port = self._listener_ports.get(listener.name)
        if port is None:
            own = config.voters.get(config.node_id)
            host = listener.host or (own.host if own else "localhost")
            port = ListenerPort(self._port, config.node_id, host, listener.port)
            self._listener_ports[listener.name] = port
        return port

    async def dispatch(
        self, connection: InboundConnection, header: RequestHeader, body: Any, slot: ResponseSlot
    ) -> None:
        api_key = header.request_api_key
        version = header.request_api_version
        if api_key == API_VERSIONS_KEY:
            slot.fill(self._api_versions(version, header.correlation_id, body))
        elif api_key == DescribeQuorumRequest.API_KEY and forward.should_forward(
            self._port.view(), header.client_id
        ):
            assert connection.nursery is not None
            connection.nursery.start_soon(self._forward, connection, header, body, slot)
        elif api_key == FetchRequest.API_KEY and consumer.is_consumer_fetch(body, version):
            assert connection.nursery is not None
            port = self._port_for(connection)
            connection.nursery.start_soon(self._consumer_fetch, header, body, slot, port)
        elif api_key in apis.RAFT_API_KEYS:
            await self._loop.submit_request(connection, header, body, slot)
        elif api_key in consumer.CONSUMER_APIS:
            assert connection.nursery is not None
            port = self._port_for(connection)
            connection.nursery.start_soon(self._consumer_api, header, body, slot, port)
        else:
            raise CloseConnection(f"api key {api_key} is not served on this listener")

    def connection_closed(self, connection: InboundConnection) -> None:
        self._loop.connection_closed(connection)

    def _api_versions(self, version: int, correlation_id: int, body: ApiVersionsRequest) -> bytes:
        response = self._api_versions_body
        if not is_valid_request(body, version):
            response = api_versions_response(
                api_keys=sorted(SERVED_API_KEYS), error_code=ErrorCode.INVALID_REQUEST
            )
        return encode_response(API_VERSIONS_KEY, version, correlation_id, response)

    async def _forward(
        self, connection: InboundConnection, header: RequestHeader, body: Any, slot: ResponseSlot
    ) -> None:
        """DescribeQuorum at a non-leader: relay to the leader as a Kafka broker does; if the
        leader cannot be reached, the core answers (NOT_LEADER_OR_FOLLOWER)."""
        view = self._port.view()
        response = await forward.forward_to_leader(body, header.request_api_version, view)
        if response is None:
            await self._loop.submit_request(connection, header, body, slot)
            return
        slot.fill(
            encode_response(
                header.request_api_key, header.request_api_version, header.correlation_id, response
            )
        )

    async def _consumer_fetch(
        self, header: RequestHeader, body: Any, slot: ResponseSlot, port: NodePort | ListenerPort
    ) -> None:
        response = await consumer.serve_fetch(body, header.request_api_version, port)
        slot.fill(
            encode_response(
                header.request_api_key, header.request_api_version, header.correlation_id, response
            )
        )

    async def _consumer_api(
        self, header: RequestHeader, body: Any, slot: ResponseSlot, port: NodePort | ListenerPort
    ) -> None:
        response = await consumer.dispatch(
            header.request_api_key, header.request_api_version, body, port
        )
        if response is None:
            slot.fill(b"")  # Kafka sends nothing (Produce with acks=0); keep the order moving
            return
        slot.fill(
            encode_response(
                header.request_api_key, header.request_api_version, header.correlation_id, response
            )
        )
