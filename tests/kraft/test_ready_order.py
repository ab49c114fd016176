"""`ordered_steps`: the legal execution orders of a Ready (kraft.ready contract items 1-4)."""

from __future__ import annotations

from kraft import rpc
from kraft.ready import (
    ElectionState,
    FlushStep,
    LogAppend,
    LogOpStep,
    OutboundResponse,
    PersistElectionStateStep,
    Ready,
    SendStep,
    Step,
    ordered_steps,
)
from kraft.types import BatchInfo, Records
from wire.errors import ErrorCode


def answer(inbound_id: int) -> OutboundResponse:
    return OutboundResponse(inbound_id, rpc.FetchResponse(error_code=ErrorCode.NONE))


def kinds(steps: list[Step]) -> list[str]:
    out = []
    for step in steps:
        if isinstance(step, SendStep):
            assert isinstance(step.message, OutboundResponse)
            out.append(f"send {step.message.inbound_id}")
        elif isinstance(step, PersistElectionStateStep):
            out.append("election state")
        elif isinstance(step, LogOpStep):
            out.append("append")
        else:
            assert isinstance(step, FlushStep)
            out.append("fsync")
    return out


APPEND = LogAppend(Records(b"x" * 70, (BatchInfo(0, 0, 1, 70, False),)))


def ready(election_state: ElectionState | None = None) -> Ready:
    return Ready(
        election_state=election_state,
        log_ops=[APPEND],
        flush=True,
        send_now=[answer(1)],
        send_after_append=[answer(2)],
        send_after_persist=[answer(3)],
    )


def test_default_order() -> None:
    assert kinds(ordered_steps(ready())) == [
        "send 1", "append", "send 2", "fsync", "send 3",
    ]  # fmt: skip


def test_answers_first_puts_the_append_and_fsync_together() -> None:
    assert kinds(ordered_steps(ready(), answers_first=True)) == [
        "send 1", "send 2", "append", "fsync", "send 3",
    ]  # fmt: skip


def test_answers_first_never_overtakes_an_election_state() -> None:
    state = ElectionState(epoch=4, leader_id=1, voters=frozenset({1, 2, 3}))
    assert kinds(ordered_steps(ready(state), answers_first=True)) == [
        "send 1", "election state", "append", "send 2", "fsync", "send 3",
    ]  # fmt: skip
