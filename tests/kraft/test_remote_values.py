"""Issue #12 item 1 in the core: values a hostile peer can still send in range are never a crash.

kraft.shell.apis refuses what is out of range (tests/shell/test_remote_input.py); what is left
is in range but wrong for this replica's state, and each handler treats it as the peer's fault.
"""

from __future__ import annotations

from kraft.events import RequestFailed
from kraft.log import LogState
from kraft.ready import LogTruncate
from kraft.roles import RoleName
from kraft.rpc import FetchRequest, FetchResponse, VoteRequest, VoteResponse
from kraft.types import ElectionState, Endpoint, LeaderAndEpoch, OffsetAndEpoch
from tests.kraft.helpers import Driver, vote
from wire.errors import ErrorCode

# A log with epochs 1 at [0, 4), 3 at [4, 10).
LOG = LogState(0, 10, ((1, 0), (3, 4)))
# kraft.election.EPOCH_MAX, spelled out so the test runs (and fails) on code without the name.
EPOCH_MAX = (1 << 31) - 2


def follower(epoch: int = 4, **overrides: object) -> Driver:
    stored = ElectionState(epoch, leader_id=2, voters=frozenset({1, 2, 3}))
    driver = Driver(local_id=1, stored=stored, log=LOG, **overrides)  # type: ignore[arg-type]
    assert driver.node.role is RoleName.FOLLOWER
    return driver


def test_a_diverging_epoch_below_the_high_watermark_is_the_leaders_fault() -> None:
    driver = follower()
    request_id = driver.sent(FetchRequest)[-1].request_id
    driver.respond(
        request_id,
        FetchResponse(ErrorCode.NONE, high_watermark=8, current_leader=LeaderAndEpoch(2, 4)),
    )
    assert driver.node.high_watermark == 8
    request_id = driver.sent(FetchRequest)[-1].request_id
    driver.clear()
    # Epoch 1 ended at 4 in our log: truncating there would drop committed offsets 4..7.
    ready = driver.respond(
        request_id,
        FetchResponse(
            ErrorCode.NONE,
            high_watermark=8,
            current_leader=LeaderAndEpoch(2, 4),
            diverging_epoch=OffsetAndEpoch(2, 1),
        ),
    )
    assert not any(isinstance(op, LogTruncate) for op in ready.log_ops)
    assert driver.node.log_end_offset == 10 and driver.node.high_watermark == 8
    assert driver.sent(FetchRequest) == [], "fetched again at once from a faulty leader"
    driver.advance(20)  # retry_backoff_ms
    again = driver.sent(FetchRequest)[-1].request
    assert again.fetch_offset == 10  # type: ignore[union-attr]


def test_a_voter_at_the_last_epoch_never_enters_an_epoch_it_cannot_encode() -> None:
    for role_stored in (
        ElectionState(EPOCH_MAX, leader_id=2, voters=frozenset({1, 2, 3})),  # follower
        ElectionState(EPOCH_MAX, voters=frozenset({1, 2, 3})),  # unattached
        ElectionState(EPOCH_MAX, voted_id=1, voters=frozenset({1, 2, 3})),  # candidate
    ):
        driver = Driver(local_id=1, stored=role_stored, log=LOG)
        for _ in range(20):
            ready = driver.advance(1_000)
            assert ready.deadline_ms > driver.now_ms, "timer not re-armed: the loop would spin"
            if isinstance(driver.stored, ElectionState):
                assert driver.stored.epoch <= EPOCH_MAX
            for sent in driver.sent(VoteRequest):
                # Every other voter grants: on old code this elects us into epoch 2^31.
                assert sent.request.candidate_epoch <= EPOCH_MAX  # type: ignore[union-attr]
                driver.respond(
                    sent.request_id,
                    VoteResponse(ErrorCode.NONE, leader_epoch=EPOCH_MAX, vote_granted=True),
                )
            driver.clear()
        assert driver.node.epoch == EPOCH_MAX


def test_a_single_voter_at_the_last_epoch_starts_without_crashing() -> None:
    stored = ElectionState(EPOCH_MAX, leader_id=1, voters=frozenset({1}))
    driver = Driver(local_id=1, voters=(1,), stored=stored, log=LOG)
    driver.advance(5_000)
    assert driver.node.epoch == EPOCH_MAX


def test_a_vote_at_the_last_epoch_is_still_granted() -> None:
    driver = Driver(local_id=1, log=LOG)
    response = driver.answer(vote(2, EPOCH_MAX, 3, 10))
    assert response.vote_granted  # type: ignore[union-attr]
    assert driver.node.epoch == EPOCH_MAX


def test_a_peer_cannot_rewrite_this_nodes_own_endpoint() -> None:
    driver = follower()
    request_id = driver.sent(FetchRequest)[-1].request_id
    driver.respond(
        request_id,
        FetchResponse(
            ErrorCode.NONE,
            current_leader=LeaderAndEpoch(2, 4),
            node_endpoints={1: Endpoint("elsewhere", 1), 2: Endpoint("h2", 9100)},
        ),
    )
    me = driver.node._core.me
    assert me.endpoints[1] == Endpoint("h", 9001)
    assert me.endpoints[2] == Endpoint("h2", 9100)


def test_failed_requests_back_off() -> None:
    driver = follower()
    first = driver.sent(FetchRequest)[-1]
    driver.clear()
    driver.ack(driver.node.handle(RequestFailed(first.request_id, "bad answer"), driver.now_ms))
    assert driver.sent(FetchRequest) == []
    driver.advance(20)
    assert driver.sent(FetchRequest)[-1].request_id != first.request_id
