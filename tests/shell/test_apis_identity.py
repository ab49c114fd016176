"""The replicated topic is a parameter of translation (the Kafka test server mode), and requests
written at any negotiated version keep what the core said."""

from __future__ import annotations

import dataclasses

import pytest

from kraft import rpc
from kraft.shell import apis, negotiation
from kraft.shell.identity import KAFKA_TEST_SERVER_LOG, METADATA_LOG
from kraft.types import LeaderAndEpoch
from tests.shell.test_apis import LISTENER, REQUESTS, VOTE, through_wire
from wire.errors import ErrorCode
from wire.registry import API_SPECS


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: type(r).__name__)
def test_requests_of_the_test_server_topic_are_not_the_metadata_topic(
    request_: rpc.Request,
) -> None:
    api_key, version, body = apis.request_to_wire(
        request_, listener_name=LISTENER, topic=KAFKA_TEST_SERVER_LOG
    )
    sent = through_wire(api_key, version, body, response=False)
    assert apis.request_to_core(api_key, version, sent, KAFKA_TEST_SERVER_LOG) == request_
    other = apis.request_to_core(api_key, version, sent, METADATA_LOG)
    assert not other.topic_partition_valid


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: type(r).__name__)
def test_every_negotiable_version_carries_the_request(request_: rpc.Request) -> None:
    api_key = negotiation.request_api_key(request_)
    spec = API_SPECS[api_key]
    floor = max(spec.min_version, negotiation.request_floor(request_))
    for version in range(floor, spec.max_version + 1):
        _, sent_version, body = apis.request_to_wire(
            request_, listener_name=LISTENER, version=version
        )
        assert sent_version == version
        back = apis.request_to_core(
            api_key, version, through_wire(api_key, version, body, response=False)
        )
        # Older versions lack some fields (directory ids, endpoints, voter keys, cluster id
        # below Fetch v12); what they carry must survive, the rest is dropped, never invented.
        assert type(back) is type(request_)
        for field in dataclasses.fields(request_):  # type: ignore[arg-type]
            mine, theirs = getattr(request_, field.name), getattr(back, field.name)
            assert theirs in (mine, None) or field.name in ("leader_endpoint", "voter_key"), (
                version,
                field.name,
                mine,
                theirs,
            )
        if isinstance(request_, rpc.FetchRequest):
            assert back.replica_id == request_.replica_id, version  # type: ignore[union-attr]
        if isinstance(request_, rpc.EndQuorumEpochRequest):
            assert back.preferred_candidates == request_.preferred_candidates  # type: ignore[union-attr]


def test_answers_name_the_node_topic() -> None:
    response = rpc.VoteResponse(
        error_code=ErrorCode.NONE, leader_id=1, leader_epoch=3, vote_granted=True
    )
    body = apis.response_to_wire(
        52, 2, response, b"", listener_name=LISTENER, topic=KAFKA_TEST_SERVER_LOG
    )
    assert body.topics[0].topic_name == "__raft_performance_test"
    back = apis.response_to_core(VOTE, 2, body, topic=KAFKA_TEST_SERVER_LOG)
    assert back == response
    wrong = apis.response_to_core(VOTE, 2, body, topic=METADATA_LOG)
    assert wrong.error_code is ErrorCode.INVALID_REQUEST
    fetch = rpc.FetchResponse(
        error_code=ErrorCode.NONE, high_watermark=4, current_leader=LeaderAndEpoch(1, 3)
    )
    body = apis.response_to_wire(
        1, 18, fetch, b"", listener_name=LISTENER, topic=KAFKA_TEST_SERVER_LOG
    )
    assert body.responses[0].topic_id == KAFKA_TEST_SERVER_LOG.topic_id
