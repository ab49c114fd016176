"""An id-less observer truncates on DivergingEpoch from a real Kafka controller quorum (#11).

Three `kafka.Kafka` controllers (static voters, no broker, `tests.kafka.controllers`); the active
one writes a NoOpRecord every `metadata.max.idle.interval.ms`. The scenario forces a divergence:

1. the observer (`RaftObserver(local_id=None)`, as `kraft tail` runs it) follows the quorum;
2. the two other controllers are paused (SIGSTOP): the leader goes on appending NoOps that can
   never commit, and serves them to the observer (a Kafka leader serves a fetcher up to its log
   end, not just its high watermark) until its check-quorum makes it resign;
3. the old leader is killed (SIGKILL) and the others resumed (SIGCONT): one of them wins a
   higher epoch with a log shorter than the observer's;
4. the observer's next Fetch (its last epoch = the old one, its log end past the new leader's
   end for it) is answered with DivergingEpoch and it truncates its local log.

Asserted: a truncation happened (`RaftObserver.truncations`; the test fails when the scenario did
not force one), never below what was committed; the committed stream is contiguous and each
batch is in the new leader's own segment files with the same offsets, epoch and CRC, and each
metadata record decodes to what Kafka's DumpLogSegments `--cluster-metadata-decoder` prints
for it; the offsets cut were rewritten in the new epoch (the killed leader's files still hold
the old epoch's NoOps there); Kafka's DescribeQuorum lists no observer. The commands follow
the same events as processes: `kraft tail --from-beginning --json` prints the same committed
records (each once, in order) and `kraft image --watch` keeps going; both end quietly on Ctrl-C.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kraft.cli.render import describe_metadata
from kraft.shell.client.observer import EARLIEST
from tests.e2e.cluster import ROOT
from tests.kafka.controllers import KafkaControllerQuorum, KafkaProcess
from tests.kafka.kafka import require_kafka
from tests.kafka.test_observe_controllers import (
    GIVE_UP_MS,
    Tailer,
    dump_log,
    dump_log_text,
    parse_batches,
)

pytestmark = pytest.mark.slow

# NoOps often, so the paused quorum's leader appends several uncommitted records in well under
# its check-quorum time (1.5 x the fetch timeout) and the test stays short.
FAST = {
    "metadata.max.idle.interval.ms": "100",
    "controller.quorum.fetch.timeout.ms": "4000",
    "controller.quorum.election.timeout.ms": "1000",
}
# Uncommitted offsets the observer must have fetched past its log end at the pause (at least
# one of them appended after the pause, so only the old leader has it; a loaded machine's
# observer may lag the leader by a few NoOps, which the paused followers may hold).
UNCOMMITTED_MIN = 8
WAIT_S = 120
# A paused quorum's leader resigns after 1.5 fetch timeouts (check-quorum): a pause that did not
# get enough uncommitted offsets to the observer by then (a loaded machine) is tried again.
PAUSE_S = 20
PAUSE_ATTEMPTS = 3


def wait_for(condition: Callable[[], bool], what: str, tailer: Tailer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert tailer.error is None, f"the observer failed: {tailer.error!r}"
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")


def core_view(tailer: Tailer) -> tuple[int | None, int, int, int]:
    """(leader id, epoch, local log end, high watermark) of the observer's Raft core."""
    observer = tailer.observer
    if observer is None or observer.follower is None or observer.follower.loop is None:
        return None, -1, 0, 0
    node = observer.follower.node
    return node.leader_id, node.epoch, node.log_end_offset, node.high_watermark or 0


