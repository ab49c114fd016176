"""Seeded faulty network between simulated nodes.

Theory of operation: a message is an `Envelope` from one node address to another (addresses are
the simulator's node indexes, independent of replica ids, so id-less observers are addressable).
When a message is sent the network decides its fate from its own `random.Random`: dropped with
probability `drop_probability`, otherwise delivered after a delay drawn from
[delay_min_ms, delay_ms_max] (with probability `slow_probability` from [delay_ms_max,
slow_delay_ms_max], which reorders it behind later messages), and duplicated with probability
`duplicate_probability` (the copy gets its own delay). Partitions are a set of blocked *directed*
links, checked when a message would be delivered, so a partition also eats messages already in
flight; a symmetric partition blocks both directions, an asymmetric one only one. `heal()` removes
every partition and resets the probabilities to the calm profile.

Envelopes remember the incarnation of both ends at send time: a node that crashed in the meantime
never sees a message addressed to its earlier life, and a reply to a request from an earlier life is
discarded, as a TCP connection reset would do. A message its *sender* sent before crashing arrives
with probability `SENT_BEFORE_CRASH_ARRIVES` (the kernel still transmits what the process wrote,
unless the connection is reset first): so a leader's Fetch answers that left before its crash,
between them and the fsync of the batch they carry, can reach the followers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from kraft.sim.scheduler import Scheduler

# Bound on messages in flight; a core that floods the network fails the run instead of eating RAM.
IN_FLIGHT_MAX = 100_000
# Chance that a message in flight when its sender crashed still arrives.
SENT_BEFORE_CRASH_ARRIVES = 0.5


@dataclass(frozen=True, slots=True)
class NetworkProfile:
    """Fault probabilities and delay range of the network (all delays in virtual ms)."""

    drop_probability: float = 0.0
    duplicate_probability: float = 0.0
    slow_probability: float = 0.0
    delay_min_ms: int = 1
    delay_ms_max: int = 5
    slow_delay_ms_max: int = 200

    def __post_init__(self) -> None:
        assert 0 <= self.delay_min_ms <= self.delay_ms_max <= self.slow_delay_ms_max, self
        for p in (self.drop_probability, self.duplicate_probability, self.slow_probability):
            assert 0.0 <= p <= 1.0, self


CALM = NetworkProfile()
# Rare messages from the past: a few messages arrive seconds late, after elections moved on.
STALE = NetworkProfile(slow_probability=0.03, delay_ms_max=5, slow_delay_ms_max=3000)
LOSSY = NetworkProfile(
    drop_probability=0.05, duplicate_probability=0.03, slow_probability=0.05, delay_ms_max=10
)


@dataclass(slots=True)
class Envelope:
    src: int
    dst: int
    src_incarnation: int
    dst_incarnation: int
    payload: Any
    duplicate: bool = False


@dataclass(slots=True)
class NetworkStats:
    sent: int = 0
    delivered: int = 0
    dropped_random: int = 0
    dropped_partition: int = 0
    dropped_dead: int = 0
    # Arrived although the sender crashed after sending it.
    sender_crashed: int = 0
    duplicated: int = 0
    slow: int = 0


@dataclass(slots=True)
class Network:
    """Delivers envelopes through `scheduler` to `deliver(envelope)` unless a fault eats them.

    `incarnation_of(address)` returns the current incarnation of a node, or None while it is down.
    """

    scheduler: Scheduler
    rng: random.Random
    deliver: Callable[[Envelope], None]
    incarnation_of: Callable[[int], int | None]
    profile: NetworkProfile = CALM
    blocked: set[tuple[int, int]] = field(default_factory=set)
    stats: NetworkStats = field(default_factory=NetworkStats)
    in_flight: int = 0

    # ---------------------------------------------------------------------------- sending
    def send(self, src: int, dst: int, payload: Any) -> None:
        src_inc = self.incarnation_of(src)
        dst_inc = self.incarnation_of(dst)
        assert src_inc is not None, "a down node cannot send"
        self.stats.sent += 1
        if dst_inc is None:
            self.stats.dropped_dead += 1
            return
        rng = self.rng
        profile = self.profile
        if profile.drop_probability and rng.random() < profile.drop_probability:
            self.stats.dropped_random += 1
            return
        envelope = Envelope(src, dst, src_inc, dst_inc, payload)
        self._schedule(envelope)
        if profile.duplicate_probability and rng.random() < profile.duplicate_probability:
            self.stats.duplicated += 1
            self._schedule(replace(envelope, duplicate=True))

    def _schedule(self, envelope: Envelope) -> None:
        rng = self.rng
        profile = self.profile
        if profile.slow_probability and rng.random() < profile.slow_probability:
            self.stats.slow += 1
            delay_ms = rng.randint(profile.delay_ms_max, profile.slow_delay_ms_max)
        else:
            delay_ms = rng.randint(profile.delay_min_ms, profile.delay_ms_max)
        self.in_flight += 1
        assert self.in_flight <= IN_FLIGHT_MAX, "network flooded: more than IN_FLIGHT_MAX messages"
        self.scheduler.after(delay_ms, self._arrive, envelope)

    def _arrive(self, envelope: Envelope) -> None:
        self.in_flight -= 1
        if (envelope.src, envelope.dst) in self.blocked:
            self.stats.dropped_partition += 1
            return
        if self.incarnation_of(envelope.dst) != envelope.dst_incarnation:
            self.stats.dropped_dead += 1
            return
        if self.incarnation_of(envelope.src) != envelope.src_incarnation:
            if self.rng.random() >= SENT_BEFORE_CRASH_ARRIVES:
                self.stats.dropped_dead += 1
                return
            self.stats.sender_crashed += 1
        self.stats.delivered += 1
        self.deliver(envelope)

    # ------------------------------------------------------------------------- partitions
    def block(self, src: int, dst: int) -> None:
        """One-way: messages from `src` to `dst` are lost."""
        if src != dst:
            self.blocked.add((src, dst))

    def partition(
        self, side_a: Iterable[int], side_b: Iterable[int], symmetric: bool = True
    ) -> None:
        """Cut every link from side A to side B (and back when `symmetric`)."""
        side_b = list(side_b)
        for a in side_a:
            for b in side_b:
                self.block(a, b)
                if symmetric:
                    self.block(b, a)

    def isolate(self, node: int, everyone: Iterable[int]) -> None:
        """Symmetric partition of one node from all others."""
        self.partition([node], [n for n in everyone if n != node])

    def heal(self) -> None:
        """Remove every partition and return to the calm profile (liveness phase)."""
        self.blocked.clear()
        self.profile = CALM
