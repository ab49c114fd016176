"""Any request value, at any version, gets an answer that encodes at that version (no exception).

Hypothesis draws the fields clients control (topics, partitions, offsets, epochs, timestamps,
byte limits, sessions, endpoint types) over their whole int ranges, against a leader and a
follower view; every answer must be encodable by `wire` at the request's version.
"""

from __future__ import annotations

import dataclasses
import uuid

import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wire
from kraft.shell.consumer import dispatch, plan_fetch
from tests.consumer.fakes import FakePort
from wire.messages.describe_cluster import DescribeClusterRequest
from wire.messages.fetch import FetchRequest
from wire.messages.list_offsets import ListOffsetsRequest
from wire.messages.metadata import MetadataRequest
from wire.messages.offset_for_leader_epoch import OffsetForLeaderEpochRequest
from wire.messages.produce import ProduceRequest

int8 = st.integers(-(2**7), 2**7 - 1)
int16 = st.integers(-(2**15), 2**15 - 1)
int32 = st.integers(-(2**31), 2**31 - 1)
int64 = st.integers(-(2**63), 2**63 - 1)
small = st.integers(-3, 12)
names = st.sampled_from(["__cluster_metadata", "other", ""])
ids = st.sampled_from([uuid.UUID(int=1), uuid.UUID(int=0), uuid.UUID(int=5)])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def make_port(is_leader: bool) -> FakePort:
    port = FakePort()
    port.append_leader_change(3)
    port.append_data(3, [b"a", b"b"])
    port.append_data(3, [b"c"])
    port.sync(high_watermark=3)
    if not is_leader:
        port.set(is_leader=False, leader_id=2)
    return port


def run(coro_fn: object) -> None:
    trio.run(coro_fn)  # type: ignore[arg-type]


fetch_partitions = st.builds(
    FetchRequest.FetchTopic.FetchPartition,
    partition=small,
    current_leader_epoch=st.one_of(small, int32),
    fetch_offset=st.one_of(small, int64),
    last_fetched_epoch=small,
    log_start_offset=int64,
    partition_max_bytes=int32,
)
fetch_requests = st.builds(
    FetchRequest,
    max_wait_ms=st.integers(-5, 5),
    min_bytes=int32,
    max_bytes=int32,
    isolation_level=st.integers(0, 1),
    session_id=st.sampled_from([0, 0, 0, 7, -1]),
    session_epoch=st.sampled_from([-1, 0, 1, -5]),
    topics=st.lists(
        st.builds(
            FetchRequest.FetchTopic,
            topic=names,
            topic_id=ids,
            partitions=st.lists(fetch_partitions, max_size=3),
        ),
        max_size=3,
    ),
)


@SETTINGS
@given(request=fetch_requests, version=st.integers(4, 18), leader=st.booleans())
def test_fetch(request: FetchRequest, version: int, leader: bool) -> None:
    async def main() -> None:
        port = make_port(leader)
        plan = await plan_fetch(request, version, port.view(), port)
        wire.encode(plan.response, version)

    run(main)


list_offsets_requests = st.builds(
    ListOffsetsRequest,
    replica_id=int32,
    isolation_level=int8,
    topics=st.lists(
        st.builds(
            ListOffsetsRequest.ListOffsetsTopic,
            name=names,
            partitions=st.lists(
                st.builds(
                    ListOffsetsRequest.ListOffsetsTopic.ListOffsetsPartition,
                    partition_index=small,
                    current_leader_epoch=small,
                    timestamp=st.one_of(st.integers(-8, 3), int64),
                ),
                max_size=3,
            ),
        ),
        max_size=2,
    ),
)

offset_for_leader_epoch_requests = st.builds(
    OffsetForLeaderEpochRequest,
    replica_id=int32,
    topics=st.lists(
        st.builds(
            OffsetForLeaderEpochRequest.OffsetForLeaderTopic,
            topic=names,
            partitions=st.lists(
                st.builds(
                    OffsetForLeaderEpochRequest.OffsetForLeaderTopic.OffsetForLeaderPartition,
                    partition=small,
                    current_leader_epoch=small,
                    leader_epoch=st.one_of(small, int32),
                ),
                max_size=3,
            ),
        ),
        max_size=2,
    ),
)

metadata_requests = st.builds(
    MetadataRequest,
    topics=st.one_of(
        st.none(),
        st.lists(
            st.builds(
                MetadataRequest.MetadataRequestTopic,
                topic_id=ids,
                name=st.one_of(st.none(), names),
            ),
            max_size=3,
        ),
    ),
)

produce_requests = st.builds(
    ProduceRequest,
    acks=st.sampled_from([0, 1, -1, 5]),
    timeout_ms=int32,
    topic_data=st.lists(
        st.builds(
            ProduceRequest.TopicProduceData,
            name=names,
            topic_id=ids,
            partition_data=st.lists(
                st.builds(ProduceRequest.TopicProduceData.PartitionProduceData, index=small),
                max_size=2,
            ),
        ),
        max_size=2,
    ),
)


@SETTINGS
@given(
    choice=st.one_of(
        st.tuples(st.just(2), list_offsets_requests, st.integers(1, 11)),
        st.tuples(st.just(23), offset_for_leader_epoch_requests, st.integers(2, 4)),
        st.tuples(st.just(3), metadata_requests, st.integers(0, 13)),
        st.tuples(st.just(0), produce_requests, st.integers(3, 13)),
        st.tuples(
            st.just(60),
            st.builds(DescribeClusterRequest, endpoint_type=int8),
            st.integers(0, 2),
        ),
    ),
    leader=st.booleans(),
)
def test_other_apis(choice: tuple[int, object, int], leader: bool) -> None:
    api_key, request, version = choice
    if isinstance(request, MetadataRequest) and version == 0 and request.topics is None:
        request = dataclasses.replace(request, topics=[])  # v0 has no null list

    async def main() -> None:
        port = make_port(leader)
        response = await dispatch(api_key, version, request, port)  # type: ignore[arg-type]
        if response is not None:
            wire.encode(response, version)

    run(main)
