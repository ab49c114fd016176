"""Issue #12 item 1: every value from a peer is validated where it enters (`kraft.shell.apis`).

A bad answer from a peer is a `DecodeError` (the peer task reports `RequestFailed`, the core backs
off and retries); a bad request becomes `topic_partition_valid=False` (the core answers it with a
top-level INVALID_REQUEST). Nothing here may raise anything else.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from crc32c import crc32c

from kraft import rpc
from kraft.shell import apis
from kraft.types import Endpoint, LeaderAndEpoch, OffsetAndEpoch
from tests.shell.test_apis import BEGIN, END, FETCH, SNAPSHOT, VOTE
from wire import decode, encode
from wire.errors import DecodeError, ErrorCode
from wire.messages import begin_quorum_epoch as bqe
from wire.messages import end_quorum_epoch as eqe
from wire.messages import fetch as fe
from wire.messages import fetch_snapshot as fs
from wire.messages import vote as vo
from wire.records import build_data_batch
from wire.records.batch import with_base_offset, with_partition_leader_epoch
from wire.registry import API_SPECS, METADATA_TOPIC_ID

INT32_MAX = (1 << 31) - 1
INT64_MAX = (1 << 63) - 1
# The largest epoch pykraft accepts (`kraft.election.EPOCH_MAX`); spelled out so that these
# tests run, and fail, against code that predates the name.
LARGEST_EPOCH = INT32_MAX - 1
BAD_HOSTS = ["a..b", "x" * 64 + ".example", "☃", "", "h" * 300, "a b", "-lead.example"]
LISTENER = "PLAINTEXT"


def _valid(host: str, port: int) -> bool:
    from kraft.shell.apis.checks import valid_endpoint

    return valid_endpoint(host, port)


def through_wire(api_key: int, version: int, body: Any, *, response: bool) -> Any:
    spec = API_SPECS[api_key]
    cls = spec.response_cls if response else spec.request_cls
    return decode(cls, encode(body, version), version)


def fetch_answer(version: int = 17, **partition: Any) -> Any:
    """A Fetch answer from leader 2 in epoch 5, with `partition` fields overridden."""
    r = fe.FetchResponse
    p = r.FetchableTopicResponse.PartitionData
    fields: dict[str, Any] = {
        "partition_index": 0,
        "high_watermark": 3,
        "current_leader": p.LeaderIdAndEpoch(leader_id=2, leader_epoch=5),
    }
    node_endpoints = partition.pop("node_endpoints", [])
    error_code = partition.pop("top_error_code", 0)
    fields.update(partition)
    body = r(
        error_code=error_code,
        responses=[r.FetchableTopicResponse(topic_id=METADATA_TOPIC_ID, partitions=[p(**fields)])],
        node_endpoints=node_endpoints,
    )
    return through_wire(FETCH, version, body, response=True)


def to_core(body: Any, api_key: int = FETCH, version: int = 17) -> rpc.Response:
    return apis.response_to_core(api_key, version, body)


def recrc(batch: bytes) -> bytes:
    """The batch with its CRC32C recomputed (for header fields inside the CRC)."""
    return batch[:17] + struct.pack(">I", crc32c(batch[21:])) + batch[21:]


def with_last_offset_delta(batch: bytes, delta: int) -> bytes:
    return recrc(batch[:23] + struct.pack(">i", delta) + batch[27:])


GOOD = build_data_batch(10, 5, 1000, [b"a", b"b"])


# ----------------------------------------------------------------------- record batches
@pytest.mark.parametrize(
    "batch",
    [
        pytest.param(with_base_offset(GOOD, -5), id="negative-base-offset"),
        pytest.param(with_base_offset(GOOD, INT64_MAX), id="last-offset-beyond-int64"),
        pytest.param(with_last_offset_delta(GOOD, -1), id="negative-last-offset-delta"),
        pytest.param(with_last_offset_delta(GOOD, 5), id="delta-disagrees-with-count"),
        pytest.param(with_partition_leader_epoch(GOOD, INT32_MAX), id="epoch-int32-max"),
        pytest.param(with_partition_leader_epoch(GOOD, -1), id="no-leader-epoch"),
    ],
)
def test_nonsense_batch_headers_with_a_valid_crc_are_a_decode_error(batch: bytes) -> None:
    with pytest.raises(DecodeError):
        apis.fetch.scan_records(batch)
    with pytest.raises(DecodeError):
        to_core(fetch_answer(records=batch))


def test_a_good_batch_still_scans() -> None:
    records = apis.fetch.scan_records(GOOD)
    assert records is not None and records.base_offset == 10 and records.end_offset == 12


# --------------------------------------------------------------------------- error codes
@pytest.mark.parametrize("code", [-32768, 32767, 11, -2])
def test_unknown_error_codes_become_unknown_server_error(code: int) -> None:
    top = to_core(through_wire(FETCH, 17, fe.FetchResponse(error_code=code), response=True))
    assert top.error_code is ErrorCode.UNKNOWN_SERVER_ERROR
    part = to_core(fetch_answer(error_code=code))
    assert part.error_code is ErrorCode.NONE
    assert part.partition_error_code is ErrorCode.UNKNOWN_SERVER_ERROR
    for api_key, cls in ((VOTE, vo.VoteResponse), (BEGIN, bqe.BeginQuorumEpochResponse)):
        answer = to_core(through_wire(api_key, 1, cls(error_code=code), response=True), api_key, 1)
        assert answer.error_code is ErrorCode.UNKNOWN_SERVER_ERROR
    snapshot = to_core(
        through_wire(SNAPSHOT, 1, fs.FetchSnapshotResponse(error_code=code), response=True), 59, 1
    )
    assert snapshot.error_code is ErrorCode.UNKNOWN_SERVER_ERROR


# ------------------------------------------------------------------------------- epochs
def test_epoch_max_is_int32_max_minus_one() -> None:
    from kraft.election import EPOCH_MAX

    # An epoch must be incrementable (the next election) and still fit the int32 fields.
    assert EPOCH_MAX == LARGEST_EPOCH


@pytest.mark.parametrize("epoch", [INT32_MAX])
def test_an_epoch_that_cannot_be_incremented_fails_every_answer(epoch: int) -> None:
    p = fe.FetchResponse.FetchableTopicResponse.PartitionData
    with pytest.raises(DecodeError):
        to_core(fetch_answer(current_leader=p.LeaderIdAndEpoch(leader_id=2, leader_epoch=epoch)))
    with pytest.raises(DecodeError):
        to_core(fetch_answer(diverging_epoch=p.EpochEndOffset(epoch=epoch, end_offset=4)))
    with pytest.raises(DecodeError):
        to_core(fetch_answer(snapshot_id=p.SnapshotId(end_offset=4, epoch=epoch)))
    for api_key, module, name in (
        (VOTE, vo, "VoteResponse"),
        (BEGIN, bqe, "BeginQuorumEpochResponse"),
        (END, eqe, "EndQuorumEpochResponse"),
    ):
        response = rpc.VoteResponse(ErrorCode.NONE, leader_id=2, leader_epoch=epoch)
        if api_key == BEGIN:
            response = rpc.BeginQuorumEpochResponse(ErrorCode.NONE, leader_id=2, leader_epoch=epoch)  # type: ignore[assignment]
        if api_key == END:
            response = rpc.EndQuorumEpochResponse(ErrorCode.NONE, leader_id=2, leader_epoch=epoch)  # type: ignore[assignment]
        body = apis.response_to_wire(api_key, 1, response, b"", listener_name=LISTENER)
        assert type(body).__name__ == name and module
        with pytest.raises(DecodeError):
            to_core(through_wire(api_key, 1, body, response=True), api_key, 1)
    snapshot = rpc.FetchSnapshotResponse(
        ErrorCode.NONE,
        snapshot_id=OffsetAndEpoch(10, 3),
        current_leader=LeaderAndEpoch(2, epoch),
        size=10,
        data=b"x",
    )
    body = apis.response_to_wire(SNAPSHOT, 1, snapshot, b"", listener_name=LISTENER)
    with pytest.raises(DecodeError):
        to_core(through_wire(SNAPSHOT, 1, body, response=True), SNAPSHOT, 1)


def test_epoch_max_itself_is_accepted() -> None:
    p = fe.FetchResponse.FetchableTopicResponse.PartitionData
    answer = to_core(
        fetch_answer(current_leader=p.LeaderIdAndEpoch(leader_id=2, leader_epoch=LARGEST_EPOCH))
    )
    assert answer.current_leader == LeaderAndEpoch(2, LARGEST_EPOCH)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("end_offset", "epoch"), [(-5, 3), (4, -7), (-1, INT32_MAX)], ids=["offset", "epoch", "both"]
)
def test_negative_diverging_epoch_or_snapshot_id_fails_the_answer(
    end_offset: int, epoch: int
) -> None:
    p = fe.FetchResponse.FetchableTopicResponse.PartitionData
    with pytest.raises(DecodeError):
        to_core(fetch_answer(diverging_epoch=p.EpochEndOffset(epoch=epoch, end_offset=end_offset)))
    with pytest.raises(DecodeError):
        to_core(fetch_answer(snapshot_id=p.SnapshotId(end_offset=end_offset, epoch=epoch)))


# ---------------------------------------------------------------------------- endpoints
@pytest.mark.parametrize("host", BAD_HOSTS)
def test_hosts_that_cannot_be_resolved_are_invalid(host: str) -> None:
    assert not _valid(host, 9092)


@pytest.mark.parametrize("port", [-1, 0, 65536, INT32_MAX])
def test_ports_outside_the_tcp_range_are_invalid(port: int) -> None:
    assert not _valid("localhost", port)


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "::1", "kafka-1.example.com", "bücher.example", "h"]
)
def test_ordinary_hosts_are_valid(host: str) -> None:
    assert _valid(host, 9092)


@pytest.mark.parametrize(("host", "port"), [*((h, 9092) for h in BAD_HOSTS), ("h", 70000)])
def test_bad_node_endpoints_fail_the_fetch_answer(host: str, port: int) -> None:
    endpoints = [fe.FetchResponse.NodeEndpoint(node_id=3, host=host, port=port)]
    with pytest.raises(DecodeError):
        to_core(fetch_answer(node_endpoints=endpoints))


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_bad_node_endpoints_fail_vote_and_epoch_answers(host: str) -> None:
    for api_key in (VOTE, BEGIN, END, SNAPSHOT):
        response: Any = {
            52: rpc.VoteResponse,
            53: rpc.BeginQuorumEpochResponse,
            54: rpc.EndQuorumEpochResponse,
            59: rpc.FetchSnapshotResponse,
        }[api_key](ErrorCode.NONE, node_endpoints={3: Endpoint(host, 9092)})
        body = apis.response_to_wire(api_key, 1, response, b"", listener_name=LISTENER)
        with pytest.raises(DecodeError):
            to_core(through_wire(api_key, 1, body, response=True), api_key, 1)


# ------------------------------------------------------------------------- FetchSnapshot
def test_fetch_snapshot_answer_is_read_by_its_index_field() -> None:
    response = rpc.FetchSnapshotResponse(
        error_code=ErrorCode.NONE,
        snapshot_id=OffsetAndEpoch(10, 3),
        current_leader=LeaderAndEpoch(2, 4),
        size=100,
        position=40,
        data=b"chunk",
        node_endpoints={2: Endpoint("h", 9092)},
    )
    body = apis.response_to_wire(SNAPSHOT, 1, response, b"", listener_name=LISTENER)
    assert to_core(through_wire(SNAPSHOT, 1, body, response=True), SNAPSHOT, 1) == response


@pytest.mark.parametrize(
    "fields",
    [
        {"position": -1},
        {"size": -1},
        {"snapshot_id": OffsetAndEpoch(-1, 3)},
        {"snapshot_id": OffsetAndEpoch(10, INT32_MAX)},
    ],
)
def test_fetch_snapshot_answer_with_nonsense_fields_fails(fields: dict[str, Any]) -> None:
    base: dict[str, Any] = {
        "snapshot_id": OffsetAndEpoch(10, 3),
        "current_leader": LeaderAndEpoch(2, 4),
        "size": 100,
        "position": 40,
        "data": b"chunk",
    }
    response = rpc.FetchSnapshotResponse(ErrorCode.NONE, **{**base, **fields})
    body = apis.response_to_wire(SNAPSHOT, 1, response, b"", listener_name=LISTENER)
    with pytest.raises(DecodeError):
        to_core(through_wire(SNAPSHOT, 1, body, response=True), SNAPSHOT, 1)


# ------------------------------------------------------------------------ inbound requests
def _vote(epoch: int) -> Any:
    v = vo.VoteRequest
    part = v.TopicData.PartitionData(
        partition_index=0, replica_epoch=epoch, replica_id=2, last_offset_epoch=1, last_offset=3
    )
    return v(
        cluster_id=None,
        voter_id=1,
        topics=[v.TopicData(topic_name="__cluster_metadata", partitions=[part])],
    )


def _begin(epoch: int, host: str = "h", port: int = 9092) -> Any:
    b = bqe.BeginQuorumEpochRequest
    part = b.TopicData.PartitionData(partition_index=0, leader_id=2, leader_epoch=epoch)
    return b(
        voter_id=1,
        topics=[b.TopicData(topic_name="__cluster_metadata", partitions=[part])],
        leader_endpoints=[b.LeaderEndpoint(name=LISTENER, host=host, port=port)],
    )


def _end(epoch: int, host: str = "h", port: int = 9092) -> Any:
    e = eqe.EndQuorumEpochRequest
    part = e.TopicData.PartitionData(partition_index=0, leader_id=2, leader_epoch=epoch)
    return e(
        topics=[e.TopicData(topic_name="__cluster_metadata", partitions=[part])],
        leader_endpoints=[e.LeaderEndpoint(name=LISTENER, host=host, port=port)],
    )


def _fetch(epoch: int) -> Any:
    r = fe.FetchRequest
    part = r.FetchTopic.FetchPartition(
        partition=0, current_leader_epoch=epoch, fetch_offset=3, last_fetched_epoch=1
    )
    return r(
        replica_state=r.ReplicaState(replica_id=2),
        topics=[r.FetchTopic(topic_id=METADATA_TOPIC_ID, partitions=[part])],
    )


REQUEST_BUILDERS = {52: _vote, 53: _begin, 54: _end, 1: _fetch}
REQUEST_VERSIONS = {52: 2, 53: 1, 54: 1, 1: 17}


@pytest.mark.parametrize("api_key", sorted(REQUEST_BUILDERS))
def test_requests_with_an_epoch_at_the_int32_limit_are_invalid(api_key: int) -> None:
    version = REQUEST_VERSIONS[api_key]
    good = REQUEST_BUILDERS[api_key](LARGEST_EPOCH)
    bad = REQUEST_BUILDERS[api_key](INT32_MAX)
    ok = apis.request_to_core(
        api_key, version, through_wire(api_key, version, good, response=False)
    )
    assert ok.topic_partition_valid
    flagged = apis.request_to_core(
        api_key, version, through_wire(api_key, version, bad, response=False)
    )
    assert not flagged.topic_partition_valid


@pytest.mark.parametrize("api_key", [BEGIN, END])
@pytest.mark.parametrize(("host", "port"), [*((h, 9092) for h in BAD_HOSTS), ("h", 0)])
def test_leader_endpoints_that_cannot_be_used_make_the_request_invalid(
    api_key: int, host: str, port: int
) -> None:
    body = REQUEST_BUILDERS[api_key](5, host, port)
    flagged = apis.request_to_core(api_key, 1, through_wire(api_key, 1, body, response=False))
    assert not flagged.topic_partition_valid
