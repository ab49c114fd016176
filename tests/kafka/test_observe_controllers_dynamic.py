"""The tests of `test_observe_controllers.py` against a dynamic Kafka controller quorum
(`--initial-controllers`, kraft.version 1, found through `controller.quorum.bootstrap.servers`),
and a tail started before such a quorum has even elected a leader.

A file of its own (the tests are imported, the `quorum` fixture here is the dynamic flavour) so
that `--dist loadfile` runs the static and the dynamic quorum on two workers at once: together in
one file they were the suite's longest pole (about a third of one worker's time).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from kraft.shell.client.observer import EARLIEST
from tests.kafka import test_observe_controllers as static
from tests.kafka.controllers import KafkaControllerQuorum

pytestmark = pytest.mark.slow

# Control record types (the key's second int16).
LEADER_CHANGE, KRAFT_VERSION, KRAFT_VOTERS = 2, 5, 6


# Collected here a second time, with the dynamic `quorum` below, in their file's order (the last
# one kills a controller).
test_tail_from_beginning_starts_with_snapshot_and_matches_dump_log = (
    static.test_tail_from_beginning_starts_with_snapshot_and_matches_dump_log
)
test_tail_from_end_sees_new_topics_only = static.test_tail_from_end_sees_new_topics_only
test_tail_is_never_an_observer_and_describe_quorum_matches = (
    static.test_tail_is_never_an_observer_and_describe_quorum_matches
)
test_kraft_tail_command_until_high_watermark = static.test_kraft_tail_command_until_high_watermark
test_tail_follows_a_new_leader_after_kill_9 = static.test_tail_follows_a_new_leader_after_kill_9


@pytest.fixture(scope="module")
def quorum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaControllerQuorum]:
    yield from static.start_quorum(tmp_path_factory.mktemp("kafka-dynamic"), dynamic=True)


def test_tail_started_before_a_dynamic_quorum_reads_its_first_control_batch(
    tmp_path: Path,
) -> None:
    """Tail from offset 0 before the first snapshot: it reads offset 0 itself, the control batch
    mixing LeaderChange, KRaftVersion and Voters (kraft.version 1), byte for byte as stored."""
    quorum = KafkaControllerQuorum(
        tmp_path, dynamic=True, with_broker=False, frequent_snapshots=False
    )
    try:
        quorum.start_controllers()
        with static.Tailer(quorum.bootstrap_controllers, EARLIEST) as tailer:
            quorum.wait_for_leader(240)
            tailer.wait_until(static.quorum_high_watermark(quorum))
        tailer.check_contiguous()
        first = tailer.raw[0]
        assert first.base_offset == 0 and first.is_control
        types = [struct.unpack(">hh", r.key)[1] for r in first.records() if r.key is not None]
        assert types == [LEADER_CHANGE, KRAFT_VERSION, KRAFT_VOTERS]
        static.check_against_leader_files(quorum, tailer)
    finally:
        quorum.close()
    assert not quorum.fatal()
