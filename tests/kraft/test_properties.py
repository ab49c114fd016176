"""Role x event properties: whatever a peer sends, in whatever order, the core answers with values
and never raises; epochs never go back; every request gets at most one answer."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kraft.ready import OutboundResponse
from kraft.rpc import (
    BeginQuorumEpochRequest,
    BeginQuorumEpochResponse,
    DescribeQuorumRequest,
    EndQuorumEpochRequest,
    FetchRequest,
    FetchResponse,
    FetchSnapshotRequest,
    FetchSnapshotResponse,
    VoteRequest,
    VoteResponse,
)
from kraft.types import LeaderAndEpoch, OffsetAndEpoch, ReplicaKey
from tests.kraft.harness import make_records
from tests.kraft.helpers import Driver
from wire.errors import ErrorCode

ids = st.integers(-2, 4)
epochs = st.integers(-1, 4)
offsets = st.integers(-1, 6)
errors = st.sampled_from(
    [
        ErrorCode.NONE,
        ErrorCode.FENCED_LEADER_EPOCH,
        ErrorCode.UNKNOWN_LEADER_EPOCH,
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        ErrorCode.BROKER_NOT_AVAILABLE,
        ErrorCode.INVALID_REQUEST,
    ]
)

requests = st.one_of(
    st.builds(
        VoteRequest,
        cluster_id=st.sampled_from([None, "x"]),
        topic_partition_valid=st.booleans(),
        candidate_key=st.builds(ReplicaKey, ids),
        candidate_epoch=epochs,
        last_offset_epoch=epochs,
        last_offset=offsets,
        pre_vote=st.booleans(),
    ),
    st.builds(
        BeginQuorumEpochRequest,
        cluster_id=st.none(),
        topic_partition_valid=st.booleans(),
        leader_id=ids,
        leader_epoch=epochs,
    ),
    st.builds(
        EndQuorumEpochRequest,
        cluster_id=st.none(),
        topic_partition_valid=st.booleans(),
        leader_id=ids,
        leader_epoch=epochs,
        preferred_candidates=st.lists(st.builds(ReplicaKey, ids), max_size=3).map(tuple),
    ),
    st.builds(
        FetchRequest,
        cluster_id=st.none(),
        topic_partition_valid=st.booleans(),
        replica_id=ids,
        max_wait_ms=st.integers(-1, 600),
        fetch_offset=offsets,
        last_fetched_epoch=epochs,
        current_leader_epoch=epochs,
        max_bytes=st.integers(0, 1000),
        high_watermark=st.none() | offsets,
    ),
    st.builds(DescribeQuorumRequest, topic_partition_valid=st.booleans()),
)

leaders = st.builds(LeaderAndEpoch, st.none() | ids, st.integers(0, 4))
responses = st.one_of(
    st.builds(
        VoteResponse,
        error_code=st.sampled_from([ErrorCode.NONE, ErrorCode.INCONSISTENT_CLUSTER_ID]),
        partition_error_code=errors,
        leader_id=st.none() | ids,
        leader_epoch=st.none() | epochs,
        vote_granted=st.booleans(),
    ),
    st.builds(
        BeginQuorumEpochResponse,
        error_code=st.just(ErrorCode.NONE),
        partition_error_code=errors,
        leader_id=st.none() | ids,
        leader_epoch=st.none() | epochs,
    ),
    st.builds(
        FetchResponse,
        error_code=st.just(ErrorCode.NONE),
        partition_error_code=errors,
        high_watermark=st.none() | offsets,
        current_leader=st.none() | leaders,
        diverging_epoch=st.none() | st.builds(OffsetAndEpoch, st.integers(0, 6), st.integers(0, 4)),
        records=st.none()
        | st.builds(
            make_records,
            st.integers(0, 6),
            st.integers(0, 4),
            st.lists(st.binary(max_size=3), min_size=1, max_size=2),
        ),
    ),
)

snapshot_responses = st.builds(
    FetchSnapshotResponse,
    error_code=st.just(ErrorCode.NONE),
    partition_error_code=st.sampled_from(
        [ErrorCode.NONE, ErrorCode.SNAPSHOT_NOT_FOUND, ErrorCode.POSITION_OUT_OF_RANGE]
    ),
    snapshot_id=st.none() | st.builds(OffsetAndEpoch, st.integers(0, 6), st.integers(0, 4)),
    current_leader=st.none() | leaders,
    size=st.integers(0, 8),
    position=st.integers(0, 8),
    data=st.binary(max_size=4),
)
responses = responses | snapshot_responses

actions = st.lists(
    st.one_of(
        st.tuples(st.just("request"), requests),
        st.tuples(st.just("response"), st.lists(responses, min_size=1, max_size=6)),
        st.tuples(st.just("time"), st.integers(0, 1500)),
        st.tuples(st.just("propose"), st.just(b"v")),
        st.tuples(st.just("resign"), st.integers(0, 4)),
        st.tuples(st.just("shutdown"), st.none()),
    ),
    max_size=40,
)


def _answers(request: object, response: object) -> bool:
    pairs = {
        VoteRequest: VoteResponse,
        BeginQuorumEpochRequest: BeginQuorumEpochResponse,
        FetchRequest: FetchResponse,
        FetchSnapshotRequest: FetchSnapshotResponse,
    }
    return isinstance(response, pairs.get(type(request), type(None)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    local_id=st.sampled_from([1, None, 7]),
    voters=st.sampled_from([(1, 2, 3), (1,), (1, 2)]),
    actions=actions,
)
def test_any_event_sequence_is_handled(
    local_id: int | None, voters: tuple[int, ...], actions: list[tuple[str, object]]
) -> None:
    # A sole voter 1 leads at once, so leader paths (propose, serve, resign) get their share.
    driver = Driver(local_id=local_id, voters=voters)
    answered: set[int] = set()
    last_epoch = driver.node.epoch
    for kind, payload in actions:
        if kind == "request":
            ready, _ = driver.request(payload)  # type: ignore[arg-type]
        elif kind == "response":
            outstanding = driver.sent()
            if not outstanding:
                continue
            # Answer a recent request, with a response of the matching kind when there is one.
            target = outstanding[-1 - (len(payload) % min(3, len(outstanding)))]  # type: ignore[arg-type]
            matching = [r for r in payload if _answers(target.request, r)]  # type: ignore[attr-defined]
            response = matching[0] if matching else payload[0]  # type: ignore[index]
            ready = driver.respond(target.request_id, response)
        elif kind == "time":
            ready = driver.advance(payload)  # type: ignore[arg-type]
        elif kind == "resign":
            ready = driver.ack(driver.node.resign(payload, driver.now_ms))  # type: ignore[arg-type]
        elif kind == "shutdown":
            ready = driver.ack(driver.node.shutdown(driver.now_ms))
        else:
            driver.node.propose([payload], driver.now_ms)  # type: ignore[list-item]
            continue
        for message in ready.messages():
            if isinstance(message, OutboundResponse):
                assert message.inbound_id not in answered
                answered.add(message.inbound_id)
        assert driver.node.epoch >= last_epoch
        last_epoch = driver.node.epoch
        if local_id is None:
            assert driver.node.role.value in ("unattached", "follower")
