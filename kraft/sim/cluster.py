"""A simulated KRaft cluster: real `RaftNode`s, a faulty network, crash-consistent disks.

Theory of operation: every node is addressed by its index (voters first, then observers with an
id, then id-less observers). Each node listens on a fake endpoint `sim:<9000 + index>`; outbound
requests are routed by the destination port, so requests to bootstrap servers work like requests
to replica ids. Every call into the core returns a `Ready`, which `SimNode` executes with
`kraft.ready.execute_plan`: the core's one plan, the very one the trio node loop runs (answers
first: a leader's Fetch answers leave before its appends are written, served from their bytes by
`kraft.ready.resolve_reads`, then the write and the fsync in one disk hop). The feedback events it
returns (`ElectionStatePersisted`, `Persisted`) are fed back at once, before any other event, as
the contract demands. After each call the invariant checker looks at the node, and the node's next
`poll` is scheduled at `Ready.deadline_ms` plus 0-3 ms (event loops wake up late).

Requests carry (requester index, requester incarnation, request id); the responder keeps them per
`inbound_id` until it answers, and answers to an earlier incarnation of the requester are dropped
(the connection died with it). A requester whose destination is down gets `RequestFailed` after a
short delay (connection refused); a crash fails the requests in flight to it (connection reset)
and closes the peers' inbound connections from it (`ConnectionClosed`). Everything else (drops,
partitions) is left to the core's request timeouts.

Faults: `crash` (unflushed data lost; optionally in the middle of executing a Ready's plan, before
any one of its sends or disk writes: e.g. after a leader's Fetch answers left and before its write
or its fsync, so that followers hold batches the leader loses), `start` (a new incarnation recovers
from the durable disk and quorum-state), `wipe` (disk and quorum-state gone), `shutdown` (graceful,
the core resigns first), `resign` (the leader steps down and keeps running), `pause`
(stop-the-world: events queue up and run in arrival order when it ends). With
`snapshot_every_offsets`, each node snapshots committed data every so many offsets (sometimes
deleting the log below it) and reports `SnapshotCreated`; the followers' FetchSnapshot downloads run
through the disk model.
"""

from __future__ import annotations

import random
import traceback
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from kraft.config import InjectedBug, QuorumConfig
from kraft.events import (
    ConnectionClosed,
    Event,
    RequestFailed,
    RequestReceived,
    ResponseReceived,
    SnapshotCreated,
)
from kraft.log import LogState
from kraft.node import RaftNode
from kraft.ready import (
    LogAppend,
    LogOp,
    LogTruncate,
    Outbound,
    OutboundRequest,
    Ready,
    SnapshotAbort,
    SnapshotChunk,
    SnapshotInstall,
    execute_plan,
    resolve_reads,
    with_log_data,
)
from kraft.roles import RoleName
from kraft.rpc import LogRead, Request, SnapshotRead
from kraft.sim.codec import WireBatchCodec, header_mismatch
from kraft.sim.disk import SimLog, SimQuorumStore
from kraft.sim.invariants import InvariantChecker, InvariantViolation
from kraft.sim.network import Envelope, Network, NetworkProfile
from kraft.sim.scheduler import Scheduler, Trace
from kraft.types import ElectionState, Endpoint, Records

BASE_PORT = 9000
# Bound on requests a node has received and not answered yet (parked fetches included).
INBOUND_MAX = 10_000
# Delay before a requester learns that its destination is down (connection refused).
CONNECT_REFUSED_MS = 2
# Polls happen up to this late after the deadline the core asked for.
POLL_LATE_MAX_MS = 3


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    voters: int = 3
    observers: int = 1  # observers with an id (Kafka brokers)
    idless_observers: int = 1  # id-less observers (KAFKA-12161)

    def describe(self) -> str:
        return (
            f"--voters {self.voters} --observers {self.observers} --idless {self.idless_observers}"
        )


@dataclass(frozen=True, slots=True)
class Timing:
    """Core timing for simulations (ms); Kafka's defaults unless a profile says otherwise."""

    election_timeout_ms: int = 1000
    fetch_timeout_ms: int = 2000
    election_backoff_ms_max: int = 1000
    append_linger_ms: int = 0
    request_timeout_ms: int = 2000
    retry_backoff_ms: int = 20
    fetch_wait_ms_max: int = 500
    fetch_bytes_max: int = 8 * 1024 * 1024
    pre_vote_enabled: bool = True


