"""One test per voting rule (RAFT-BRIEF §2.5)."""

from __future__ import annotations

import pytest

from kraft.log import LogState
from kraft.roles import RoleName
from kraft.rpc import VoteRequest, VoteResponse
from kraft.types import ElectionState
from tests.kraft.helpers import Driver, dir_id, vote
from wire.errors import ErrorCode


def granted(response: object) -> bool:
    assert isinstance(response, VoteResponse)
    assert response.error_code is ErrorCode.NONE
    return response.vote_granted


def become_leader(driver: Driver) -> None:
    """Drive a 3-voter node through pre-vote and vote to leadership."""
    driver.advance(2_000)  # election timeout (1000..2000) -> prospective
    assert driver.node.role is RoleName.PROSPECTIVE
    pre = [m for m in driver.sent(VoteRequest) if m.request.pre_vote]
    driver.respond(
        pre[0].request_id,
        VoteResponse(ErrorCode.NONE, leader_epoch=driver.node.epoch, vote_granted=True),
    )
    assert driver.node.role is RoleName.CANDIDATE
    real = [m for m in driver.sent(VoteRequest) if not m.request.pre_vote]
    driver.respond(
        real[0].request_id,
        VoteResponse(ErrorCode.NONE, leader_epoch=driver.node.epoch, vote_granted=True),
    )
    assert driver.node.role is RoleName.LEADER


def test_standard_vote_granted_once_per_epoch_and_persisted_before_the_response() -> None:
    driver = Driver(local_id=1)
    ready, inbound_id = driver.request(vote(2, epoch=1))
    assert ready.election_state == ElectionState(
        1, voted_id=2, voted_directory_id=dir_id(2), voters=frozenset({1, 2, 3})
    )
    # The grant waits for the election state to be durable.
    assert [m.inbound_id for m in ready.send_after_persist] == [inbound_id]  # type: ignore[union-attr]
    assert not ready.send_now
    assert granted(ready.send_after_persist[0].response)  # type: ignore[union-attr]
    # A second candidate in the same epoch is refused; the first one may ask again.
    assert not granted(driver.answer(vote(3, epoch=1)))
    again, _ = driver.request(vote(2, epoch=1))
    assert again.election_state is None
    assert granted((again.messages())[0].response)  # type: ignore[union-attr]
    assert driver.node.role is RoleName.VOTED


@pytest.mark.parametrize(
    ("last_epoch", "last_offset", "expected"),
    [
        (1, 20, False),  # older last epoch loses even with a longer log
        (2, 9, False),  # same epoch, shorter log
        (2, 10, True),  # identical
        (3, 0, True),  # newer last epoch wins even with a shorter log
    ],
)
def test_log_up_to_dateness_compares_epoch_then_offset(
    last_epoch: int, last_offset: int, expected: bool
) -> None:
    log = LogState(0, 10, ((1, 0), (2, 4)))
    driver = Driver(local_id=1, stored=ElectionState(2, voters=frozenset({1, 2, 3})), log=log)
    assert (
        granted(driver.answer(vote(2, epoch=4, last_epoch=last_epoch, last_offset=last_offset)))
        is expected
    )
    # Even when refused, the higher epoch was adopted durably.
    assert driver.node.epoch == 4 and driver.stored.epoch == 4


def test_request_validation_errors() -> None:
    driver = Driver(local_id=1, stored=ElectionState(5, voters=frozenset({1, 2, 3})))
    fenced = driver.answer(vote(2, epoch=4))
    assert isinstance(fenced, VoteResponse)
    assert fenced.partition_error_code is ErrorCode.FENCED_LEADER_EPOCH
    assert fenced.leader_epoch == 5
    for bad_vote in (vote(2, epoch=6, last_epoch=7), vote(2, epoch=6, last_epoch=6)):
        bad = driver.answer(bad_vote)
        assert bad.partition_error_code is ErrorCode.INVALID_REQUEST  # type: ignore[union-attr]
    # A pre-vote carries the prospective's current epoch, which its log may hold.
    assert (
        driver.answer(vote(2, epoch=5, last_epoch=5, pre_vote=True)).partition_error_code
        is ErrorCode.NONE
    )  # type: ignore[union-attr]
    wrong_voter = driver.answer(vote(2, epoch=6, voter=3))
    assert wrong_voter.partition_error_code is ErrorCode.INVALID_VOTER_KEY  # type: ignore[union-attr]
    wrong_cluster = driver.answer(vote(2, epoch=6, cluster_id="other"))
    assert wrong_cluster.error_code is ErrorCode.INCONSISTENT_CLUSTER_ID  # type: ignore[union-attr]


def test_pre_vote_is_granted_without_persisting_a_vote() -> None:
    driver = Driver(local_id=1)
    ready, _ = driver.request(vote(2, epoch=0, pre_vote=True))
    assert granted((ready.messages())[0].response)  # type: ignore[union-attr]
    assert ready.election_state is None
    assert driver.node.role is RoleName.UNATTACHED
    # And a pre-vote does not use up the real vote.
    assert granted(driver.answer(vote(3, epoch=1)))


def test_follower_grants_pre_votes_only_before_fetching_and_never_standard_votes() -> None:
    stored = ElectionState(3, leader_id=2, voters=frozenset({1, 2, 3}))
    driver = Driver(local_id=1, stored=stored, log=LogState(0, 1, ((3, 0),)))
    assert driver.node.role is RoleName.FOLLOWER
    assert granted(driver.answer(vote(3, epoch=3, last_epoch=3, last_offset=1, pre_vote=True)))
    assert not granted(driver.answer(vote(3, epoch=3, last_epoch=3, last_offset=1)))
    # After a successful fetch from the leader, pre-votes are refused too.
    from kraft.rpc import FetchRequest, FetchResponse
    from kraft.types import LeaderAndEpoch

    fetches = driver.sent(FetchRequest)
    driver.respond(
        fetches[-1].request_id,
        FetchResponse(ErrorCode.NONE, high_watermark=1, current_leader=LeaderAndEpoch(2, 3)),
    )
    assert not granted(driver.answer(vote(3, epoch=3, last_epoch=3, last_offset=1, pre_vote=True)))


