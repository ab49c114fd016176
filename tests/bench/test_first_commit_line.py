"""The failover figure's end point, read from both implementations' leader logs alike."""

from __future__ import annotations

import datetime

from bench.servers import leader_first_commit_ms

KAFKA_LINES = """\
[2026-12-03 19:24:18,016] INFO [RaftManager id=1] High watermark set to Optional[LogOffsetMetadata(offset=1, metadata=Optional.empty)] for the first time for epoch 1 (org.apache.kafka.raft.FollowerState)
[2026-12-03 19:24:21,936] INFO [RaftManager id=1] High watermark set to LogOffsetMetadata(offset=9144, metadata=Optional[(segmentBaseOffset=0,relativePositionInSegment=2432080)]) for the first time for epoch 2 based on indexOfHw 1 and voters [] (org.apache.kafka.raft.LeaderState)
"""  # noqa: E501
PYKRAFT_LINES = """\
2026-12-03 19:30:05,963 INFO kraft.server: role leader, epoch 2, leader 2
2026-12-03 19:30:05,984 INFO kraft.server: High watermark set to 10673 for the first time for epoch 2 as leader
2026-12-03 19:30:11,316 INFO kraft.server: High watermark set to 26955 for the first time for epoch 3 as leader
"""  # noqa: E501


def local_ms(text: str) -> int:
    return int(datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").timestamp() * 1000)


def test_kafka_leader_line_counts_and_its_follower_line_does_not() -> None:
    assert leader_first_commit_ms(KAFKA_LINES, 0) == (2, local_ms("2026-12-03 19:24:21.936"))
    assert leader_first_commit_ms(KAFKA_LINES, 2) is None


def test_pykraft_leader_line_after_the_old_epoch() -> None:
    assert leader_first_commit_ms(PYKRAFT_LINES, 1) == (2, local_ms("2026-12-03 19:30:05.984"))
    assert leader_first_commit_ms(PYKRAFT_LINES, 2) == (3, local_ms("2026-12-03 19:30:11.316"))
    assert leader_first_commit_ms("", 0) is None