def pause_followers_until_uncommitted_fetched(
    quorum: KafkaControllerQuorum, tailer: Tailer
) -> tuple[int, int, int, int, list[KafkaProcess]]:
    """SIGSTOP every controller but the leader until the observer holds `UNCOMMITTED_MIN`
    offsets past its log end at the pause, above the high watermark. Returns (leader, its
    epoch, the observer's log end, its high watermark, the paused controllers)."""
    view = core_view(tailer)
    for _ in range(PAUSE_ATTEMPTS):
        wait_for(lambda: core_view(tailer)[0] is not None, "a known leader", tailer, WAIT_S)
        leader, epoch, end_at_pause, _ = core_view(tailer)
        assert leader is not None
        paused = [c for i, c in quorum.controllers.items() if i != leader]
        for controller in paused:
            controller.signal(signal.SIGSTOP)
        deadline = time.monotonic() + PAUSE_S
        while time.monotonic() < deadline and core_view(tailer)[1] == epoch:
            view = core_view(tailer)
            if view[2] >= end_at_pause + UNCOMMITTED_MIN and view[2] > view[3]:
                return leader, epoch, view[2], view[3], paused
            time.sleep(0.05)
        for controller in paused:
            controller.signal(signal.SIGCONT)
        target = core_view(tailer)[3] + 2
        wait_for(lambda t=target: core_view(tailer)[3] >= t, "commits again", tailer, WAIT_S)
    raise AssertionError(
        f"the observer never held {UNCOMMITTED_MIN} uncommitted offsets of a paused quorum's "
        f"leader in {PAUSE_ATTEMPTS} pauses; last view (leader, epoch, end, hw) {view}"
    )


def decoded_payloads(text: str) -> dict[int, object]:
    """offset -> the metadata record DumpLogSegments' cluster-metadata decoder printed there."""
    out: dict[int, object] = {}
    for line in text.splitlines():
        match = re.match(r"\| offset: (\d+) .* payload: (.*)$", line)
        if match:
            out[int(match.group(1))] = json.loads(match.group(2))
    return out


class Tool:
    """A `kraft` command as a process (stdout and stderr to files), stopped with Ctrl-C."""

    def __init__(self, directory: Path, name: str, *args: str) -> None:
        self.out_path, self.err_path = directory / f"{name}.out", directory / f"{name}.err"
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kraft.cli", *args], cwd=ROOT, stdout=out, stderr=err
            )

    def lines(self) -> list[str]:
        """Whole lines only (a line being written has no newline yet)."""
        return self.out_path.read_text().split("\n")[:-1]

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        return self.process.returncode, self.err_path.read_text()


def printed_offsets(tool: Tool) -> list[int]:
    return [json.loads(line)["offset"] for line in tool.lines()]


