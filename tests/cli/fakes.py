"""Peers for the tools' tests: a TCP server that accepts and never speaks, a port nobody uses,
a controller leader that does not know its high watermark yet."""

from __future__ import annotations

import socket
import threading

from kraft.types import NO_OFFSET
from wire import METADATA_TOPIC_NAME
from wire.framing import FrameDecoder
from wire.headers import decode_request, encode_response
from wire.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from wire.messages.describe_cluster import DescribeClusterRequest, DescribeClusterResponse
from wire.messages.describe_quorum import DescribeQuorumRequest, DescribeQuorumResponse
from wire.registry import API_VERSIONS_KEY


def controller_api_versions() -> ApiVersionsResponse:
    """What a fake controller answers to ApiVersions: the APIs the tools' discovery asks."""
    V = ApiVersionsResponse.ApiVersion
    return ApiVersionsResponse(
        api_keys=[
            V(api_key=API_VERSIONS_KEY, min_version=0, max_version=4),
            V(api_key=DescribeQuorumRequest.API_KEY, min_version=0, max_version=2),
            V(api_key=DescribeClusterRequest.API_KEY, min_version=0, max_version=2),
        ]
    )


class _Listener:
    """A TCP server on 127.0.0.1 that hands each accepted connection to `_on_connection`."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            self._on_connection(conn)

    def _on_connection(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


class SilentServer(_Listener):
    """Accepts TCP connections and never says a word (a peer that is not Kafka, or hung)."""

    def __init__(self) -> None:
        self.accepted = threading.Event()
        super().__init__()

    def _on_connection(self, conn: socket.socket) -> None:
        self.accepted.set()


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LeaderWithoutHighWatermark(_Listener):
    """A Kafka controller elected a moment ago, as the tools see it: DescribeCluster names it
    the active controller, its DescribeQuorum answers high watermark -1 (unknown) the first
    `unknown_answers` times (None: always), then `high_watermark`. Like a real controller it
    serves no Metadata or ListOffsets; any other request closes the connection."""

    CLUSTER_ID = "8dXBon3vZMZqPScq_oMFxg"
    NODE_ID = 1

    def __init__(self, unknown_answers: int | None = None, high_watermark: int = 0) -> None:
        self.unknown_answers = unknown_answers
        self.high_watermark = high_watermark
        self.describe_quorum_count = 0
        self.lock = threading.Lock()
        super().__init__()

    def _on_connection(self, conn: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        decoder = FrameDecoder()
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                for payload in decoder.feed(data):
                    header, request = decode_request(payload)
                    body = self._answer(request)
                    if body is None:
                        return
                    conn.sendall(
                        encode_response(
                            header.request_api_key,
                            header.request_api_version,
                            header.correlation_id,
                            body,
                        )
                    )

    def _answer(self, request: object) -> object | None:
        if isinstance(request, ApiVersionsRequest):
            return controller_api_versions()
        if isinstance(request, DescribeClusterRequest):
            B = DescribeClusterResponse.DescribeClusterBroker
            return DescribeClusterResponse(
                endpoint_type=request.endpoint_type,
                cluster_id=self.CLUSTER_ID,
                controller_id=self.NODE_ID,
                brokers=[B(broker_id=self.NODE_ID, host="127.0.0.1", port=self.port)],
            )
        if isinstance(request, DescribeQuorumRequest):
            with self.lock:
                self.describe_quorum_count += 1
                known = self.unknown_answers is not None and self.unknown_answers <= 0
                if self.unknown_answers is not None:
                    self.unknown_answers -= 1
            T = DescribeQuorumResponse.TopicData
            partition = T.PartitionData(
                leader_id=self.NODE_ID,
                leader_epoch=1,
                high_watermark=self.high_watermark if known else NO_OFFSET,
            )
            return DescribeQuorumResponse(
                topics=[T(topic_name=METADATA_TOPIC_NAME, partitions=[partition])]
            )
        return None
