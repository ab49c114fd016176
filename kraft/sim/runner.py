"""Run one seed or a range of seeds; every failure comes with the one command that replays it.

Theory of operation: `plan(seed, ...)` fixes everything a run depends on (scenario, cluster shape,
injected bugs, phase lengths) in a `RunSpec`; what the caller leaves open is drawn from a Random
derived from the seed alone, so the replay line (which spells the spec out) reproduces the run
exactly. `run(spec)` then:

1. starts every node at a small random offset, a workload tick (the leader appends the next
   counter value) and a DescribeQuorum check;
2. lets the scenario inject faults for `chaos_ms` of virtual time, checking invariants after
   every event;
3. heals: partitions removed, calm network, every stopped node restarted;
4. liveness: within `liveness_ms` a leader must exist that every running replica (observers
   included) follows in its epoch, the committed log must grow beyond what it was at the heal, and
   every running replica must reach that heal-time committed offset. One long-poll round later the
   leader's DescribeQuorum must list every observer with an id (and no id-less one). The run stops
   there.

Any invariant violation, core exception or missed liveness bound fails the run. `RunResult`
carries the trace hash (blake2b of the deterministic trace), so determinism is checked by running
a seed twice and comparing hashes.
"""

from __future__ import annotations

import multiprocessing
import random
import signal
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kraft.config import InjectedBug
from kraft.roles import RoleName
from kraft.sim.cluster import TIMINGS, ClusterSpec, SimCluster, SimNode
from kraft.sim.invariants import VOTER_WIPE_RELAXED, InvariantViolation
from kraft.sim.scenarios import MIXED, SCENARIO_FUNCTIONS, SCENARIOS, Chaos
from kraft.sim.scheduler import Scheduler, SchedulerOverflow, Trace
from kraft.sim.workload import Workload

CHAOS_MS_DEFAULT = 6_000
LIVENESS_MS_DEFAULT = 10_000
PROPOSE_INTERVAL_MS = (40, 100)
DESCRIBE_INTERVAL_MS = 250
LIVENESS_PROBE_MS = 50
START_JITTER_MS = 50


@dataclass(frozen=True, slots=True)
class RunSpec:
    seed: int
    scenario: str
    cluster: ClusterSpec
    bugs: frozenset[InjectedBug] = frozenset()
    chaos_ms: int = CHAOS_MS_DEFAULT
    liveness_ms: int = LIVENESS_MS_DEFAULT
    timing: str = "kafka"
    # Snapshot every this many committed offsets per node (0: never).
    snapshot_every_offsets: int = 0

    def replay_command(self) -> str:
        parts = [
            f"bin/kraft sim --seed {self.seed} --scenario {self.scenario}",
            self.cluster.describe(),
            f"--timing {self.timing}",
            f"--snapshot-every {self.snapshot_every_offsets}",
        ]
        parts += [f"--bug {b.value}" for b in sorted(self.bugs, key=lambda b: b.value)]
        if self.chaos_ms != CHAOS_MS_DEFAULT:
            parts.append(f"--chaos-ms {self.chaos_ms}")
        if self.liveness_ms != LIVENESS_MS_DEFAULT:
            parts.append(f"--liveness-ms {self.liveness_ms}")
        return " ".join(parts)


@dataclass(slots=True)
class RunResult:
    spec: RunSpec
    ok: bool
    violation: str | None = None  # invariant name
    detail: str = ""
    trace_hash: str = ""
    events: int = 0
    virtual_ms: int = 0
    committed_offset: int = 0
    proposed: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0  # process time: what the seed costs, whatever else the machine runs
    trace_lines: list[str] = field(default_factory=list)

    def summary_line(self) -> str:
        if self.ok:
            return (
                f"seed {self.spec.seed} ok: {self.spec.scenario}, {self.events} events, "
                f"committed {self.committed_offset}, {self.elapsed_s:.2f}s"
            )
        return f"FAIL {self.violation}: {self.detail}\n  replay: {self.spec.replay_command()}"


