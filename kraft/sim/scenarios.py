"""Fault schedules. Each scenario schedules its faults for the chaos phase of a run.

Theory of operation: a scenario is a function `(Chaos) -> None` that schedules actions through
`Chaos.at`/`Chaos.every`; those actions are skipped once the chaos phase ended, so the liveness
phase always starts from a healed network with every node restarted. Faults draw from the cluster's
fault `random.Random` only, so a scenario never perturbs the network or the nodes' randomness.

Scenarios (Kafka's RaftEventSimulationTest and more):
- random:       a random mix of every fault below, plus lossy/duplicating/reordering network phases.
- leader-kill:  the current leader is killed (sometimes mid-Ready), then restarted.
- partition:    the current leader is cut off (symmetric) or paused, healed, repeatedly.
- split:        voters split into a minority and a majority; sometimes only one direction is cut.
- shutdown:     the leader shuts down gracefully (EndQuorumEpoch) and restarts, or just resigns.
- all-kill:     every node is killed; a majority of voters comes back first, the rest later.
- observers:    observers (with and without id) crash, are wiped and restart on a lossy network.
- lossy:        no crashes, but drops, duplicates and heavy reordering (or messages seconds late).
- voter-wipe:   one voter at a time loses its disk (Kafka's disk-loss case; relaxed invariants).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from kraft.quorum import majority_of
from kraft.sim.cluster import SimCluster, SimNode
from kraft.sim.network import LOSSY, STALE, NetworkProfile

SCENARIOS = (
    "random",
    "leader-kill",
    "partition",
    "split",
    "shutdown",
    "all-kill",
    "observers",
    "lossy",
    "voter-wipe",
)
# Scenarios a seed range picks from by default ("mixed").
MIXED = SCENARIOS

HEAVY = NetworkProfile(
    drop_probability=0.1, duplicate_probability=0.05, slow_probability=0.1, delay_ms_max=20
)


@dataclass(slots=True)
class Chaos:
    cluster: SimCluster
    start_ms: int
    end_ms: int

    @property
    def over(self) -> bool:
        return self.cluster.scheduler.now_ms >= self.end_ms

    def at(self, time_ms: int, action: Callable[[], None]) -> None:
        if time_ms < self.end_ms:
            self.cluster.scheduler.at(time_ms, self._guarded, action)

    def after(self, delay_ms: int, action: Callable[[], None]) -> None:
        self.at(self.cluster.scheduler.now_ms + delay_ms, action)

    def _guarded(self, action: Callable[[], None]) -> None:
        if not self.over:
            action()

    def every(self, low_ms: int, high_ms: int, action: Callable[[], None]) -> None:
        """Run `action` repeatedly at random intervals in [low_ms, high_ms] during chaos."""
        rng = self.cluster.fault_rng

        def tick() -> None:
            action()
            self.after(rng.randint(low_ms, high_ms), tick)

        self.at(self.start_ms + rng.randint(low_ms, high_ms), tick)

    # ------------------------------------------------------------------ fault helpers
    def pick(self, nodes: list[SimNode]) -> SimNode | None:
        return self.cluster.fault_rng.choice(nodes) if nodes else None

    def up(self, voters_only: bool = False) -> list[SimNode]:
        return [
            n for n in self.cluster.nodes if n.raft is not None and (n.is_voter or not voters_only)
        ]

    def kill(self, node: SimNode | None, restart_low_ms: int, restart_high_ms: int) -> None:
        if node is None or node.raft is None:
            return
        c = self.cluster
        if c.fault_rng.random() < 0.3:
            # Crash between two ordered steps of one of its next Readys.
            c.faults["arm-mid-ready"] += 1
            c.arm_mid_ready_crash(node, c.fault_rng.randint(0, 3))
        else:
            c.faults["kill"] += 1
            c.crash(node)
        self.after(c.fault_rng.randint(restart_low_ms, restart_high_ms), lambda: self.restart(node))

    def restart(self, node: SimNode) -> None:
        c = self.cluster
        if node.raft is not None and node.crash_after_steps is not None:
            node.crash_after_steps = None  # the armed crash never fired; kill it now
            c.crash(node, reason="armed")
        if node.raft is None:
            c.faults["restart"] += 1
            c.start(node)

    def isolate(self, node: SimNode | None, heal_low_ms: int, heal_high_ms: int) -> None:
        if node is None:
            return
        c = self.cluster
        others = [n.index for n in c.nodes if n is not node]
        c.faults["isolate"] += 1
        c.note(f"isolate {node.name}")
        c.network.partition([node.index], others)
        pairs = [(node.index, o) for o in others] + [(o, node.index) for o in others]
        self.after(c.fault_rng.randint(heal_low_ms, heal_high_ms), lambda: self.unblock(pairs))

    def unblock(self, pairs: list[tuple[int, int]]) -> None:
        for pair in pairs:
            self.cluster.network.blocked.discard(pair)
        self.cluster.note(f"unblock {len(pairs)} links")

    def split(self, heal_low_ms: int, heal_high_ms: int) -> None:
        c = self.cluster
        voters = [n.index for n in c.voters]
        c.fault_rng.shuffle(voters)
        minority = voters[: (len(voters) - 1) // 2]
        majority = [n.index for n in c.nodes if n.index not in minority]
        symmetric = c.fault_rng.random() < 0.5
        c.faults["split" if symmetric else "one-way-split"] += 1
        c.note(f"split {minority}|{majority} symmetric={symmetric}")
        before = set(c.network.blocked)
        if symmetric:
            c.network.partition(minority, majority)
        elif c.fault_rng.random() < 0.5:
            c.network.partition(minority, majority, symmetric=False)  # minority's requests lost
        else:
            c.network.partition(majority, minority, symmetric=False)  # majority's answers lost
        added = list(c.network.blocked - before)
        self.after(c.fault_rng.randint(heal_low_ms, heal_high_ms), lambda: self.unblock(added))

    def one_way(self, heal_low_ms: int, heal_high_ms: int) -> None:
        c = self.cluster
        if len(c.nodes) < 2:
            return
        a, b = c.fault_rng.sample(range(len(c.nodes)), 2)
        if (a, b) in c.network.blocked:
            return
        c.faults["one-way-link"] += 1
        c.network.block(a, b)
        self.after(c.fault_rng.randint(heal_low_ms, heal_high_ms), lambda: self.unblock([(a, b)]))

    def shutdown(self, node: SimNode | None, restart_low_ms: int, restart_high_ms: int) -> None:
        if node is None or node.raft is None:
            return
        c = self.cluster
        c.faults["shutdown"] += 1
        c.shutdown(node)
        self.after(c.fault_rng.randint(restart_low_ms, restart_high_ms), lambda: self.restart(node))

    def wipe(self, node: SimNode | None, restart_low_ms: int, restart_high_ms: int) -> None:
        if node is None:
            return
        c = self.cluster
        c.crash(node, reason="before-wipe")
        c.wipe(node)
        c.faults["wipe-voter" if node.is_voter else "wipe-observer"] += 1
        self.after(c.fault_rng.randint(restart_low_ms, restart_high_ms), lambda: self.restart(node))

    def pause(self, node: SimNode | None, low_ms: int, high_ms: int) -> None:
        if node is None or node.raft is None:
            return
        self.cluster.faults["pause"] += 1
        self.cluster.pause(node, self.cluster.fault_rng.randint(low_ms, high_ms))

    def resign(self, node: SimNode | None) -> None:
        if node is None:
            return
        self.cluster.faults["resign"] += 1
        self.cluster.resign(node)

    def profile(self, profile: NetworkProfile, low_ms: int, high_ms: int) -> None:
        c = self.cluster
        c.faults["lossy-phase"] += 1
        c.set_profile(profile)
        self.after(c.fault_rng.randint(low_ms, high_ms), lambda: c.set_profile(NetworkProfile()))


# ---------------------------------------------------------------------- the scenarios
def leader(chaos: Chaos) -> SimNode | None:
    return chaos.cluster.current_leader()


def scenario_random(chaos: Chaos) -> None:
    """Swarm testing (as TigerBeetle's VOPR): each seed enables a random subset of fault kinds,
    so some seeds hammer one kind of fault instead of diluting every kind."""
    c = chaos.cluster
    rng = c.fault_rng
    observers = [n for n in c.nodes if not n.is_voter]
    kinds: list[Callable[[], None]] = [
        lambda: chaos.kill(chaos.pick(chaos.up()), 50, 1500),
        lambda: chaos.kill(leader(chaos), 50, 1500),
        lambda: chaos.isolate(chaos.pick(c.nodes), 200, 2000),
        lambda: chaos.split(300, 2000),
        lambda: chaos.one_way(200, 2000),
        lambda: chaos.profile(rng.choice((HEAVY, LOSSY, STALE)), 300, 1500),
        lambda: chaos.shutdown(leader(chaos), 100, 1500),
        lambda: chaos.wipe(chaos.pick(observers), 50, 1000),
        lambda: chaos.pause(chaos.pick(chaos.up()), 100, 3000),
        lambda: chaos.resign(leader(chaos)),
    ]
    enabled = [kind for kind in kinds if rng.random() < 0.6] or [rng.choice(kinds)]
    chaos.every(150, 700, lambda: rng.choice(enabled)())


def scenario_leader_kill(chaos: Chaos) -> None:
    chaos.every(500, 1500, lambda: chaos.kill(leader(chaos), 100, 1200))


def scenario_partition(chaos: Chaos) -> None:
    rng = chaos.cluster.fault_rng

    def fault() -> None:
        # A long stop-the-world pause cuts the leader off as surely as the network does.
        if rng.random() < 0.25:
            chaos.pause(leader(chaos), 500, 3000)
        else:
            chaos.isolate(leader(chaos), 300, 2000)

    chaos.every(700, 2000, fault)


def scenario_split(chaos: Chaos) -> None:
    chaos.every(800, 2500, lambda: chaos.split(500, 2500))


def scenario_shutdown(chaos: Chaos) -> None:
    rng = chaos.cluster.fault_rng

    def fault() -> None:
        if rng.random() < 0.3:
            chaos.resign(leader(chaos))
        else:
            chaos.shutdown(leader(chaos), 100, 1200)

    chaos.every(600, 1500, fault)


def scenario_all_kill(chaos: Chaos) -> None:
    c = chaos.cluster
    rng = c.fault_rng

    def kill_all() -> None:
        c.faults["kill-all"] += 1
        for node in c.nodes:
            c.crash(node)
        voters = list(c.voters)
        rng.shuffle(voters)
        first = voters[: majority_of(len(voters))]
        rest = voters[len(first) :] + [n for n in c.nodes if not n.is_voter]
        for node in first:
            chaos.after(rng.randint(50, 500), functools.partial(chaos.restart, node))
        for node in rest:
            chaos.after(rng.randint(800, 2500), functools.partial(chaos.restart, node))

    chaos.every(1500, 3000, kill_all)


def scenario_observers(chaos: Chaos) -> None:
    c = chaos.cluster
    rng = c.fault_rng
    observers = [n for n in c.nodes if not n.is_voter]
    chaos.profile(LOSSY, chaos.end_ms, chaos.end_ms)

    def fault() -> None:
        node = chaos.pick(observers)
        if rng.random() < 0.5:
            chaos.wipe(node, 50, 800)
        else:
            chaos.kill(node, 50, 800)

    chaos.every(200, 800, fault)
    chaos.every(1000, 2500, lambda: chaos.kill(leader(chaos), 100, 1000))


def scenario_lossy(chaos: Chaos) -> None:
    chaos.profile(chaos.cluster.fault_rng.choice((HEAVY, STALE)), chaos.end_ms, chaos.end_ms)
    chaos.every(300, 1000, lambda: chaos.one_way(100, 800))


def scenario_voter_wipe(chaos: Chaos) -> None:
    """Kafka's single-node disk loss: one voter at a time loses its disk and stays down longer
    than any election of the epochs it voted in can last, on a calm network with no other fault.
    The rest of the cluster still holds every committed record, so only
    MajorityReachedHighWatermark is relaxed (the wiped voter's copy is gone)."""
    c = chaos.cluster
    down_ms_max = 4000

    def everyone_caught_up() -> bool:
        committed = c.checker.committed_end_offset
        epochs = {n.raft.epoch for n in c.voters if n.raft is not None}
        return len(epochs) == 1 and all(
            n.raft is not None and n.log.durable_end_offset >= committed for n in c.voters
        )

    def fault() -> None:
        # Never two disk losses at once (the previous one must have caught up), and the wiped
        # voter must be back before the heal phase restarts everything early.
        if len(c.voters) < 3:
            return  # the only copy of the committed log would go with the disk
        if chaos.cluster.scheduler.now_ms + down_ms_max < chaos.end_ms and everyone_caught_up():
            chaos.wipe(chaos.pick(c.voters), 2500, down_ms_max)

    chaos.every(1000, 2000, fault)


SCENARIO_FUNCTIONS: dict[str, Callable[[Chaos], None]] = {
    "random": scenario_random,
    "leader-kill": scenario_leader_kill,
    "partition": scenario_partition,
    "split": scenario_split,
    "shutdown": scenario_shutdown,
    "all-kill": scenario_all_kill,
    "observers": scenario_observers,
    "lossy": scenario_lossy,
    "voter-wipe": scenario_voter_wipe,
}
assert tuple(SCENARIO_FUNCTIONS) == SCENARIOS
