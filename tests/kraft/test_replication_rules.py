"""One test per replication rule: Fetch validation, divergence, high watermark, long-poll."""

from __future__ import annotations

import uuid

import pytest

from kraft.config import QuorumConfig
from kraft.log import LogState, LogView
from kraft.quorum import LeaderState
from kraft.ready import LogAppend, LogTruncate, OutboundResponse
from kraft.roles import RoleName
from kraft.rpc import FetchRequest, FetchResponse, LogRead
from kraft.types import ElectionState, Endpoint, LeaderAndEpoch, OffsetAndEpoch
from tests.kraft.harness import MemLog, make_records
from tests.kraft.helpers import Driver, fetch
from tests.kraft.test_vote_rules import become_leader
from wire.errors import ErrorCode

# A log with epochs 1 at [0, 4), 3 at [4, 10).
LOG = LogState(0, 10, ((1, 0), (3, 4)))


# ----------------------------------------------------------------------------- log view
def test_end_offset_for_epoch_uses_the_largest_known_epoch_not_above() -> None:
    log = LogView(LOG)
    assert log.end_offset_for_epoch(1) == OffsetAndEpoch(4, 1)
    assert log.end_offset_for_epoch(2) == OffsetAndEpoch(4, 1)
    assert log.end_offset_for_epoch(3) == OffsetAndEpoch(10, 3)
    assert log.end_offset_for_epoch(9) == OffsetAndEpoch(10, 3)
    assert log.last_batch_epoch == 3


@pytest.mark.parametrize(
    ("diverging", "target"),
    [
        (OffsetAndEpoch(2, 1), 2),  # leader's epoch 1 ended earlier
        (OffsetAndEpoch(6, 3), 6),  # same epoch, leader has less of it
        (OffsetAndEpoch(7, 2), 4),  # we never had epoch 2: end of our epoch 1
        (OffsetAndEpoch(3, 0), 3),  # epoch 0: just the offset
    ],
)
def test_truncation_target_for_a_diverging_epoch(diverging: OffsetAndEpoch, target: int) -> None:
    assert LogView(LOG).truncate_to_end_offset_of(diverging) == target


def test_truncation_drops_epochs_that_start_at_or_after_the_new_end() -> None:
    log = LogView(LOG)
    log.truncate_to(4)
    assert log.epoch_history == [(1, 0)] and log.end_offset == 4 and log.flushed_end_offset == 4


@pytest.mark.parametrize(
    ("offset", "epoch", "diverging"),
    [
        (0, 0, None),  # empty follower, log starts at 0
        (4, 1, None),  # exact end of epoch 1
        (10, 3, None),  # caught up
        (6, 3, None),  # inside epoch 3
        (6, 1, OffsetAndEpoch(4, 1)),  # claims epoch 1 reached 6: diverged at 4
        (12, 3, OffsetAndEpoch(10, 3)),  # beyond our end
        (5, 2, OffsetAndEpoch(4, 1)),  # an epoch we never had
    ],
)
def test_fetch_position_validation(
    offset: int, epoch: int, diverging: OffsetAndEpoch | None
) -> None:
    from kraft.handlers.fetch import validate_fetch_position

    position = validate_fetch_position(LogView(LOG), offset, epoch)
    assert position.diverging_epoch == diverging
    assert position.snapshot_id is None


def test_fetch_below_log_start_answers_the_snapshot_id() -> None:
    from kraft.handlers.fetch import validate_fetch_position

    log = LogView(LogState(5, 10, ((3, 5),), OffsetAndEpoch(5, 2)))
    assert validate_fetch_position(log, 0, 0).snapshot_id == OffsetAndEpoch(5, 2)
    assert validate_fetch_position(log, 3, 1).snapshot_id == OffsetAndEpoch(5, 2)
    assert validate_fetch_position(log, 5, 2).valid


# ----------------------------------------------------------------------------- high watermark
def leader_state(voters: tuple[int, ...] = (1, 2, 3), epoch_start: int = 10) -> LeaderState:
    config = QuorumConfig(voters={v: Endpoint("h", v) for v in voters})
    return LeaderState.start(1, 2, epoch_start, config, frozenset({1, 2}), 0)