def plan(
    seed: int,
    scenario: str | None = None,
    voters: int | None = None,
    observers: int | None = None,
    idless: int | None = None,
    bugs: Iterable[InjectedBug] = (),
    chaos_ms: int = CHAOS_MS_DEFAULT,
    liveness_ms: int = LIVENESS_MS_DEFAULT,
    timing: str | None = None,
    snapshot_every_offsets: int | None = None,
) -> RunSpec:
    """Fill in what the caller left open from a Random that depends on the seed only."""
    shape = random.Random(f"{seed}/shape")
    picked_scenario = shape.choice(MIXED)
    picked_voters = shape.choice((3, 3, 5)) if picked_scenario != "split" else 5
    picked_observers = shape.randint(0, 2)
    picked_idless = shape.randint(0, 2)
    if picked_scenario == "observers":
        picked_observers = max(picked_observers, 1)
        picked_idless = max(picked_idless, 1)
    picked_timing = shape.choice(("kafka", "kafka", "fast", "linger-no-prevote"))
    # Drawn last, so adding it did not change the scenario or shape any seed had before.
    picked_snapshots = shape.choice((0, 0, 10, 25))
    scenario = scenario or picked_scenario
    timing = timing or picked_timing
    assert timing in TIMINGS, timing
    assert scenario in SCENARIOS, scenario
    return RunSpec(
        seed=seed,
        scenario=scenario,
        cluster=ClusterSpec(
            voters=picked_voters if voters is None else voters,
            observers=picked_observers if observers is None else observers,
            idless_observers=picked_idless if idless is None else idless,
        ),
        bugs=frozenset(bugs),
        chaos_ms=chaos_ms,
        liveness_ms=liveness_ms,
        timing=timing,
        snapshot_every_offsets=(
            picked_snapshots if snapshot_every_offsets is None else snapshot_every_offsets
        ),
    )


class _LivenessReached(Exception):
    pass


def run(spec: RunSpec, keep_trace: bool = False) -> RunResult:
    started = time.perf_counter()
    cpu_started = time.process_time()
    scheduler = Scheduler()
    trace = Trace(keep_lines=keep_trace)
    disabled = VOTER_WIPE_RELAXED if spec.scenario == "voter-wipe" else frozenset()
    cluster = SimCluster(
        spec.seed,
        spec.cluster,
        scheduler,
        trace,
        timing=TIMINGS[spec.timing],
        injected_bugs=spec.bugs,
        disabled_invariants=disabled,
        snapshot_every_offsets=spec.snapshot_every_offsets,
    )
    workload = Workload(cluster, cluster.workload_rng)
    result = RunResult(spec=spec, ok=True)
    try:
        _drive(spec, cluster, scheduler, workload)
    except InvariantViolation as violation:
        result.ok = False
        result.violation = violation.name
        result.detail = f"{violation.detail} at {scheduler.now_ms} ms"
    except SchedulerOverflow as exc:
        result.ok = False
        result.violation = "SchedulerOverflow"
        result.detail = str(exc)
    except _LivenessReached:
        pass
    trace.add(scheduler.now_ms, f"end ok={result.ok} violation={result.violation}")
    result.trace_hash = trace.hexdigest()
    result.events = scheduler.events_run
    result.virtual_ms = scheduler.now_ms
    result.committed_offset = cluster.checker.committed_end_offset
    result.proposed = workload.proposed
    result.faults = cluster.faults + Counter(
        {
            "net-dropped": cluster.network.stats.dropped_random,
            "net-duplicated": cluster.network.stats.duplicated,
            "net-partitioned": cluster.network.stats.dropped_partition,
            "net-slow": cluster.network.stats.slow,
            "net-sender-crashed": cluster.network.stats.sender_crashed,
            "disk-lost-batches": sum(n.log.stats.lost_batches for n in cluster.nodes),
            "disk-truncations": sum(n.log.stats.truncations for n in cluster.nodes),
        }
    )
    result.elapsed_s = time.perf_counter() - started
    result.cpu_s = time.process_time() - cpu_started
    result.trace_lines = trace.lines
    return result


