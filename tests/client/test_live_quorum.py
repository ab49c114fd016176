"""RaftObserver (the real Raft core, id-less) tailing a live 3-voter quorum across a leader kill -9.

Proves, against real node processes on 127.0.0.1 (started as tests/e2e does):
- the id-less observer releases exactly the committed batches of a surviving node (byte for
  byte, in order, each once), across a kill -9 of the leader and its restart; so does the
  stream-mode observer (`kraft tail`'s: no local log), bootstrapped from the killed leader too;
- the leader's DescribeQuorum lists an observer with an id and never the id-less one;
- the id-less observer's Fetch requests carry replica id -1 and, at v15+, no ReplicaState on the
  wire (decoded by kio, an independent codec), while the observer with an id sends its id;
- `log_dir=` keeps the fetched log and the core's quorum-state (epoch, leader) on disk.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

from kraft.shell import peers as peers_module
from kraft.shell.client.connection import Address
from kraft.shell.client.describe import describe
from kraft.shell.client.observer import RaftObserver
from kraft.shell.quorum_state_store import QuorumStateStore
from tests.e2e.cluster import FAST, Cluster, NodeProcess, committed_prefix
from wire.headers import decode_request
from wire.messages.fetch import FetchRequest

pytestmark = pytest.mark.slow
kio_serial = pytest.importorskip("kio.serial")

FETCH_KEY = FetchRequest.API_KEY
ID_OBSERVER = 9


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path / "cluster", 3, extra_properties=FAST, args=["--throughput", "500"])
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def fetch_frames(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every Fetch request frame the observers' `Peers` put on the wire (size prefix included)."""
    frames: list[bytes] = []
    encode = peers_module.encode_request

    def recording(*args: Any) -> bytes:
        frame = encode(*args)
        if args[0] == FETCH_KEY:
            frames.append(frame)
        return frame

    monkeypatch.setattr(peers_module, "encode_request", recording)
    return frames


def hw(node: NodeProcess) -> int:
    return max((s["high_watermark"] or 0 for s in node.stats()), default=0)


async def wait_until(predicate: Callable[[], Any], timeout_s: float, what: str) -> Any:
    with trio.move_on_after(timeout_s):
        while True:
            result = predicate()
            if result:
                return result
            await trio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def kio_fetch(frame: bytes) -> tuple[str, int, Any, bytes]:
    """(client id, version, kio's FetchRequest, body bytes) of one request frame."""
    payload = frame[4:]
    header, _ = decode_request(payload)
    version = header.request_api_version
    header_cls = importlib.import_module("kio.schema.request_header.v2.header").RequestHeader
    _, body_at = kio_serial.entity_reader(header_cls)(memoryview(payload), 0)
    module = importlib.import_module(f"kio.schema.fetch.v{version}.request")
    body = payload[body_at:]
    value, consumed = kio_serial.entity_reader(module.FetchRequest)(memoryview(body), 0)
    assert consumed == len(body)
    return header.client_id or "", version, value, body


