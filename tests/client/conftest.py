from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

from kraft.types import ReplicaAddress
from tests.consumer.fake_server import FakeServer
from tests.consumer.fakes import FakePort


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakeServer, FakePort]]:
    """A fake leader (node 1) on a free port; voters 2 and 3 point at closed ports."""
    port = FakePort()
    server = FakeServer(port)
    async with trio.open_nursery() as nursery:
        listen_port = await nursery.start(server.serve)
        port.set(
            voters=(
                ReplicaAddress(1, "127.0.0.1", listen_port),
                ReplicaAddress(2, "127.0.0.1", 1),
                ReplicaAddress(3, "127.0.0.1", 2),
            )
        )
        port.append_leader_change(3)
        port.sync()
        yield server, port
        nursery.cancel_scope.cancel()