def test_hw_is_the_majority_end_offset_and_only_past_the_epoch_start() -> None:
    leader = leader_state()
    assert not leader.update_local_end_offset(11, 0)
    # Voter 2 at the epoch start: the LeaderChange batch is not on a majority yet.
    assert not leader.update_replica(2, None, 10, 11, 0)
    assert leader.high_watermark is None
    assert leader.update_replica(2, None, 11, 11, 0)
    assert leader.high_watermark == 11


def test_hw_never_moves_backwards() -> None:
    leader = leader_state()
    leader.update_local_end_offset(20, 0)
    leader.update_replica(2, None, 18, 20, 0)
    assert leader.high_watermark == 18
    leader.update_replica(2, None, 12, 20, 0)  # lost unflushed data, say
    assert leader.high_watermark == 18


def test_observers_and_idless_fetchers_never_move_the_hw() -> None:
    leader = leader_state()
    leader.update_local_end_offset(20, 0)
    assert not leader.update_replica(7, uuid.UUID(int=7), 20, 20, 0)
    assert not leader.update_replica(-1, None, 20, 20, 0)
    assert leader.high_watermark is None
    voters, observers = leader.describe(0)
    assert [o.replica_id for o in observers] == [7]
    assert [v.replica_id for v in voters] == [1, 2, 3]


def test_a_fetch_claiming_the_leaders_own_id_is_not_tracked() -> None:
    leader = leader_state()
    leader.update_local_end_offset(11, 0)
    assert not leader.update_replica(1, None, 99, 11, 0)
    assert leader.voter_states[1].end_offset == 11


def test_hw_before_epoch_commit_switch_drops_the_epoch_start_rule() -> None:
    from kraft.config import InjectedBug

    config = QuorumConfig(
        voters={1: None, 2: None, 3: None},
        injected_bugs=frozenset({InjectedBug.HW_BEFORE_EPOCH_COMMIT}),
    )
    leader = LeaderState.start(1, 2, 10, config, frozenset({1, 2}), 0)
    leader.update_local_end_offset(11, 0)
    leader.update_replica(2, None, 5, 11, 0)
    assert leader.high_watermark == 5


def test_leader_counts_its_own_log_only_once_flushed() -> None:
    driver = Driver(local_id=1, voters=(1,))
    assert driver.node.role is RoleName.LEADER
    assert driver.node.high_watermark == 1
    result = driver.node.propose([b"a"], driver.now_ms)
    ready = driver.node.poll(result.poll_by_ms)
    driver.now_ms = result.poll_by_ms
    assert ready.flush and isinstance(ready.log_ops[0], LogAppend)
    driver.ack(ready, flush=False)  # appended but not yet durable
    assert driver.node.high_watermark == 1
    from kraft.events import Persisted

    moved = driver.node.handle(Persisted(2), driver.now_ms)
    assert moved.high_watermark == 2 and driver.node.high_watermark == 2


# ----------------------------------------------------------------------------- leader Fetch
def leader_with_data() -> Driver:
    driver = Driver(local_id=1)
    become_leader(driver)  # epoch 1, LeaderChange at offset 0
    driver.node.propose([b"a", b"b"], driver.now_ms)
    driver.advance(25)
    assert driver.node.log_end_offset == 3
    return driver


def test_leader_fetch_errors_by_epoch() -> None:
    driver = leader_with_data()
    assert driver.answer(fetch(2, 0, 0, 0)).partition_error_code is ErrorCode.FENCED_LEADER_EPOCH  # type: ignore[union-attr]
    assert driver.answer(fetch(2, 2, 0, 0)).partition_error_code is ErrorCode.UNKNOWN_LEADER_EPOCH  # type: ignore[union-attr]
    bad = driver.answer(fetch(2, 1, 0, 2))  # last fetched epoch above the leader epoch
    assert bad.partition_error_code is ErrorCode.INVALID_REQUEST  # type: ignore[union-attr]


def test_leader_serves_uncommitted_data_with_a_log_read_and_moves_the_hw() -> None:
    driver = leader_with_data()
    response = driver.answer(fetch(2, 1, 0, 0))
    assert isinstance(response, FetchResponse)
    assert response.records == LogRead(0, 1 << 20, 3)
    assert response.high_watermark is None  # nobody else has the epoch start yet
    response = driver.answer(fetch(2, 1, 3, 1))
    assert response.high_watermark == 3  # type: ignore[union-attr]


