"""Discovery against a node that, like Kafka's controllers, serves no Metadata or ListOffsets.

A fake controller on 127.0.0.1 advertises ApiVersions, DescribeCluster 0-2 and DescribeQuorum 0-2
only (Kafka 4.3.1's controller listener serves neither Metadata nor ListOffsets): the observer
must find the quorum with DescribeCluster (endpoint type 2) and the latest offset with
DescribeQuorum's high watermark. The real-controller counterpart is
`tests/kafka/test_observe_controllers.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

from kraft.shell.client.connection import Address, Connection
from kraft.shell.client.discovery import ask_metadata, list_offset
from kraft.shell.client.state import ObserverError
from tests.cli.fakes import controller_api_versions
from wire.framing import FrameDecoder
from wire.headers import decode_request, encode_response
from wire.messages.describe_cluster import DescribeClusterRequest, DescribeClusterResponse
from wire.messages.describe_quorum import DescribeQuorumRequest, DescribeQuorumResponse
from wire.messages.list_offsets import LATEST_TIMESTAMP

CLUSTER_ID = "8dXBon3vZMZqPScq_oMFxg"
HIGH_WATERMARK = 1234
ACTIVE_CONTROLLER = 3


class FakeController:
    def __init__(self) -> None:
        self.endpoint_types: list[int] = []
        # DescribeQuorum answers with no high watermark (-1) this many times first, as a
        # Kafka leader elected a moment ago does.
        self.unknown_high_watermarks = 0

    async def handle(self, stream: trio.SocketStream) -> None:
        decoder = FrameDecoder()
        async with stream:
            while data := await stream.receive_some():
                for payload in decoder.feed(data):
                    header, request = decode_request(payload)
                    body = self.answer(request)
                    await stream.send_all(
                        encode_response(
                            header.request_api_key,
                            header.request_api_version,
                            header.correlation_id,
                            body,
                        )
                    )

    def answer(self, request: object) -> object:
        if isinstance(request, DescribeClusterRequest):
            self.endpoint_types.append(request.endpoint_type)
            B = DescribeClusterResponse.DescribeClusterBroker
            return DescribeClusterResponse(
                endpoint_type=request.endpoint_type,
                cluster_id=CLUSTER_ID,
                controller_id=ACTIVE_CONTROLLER,
                brokers=[B(broker_id=i, host="127.0.0.1", port=9000 + i) for i in (1, 2, 3)],
            )
        if isinstance(request, DescribeQuorumRequest):
            T = DescribeQuorumResponse.TopicData
            high_watermark = HIGH_WATERMARK
            if self.unknown_high_watermarks > 0:
                self.unknown_high_watermarks -= 1
                high_watermark = -1
            partition = T.PartitionData(
                leader_id=ACTIVE_CONTROLLER, leader_epoch=4, high_watermark=high_watermark
            )
            return DescribeQuorumResponse(
                topics=[T(topic_name="__cluster_metadata", partitions=[partition])]
            )
        return controller_api_versions()


@pytest.fixture
async def controller() -> AsyncIterator[tuple[FakeController, Address]]:
    fake = FakeController()
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(trio.serve_tcp, fake.handle, 0)
        yield fake, Address("127.0.0.1", listeners[0].socket.getsockname()[1])
        nursery.cancel_scope.cancel()


async def test_quorum_found_through_describe_cluster(
    controller: tuple[FakeController, Address],
) -> None:
    fake, address = controller
    info = await ask_metadata(address, expected_cluster_id=None)
    assert fake.endpoint_types == [2]  # the controllers, not the brokers
    assert info.cluster_id == CLUSTER_ID
    assert info.leader_id == ACTIVE_CONTROLLER
    assert info.voters == {i: Address("127.0.0.1", 9000 + i) for i in (1, 2, 3)}
    assert info.leader_address == Address("127.0.0.1", 9003)


async def test_wrong_cluster_id_is_refused(controller: tuple[FakeController, Address]) -> None:
    _, address = controller
    with pytest.raises(ObserverError, match="cluster id"):
        await ask_metadata(address, expected_cluster_id="AAAAAAAAAAAAAAAAAAAAAA")


async def test_latest_offset_is_the_quorum_high_watermark(
    controller: tuple[FakeController, Address],
) -> None:
    _, address = controller
    conn = await Connection.open(address)
    try:
        assert await list_offset(conn, LATEST_TIMESTAMP) == HIGH_WATERMARK
    finally:
        await conn.aclose()


async def test_a_just_elected_leader_is_asked_again_for_its_high_watermark(
    controller: tuple[FakeController, Address],
) -> None:
    """A leader elected a moment ago answers DescribeQuorum with no high watermark (-1): a
    passing state (it used to end `kraft tail`/`kraft image` with "DescribeQuorum error 0")."""
    fake, address = controller
    fake.unknown_high_watermarks = 3
    conn = await Connection.open(address)
    try:
        with trio.fail_after(5):
            assert await list_offset(conn, LATEST_TIMESTAMP) == HIGH_WATERMARK
    finally:
        await conn.aclose()
    assert fake.unknown_high_watermarks == 0