def test_observer_truncates_on_diverging_epoch_from_real_controllers(tmp_path: Path) -> None:
    require_kafka()
    quorum = KafkaControllerQuorum(
        tmp_path, with_broker=False, frequent_snapshots=False, extra_properties=FAST
    )
    tools: list[Tool] = []
    try:
        quorum.start_controllers()
        with Tailer(quorum.bootstrap_controllers, EARLIEST) as tailer:
            wait_for(
                lambda: core_view(tailer)[0] is not None and core_view(tailer)[3] > 5,
                "the observer follows a leader with a committed log",
                tailer,
                240,
            )
            # The commands themselves follow the same events (`kraft tail` prints every
            # committed record; a `kraft image --watch` keeps its image) without a traceback.
            bootstrap = ("--bootstrap-controller", quorum.bootstrap_controllers)
            patient = ("--timeout-ms", str(GIVE_UP_MS))
            tail = Tool(
                tmp_path, "tail", "tail", *bootstrap, "--from-beginning", "--json", *patient
            )
            tools.append(tail)
            tools.append(Tool(tmp_path, "image", "image", "--watch", *bootstrap, *patient))
            old_leader, old_epoch, fetched_end, committed_at_kill, others = (
                pause_followers_until_uncommitted_fetched(quorum, tailer)
            )
            quorum.controllers[old_leader].kill()
            for controller in others:
                controller.signal(signal.SIGCONT)
            assert tailer.observer is not None
            observer = tailer.observer
            truncated = "a DivergingEpoch truncation"
            wait_for(lambda: bool(observer.truncations), truncated, tailer, WAIT_S)
            wait_for(
                lambda: core_view(tailer)[1] > old_epoch and core_view(tailer)[3] > fetched_end,
                "the new leader commits past the diverged offsets",
                tailer,
                WAIT_S,
            )
            status = quorum.quorum_status()
            high_watermark = int(status["HighWatermark"])
            tailer.wait_until(high_watermark)
            truncations = observer.truncations
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline and max(printed_offsets(tail), default=0) + 1 < (
                high_watermark
            ):
                assert tail.process.poll() is None, tail.err_path.read_text()
                time.sleep(0.2)
        stopped = [tool.stop() for tool in tools]
    finally:
        for tool in tools:
            tool.stop()
        quorum.close()
    for code, err in stopped:
        assert code == 0 and "Traceback" not in err and "error" not in err, err
    assert not quorum.fatal()
    print(
        f"old leader {old_leader} epoch {old_epoch}; observer end {fetched_end}, high watermark "
        f"{committed_at_kill} at kill; truncations {truncations}"
    )
    new_leader = int(status["LeaderId"])
    assert new_leader != old_leader and int(status["LeaderEpoch"]) > old_epoch
    # The id-less observer is never one of the leader's observers.
    assert json.loads(status["CurrentObservers"]) == []

    # Truncated: cut back from past what it fetched, never below what was committed.
    first = truncations[0]
    facts = f"{first}, observer end {fetched_end} and high watermark {committed_at_kill} at kill"
    assert committed_at_kill <= first.to_end_offset < first.from_end_offset, facts
    # (A loaded machine may let a paused follower hold some offsets the observer fetched after
    # the pause: the cut then starts at or past `fetched_end`, where no follower has a record.)
    assert fetched_end <= first.from_end_offset, facts
    tailer.check_contiguous()
    # What the observer released for the cut offsets is the new epoch's log, not the old NoOps.
    cut = [b for b in tailer.batches if b.last_offset >= first.to_end_offset]
    assert cut and all(b.epoch > old_epoch for b in cut), cut
    # The killed leader's own files still hold the old epoch's batches there: a real divergence.
    old_files = dump_log(quorum, old_leader)
    diverged = [b for o, b in old_files.items() if o >= first.to_end_offset]
    assert diverged and all(b.epoch == old_epoch for b in diverged)

    # Every committed batch is in the new leader's files, byte for byte (offsets, epoch, CRC)...
    decoded = dump_log_text(quorum, new_leader, "--cluster-metadata-decoder")
    leader_files = parse_batches(decoded)
    assert tailer.batches and all(leader_files.get(b.base_offset) == b for b in tailer.batches)
    assert tailer.batches[0].base_offset == min(leader_files)
    # ...and each metadata record is what Kafka's cluster-metadata decoder reads there.
    theirs = decoded_payloads(decoded)
    ours = {}
    for batch in tailer.raw:
        if batch.is_control:
            continue
        for record in batch.records():
            metadata = describe_metadata(record.value)
            assert metadata is not None and metadata["type"] is not None, metadata
            ours[record.offset] = {k: metadata[k] for k in ("type", "version", "data")}
    end = tailer.next_offset
    assert ours and ours == {o: p for o, p in theirs.items() if o < end}
    # `kraft tail --json` printed the same committed records, each once, in offset order.
    printed = [json.loads(line) for line in tail.lines()]
    assert [line["offset"] for line in printed] == list(range(len(printed)))
    by_tail = {
        line["offset"]: {k: line["metadata"][k] for k in ("type", "version", "data")}
        for line in printed
        if "metadata" in line
    }
    assert by_tail and by_tail == {o: p for o, p in theirs.items() if o < len(printed)}
    assert any(p == {"type": "NO_OP_RECORD", "version": 0, "data": {}} for p in ours.values())