def test_leader_answers_a_diverging_epoch() -> None:
    driver = leader_with_data()
    response = driver.answer(fetch(2, 1, 5, 0))
    assert response.diverging_epoch == OffsetAndEpoch(0, 0)  # type: ignore[union-attr]
    assert response.records is None  # type: ignore[union-attr]


def test_long_poll_parks_until_data_or_max_wait() -> None:
    driver = leader_with_data()
    driver.answer(fetch(2, 1, 3, 1))  # voter 2 caught up
    ready, inbound_id = driver.request(fetch(2, 1, 3, 1, max_wait_ms=500, high_watermark=3))
    assert not any(isinstance(m, OutboundResponse) for m in ready.messages())
    # New data completes it (after the append is applied).
    driver.node.propose([b"c"], driver.now_ms)
    ready = driver.advance(25)
    # It leaves after the append is applied but before the leader's own fsync.
    answered = [m for m in ready.send_after_append if isinstance(m, OutboundResponse)]
    assert [m.inbound_id for m in answered] == [inbound_id]
    assert answered[0].response.records == LogRead(3, 1 << 20, 4)  # type: ignore[union-attr]
    # An idle long-poll expires empty.
    ready, inbound_id = driver.request(fetch(3, 1, 4, 1, max_wait_ms=500))
    ready = driver.advance(499)
    assert not any(isinstance(m, OutboundResponse) for m in ready.send_now)
    ready = driver.advance(1)
    done = [m for m in ready.send_now if isinstance(m, OutboundResponse)]
    assert [m.inbound_id for m in done] == [inbound_id] and done[0].response.records is None  # type: ignore[union-attr]


def test_leader_keeps_no_state_for_idless_fetchers_but_lists_observers_with_an_id() -> None:
    driver = leader_with_data()
    driver.answer(fetch(-1, 1, 3, 1))
    driver.answer(fetch(9, 1, 3, 1))
    description = driver.node.describe_quorum(driver.now_ms)
    assert [o.replica_id for o in description.observers] == [9]
    assert description.observers[0].log_end_offset == 3
    assert [v.replica_id for v in description.voters] == [1, 2, 3]
    assert description.leader_id == 1 and description.leader_epoch == 1


# ----------------------------------------------------------------------------- follower side
def follower(log: LogState = LOG, epoch: int = 4, **overrides: object) -> Driver:
    stored = ElectionState(epoch, leader_id=2, voters=frozenset({1, 2, 3}))
    driver = Driver(local_id=1, stored=stored, log=log, **overrides)  # type: ignore[arg-type]
    assert driver.node.role is RoleName.FOLLOWER
    return driver


def test_follower_fetches_from_its_log_end_with_its_last_epoch() -> None:
    driver = follower()
    request = driver.sent(FetchRequest)[-1]
    assert request.destination.node_id == 2
    assert (request.request.fetch_offset, request.request.last_fetched_epoch) == (10, 3)  # type: ignore[union-attr]
    assert request.request.replica_id == 1  # type: ignore[union-attr]


def test_follower_truncates_on_a_diverging_epoch_then_refetches() -> None:
    driver = follower()
    request_id = driver.sent(FetchRequest)[-1].request_id
    driver.clear()
    ready = driver.respond(
        request_id,
        FetchResponse(
            ErrorCode.NONE,
            high_watermark=3,
            current_leader=LeaderAndEpoch(2, 4),
            diverging_epoch=OffsetAndEpoch(6, 3),
        ),
    )
    assert ready.log_ops == [LogTruncate(6)]
    nxt = driver.sent(FetchRequest)[-1].request
    assert (nxt.fetch_offset, nxt.last_fetched_epoch) == (6, 3)  # type: ignore[union-attr]
    assert driver.node.high_watermark == 3