def _drive(spec: RunSpec, cluster: SimCluster, scheduler: Scheduler, workload: Workload) -> None:
    rng = cluster.workload_rng
    for node in cluster.nodes:
        scheduler.at(rng.randint(0, START_JITTER_MS), cluster.start, node)

    def propose(_arg: object) -> None:
        workload.tick()
        scheduler.after(rng.randint(*PROPOSE_INTERVAL_MS), propose)

    def describe(_arg: object) -> None:
        cluster.describe_tick()
        scheduler.after(DESCRIBE_INTERVAL_MS, describe)

    scheduler.at(START_JITTER_MS + 1, propose)
    scheduler.at(DESCRIBE_INTERVAL_MS, describe)
    chaos_end_ms = START_JITTER_MS + spec.chaos_ms
    chaos = Chaos(cluster, START_JITTER_MS + 500, chaos_end_ms)
    SCENARIO_FUNCTIONS[spec.scenario](chaos)
    scheduler.run_until(chaos_end_ms)

    # Heal, then demand progress within the bound.
    cluster.note("heal")
    cluster.network.heal()
    for node in cluster.nodes:
        node.paused_until_ms = min(node.paused_until_ms, scheduler.now_ms)
        if node.raft is not None and (node.crash_after_steps is not None or node.shutting_down):
            cluster.crash(node, reason="heal")
        if node.raft is None:
            cluster.start(node)
    committed_at_heal = cluster.checker.committed_end_offset

    def probe(_arg: object) -> None:
        leader = cluster.current_leader()
        if leader is not None and liveness_holds(cluster, committed_at_heal):
            # Everyone follows this leader: within one more long-poll round every observer with
            # an id has fetched from it, so its DescribeQuorum must list all of them.
            settle_ms = cluster.config.fetch_wait_ms_max + 2 * LIVENESS_PROBE_MS
            scheduler.after(settle_ms, final_check, leader)
            return
        scheduler.after(LIVENESS_PROBE_MS, probe)

    def final_check(leader: SimNode) -> None:
        if leader.raft is not None and leader is cluster.current_leader():
            cluster.checker.check_describe_quorum(
                leader, cluster.observer_ids, scheduler.now_ms, complete=True
            )
            raise _LivenessReached()
        scheduler.after(LIVENESS_PROBE_MS, probe)  # the leader changed meanwhile: start over

    scheduler.after(LIVENESS_PROBE_MS, probe)
    scheduler.run_until(chaos_end_ms + spec.liveness_ms)
    raise InvariantViolation(
        "Liveness",
        f"no progress within {spec.liveness_ms} ms after heal: {liveness_state(cluster)}",
    )


def liveness_holds(cluster: SimCluster, committed_at_heal: int) -> bool:
    leader = cluster.current_leader()
    if leader is None or leader.raft is None:
        return False
    epoch = leader.raft.epoch
    if cluster.checker.committed_end_offset <= committed_at_heal:
        return False
    for node in cluster.nodes:
        raft = node.raft
        if raft is None:
            return False
        if raft.epoch != epoch or raft.leader_id != leader.replica_id:
            return False
        hw = raft.high_watermark
        if hw is None or hw < committed_at_heal:
            return False
    return True


def liveness_state(cluster: SimCluster) -> str:
    parts = []
    for node in cluster.nodes:
        raft = node.raft
        if raft is None:
            parts.append(f"{node.name}=down")
        else:
            role = raft.role.value if isinstance(raft.role, RoleName) else str(raft.role)
            parts.append(f"{node.name}={role}/e{raft.epoch}/hw{raft.high_watermark}")
    return f"committed={cluster.checker.committed_end_offset} " + " ".join(parts)


# ---------------------------------------------------------------------- seed ranges
@dataclass(slots=True)
class Summary:
    seeds: int = 0
    passed: int = 0
    failures: list[RunResult] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    scenarios: Counter[str] = field(default_factory=Counter)
    events: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0

    def add(self, result: RunResult) -> None:
        self.seeds += 1
        self.passed += result.ok
        if not result.ok:
            self.failures.append(result)
        self.faults.update(result.faults)
        self.scenarios[result.spec.scenario] += 1
        self.events += result.events
        self.cpu_s += result.cpu_s

    def line(self) -> str:
        faults = ", ".join(f"{k}={v}" for k, v in sorted(self.faults.items()))
        return (
            f"seeds={self.seeds} passed={self.passed} failed={len(self.failures)} "
            f"time={self.elapsed_s:.1f}s cpu={self.cpu_s:.1f}s events={self.events} "
            f"faults: {faults}"
        )


def _run_quiet(spec: RunSpec) -> RunResult:
    return run(spec)


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: only the parent handles it (and stops the pool,
    # with SIGTERM, which must just end a worker), so no worker prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_many(specs: list[RunSpec], jobs: int = 1) -> Iterator[RunResult]:
    """Results in spec order; `jobs` > 1 runs them in that many worker processes."""
    if jobs <= 1:
        for spec in specs:
            yield run(spec)
        return
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=_ignore_interrupts) as pool:
        yield from pool.imap(_run_quiet, specs, chunksize=4)