def test_leader_never_grants() -> None:
    driver = Driver(local_id=1)
    become_leader(driver)
    epoch = driver.node.epoch
    assert not granted(driver.answer(vote(2, epoch=epoch, last_epoch=epoch, last_offset=99)))
    assert not granted(
        driver.answer(vote(2, epoch=epoch, last_epoch=epoch, last_offset=99, pre_vote=True))
    )


@pytest.mark.parametrize("local_id", [None, 7])
def test_observers_never_grant(local_id: int | None) -> None:
    driver = Driver(local_id=local_id)
    assert not granted(driver.answer(vote(2, epoch=1)))
    assert not granted(driver.answer(vote(2, epoch=1, pre_vote=True)))
    assert driver.node.election_state.voted_id is None


def test_double_vote_switch_grants_a_second_vote() -> None:
    from kraft.config import InjectedBug

    driver = Driver(local_id=1, injected_bugs=frozenset({InjectedBug.DOUBLE_VOTE}))
    assert granted(driver.answer(vote(2, epoch=1)))
    assert granted(driver.answer(vote(3, epoch=1)))


def test_candidate_persists_its_own_vote_before_asking_for_votes() -> None:
    driver = Driver(local_id=1)
    driver.advance(2_000)
    pre = [m for m in driver.sent(VoteRequest) if m.request.pre_vote]
    assert {m.destination.node_id for m in pre} == {2, 3}
    driver.clear()
    ready = driver.respond(
        pre[0].request_id, VoteResponse(ErrorCode.NONE, leader_epoch=0, vote_granted=True)
    )
    assert ready.election_state is not None
    assert ready.election_state.epoch == 1 and ready.election_state.voted_id == 1
    requests = [
        m for m in ready.send_after_persist if isinstance(getattr(m, "request", None), VoteRequest)
    ]
    assert len(requests) == 2 and not ready.send_now
    assert all(m.request.candidate_epoch == 1 and not m.request.pre_vote for m in requests)  # type: ignore[union-attr]


def test_candidate_that_cannot_win_backs_off_then_retries_with_pre_vote() -> None:
    driver = Driver(local_id=1)
    driver.advance(2_000)
    pre = [m for m in driver.sent(VoteRequest) if m.request.pre_vote]
    driver.respond(
        pre[0].request_id, VoteResponse(ErrorCode.NONE, leader_epoch=0, vote_granted=True)
    )
    real = [m for m in driver.sent(VoteRequest) if not m.request.pre_vote]
    driver.respond(
        real[0].request_id, VoteResponse(ErrorCode.NONE, leader_epoch=1, vote_granted=False)
    )
    driver.respond(
        real[1].request_id, VoteResponse(ErrorCode.NONE, leader_epoch=1, vote_granted=False)
    )
    assert driver.node.role is RoleName.CANDIDATE
    driver.advance(1_000)  # election_backoff_ms_max
    assert driver.node.role is RoleName.PROSPECTIVE
    assert driver.node.epoch == 1


def test_prospective_losing_pre_vote_returns_to_unattached_without_bumping_epoch() -> None:
    driver = Driver(local_id=1)
    driver.advance(2_000)
    pre = [m for m in driver.sent(VoteRequest) if m.request.pre_vote]
    for message in pre:
        driver.respond(message.request_id, VoteResponse(ErrorCode.NONE, leader_epoch=0))
    assert driver.node.role is RoleName.UNATTACHED
    assert driver.node.epoch == 0


def test_prospective_skips_pre_vote_when_a_voter_is_too_old_for_it() -> None:
    driver = Driver(local_id=1)
    driver.advance(2_000)
    pre = [m for m in driver.sent(VoteRequest) if m.request.pre_vote]
    driver.respond(pre[0].request_id, VoteResponse(ErrorCode.UNSUPPORTED_VERSION))
    assert driver.node.role is RoleName.CANDIDATE and driver.node.epoch == 1


def test_prospective_refuses_a_pre_vote_only_to_a_higher_id_with_an_equal_log() -> None:
    """The tie-break between two prospectives of one race (kraft/handlers/vote.py `_outranks`):
    with equal logs only the lower id is granted; a better log is granted whatever its id."""
    log = LogState(0, 10, ((2, 0),))
    driver = Driver(local_id=2, stored=ElectionState(2, voters=frozenset({1, 2, 3})), log=log)
    driver.advance(2_000)
    assert driver.node.role is RoleName.PROSPECTIVE
    assert granted(driver.answer(vote(1, epoch=2, last_epoch=2, last_offset=10, pre_vote=True)))
    assert not granted(driver.answer(vote(3, epoch=2, last_epoch=2, last_offset=10, pre_vote=True)))
    assert granted(driver.answer(vote(3, epoch=2, last_epoch=2, last_offset=11, pre_vote=True)))
    assert driver.node.role is RoleName.PROSPECTIVE and driver.node.epoch == 2
    # Out of the race (lost pre-vote: Unattached) it grants the higher id as Kafka does.
    pre = [m for m in driver.sent(VoteRequest) if m.request.pre_vote]
    for message in pre:
        driver.respond(message.request_id, VoteResponse(ErrorCode.NONE, leader_epoch=2))
    assert driver.node.role is RoleName.UNATTACHED
    assert granted(driver.answer(vote(3, epoch=2, last_epoch=2, last_offset=10, pre_vote=True)))