def test_a_diverging_end_offset_inside_a_batch_truncates_to_that_batchs_base() -> None:
    # Disks (and Kafka) cut whole batches: the core must truncate to the base of the batch holding
    # the diverging end offset, or its view and the disk disagree and the next append fails.
    driver = follower(log=LogState())
    mem = MemLog()
    answers = [
        FetchResponse(
            ErrorCode.NONE,
            high_watermark=0,
            current_leader=LeaderAndEpoch(2, 4),
            records=make_records(0, 3, [b"a", b"b", b"c"]),
        ),
        FetchResponse(
            ErrorCode.NONE,
            high_watermark=0,
            current_leader=LeaderAndEpoch(2, 4),
            records=make_records(3, 3, [b"d", b"e", b"f"]),
        ),
        # End offset 4 lies inside the uncommitted batch [3, 6).
        FetchResponse(
            ErrorCode.NONE,
            high_watermark=0,
            current_leader=LeaderAndEpoch(2, 4),
            diverging_epoch=OffsetAndEpoch(4, 3),
        ),
    ]
    ops = []
    for answer in answers:
        ready = driver.respond(driver.sent(FetchRequest)[-1].request_id, answer)
        ops.extend(ready.log_ops)
    assert ops[-1] == LogTruncate(3)
    nxt = driver.sent(FetchRequest)[-1]
    assert (nxt.request.fetch_offset, nxt.request.last_fetched_epoch) == (3, 3)  # type: ignore[union-attr]
    ready = driver.respond(
        nxt.request_id,
        FetchResponse(
            ErrorCode.NONE,
            high_watermark=0,
            current_leader=LeaderAndEpoch(2, 4),
            records=make_records(3, 4, [b"x"]),
        ),
    )
    ops.extend(ready.log_ops)
    for op in ops:  # the harness log cuts whole batches too and checks every append continues
        mem.apply(op)
    assert mem.end_offset == driver.node.log_end_offset == 4


def test_skip_truncation_switch_ignores_divergence() -> None:
    from kraft.config import InjectedBug

    driver = follower(injected_bugs=frozenset({InjectedBug.SKIP_TRUNCATION}))
    request_id = driver.sent(FetchRequest)[-1].request_id
    ready = driver.respond(
        request_id,
        FetchResponse(
            ErrorCode.NONE,
            current_leader=LeaderAndEpoch(2, 4),
            diverging_epoch=OffsetAndEpoch(6, 3),
        ),
    )
    assert ready.log_ops == [] and driver.node.log_end_offset == 10


def test_follower_appends_flushes_before_next_fetch_and_caps_hw_at_its_log_end() -> None:
    driver = follower()
    request_id = driver.sent(FetchRequest)[-1].request_id
    driver.clear()
    ready = driver.respond(
        request_id,
        FetchResponse(
            ErrorCode.NONE,
            high_watermark=50,
            current_leader=LeaderAndEpoch(2, 4),
            records=make_records(10, 4, [b"x", b"y"]),
        ),
    )
    assert isinstance(ready.log_ops[0], LogAppend) and ready.flush
    fetches = [
        m for m in ready.send_after_persist if isinstance(getattr(m, "request", None), FetchRequest)
    ]
    assert len(fetches) == 1 and not ready.send_now
    assert driver.node.high_watermark == 12


def test_follower_hw_never_goes_backwards() -> None:
    driver = follower()
    for hw in (8, 5):
        request_id = driver.sent(FetchRequest)[-1].request_id
        driver.respond(
            request_id,
            FetchResponse(ErrorCode.NONE, high_watermark=hw, current_leader=LeaderAndEpoch(2, 4)),
        )
    assert driver.node.high_watermark == 8


def test_fetch_timeout_starts_an_election_for_voters() -> None:
    driver = follower()
    driver.advance(2_000)
    assert driver.node.role is RoleName.PROSPECTIVE


def test_fenced_fetch_response_moves_to_the_new_leader() -> None:
    driver = follower()
    request_id = driver.sent(FetchRequest)[-1].request_id
    driver.respond(
        request_id,
        FetchResponse(
            ErrorCode.NONE,
            partition_error_code=ErrorCode.FENCED_LEADER_EPOCH,
            current_leader=LeaderAndEpoch(3, 6),
        ),
    )
    assert driver.node.role is RoleName.FOLLOWER
    assert (driver.node.leader_id, driver.node.epoch) == (3, 6)
    assert driver.stored.leader_id == 3 and driver.stored.epoch == 6


