"""`plan_ready`: the one execution plan of a Ready (kraft.ready contract items 1-4), the sorting of
messages by when handlers say they may leave (`Leaves`, `Core.finish`), and `resolve_reads`, the one
resolution of `LogRead`/`SnapshotRead` every executor uses."""

from __future__ import annotations

from kraft import rpc
from kraft.ready import (
    Action,
    DiskHop,
    ElectionState,
    LogAppend,
    LogOp,
    LogTruncate,
    Outbound,
    OutboundResponse,
    Ready,
    Send,
    batches_of,
    execute_plan,
    plan_ready,
    resolve_reads,
    take_batches,
)
from kraft.types import BatchInfo, OffsetAndEpoch, Records
from tests.kraft.harness import Cluster, make_records
from wire.errors import ErrorCode


def answer(inbound_id: int) -> OutboundResponse:
    return OutboundResponse(inbound_id, rpc.FetchResponse(error_code=ErrorCode.NONE))


def kinds(actions: tuple[Action, ...]) -> list[str]:
    out = []
    for action in actions:
        if isinstance(action, Send):
            ids = [m.inbound_id for m in action.messages if isinstance(m, OutboundResponse)]
            unwritten = f" (unwritten {len(action.unwritten)})" if action.unwritten else ""
            out.append(f"send {ids}{unwritten}")
        else:
            assert isinstance(action, DiskHop)
            parts = ["election state"] if action.election_state is not None else []
            parts += [type(op).__name__ for op in action.log_ops]
            parts += ["fsync"] if action.flush else []
            out.append("disk " + "+".join(parts))
    return out


APPEND = LogAppend(Records(b"x" * 70, (BatchInfo(0, 0, 1, 70, False),)))
STATE = ElectionState(epoch=4, leader_id=1, voters=frozenset({1, 2, 3}))


def ready(election_state: ElectionState | None = None, ops: list[LogOp] | None = None) -> Ready:
    return Ready(
        election_state=election_state,
        log_ops=[APPEND] if ops is None else ops,
        flush=True,
        send_now=[answer(1)],
        send_after_append=[answer(2)],
        send_after_persist=[answer(3)],
    )


def test_answers_first_with_the_append_and_fsync_in_one_disk_hop() -> None:
    assert kinds(plan_ready(ready())) == [
        "send [1, 2] (unwritten 1)", "disk LogAppend+fsync", "send [3]",
    ]  # fmt: skip
    first = plan_ready(ready())[0]
    assert isinstance(first, Send) and first.unwritten == (APPEND.records,)


def test_answers_never_overtake_an_election_state() -> None:
    assert kinds(plan_ready(ready(STATE))) == [
        "send [1]", "disk election state+LogAppend", "send [2]", "disk fsync", "send [3]",
    ]  # fmt: skip


def test_answers_never_overtake_a_truncation() -> None:
    ops: list[LogOp] = [LogTruncate(0), APPEND]
    assert kinds(plan_ready(ready(ops=ops))) == [
        "send [1]", "disk LogTruncate+LogAppend", "send [2]", "disk fsync", "send [3]",
    ]  # fmt: skip


def test_election_state_ready_is_one_disk_hop() -> None:
    # What Core.finish makes of a call with an election state: every message waits for it.
    r = Ready(election_state=STATE, log_ops=[APPEND], flush=True, send_after_persist=[answer(3)])
    assert kinds(plan_ready(r)) == ["disk election state+LogAppend+fsync", "send [3]"]


def test_a_ready_without_disk_work_only_sends() -> None:
    assert kinds(plan_ready(Ready(send_now=[answer(1)]))) == ["send [1]"]
    assert plan_ready(Ready()) == ()


def test_execute_plan_runs_the_plan_and_returns_the_feedback() -> None:
    from kraft.events import ElectionStatePersisted, Persisted

    done: list[str] = []

    class Executor:
        def persist_election_state(self, state: ElectionState) -> None:
            done.append("state")

        def apply_log_op(self, op: object) -> None:
            done.append(type(op).__name__)

        def flush_log(self) -> int:
            done.append("fsync")
            return 1

        def send(self, message: Outbound, unwritten: tuple[Records, ...]) -> None:
            assert isinstance(message, OutboundResponse)
            done.append(f"send {message.inbound_id}{'+u' if unwritten else ''}")

    assert execute_plan(ready(), Executor()) == [Persisted(1)]
    assert done == ["send 1+u", "send 2+u", "LogAppend", "fsync", "send 3"]
    done.clear()
    assert execute_plan(ready(STATE), Executor()) == [ElectionStatePersisted(STATE), Persisted(1)]
    assert done == ["send 1", "state", "LogAppend", "send 2", "fsync", "send 3"]


