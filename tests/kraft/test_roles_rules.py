"""Observer restrictions, start-up rules, resignation, check-quorum, persistence format."""

from __future__ import annotations

import pytest

from kraft.config import ConfigError, InjectedBug, QuorumConfig
from kraft.log import LogState
from kraft.roles import ALLOWED_TRANSITIONS, OBSERVER_ROLES, RoleName, check_transition
from kraft.rpc import (
    BeginQuorumEpochRequest,
    EndQuorumEpochRequest,
    EndQuorumEpochResponse,
    FetchRequest,
    FetchResponse,
    VoteRequest,
)
from kraft.types import FIRST_BOOTSTRAP_NODE_ID, ElectionState, Endpoint, LeaderAndEpoch, ReplicaKey
from tests.kraft.helpers import Driver, fetch
from tests.kraft.test_vote_rules import become_leader
from wire.errors import ErrorCode

VOTER_SET = frozenset({1, 2, 3})


# ----------------------------------------------------------------------------- observers
def test_idless_observer_never_stands_for_election_and_fetches_as_replica_minus_one() -> None:
    driver = Driver(local_id=None)
    for _ in range(20):
        driver.advance(1_000)
        assert driver.node.role in OBSERVER_ROLES
    assert not driver.sent(VoteRequest)
    fetches = driver.sent(FetchRequest)
    assert fetches and all(m.request.replica_id == -1 for m in fetches)  # type: ignore[union-attr]
    assert {m.destination.node_id for m in fetches} <= VOTER_SET


def test_idless_observer_learns_the_leader_from_any_bootstrap_voter() -> None:
    driver = Driver(local_id=None)
    first = driver.sent(FetchRequest)[-1]
    driver.respond(
        first.request_id,
        FetchResponse(
            ErrorCode.NONE,
            partition_error_code=ErrorCode.FENCED_LEADER_EPOCH,
            current_leader=LeaderAndEpoch(3, 5),
        ),
    )
    assert driver.node.role is RoleName.FOLLOWER and driver.node.leader_id == 3
    assert driver.stored == ElectionState(5, leader_id=3, voters=VOTER_SET)
    assert driver.sent(FetchRequest)[-1].destination.node_id == 3


def test_bootstrap_servers_get_negative_ids() -> None:
    driver = Driver(local_id=None, bootstrap_servers=(Endpoint("b1", 1), Endpoint("b2", 2)), seed=1)
    destination = driver.sent(FetchRequest)[-1].destination
    assert destination.node_id in (FIRST_BOOTSTRAP_NODE_ID, FIRST_BOOTSTRAP_NODE_ID - 1)
    assert destination.is_bootstrap


def test_observer_with_id_follows_but_never_elects() -> None:
    stored = ElectionState(2, leader_id=1, voters=VOTER_SET)
    driver = Driver(local_id=7, stored=stored)
    assert driver.node.role is RoleName.FOLLOWER and not driver.node.is_voter
    driver.advance(10_000)  # fetch timeout long gone
    assert driver.node.role is RoleName.FOLLOWER
    assert not driver.sent(VoteRequest)
    assert driver.sent(FetchRequest)[-1].request.replica_id == 7  # type: ignore[union-attr]


def test_idless_observer_election_switch_makes_it_stand() -> None:
    driver = Driver(local_id=None, injected_bugs=frozenset({InjectedBug.IDLESS_OBSERVER_ELECTION}))
    driver.advance(2_000)
    assert driver.node.role is RoleName.PROSPECTIVE


def test_observer_transitions_are_limited_by_the_table() -> None:
    with pytest.raises(AssertionError):
        check_transition(RoleName.UNATTACHED, RoleName.CANDIDATE, is_voter=False)
    check_transition(RoleName.UNATTACHED, RoleName.FOLLOWER, is_voter=False)
    assert (RoleName.LEADER, RoleName.CANDIDATE) not in ALLOWED_TRANSITIONS
    assert (RoleName.FOLLOWER, RoleName.LEADER) not in ALLOWED_TRANSITIONS