def test_consumer_fetch_never_reads_above_the_hw_and_keeps_no_state() -> None:
    driver = leader_with_data()  # log end 3, HW unknown yet
    node = driver.node
    assert node.consumer_fetch(0, None, 100).records is None
    driver.answer(fetch(2, 1, 1, 1))  # voter 2 has the LeaderChange batch: HW 1
    assert node.high_watermark == 1
    result = node.consumer_fetch(0, -1, 100)
    assert result.error is ErrorCode.NONE and result.records == LogRead(0, 100, 1)
    assert node.consumer_fetch(2, None, 100).records is None  # between HW and log end: empty
    assert node.consumer_fetch(4, None, 100).error is ErrorCode.OFFSET_OUT_OF_RANGE
    assert node.consumer_fetch(0, 0, 100).error is ErrorCode.FENCED_LEADER_EPOCH
    assert node.describe_quorum(driver.now_ms).observers == ()


def test_consumer_fetch_on_a_follower_points_at_the_leader() -> None:
    result = follower().node.consumer_fetch(0, None, 100)
    assert result.error is ErrorCode.NOT_LEADER_OR_FOLLOWER
    assert result.leader == LeaderAndEpoch(2, 4)


# ----------------------------------------------------------------------------- snapshots
def test_log_start_moves_to_a_snapshot_and_the_epoch_cache_follows() -> None:
    log = LogView(LOG)
    log.add_snapshot(OffsetAndEpoch(6, 3), 6)
    assert log.log_start_offset == 6 and log.epoch_history == [(3, 6)]
    assert log.latest_snapshot_id == OffsetAndEpoch(6, 3)


def _downloading_follower() -> tuple[Driver, int]:
    from kraft.rpc import FetchSnapshotRequest

    driver = follower()
    request_id = driver.sent(FetchRequest)[-1].request_id
    driver.respond(
        request_id,
        FetchResponse(
            ErrorCode.NONE, current_leader=LeaderAndEpoch(2, 4), snapshot_id=OffsetAndEpoch(20, 4)
        ),
    )
    requests = driver.sent(FetchSnapshotRequest)
    assert requests and requests[-1].request.position == 0  # type: ignore[union-attr]
    return driver, requests[-1].request_id


def test_snapshot_download_writes_chunks_then_installs() -> None:
    from kraft.ready import SnapshotChunk, SnapshotInstall
    from kraft.rpc import FetchSnapshotRequest, FetchSnapshotResponse

    driver, request_id = _downloading_follower()
    leader = LeaderAndEpoch(2, 4)
    ready = driver.respond(
        request_id,
        FetchSnapshotResponse(
            ErrorCode.NONE,
            snapshot_id=OffsetAndEpoch(20, 4),
            current_leader=leader,
            size=5,
            position=0,
            data=b"abc",
        ),
    )
    assert ready.log_ops == [SnapshotChunk(OffsetAndEpoch(20, 4), 0, b"abc")]
    nxt = driver.sent(FetchSnapshotRequest)[-1]
    assert nxt.request.position == 3  # type: ignore[union-attr]
    ready = driver.respond(
        nxt.request_id,
        FetchSnapshotResponse(
            ErrorCode.NONE,
            snapshot_id=OffsetAndEpoch(20, 4),
            current_leader=leader,
            size=5,
            position=3,
            data=b"de",
        ),
    )
    assert ready.log_ops[-1] == SnapshotInstall(OffsetAndEpoch(20, 4))
    assert driver.node.log_end_offset == 20 and driver.node.high_watermark == 20
    after = driver.sent(FetchRequest)[-1].request
    assert (after.fetch_offset, after.last_fetched_epoch) == (20, 4)  # type: ignore[union-attr]


@pytest.mark.parametrize("position", [0, 2])
def test_snapshot_download_aborts_on_mismatch_or_missing_snapshot(position: int) -> None:
    from kraft.ready import SnapshotAbort
    from kraft.rpc import FetchSnapshotResponse

    driver, request_id = _downloading_follower()
    leader = LeaderAndEpoch(2, 4)
    if position == 0:
        response = FetchSnapshotResponse(
            ErrorCode.NONE, partition_error_code=ErrorCode.SNAPSHOT_NOT_FOUND, current_leader=leader
        )
    else:  # an answer for a position we did not ask for
        response = FetchSnapshotResponse(
            ErrorCode.NONE,
            snapshot_id=OffsetAndEpoch(20, 4),
            current_leader=leader,
            size=5,
            position=2,
            data=b"x",
        )
    ready = driver.respond(request_id, response)
    assert ready.log_ops == [SnapshotAbort(OffsetAndEpoch(20, 4))]
    assert driver.sent(FetchRequest)[-1].request.fetch_offset == 10  # type: ignore[union-attr]