# ------------------------------------------------------------------ when messages leave
def test_leader_fetch_answers_leave_after_the_append_and_others_by_their_handlers_word() -> None:
    c = Cluster([1, 2, 3])
    c.run_until(lambda: len(c.leaders()) == 1 and c.leader().node.high_watermark is not None)
    leader = c.leader()
    c.propose([b"v"])
    c.run_until(lambda: any(r.send_after_append for r in leader.readies))
    # A leader's append is followed by its fsync; its Fetch answers read it (after the append)...
    batch = next(r for r in leader.readies if r.send_after_append)
    assert batch.flush and batch.log_ops and not batch.send_after_persist
    for message in batch.send_after_append:
        assert isinstance(message, OutboundResponse)
        assert isinstance(message.response, rpc.FetchResponse)
        assert isinstance(message.response.records, rpc.LogRead)
    # ...and a follower's next Fetch request after its append waits for its fsync.
    follower = c.members["2" if leader.key != "2" else "3"]
    appended = [r for r in follower.readies if r.log_ops and r.flush]
    assert appended and all(not r.send_now and r.send_after_persist for r in appended)


# ------------------------------------------------------------------ reads
class Storage:
    def __init__(self, records: Records | None, snapshot: bytes | None = None) -> None:
        self.records = records
        self.snapshot = snapshot

    def read_log(self, read: rpc.LogRead) -> Records | None:
        if self.records is None:
            return None
        return take_batches(batches_of([self.records]), read)

    def read_snapshot(self, read: rpc.SnapshotRead) -> tuple[bytes, int] | None:
        if self.snapshot is None:
            return None
        data = self.snapshot
        return data[read.position : read.position + read.bytes_max], len(data)


def fetch_answer(start: int, max_bytes: int, limit: int) -> rpc.FetchResponse:
    return rpc.FetchResponse(ErrorCode.NONE, records=rpc.LogRead(start, max_bytes, limit))


def joined(*parts: Records) -> Records:
    return Records(b"".join(p.data for p in parts), sum((p.batches for p in parts), ()))


def test_reads_at_or_above_the_unwritten_appends_are_served_from_their_bytes() -> None:
    written = make_records(0, 1, [b"a"])
    unwritten = (joined(make_records(1, 1, [b"b"]), make_records(2, 1, [b"c", b"d"])),)
    storage = Storage(written)
    _, data = resolve_reads(fetch_answer(1, 1 << 20, 4), storage, unwritten)
    assert data is unwritten[0]  # the whole append: served as it is
    _, data = resolve_reads(fetch_answer(2, 1 << 20, 4), storage, unwritten)
    assert isinstance(data, Records) and data.batches == unwritten[0].batches[1:]
    # The limit cuts whole batches; max_bytes lets one batch through, then stops.
    _, data = resolve_reads(fetch_answer(1, 1 << 20, 3), storage, unwritten)
    assert isinstance(data, Records) and data.end_offset == 2
    _, data = resolve_reads(fetch_answer(1, 1, 4), storage, unwritten)
    assert isinstance(data, Records) and data.end_offset == 2
    # Below them: the storage.
    _, data = resolve_reads(fetch_answer(0, 1 << 20, 4), storage, unwritten)
    assert data == written


def test_snapshot_reads_resolve_to_bytes_or_a_kafka_error() -> None:
    snapshot_id = OffsetAndEpoch(5, 1)

    def answer_at(position: int) -> rpc.FetchSnapshotResponse:
        return rpc.FetchSnapshotResponse(
            ErrorCode.NONE, data=rpc.SnapshotRead(snapshot_id, position, 4), size=99
        )

    storage = Storage(None, b"0123456789")
    response, _ = resolve_reads(answer_at(2), storage)
    assert isinstance(response, rpc.FetchSnapshotResponse)
    assert (response.data, response.size, response.partition_error_code) == (
        b"2345", 10, ErrorCode.NONE,
    )  # fmt: skip
    response, _ = resolve_reads(answer_at(10), storage)
    assert isinstance(response, rpc.FetchSnapshotResponse)
    assert (response.data, response.size, response.partition_error_code) == (
        b"", 10, ErrorCode.POSITION_OUT_OF_RANGE,
    )  # fmt: skip
    response, _ = resolve_reads(answer_at(0), Storage(None))
    assert isinstance(response, rpc.FetchSnapshotResponse)
    assert (response.data, response.size, response.partition_error_code) == (
        b"", 0, ErrorCode.SNAPSHOT_NOT_FOUND,
    )  # fmt: skip
