"""`kraft describe-quorum`'s figures and text, as kafka-metadata-quorum computes and prints them
(tests/kafka/test_kafka_tools.py compares both tools on a live quorum)."""

from __future__ import annotations

import argparse
import uuid

import pytest

from kraft.cli.describe_quorum import print_text
from kraft.shell.client.describe import summarize
from wire.messages.describe_quorum import DescribeQuorumResponse

P = DescribeQuorumResponse.TopicData.PartitionData
R = P.ReplicaState


def response(
    leader_id: int, voters: list[R], observers: list[R] | None = None
) -> DescribeQuorumResponse:
    node = DescribeQuorumResponse.Node
    return DescribeQuorumResponse(
        topics=[
            DescribeQuorumResponse.TopicData(
                topic_name="__cluster_metadata",
                partitions=[
                    P(
                        leader_id=leader_id,
                        leader_epoch=7,
                        high_watermark=95,
                        current_voters=voters,
                        observers=list(observers or []),
                    )
                ],
            )
        ],
        nodes=[
            node(node_id=v.replica_id, listeners=[node.Listener("CONTROLLER", "h", 9000 + i)])
            for i, v in enumerate(voters)
        ],
    )


def state(node_id: int, leo: int, caught_up_ms: int, fetch_ms: int | None = None) -> R:
    return R(
        replica_id=node_id,
        log_end_offset=leo,
        last_fetch_timestamp=caught_up_ms if fetch_ms is None else fetch_ms,
        last_caught_up_timestamp=caught_up_ms,
    )


def test_max_follower_lag_by_kafkas_rule() -> None:
    # All caught up, the leader listed second: Kafka takes the *first* voter with the smallest
    # log end offset (voter 1), so the lag time is 2000 - 1900, not 2000 - min(others).
    result = summarize(
        response(2, [state(1, 100, 1900), state(2, 100, 2000), state(3, 100, 1500)]), 2
    )
    assert (result["max_follower_lag"], result["max_follower_lag_time_ms"]) == (0, 100)
    # The leader first and nobody behind: the furthest voter is the leader, 0 ms.
    result = summarize(response(1, [state(1, 100, 2000), state(2, 100, 1500)]), 2)
    assert (result["max_follower_lag"], result["max_follower_lag_time_ms"]) == (0, 0)
    # A voter behind: its lag and the leader's caught-up time minus its own.
    result = summarize(
        response(1, [state(1, 100, 2000), state(2, 90, 1200), state(3, 80, 1700)]), 2
    )
    assert (result["max_follower_lag"], result["max_follower_lag_time_ms"]) == (20, 300)
    # An unknown caught-up time (-1, e.g. never fetched) gives -1.
    result = summarize(response(1, [state(1, 100, 2000), state(2, 0, -1)]), 2)
    assert (result["max_follower_lag"], result["max_follower_lag_time_ms"]) == (100, -1)


def test_replication_text_is_kafkas(capsys: pytest.CaptureFixture[str]) -> None:
    directory = uuid.UUID(int=0x6FCB514BB8784C9D95B78DDD0FCE7CD8)
    observer = R(
        replica_id=42,
        replica_directory_id=directory,
        log_end_offset=95,
        last_fetch_timestamp=-1,
        last_caught_up_timestamp=-1,
    )
    result = summarize(
        response(3, [state(1, 100, 1000), state(2, 97, 990), state(3, 100, 1001)], [observer]), 2
    )
    result["cluster_id"] = "AAAAAAAAAAAAAAAAAAAAAA"
    args = argparse.Namespace(replication=True, human_readable=False)
    print_text(result, args)
    assert capsys.readouterr().out.splitlines() == [
        "NodeId\tDirectoryId           \tLogEndOffset\tLag\tLastFetchTimestamp\t"
        "LastCaughtUpTimestamp\tStatus  \t",
        "3     \tAAAAAAAAAAAAAAAAAAAAAA\t100         \t0  \t1001              \t"
        "1001                 \tLeader  \t",
        "1     \tAAAAAAAAAAAAAAAAAAAAAA\t100         \t0  \t1000              \t"
        "1000                 \tFollower\t",
        "2     \tAAAAAAAAAAAAAAAAAAAAAA\t97          \t3  \t990               \t"
        "990                  \tFollower\t",
        "42    \tb8tRS7h4TJ2Vt43dD8582A\t95          \t5  \t-1                \t"
        "-1                   \tObserver\t",
    ]
    print_text(result, argparse.Namespace(replication=False, human_readable=False))
    assert capsys.readouterr().out.splitlines() == [
        "ClusterId:              AAAAAAAAAAAAAAAAAAAAAA",
        "LeaderId:               3",
        "LeaderEpoch:            7",
        "HighWatermark:          95",
        "MaxFollowerLag:         3",
        "MaxFollowerLagTimeMs:   11",
        'CurrentVoters:          [{"id": 1, "endpoints": ["CONTROLLER://h:9000"]}, '
        '{"id": 2, "endpoints": ["CONTROLLER://h:9001"]}, '
        '{"id": 3, "endpoints": ["CONTROLLER://h:9002"]}]',
        'CurrentObservers:       [{"id": 42, "directoryId": "b8tRS7h4TJ2Vt43dD8582A"}]',
    ]