# Timing profiles a run may use (swarm testing: seeds differ in timing, not only in faults).
TIMINGS: dict[str, Timing] = {
    "kafka": Timing(),
    # Short timeouts: many more elections per virtual second, timeouts racing with answers.
    "fast": Timing(
        election_timeout_ms=300,
        fetch_timeout_ms=600,
        election_backoff_ms_max=300,
        request_timeout_ms=400,
        fetch_wait_ms_max=100,
        # A few batches per Fetch: catching up takes many partial reads.
        fetch_bytes_max=300,
    ),
    # Linger batches several proposals; T24-style elections without pre-vote.
    "linger-no-prevote": Timing(append_linger_ms=25, pre_vote_enabled=False),
}


class CrashNow(Exception):
    """Raised inside Ready execution to crash the node between two ordered steps."""


class SimNode:
    """One replica: its durable disk and quorum-state, and (while up) its `RaftNode`."""

    def __init__(
        self, cluster: SimCluster, index: int, replica_id: int | None, is_voter: bool
    ) -> None:
        self.cluster = cluster
        self.cluster_nodes = cluster.nodes
        self.index = index
        self.replica_id = replica_id
        self.is_voter = is_voter
        if is_voter:
            self.name = f"v{replica_id}"
        elif replica_id is not None:
            self.name = f"o{replica_id}"
        else:
            self.name = f"x{index}"
        self.directory_id = uuid.UUID(int=index + 1)
        self.log = SimLog()
        self.store = SimQuorumStore()
        self.raft: RaftNode | None = None
        self.incarnation = 0
        # inbound_id -> (requester, its incarnation, its request id, the request)
        self.inbound: dict[int, tuple[int, int, int, Request]] = {}
        # Requests sent to this incarnation and not answered: (requester, its incarnation, id).
        self.unanswered: set[tuple[int, int, int]] = set()
        self.next_inbound_id = 1
        self.timer_generation = 0
        self.timer_deadline_ms: int | None = None
        self.crash_after_steps: int | None = None
        # Answers that read unwritten appends left and the fsync of the plan has not run yet.
        self.answered_before_fsync = False
        self.shutting_down = False
        self.next_value: int | None = None
        self.value_epoch = -1
        self.snapshot_offset = 0  # HW at the last snapshot attempt
        # A stop-the-world pause (GC, swapping): nothing runs on the node before this time.
        self.paused_until_ms = 0

    @property
    def up(self) -> bool:
        return self.raft is not None

    # ------------------------------------------- kraft.ready.SyncExecutor and ReadPort
    def _count_step(self) -> None:
        if self.crash_after_steps is not None:
            if self.crash_after_steps <= 0:
                raise CrashNow()
            self.crash_after_steps -= 1

    def persist_election_state(self, state: ElectionState) -> None:
        self._count_step()
        self.store.write(state)
        self.cluster.checker.on_persist(self, state)

    def apply_log_op(self, op: LogOp) -> None:
        self._count_step()
        if isinstance(op, LogAppend):
            records = op.records
            pos = 0
            for info in records.batches:
                data = records.data[pos : pos + info.size_bytes]
                pos += info.size_bytes
                self.cluster.checker.on_append(self, header_mismatch(data, info))
                self.log.append(data, info)
        elif isinstance(op, LogTruncate):
            self.cluster.checker.on_truncate(self, op.end_offset)
            end = self.log.truncate_to(op.end_offset)
            assert end == op.end_offset, f"truncation to {op.end_offset} is not a batch boundary"
        elif isinstance(op, SnapshotChunk):
            self.log.snapshot_chunk(op.snapshot_id, op.position, op.data)
        elif isinstance(op, SnapshotInstall):
            content = self.log.install_snapshot(op.snapshot_id)
            self.cluster.faults["snapshot-installs"] += 1
            self.cluster.checker.on_snapshot(self, op.snapshot_id, content, installed=True)
        else:
            assert isinstance(op, SnapshotAbort), op
            self.log.abort_snapshot(op.snapshot_id)

    def flush_log(self) -> int:
        self._count_step()
        self.answered_before_fsync = False
        return self.log.flush()

    def send(self, message: Outbound, unwritten: tuple[Records, ...]) -> None:
        self._count_step()
        self.cluster.send(self, message, unwritten)
        self.answered_before_fsync = self.answered_before_fsync or bool(unwritten)

    def read_log(self, read: LogRead) -> Records | None:
        return self.log.read(read.start_offset, read.bytes_max, read.end_offset_limit)

    def read_snapshot(self, read: SnapshotRead) -> tuple[bytes, int] | None:
        return self.log.read_snapshot(read.snapshot_id, read.position, read.bytes_max)


