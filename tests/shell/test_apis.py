"""`kraft.shell.apis`: core values survive the wire both ways; -1 sentinels; versions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from kraft import rpc
from kraft.shell import apis
from kraft.types import Endpoint, LeaderAndEpoch, OffsetAndEpoch, ReplicaKey
from wire import decode, encode
from wire.errors import DecodeError, ErrorCode
from wire.messages import begin_quorum_epoch as bqe
from wire.messages import describe_quorum as dq
from wire.messages import end_quorum_epoch as eqe
from wire.messages import fetch_snapshot as fs
from wire.messages import vote as vo
from wire.messages.fetch import FetchRequest
from wire.records import build_data_batch
from wire.registry import API_SPECS, METADATA_TOPIC_ID

LISTENER = "CONTROLLER"
FETCH = FetchRequest.API_KEY
VOTE = vo.VoteRequest.API_KEY
BEGIN = bqe.BeginQuorumEpochRequest.API_KEY
END = eqe.EndQuorumEpochRequest.API_KEY
DESCRIBE = dq.DescribeQuorumRequest.API_KEY
SNAPSHOT = fs.FetchSnapshotRequest.API_KEY


def through_wire(api_key: int, version: int, body: Any, *, response: bool) -> Any:
    spec = API_SPECS[api_key]
    cls = spec.response_cls if response else spec.request_cls
    return decode(cls, encode(body, version), version)


REQUESTS: list[rpc.Request] = [
    rpc.VoteRequest(
        cluster_id="c",
        topic_partition_valid=True,
        candidate_key=ReplicaKey(2),
        candidate_epoch=5,
        last_offset_epoch=4,
        last_offset=100,
        pre_vote=True,
        voter_key=ReplicaKey(3, uuid.UUID(int=9)),
    ),
    rpc.BeginQuorumEpochRequest(
        cluster_id="c",
        topic_partition_valid=True,
        leader_id=1,
        leader_epoch=5,
        leader_endpoint=Endpoint("h", 9092),
        voter_key=ReplicaKey(3),
    ),
    rpc.EndQuorumEpochRequest(
        cluster_id=None,
        topic_partition_valid=True,
        leader_id=1,
        leader_epoch=5,
        preferred_candidates=(ReplicaKey(3), ReplicaKey(2)),
        leader_endpoint=Endpoint("h", 9092),
    ),
    rpc.FetchRequest(
        cluster_id="c",
        topic_partition_valid=True,
        replica_id=2,
        max_wait_ms=500,
        fetch_offset=77,
        last_fetched_epoch=4,
        current_leader_epoch=5,
        max_bytes=8 << 20,
    ),
    rpc.DescribeQuorumRequest(topic_partition_valid=True),
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: type(r).__name__)
def test_requests_roundtrip(request_: rpc.Request) -> None:
    api_key, version, body = apis.request_to_wire(request_, listener_name=LISTENER)
    back = apis.request_to_core(
        api_key, version, through_wire(api_key, version, body, response=False)
    )
    assert back == request_


def test_fetch_request_below_v13_is_addressed_by_name() -> None:

    topic = FetchRequest.FetchTopic(
        topic="__cluster_metadata",
        partitions=[FetchRequest.FetchTopic.FetchPartition(partition=0, fetch_offset=3)],
    )
    core = apis.request_to_core(FETCH, 12, FetchRequest(replica_id=1, topics=[topic]))
    assert isinstance(core, rpc.FetchRequest)
    assert core.topic_partition_valid and core.fetch_offset == 3 and core.replica_id == 1
    other = FetchRequest.FetchTopic(topic_id=uuid.UUID(int=2), partitions=topic.partitions)
    assert not apis.request_to_core(FETCH, 13, FetchRequest(topics=[other])).topic_partition_valid  # type: ignore[union-attr]


def test_wrong_topic_is_flagged_not_raised() -> None:
    from wire.messages.vote import VoteRequest

    body = VoteRequest(topics=[VoteRequest.TopicData(topic_name="other", partitions=[])])
    core = apis.request_to_core(VOTE, 2, body)
    assert isinstance(core, rpc.VoteRequest) and not core.topic_partition_valid


def test_fetch_response_roundtrip_with_records() -> None:
    data = build_data_batch(10, 5, 1000, [b"a", b"b"]) + build_data_batch(12, 5, 1000, [b"c"])
    response = rpc.FetchResponse(
        error_code=ErrorCode.NONE,
        high_watermark=11,
        log_start_offset=0,
        current_leader=LeaderAndEpoch(1, 5),
        records=rpc.LogRead(10, 1 << 20, 13),
        node_endpoints={1: Endpoint("h", 9092)},
    )
    body = apis.response_to_wire(FETCH, 17, response, data, listener_name=LISTENER)
    assert body.responses[0].topic_id == METADATA_TOPIC_ID
    back = apis.response_to_core(FETCH, 17, through_wire(FETCH, 17, body, response=True))
    assert isinstance(back, rpc.FetchResponse)
    assert back.high_watermark == 11 and back.current_leader == LeaderAndEpoch(1, 5)
    assert back.diverging_epoch is None and back.snapshot_id is None
    assert back.records is not None and back.records.data == data  # type: ignore[union-attr]
    assert [b.base_offset for b in back.records.batches] == [10, 12]  # type: ignore[union-attr]
    assert back.node_endpoints == {1: Endpoint("h", 9092)}


def test_fetch_response_drops_trailing_partial_batch_and_rejects_bad_crc() -> None:
    whole = build_data_batch(0, 1, 1000, [b"x"])
    records = apis.fetch.scan_records(whole + whole[:20])
    assert records is not None and records.data == whole
    corrupt = bytearray(whole)
    corrupt[-1] ^= 1
    with pytest.raises(DecodeError):
        apis.fetch.scan_records(bytes(corrupt))
    assert apis.fetch.scan_records(b"") is None


def test_fetch_error_v13_plus_has_no_partitions() -> None:
    response = rpc.FetchResponse(error_code=ErrorCode.INCONSISTENT_CLUSTER_ID)
    body = apis.response_to_wire(FETCH, 17, response, b"", listener_name=LISTENER)
    assert body.error_code == ErrorCode.INCONSISTENT_CLUSTER_ID and body.responses == []
    back = apis.response_to_core(FETCH, 17, through_wire(FETCH, 17, body, response=True))
    assert back.error_code == ErrorCode.INCONSISTENT_CLUSTER_ID


def test_diverging_epoch_roundtrip() -> None:
    response = rpc.FetchResponse(
        error_code=ErrorCode.NONE,
        high_watermark=None,
        current_leader=LeaderAndEpoch(2, 7),
        diverging_epoch=OffsetAndEpoch(40, 6),
    )
    body = apis.response_to_wire(FETCH, 17, response, b"", listener_name=LISTENER)
    assert body.responses[0].partitions[0].high_watermark == -1
    back = apis.response_to_core(FETCH, 17, through_wire(FETCH, 17, body, response=True))
    assert isinstance(back, rpc.FetchResponse)
    assert back.diverging_epoch == OffsetAndEpoch(40, 6) and back.high_watermark is None


@pytest.mark.parametrize("version", [0, 1, 2])
def test_vote_response_roundtrip(version: int) -> None:
    response = rpc.VoteResponse(
        error_code=ErrorCode.NONE,
        partition_error_code=ErrorCode.FENCED_LEADER_EPOCH,
        leader_id=None,
        leader_epoch=9,
        vote_granted=False,
        node_endpoints={2: Endpoint("h", 1)} if version >= 1 else {},
    )
    body = apis.response_to_wire(VOTE, version, response, b"", listener_name=LISTENER)
    assert body.topics[0].partitions[0].leader_id == -1
    assert (
        apis.response_to_core(VOTE, version, through_wire(VOTE, version, body, response=True))
        == response
    )


@pytest.mark.parametrize("api_key", [BEGIN, END])
@pytest.mark.parametrize("version", [0, 1])
def test_quorum_epoch_responses_roundtrip(api_key: int, version: int) -> None:
    cls = rpc.BeginQuorumEpochResponse if api_key == BEGIN else rpc.EndQuorumEpochResponse
    response = cls(error_code=ErrorCode.NONE, leader_id=3, leader_epoch=4)
    body = apis.response_to_wire(api_key, version, response, b"", listener_name=LISTENER)
    assert (
        apis.response_to_core(api_key, version, through_wire(api_key, version, body, response=True))
        == response
    )


def test_describe_quorum_response_v2_nodes() -> None:
    response = rpc.DescribeQuorumResponse(
        error_code=ErrorCode.NONE,
        leader_id=1,
        leader_epoch=2,
        high_watermark=None,
        voters=(
            rpc.ReplicaDescription(1, None, 10, 5, 5),
            rpc.ReplicaDescription(2, None, None, None, None),
        ),
        nodes={1: Endpoint("h", 9092)},
    )
    body = apis.response_to_wire(DESCRIBE, 2, response, b"", listener_name=LISTENER)
    decoded = through_wire(DESCRIBE, 2, body, response=True)
    partition = decoded.topics[0].partitions[0]
    assert partition.high_watermark == -1
    assert [v.log_end_offset for v in partition.current_voters] == [10, -1]
    assert decoded.nodes[0].listeners[0].name == LISTENER


def test_describe_quorum_answer_roundtrip_client_side() -> None:
    response = rpc.DescribeQuorumResponse(
        error_code=ErrorCode.NONE,
        leader_id=1,
        leader_epoch=2,
        high_watermark=40,
        voters=(rpc.ReplicaDescription(1, None, 41, 5, 5),),
        observers=(rpc.ReplicaDescription(4, None, None, None, None),),
        nodes={1: Endpoint("h", 9092)},
    )
    body = apis.response_to_wire(DESCRIBE, 2, response, b"", listener_name=LISTENER)
    wire_body = through_wire(DESCRIBE, 2, body, response=True)
    assert apis.response_to_core(DESCRIBE, 2, wire_body) == response