def test_observer_appends_without_fsync_and_fetches_again_at_once() -> None:
    stored = ElectionState(4, leader_id=2, voters=frozenset({1, 2, 3}))
    driver = Driver(local_id=None, stored=stored, log=LOG)
    request_id = driver.sent(FetchRequest)[-1].request_id
    assert driver.sent(FetchRequest)[-1].request.replica_id == -1  # type: ignore[union-attr]
    ready = driver.respond(
        request_id,
        FetchResponse(
            ErrorCode.NONE, current_leader=LeaderAndEpoch(2, 4), records=make_records(10, 4, [b"z"])
        ),
    )
    assert isinstance(ready.log_ops[0], LogAppend) and not ready.flush
    assert any(isinstance(getattr(m, "request", None), FetchRequest) for m in ready.send_now)


def test_observers_with_an_id_are_forgotten_after_the_session_timeout() -> None:
    leader = leader_state()
    leader.update_replica(7, None, 0, 11, 0)
    assert [o.replica_id for o in leader.describe(299_999)[1]] == [7]
    assert leader.describe(300_000)[1] == ()


def test_a_timed_out_fetch_is_sent_again_after_the_retry_backoff() -> None:
    driver = follower(request_timeout_ms=1_000)
    first = driver.sent(FetchRequest)[-1]
    driver.advance(999)
    assert driver.sent(FetchRequest)[-1].request_id == first.request_id
    driver.advance(1)  # request_timeout_ms: forgotten, destination backs off 20 ms
    assert driver.sent(FetchRequest)[-1].request_id == first.request_id
    driver.advance(20)
    again = driver.sent(FetchRequest)[-1]
    assert again.request_id != first.request_id and again.destination == first.destination
    # A late answer to the forgotten request is ignored.
    late = driver.respond(
        first.request_id,
        FetchResponse(
            ErrorCode.NONE,
            current_leader=LeaderAndEpoch(2, 4),
            records=make_records(10, 4, [b"late"]),
        ),
    )
    assert late.log_ops == []


def test_a_closed_connection_drops_its_parked_fetch() -> None:
    from kraft.events import ConnectionClosed

    driver = leader_with_data()
    driver.answer(fetch(2, 1, 3, 1))
    _, inbound_id = driver.request(fetch(2, 1, 3, 1, max_wait_ms=500, high_watermark=3))
    driver.ack(driver.node.handle(ConnectionClosed(frozenset({inbound_id})), driver.now_ms))
    driver.clear()
    driver.advance(600)
    answered = [m for r in driver.readies for m in r.messages() if isinstance(m, OutboundResponse)]
    assert answered == []


def test_resign_of_another_epoch_is_ignored() -> None:
    driver = leader_with_data()
    driver.ack(driver.node.resign(driver.node.epoch + 1, driver.now_ms))
    assert driver.node.role is RoleName.LEADER
    driver.ack(driver.node.resign(driver.node.epoch, driver.now_ms))
    assert driver.node.role is RoleName.RESIGNED


def test_consumer_view_is_the_cores_log_and_never_loses_the_hw() -> None:
    """One view for consumers, owned by the core: its log facts are the ones raft Fetch is
    answered from, and a new leader (no HW in its epoch yet) keeps serving what it committed."""
    driver = leader_with_data()
    node = driver.node
    driver.answer(fetch(2, 1, 1, 1))  # HW 1
    driver.ack(node.resign(node.epoch, driver.now_ms))
    driver.advance(2_000)  # Resigned -> Unattached at epoch 2
    driver.clear()
    become_leader(driver)  # epoch 3: LeaderChange at offset 3, HW unknown in this epoch
    assert node.high_watermark is None
    view = node.consumer_view()
    assert view.leader == LeaderAndEpoch(1, 3) and view.is_leader
    assert view.high_watermark == 1 and view.committed_offset == 1
    assert (view.log_start_offset, view.log_end_offset) == (0, node.log_end_offset) == (0, 4)
    assert view.epoch_history == node.log_epoch_history == ((1, 0), (3, 3))
    assert node.consumer_fetch(0, 3, 100).records == LogRead(0, 100, 1)