# ----------------------------------------------------------------------------- config / start
@pytest.mark.parametrize(
    ("local_id", "stored", "message"),
    [
        (None, ElectionState(3, voted_id=2, voters=VOTER_SET), "no local id"),
        (7, ElectionState(3, voted_id=2, voters=VOTER_SET), "is not a voter"),
        (1, ElectionState(3, voters=frozenset({1, 2})), "differ from the configured"),
        (-4, None, "negative"),
    ],
)
def test_inconsistent_identity_is_rejected(
    local_id: int | None, stored: ElectionState | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Driver(local_id=local_id, stored=stored)


def test_empty_voter_set_is_rejected() -> None:
    with pytest.raises(ConfigError, match="empty"):
        QuorumConfig(voters={})


@pytest.mark.parametrize(
    ("stored", "role"),
    [
        (None, RoleName.UNATTACHED),
        (ElectionState(3, leader_id=1, voters=VOTER_SET), RoleName.RESIGNED),
        (ElectionState(3, voted_id=1, voters=VOTER_SET), RoleName.CANDIDATE),
        (ElectionState(3, voted_id=2, voters=VOTER_SET), RoleName.VOTED),
        (ElectionState(3, leader_id=2, voters=VOTER_SET), RoleName.FOLLOWER),
    ],
)
def test_start_up_state_from_the_stored_election_state(
    stored: ElectionState | None, role: RoleName
) -> None:
    driver = Driver(local_id=1, stored=stored)
    assert driver.node.role is role


def test_start_up_adopts_the_log_epoch_when_the_store_is_behind() -> None:
    driver = Driver(
        local_id=1, stored=ElectionState(2, voters=VOTER_SET), log=LogState(0, 5, ((4, 0),))
    )
    assert driver.node.epoch == 4 and driver.stored.epoch == 4


# ----------------------------------------------------------------------------- resignation
def test_graceful_shutdown_sends_end_quorum_epoch_with_successors_most_caught_up_first() -> None:
    driver = Driver(local_id=1)
    become_leader(driver)
    driver.answer(fetch(3, driver.node.epoch, 1, driver.node.epoch))
    driver.clear()
    ready = driver.ack(driver.node.shutdown(driver.now_ms))
    assert driver.node.role is RoleName.RESIGNED
    assert ready.election_state is None  # Resigned is memory-only
    ends = driver.sent(EndQuorumEpochRequest)
    assert sorted(m.destination.node_id for m in ends) == [2, 3]
    successors = ends[0].request.preferred_candidates  # type: ignore[union-attr]
    assert [k.id for k in successors] == [3, 2]
    assert not ready.shutdown_complete
    epoch = driver.node.epoch
    for message in ends:
        ready = driver.respond(
            message.request_id,
            EndQuorumEpochResponse(ErrorCode.NONE, leader_id=1, leader_epoch=epoch),
        )
    assert ready.shutdown_complete
    # A resigned leader refuses fetches and proposals.
    assert (
        driver.answer(fetch(2, epoch, 1, epoch)).partition_error_code
        is ErrorCode.NOT_LEADER_OR_FOLLOWER
    )  # type: ignore[union-attr]
    assert driver.node.propose([b"x"], driver.now_ms).error.value == "not-leader"


def test_end_quorum_epoch_shortens_the_fetch_timer_by_successor_position() -> None:
    from kraft.handlers.end_quorum_epoch import end_epoch_backoff_ms

    stored = ElectionState(3, leader_id=2, voters=VOTER_SET)
    driver = Driver(local_id=1, stored=stored)
    keys = (ReplicaKey(3), ReplicaKey(1))
    assert end_epoch_backoff_ms(driver.node._core.me, keys) == 1000 >> 1  # position 1 of 2
    assert end_epoch_backoff_ms(driver.node._core.me, (ReplicaKey(1),)) == 0
    assert end_epoch_backoff_ms(driver.node._core.me, (ReplicaKey(3),)) == 1000
    request = EndQuorumEpochRequest(
        None, True, leader_id=2, leader_epoch=3, preferred_candidates=(ReplicaKey(1),)
    )
    driver.answer(request)
    driver.advance(1)
    assert driver.node.role is RoleName.PROSPECTIVE


def test_follower_told_the_leader_resigned_grants_pre_votes_again() -> None:
    from kraft.rpc import VoteResponse

    stored = ElectionState(3, leader_id=2, voters=VOTER_SET)
    driver = Driver(local_id=1, stored=stored, log=LogState(0, 1, ((3, 0),)))
    fetch_id = driver.sent(FetchRequest)[-1].request_id
    driver.respond(
        fetch_id,
        FetchResponse(ErrorCode.NONE, high_watermark=1, current_leader=LeaderAndEpoch(2, 3)),
    )
    pre_vote = VoteRequest(None, True, ReplicaKey(3), 3, 3, 1, pre_vote=True)
    refused = driver.answer(pre_vote)
    assert isinstance(refused, VoteResponse) and not refused.vote_granted
    driver.answer(
        EndQuorumEpochRequest(
            None, True, leader_id=2, leader_epoch=3, preferred_candidates=(ReplicaKey(3),)
        )
    )
    granted = driver.answer(pre_vote)
    assert isinstance(granted, VoteResponse) and granted.vote_granted


def test_check_quorum_resigns_a_leader_nobody_fetches_from() -> None:
    driver = Driver(local_id=1)
    become_leader(driver)
    start = driver.now_ms
    driver.advance(2_999)
    assert driver.node.role is RoleName.LEADER
    driver.advance(1)
    assert driver.node.role is RoleName.RESIGNED and driver.now_ms - start == 3_000


def test_check_quorum_is_satisfied_by_a_majority_of_fetching_voters() -> None:
    driver = Driver(local_id=1)
    become_leader(driver)
    for _ in range(5):
        driver.advance(1_000)
        driver.answer(fetch(2, driver.node.epoch, 1, driver.node.epoch))
    assert driver.node.role is RoleName.LEADER


def test_new_leader_sends_begin_quorum_epoch_after_persisting_leadership() -> None:
    driver = Driver(local_id=1)
    become_leader(driver)
    begins = driver.sent(BeginQuorumEpochRequest)
    assert sorted(m.destination.node_id for m in begins) == [2, 3]
    assert driver.stored.leader_id == 1


def test_begin_quorum_epoch_makes_a_voter_follow() -> None:
    driver = Driver(local_id=2)
    driver.answer(BeginQuorumEpochRequest(None, True, leader_id=1, leader_epoch=4))
    assert driver.node.role is RoleName.FOLLOWER and driver.node.leader_id == 1
    assert driver.stored == ElectionState(4, leader_id=1, voters=VOTER_SET)