async def test_idless_observer_follows_a_leader_kill(
    cluster: Cluster, fetch_frames: list[bytes], tmp_path: Path
) -> None:
    cluster.start()
    bootstrap = [Address("127.0.0.1", n.port) for n in cluster.nodes.values()]
    leader = await wait_until(cluster.leader, 30, "a leader")
    first_epoch = leader.last()["epoch"]
    seen: list[bytes] = []
    streamed: list[bytes] = []
    kept = tmp_path / "observer-log"

    async def tail(observer: RaftObserver, into: list[bytes] | None) -> None:
        async with observer:
            async for batch in observer.batches():
                if into is not None:
                    assert batch.first_offset <= batch.base_offset
                    into.append(batch.data)

    def observed_offset() -> int:
        return _next_offset(seen) if seen else 0

    def streamed_offset() -> int:
        return _next_offset(streamed) if streamed else 0

    async with trio.open_nursery() as nursery:
        # The id-less observer is bootstrapped from the leader alone, the node that will be
        # killed: it must find the new leader through the voters it learned.
        at_leader = Address("127.0.0.1", leader.port)
        nursery.start_soon(tail, RaftObserver([at_leader], log_dir=kept), seen)
        nursery.start_soon(tail, RaftObserver([at_leader], mode="stream"), streamed)
        others = [a for a in bootstrap if a != at_leader]
        with_id = RaftObserver(others, local_id=ID_OBSERVER)
        nursery.start_soon(tail, with_id, None)
        await wait_until(lambda: observed_offset() > 200, 30, "the observer to release data")

        # The leader lists the observer with an id, never the id-less one.
        async def observers() -> list[int]:
            result = await describe(bootstrap)
            return [o["node_id"] for o in result["observers"]]

        listed: list[int] = []
        with trio.move_on_after(10):
            while ID_OBSERVER not in listed:
                listed = await observers()
                await trio.sleep(0.1)
        assert listed == [ID_OBSERVER]

        # kill -9 the leader; a new leader takes over; the old one restarts and catches up.
        leader.kill()
        successor = await wait_until(
            lambda: cluster.leader(epoch_min=first_epoch + 1, exclude=leader.node_id),
            20,
            "a new leader",
        )
        target = hw(successor) + 300
        await wait_until(lambda: observed_offset() > target, 30, "the observer past the failover")
        await wait_until(lambda: streamed_offset() > target, 30, "the stream past the failover")
        leader.start()
        target = hw(successor) + 300
        await wait_until(lambda: hw(leader) > target, 30, "the old leader to rejoin")
        await wait_until(lambda: observed_offset() > target, 30, "the observer after the restart")
        assert await observers() == [ID_OBSERVER]
        nursery.cancel_scope.cancel()

    # Exactly the committed data of a surviving node, byte for byte, in order, each once.
    released_end = _next_offset(seen)
    await wait_until(lambda: hw(successor) >= released_end, 10, "the survivor's stats")
    for node in cluster.nodes.values():
        node.kill()
    assert committed_prefix(successor.batches(), released_end) == seen
    assert committed_prefix(successor.batches(), streamed_offset()) == streamed
    epochs = {int.from_bytes(b[12:16], "big") for b in seen}
    assert min(epochs) <= first_epoch < max(epochs)

    # The kept log dir: the fetched log and the core's own quorum-state (no vote, a leader).
    stored = QuorumStateStore(kept / "__cluster_metadata-0").read()
    assert stored is not None and stored.voted_id is None and stored.epoch > first_epoch
    assert any((kept / "__cluster_metadata-0").glob("*.log"))

    # On the wire: id-less Fetch = replica id -1 and no ReplicaState tagged field; with an id, it.
    by_client: dict[str, list[tuple[int, Any, bytes]]] = {}
    for frame in fetch_frames:
        client_id, version, value, body = kio_fetch(frame)
        by_client.setdefault(client_id, []).append((version, value, body))
    idless = by_client["raft-client-observer"]
    with_id_frames = by_client[f"raft-client-{ID_OBSERVER}"]
    assert idless and with_id_frames
    for version, value, body in idless:
        assert version >= 15
        assert value.replica_state.replica_id == -1
        assert value.cluster_id is not None
        # kio re-encodes the same bytes, and a ReplicaState (any id) would have added bytes:
        # so the id-less request carries none.
        assert _kio_bytes(value) == body
        with_state = dataclasses.replace(
            value, replica_state=dataclasses.replace(value.replica_state, replica_id=ID_OBSERVER)
        )
        assert len(_kio_bytes(with_state)) > len(body)
    for version, value, body in with_id_frames:
        assert version >= 15 and value.replica_state.replica_id == ID_OBSERVER
        assert _kio_bytes(value) == body
    # Our own decoder agrees.
    decoded = decode_request(fetch_frames[0][4:])[1]
    assert isinstance(decoded, FetchRequest)


def _next_offset(batches: list[bytes]) -> int:
    from wire.records.batch import iter_batches

    *_, (_, header) = iter_batches(batches[-1])
    return header.next_offset


def _kio_bytes(value: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    kio_serial.entity_writer(type(value))(buffer, value)
    return buffer.getvalue()