class SimCluster:
    def __init__(
        self,
        seed: int,
        spec: ClusterSpec,
        scheduler: Scheduler,
        trace: Trace,
        timing: Timing = Timing(),
        injected_bugs: frozenset[InjectedBug] = frozenset(),
        disabled_invariants: frozenset[str] = frozenset(),
        snapshot_every_offsets: int = 0,
    ) -> None:
        self.seed = seed
        self.spec = spec
        self.scheduler = scheduler
        self.trace = trace
        self.nodes: list[SimNode] = []
        self.faults: Counter[str] = Counter()
        self.fault_rng = random.Random(f"{seed}/faults")
        self.workload_rng = random.Random(f"{seed}/workload")
        self.poll_jitter_rng = random.Random(f"{seed}/poll-jitter")
        self.snapshot_rng = random.Random(f"{seed}/snapshots")
        # 0: no snapshots. Else each node snapshots once its HW moved this far past the last one.
        self.snapshot_every_offsets = snapshot_every_offsets
        self.codec = WireBatchCodec()
        voter_ids = list(range(1, spec.voters + 1))
        self.config = QuorumConfig(
            voters={v: Endpoint("sim", BASE_PORT + v - 1) for v in voter_ids},
            election_timeout_ms=timing.election_timeout_ms,
            fetch_timeout_ms=timing.fetch_timeout_ms,
            election_backoff_ms_max=timing.election_backoff_ms_max,
            append_linger_ms=timing.append_linger_ms,
            request_timeout_ms=timing.request_timeout_ms,
            retry_backoff_ms=timing.retry_backoff_ms,
            fetch_wait_ms_max=timing.fetch_wait_ms_max,
            fetch_bytes_max=timing.fetch_bytes_max,
            pre_vote_enabled=timing.pre_vote_enabled,
            injected_bugs=injected_bugs,
        )
        for v in voter_ids:
            self.nodes.append(SimNode(self, len(self.nodes), v, True))
        for k in range(spec.observers):
            self.nodes.append(SimNode(self, len(self.nodes), spec.voters + 1 + k, False))
        for _ in range(spec.idless_observers):
            self.nodes.append(SimNode(self, len(self.nodes), None, False))
        self.voters = [n for n in self.nodes if n.is_voter]
        self.index_by_replica_id = {
            n.replica_id: n.index for n in self.nodes if n.replica_id is not None
        }
        self.observer_ids = frozenset(
            n.replica_id for n in self.nodes if not n.is_voter and n.replica_id is not None
        )
        self.checker = InvariantChecker(frozenset(voter_ids), disabled_invariants)
        self.network = Network(
            scheduler,
            random.Random(f"{seed}/network"),
            self._deliver,
            self._incarnation_of,
        )

    # ------------------------------------------------------------------ helpers
    def _incarnation_of(self, index: int) -> int | None:
        node = self.nodes[index]
        return node.incarnation if node.raft is not None else None

    def leaders(self) -> list[SimNode]:
        return [n for n in self.nodes if n.raft is not None and n.raft.role is RoleName.LEADER]

    def current_leader(self) -> SimNode | None:
        """The up leader with the highest epoch, if any."""
        best: SimNode | None = None
        for n in self.leaders():
            assert n.raft is not None
            if best is None or (best.raft is not None and n.raft.epoch > best.raft.epoch):
                best = n
        return best

    def note(self, text: str) -> None:
        self.trace.add(self.scheduler.now_ms, text)

    def set_profile(self, profile: NetworkProfile) -> None:
        self.network.profile = profile

    # ------------------------------------------------------------------ core calls
    def core_failed(self, node: SimNode, exc: Exception) -> InvariantViolation:
        tb = traceback.format_exception(exc)
        where = tb[-2].strip().splitlines()[0] if len(tb) >= 2 else ""
        return InvariantViolation(
            "CoreCrashed", f"{node.name}: {type(exc).__name__}: {exc} ({where})"
        )

    def run_ready(self, node: SimNode, ready: Ready) -> None:
        """Execute `ready` and the Readys of its feedback events, then check and re-arm."""
        now = self.scheduler.now_ms
        pending: deque[Any] = deque()
        while True:
            try:
                node.answered_before_fsync = False
                pending.extend(execute_plan(ready, node))
            except CrashNow:
                self.faults["crash-mid-ready"] += 1
                if node.answered_before_fsync:
                    # Production's order at its most exposed: followers may hold batches that
                    # this leader never wrote or never fsynced.
                    self.faults["crash-answered-before-fsync"] += 1
                self.crash(node, reason="mid-ready")
                return
            except InvariantViolation:
                raise
            except Exception as exc:
                # The core asked for something no disk can do (a non-boundary truncation, an
                # out-of-order snapshot chunk, ...).
                raise InvariantViolation(
                    "ReadyContract", f"{node.name}: {type(exc).__name__}: {exc}"
                ) from exc
            self._observe(node, ready)
            if node.raft is None:
                return
            if not pending:
                break
            event = pending.popleft()
            ready = self.call(node, lambda r, e=event: r.handle(e, now))
        self.checker.after_step(node, now)
        self._arm_timer(node, ready.deadline_ms)
        if self.snapshot_every_offsets:
            hw = node.raft.high_watermark if node.raft is not None else None
            if hw is not None and hw - node.snapshot_offset >= self.snapshot_every_offsets:
                node.snapshot_offset = hw  # one attempt per interval
                self.scheduler.after(0, self._take_snapshot, (node.index, node.incarnation))

    def call(self, node: SimNode, fn: Any) -> Ready:
        raft = node.raft
        assert raft is not None
        try:
            ready: Ready = fn(raft)
        except InvariantViolation:
            raise
        except Exception as exc:
            raise self.core_failed(node, exc) from exc
        return ready

    def _observe(self, node: SimNode, ready: Ready) -> None:
        if ready.role_change is not None and node.raft is not None:
            self.note(f"{node.name} {ready.role_change} epoch={node.raft.epoch}")
            if ready.role_change == RoleName.LEADER:
                self.faults["elections"] += 1
        if ready.high_watermark is not None:
            self.note(f"{node.name} hw={ready.high_watermark}")
        if ready.shutdown_complete and node.shutting_down:
            self.scheduler.after(0, self._finish_shutdown, (node.index, node.incarnation))

    def _arm_timer(self, node: SimNode, deadline_ms: int) -> None:
        deadline_ms = max(deadline_ms, self.scheduler.now_ms + 1)
        if node.timer_deadline_ms == deadline_ms:
            return
        node.timer_generation += 1
        node.timer_deadline_ms = deadline_ms
        # A real event loop wakes up a little late; the core must not depend on punctual polls.
        late_ms = self.poll_jitter_rng.randint(0, POLL_LATE_MAX_MS)
        self.scheduler.at(
            deadline_ms + late_ms,
            self._on_timer,
            (node.index, node.incarnation, node.timer_generation),
        )

    def _paused(self, node: SimNode, action: Any, arg: Any) -> bool:
        """Defer `action(arg)` to the end of the node's pause (in arrival order)."""
        if node.paused_until_ms > self.scheduler.now_ms:
            self.scheduler.at(node.paused_until_ms, action, arg)
            return True
        return False

    def pause(self, node: SimNode, duration_ms: int) -> None:
        if node.raft is not None:
            self.note(f"{node.name} pause {duration_ms} ms")
            node.paused_until_ms = self.scheduler.now_ms + duration_ms

    def _on_timer(self, arg: tuple[int, int, int]) -> None:
        index, incarnation, generation = arg
        node = self.nodes[index]
        if node.raft is None or node.incarnation != incarnation:
            return
        if self._paused(node, self._on_timer, arg):
            return
        if node.timer_generation != generation:
            return
        node.timer_deadline_ms = None
        now = self.scheduler.now_ms
        if self.trace.keep_lines:
            self.note(f"{node.name} poll")
        self.run_ready(node, self.call(node, lambda r: r.poll(now)))

    def _feed(self, node: SimNode, event: Event) -> None:
        now = self.scheduler.now_ms
        self.run_ready(node, self.call(node, lambda r: r.handle(event, now)))

    # ------------------------------------------------------------------ messaging
    def send(self, node: SimNode, message: Outbound, unwritten: tuple[Records, ...] = ()) -> None:
        self.checker.on_send(node, message)
        if isinstance(message, OutboundRequest):
            dst = self._route(message)
            if self.nodes[dst].raft is None:
                self.scheduler.after(
                    CONNECT_REFUSED_MS,
                    self._refused,
                    (node.index, node.incarnation, message.request_id),
                )
                return
            self.nodes[dst].unanswered.add((node.index, node.incarnation, message.request_id))
            self.network.send(node.index, dst, ("req", message.request_id, message.request))
            return
        route = node.inbound.pop(message.inbound_id, None)
        if route is None:
            return  # the connection is gone
        src, src_incarnation, request_id, request = route
        node.unanswered.discard((src, src_incarnation, request_id))
        self.checker.on_answer(node, request, message.response)
        if self._incarnation_of(src) != src_incarnation:
            return
        response = with_log_data(*resolve_reads(message.response, node, unwritten))
        self.network.send(node.index, src, ("resp", request_id, response))

    def _route(self, message: OutboundRequest) -> int:
        """Node index of a destination: by port (bootstrap servers too), else by replica id."""
        destination = message.destination
        if destination.port:
            dst = destination.port - BASE_PORT
        else:
            dst = self.index_by_replica_id.get(destination.node_id, -1)
        assert 0 <= dst < len(self.nodes), f"no simulated node at {destination}"
        return dst

    def _refused(self, arg: tuple[int, int, int]) -> None:
        index, incarnation, request_id = arg
        node = self.nodes[index]
        if node.raft is not None and node.incarnation == incarnation:
            if self._paused(node, self._refused, arg):
                return
            self._feed(node, RequestFailed(request_id, "connection refused or reset"))

    def _deliver(self, envelope: Envelope) -> None:
        node = self.nodes[envelope.dst]
        if node.raft is None or node.incarnation != envelope.dst_incarnation:
            return  # crashed while paused with this message queued
        if self._paused(node, self._deliver, envelope):
            return
        kind, ident, body = envelope.payload
        if self.trace.keep_lines:
            dup = " dup" if envelope.duplicate else ""
            self.note(f"{node.name} <- {self.nodes[envelope.src].name} {body!r}{dup}")
        else:
            self.note(f"{node.name} <- {envelope.src} {type(body).__name__}")
        if kind == "req":
            inbound_id = node.next_inbound_id
            node.next_inbound_id += 1
            assert len(node.inbound) < INBOUND_MAX, f"{node.name}: too many unanswered requests"
            node.inbound[inbound_id] = (envelope.src, envelope.src_incarnation, ident, body)
            self._feed(node, RequestReceived(inbound_id, body))
            if (
                self._incarnation_of(envelope.src) != envelope.src_incarnation
                and node.raft is not None
                and node.inbound.pop(inbound_id, None) is not None
            ):
                # Sent before its sender crashed: the connection it came on is already gone.
                self._feed(node, ConnectionClosed(frozenset({inbound_id})))
        else:
            self._feed(node, ResponseReceived(ident, body))

    def _close_connections(self, arg: tuple[int, int]) -> None:
        index, from_index = arg
        node = self.nodes[index]
        if node.raft is None:
            return
        if self._paused(node, self._close_connections, arg):
            return
        closed = frozenset(i for i, route in node.inbound.items() if route[0] == from_index)
        if closed:
            for i in closed:
                del node.inbound[i]
            self._feed(node, ConnectionClosed(closed))

    # ------------------------------------------------------------------ faults
    def start(self, node: SimNode) -> None:
        assert node.raft is None
        node.incarnation += 1
        node.inbound.clear()
        node.timer_deadline_ms = None
        node.crash_after_steps = None
        node.shutting_down = False
        node.next_value = None
        node.paused_until_ms = 0
        history: list[tuple[int, int]] = []
        for batch in node.log.batches:
            if not history or batch.info.epoch > history[-1][0]:
                history.append((batch.info.epoch, batch.info.base_offset))
        log_state = LogState(
            log_start_offset=node.log.log_start_offset,
            end_offset=node.log.end_offset,
            epoch_history=tuple(history),
            latest_snapshot_id=node.log.latest_snapshot_id,
        )
        now = self.scheduler.now_ms
        rng = random.Random(f"{self.seed}/node/{node.index}/{node.incarnation}")
        self.note(f"{node.name} start #{node.incarnation} log_end={node.log.end_offset}")
        try:
            node.raft = RaftNode(
                self.config,
                node.replica_id,
                node.directory_id,
                node.store.state,
                log_state,
                self.codec,
                rng,
                now,
            )
        except Exception as exc:
            raise self.core_failed(node, exc) from exc
        self.checker.on_restart(node)
        self.run_ready(node, self.call(node, lambda r: r.poll(now)))

    def crash(self, node: SimNode, reason: str = "kill") -> None:
        if node.raft is None:
            return
        self.note(f"{node.name} crash ({reason}) log_end={node.log.end_offset}")
        node.raft = None
        node.log.crash()
        node.inbound.clear()
        for other in self.nodes:
            if other is not node and other.raft is not None:
                self.scheduler.after(1, self._close_connections, (other.index, node.index))
        # The requesters' connections to this node reset: their requests fail.
        for requester in sorted(node.unanswered):
            self.scheduler.after(CONNECT_REFUSED_MS, self._refused, requester)
        node.unanswered.clear()

    def wipe(self, node: SimNode) -> None:
        assert node.raft is None, "wipe a stopped node"
        self.note(f"{node.name} wipe")
        node.log.wipe()
        node.store.wipe()
        node.snapshot_offset = 0
        self.checker.on_wipe(node)

    def shutdown(self, node: SimNode) -> None:
        if node.raft is None or node.shutting_down:
            return
        if node.paused_until_ms > self.scheduler.now_ms:
            return  # a paused process handles no commands
        node.shutting_down = True
        now = self.scheduler.now_ms
        self.note(f"{node.name} shutdown")
        self.run_ready(node, self.call(node, lambda r: r.shutdown(now)))

    def resign(self, node: SimNode) -> None:
        """The leader steps down without stopping (Kafka's `resign(epoch)`)."""
        raft = node.raft
        if raft is None or raft.role is not RoleName.LEADER:
            return
        if node.paused_until_ms > self.scheduler.now_ms:
            return  # a paused process handles no commands
        now = self.scheduler.now_ms
        epoch = raft.epoch
        self.note(f"{node.name} resign epoch={epoch}")
        self.run_ready(node, self.call(node, lambda r: r.resign(epoch, now)))

    def _finish_shutdown(self, arg: tuple[int, int]) -> None:
        index, incarnation = arg
        node = self.nodes[index]
        if node.raft is None or node.incarnation != incarnation:
            return
        node.log.flush()  # a clean stop loses nothing
        self.crash(node, reason="graceful")

    def _take_snapshot(self, arg: tuple[int, int]) -> None:
        """Snapshot committed, durable data at a batch boundary (Kafka snapshots every so many
        committed records), sometimes deleting the log below it; tell the core."""
        index, incarnation = arg
        node = self.nodes[index]
        raft = node.raft
        if raft is None or node.incarnation != incarnation or raft.high_watermark is None:
            return
        if self._paused(node, self._take_snapshot, arg):
            return
        log = node.log
        if log.durable_tail:
            return  # an unflushed truncation is pending
        limit = min(raft.high_watermark, log.durable_end_offset)
        end = None
        epoch = 0
        for batch in reversed(log.batches):
            if batch.info.last_offset < limit:
                end, epoch = batch.info.last_offset + 1, batch.info.epoch
                break
        latest = log.latest_snapshot_id
        if end is None or end <= log.log_start_offset or (latest and end <= latest.offset):
            return
        snapshot_id = log.create_snapshot(end, epoch, self.snapshot_rng.random() < 0.7)
        self.faults["snapshots"] += 1
        content = log.snapshots[snapshot_id]
        self.checker.on_snapshot(node, snapshot_id, content, installed=False)
        self.note(f"{node.name} snapshot {snapshot_id.offset}-{snapshot_id.epoch}")
        self._feed(node, SnapshotCreated(snapshot_id, log.log_start_offset))

    def arm_mid_ready_crash(self, node: SimNode, steps: int) -> None:
        """Crash the node after `steps` more sends or disk writes of its plans (0: before the
        next one)."""
        if node.raft is not None:
            node.crash_after_steps = steps

    def describe_tick(self) -> None:
        now = self.scheduler.now_ms
        for node in self.leaders():
            try:
                self.checker.check_describe_quorum(node, self.observer_ids, now)
            except InvariantViolation:
                raise
            except Exception as exc:
                raise self.core_failed(node, exc) from exc
