"""Unit tests of the simulator's building blocks: scheduler, network and crash-consistent disk."""

from __future__ import annotations

import random

from kraft.sim.disk import SimLog, SimQuorumStore
from kraft.sim.network import Envelope, Network, NetworkProfile
from kraft.sim.scheduler import Scheduler, Trace
from kraft.types import BatchInfo


def batch(base: int, count: int, epoch: int = 1) -> tuple[bytes, BatchInfo]:
    data = bytes([base % 256]) * (10 + count)
    return data, BatchInfo(base, base + count - 1, epoch, len(data), False)


def log_with(*sizes: int) -> SimLog:
    log = SimLog()
    for n in sizes:
        log.append(*batch(log.end_offset, n))
    return log


# ------------------------------------------------------------------------------ scheduler
def test_scheduler_runs_in_time_then_fifo_order() -> None:
    sched = Scheduler()
    seen: list[tuple[int, str]] = []
    sched.at(10, lambda a: seen.append((sched.now_ms, a)), "b")
    sched.at(5, lambda a: seen.append((sched.now_ms, a)), "a")
    sched.at(10, lambda a: seen.append((sched.now_ms, a)), "c")
    sched.run_until(9)
    assert seen == [(5, "a")] and sched.now_ms == 9
    sched.run_until(100)
    assert seen == [(5, "a"), (10, "b"), (10, "c")] and sched.now_ms == 100


def test_scheduler_never_goes_back_in_time() -> None:
    sched = Scheduler()
    sched.run_until(50)
    times: list[int] = []
    sched.at(10, lambda _: times.append(sched.now_ms))
    sched.run_until(60)
    assert times == [50]


def test_trace_hash_depends_on_every_line() -> None:
    a, b, c = Trace(), Trace(), Trace(keep_lines=True)
    for t in (a, b, c):
        t.add(1, "x")
    a.add(2, "y")
    b.add(2, "z")
    c.add(2, "y")
    assert a.hexdigest() != b.hexdigest()
    assert a.hexdigest() == c.hexdigest() and len(c.lines) == 2


# -------------------------------------------------------------------------------- network
def make_net(profile: NetworkProfile, seed: int = 1) -> tuple[Scheduler, Network, list[Envelope]]:
    sched = Scheduler()
    got: list[Envelope] = []
    alive = {0: 1, 1: 1, 2: 1}
    net = Network(sched, random.Random(seed), got.append, alive.get, profile)
    return sched, net, got


def test_network_delivers_within_delay_bounds() -> None:
    sched, net, got = make_net(NetworkProfile(delay_min_ms=3, delay_ms_max=7))
    for i in range(100):
        net.send(0, 1, i)
    sched.run_until(2)
    assert got == []
    sched.run_until(7)
    assert sorted(e.payload for e in got) == list(range(100))


def test_network_reorders_with_random_delays() -> None:
    sched, net, got = make_net(NetworkProfile(delay_min_ms=1, delay_ms_max=50))
    for i in range(50):
        net.send(0, 1, i)
    sched.run_until(1000)
    payloads = [e.payload for e in got]
    assert sorted(payloads) == list(range(50)) and payloads != list(range(50))


def test_network_drops_and_duplicates_at_configured_rates() -> None:
    sched, net, got = make_net(NetworkProfile(drop_probability=0.2, duplicate_probability=0.1))
    for i in range(5000):
        net.send(0, 1, i)
    sched.run_until(10_000)
    assert 800 < net.stats.dropped_random < 1200
    assert 300 < net.stats.duplicated < 500
    assert len(got) == 5000 - net.stats.dropped_random + net.stats.duplicated
    assert sum(e.duplicate for e in got) == net.stats.duplicated


def test_asymmetric_partition_blocks_one_direction_and_in_flight_messages() -> None:
    sched, net, got = make_net(NetworkProfile(delay_min_ms=10, delay_ms_max=10))
    net.send(0, 1, "in-flight")
    net.partition([0], [1], symmetric=False)
    net.send(0, 1, "blocked")
    net.send(1, 0, "allowed")
    sched.run_until(100)
    assert [e.payload for e in got] == ["allowed"]
    assert net.stats.dropped_partition == 2
    net.heal()
    net.send(0, 1, "healed")
    sched.run_until(200)
    assert [e.payload for e in got] == ["allowed", "healed"]


def test_symmetric_partition_blocks_both_directions() -> None:
    sched, net, got = make_net(NetworkProfile())
    net.partition([0], [1, 2])
    for src, dst in ((0, 1), (1, 0), (0, 2), (2, 0), (1, 2)):
        net.send(src, dst, (src, dst))
    sched.run_until(100)
    assert [e.payload for e in got] == [(1, 2)]


def test_messages_to_an_earlier_incarnation_are_lost() -> None:
    sched = Scheduler()
    got: list[Envelope] = []
    alive: dict[int, int | None] = {0: 1, 1: 1}
    net = Network(sched, random.Random(3), got.append, alive.get, NetworkProfile(delay_min_ms=5))
    net.send(0, 1, "to old 1")
    alive[1] = 2  # node 1 crashed and restarted
    sched.run_until(100)
    assert got == [] and net.stats.dropped_dead == 1
    alive[1] = None
    net.send(0, 1, "to down node")
    assert net.stats.dropped_dead == 2


def test_messages_sent_before_the_sender_crashed_may_still_arrive() -> None:
    """What a process wrote to its sockets before it crashed is transmitted unless the connection
    is reset first: both outcomes happen (a leader's Fetch answers sent before its fsync)."""
    sched = Scheduler()
    got: list[Envelope] = []
    alive: dict[int, int | None] = {0: 1, 1: 1}
    net = Network(sched, random.Random(3), got.append, alive.get, NetworkProfile(delay_min_ms=5))
    for i in range(40):
        net.send(1, 0, f"from old 1 #{i}")
    alive[1] = None  # node 1 crashed
    sched.run_until(100)
    assert 0 < len(got) < 40
    assert net.stats.sender_crashed == len(got) and net.stats.dropped_dead == 40 - len(got)
    assert all(e.src_incarnation == 1 for e in got)


def test_network_is_deterministic_per_seed() -> None:
    def run(seed: int) -> list[object]:
        sched, net, got = make_net(
            NetworkProfile(drop_probability=0.1, duplicate_probability=0.1, slow_probability=0.1),
            seed,
        )
        for i in range(200):
            net.send(i % 3, (i + 1) % 3, i)
        sched.run_until(10_000)
        return [(e.payload, e.duplicate) for e in got]

    assert run(7) == run(7)
    assert run(7) != run(8)


# ----------------------------------------------------------------------------------- disk
def test_crash_loses_exactly_the_unflushed_tail() -> None:
    log = log_with(1, 2, 3)
    assert log.flush() == 6
    log.append(*batch(6, 4))
    log.append(*batch(10, 1))
    assert log.end_offset == 11 and log.durable_end_offset == 6
    log.crash()
    assert log.end_offset == 6 and log.durable_end_offset == 6
    assert [b.info.base_offset for b in log.batches] == [0, 1, 3]
    assert log.stats.lost_batches == 2


def test_unflushed_truncation_is_undone_by_a_crash() -> None:
    log = log_with(1, 2, 3)
    log.flush()
    durable = [b.data for b in log.batches]
    assert log.truncate_to(1) == 1
    log.append(*batch(1, 5, epoch=2))
    assert log.durable_end_offset == 6
    log.crash()
    assert [b.data for b in log.batches] == durable and log.last_epoch == 1
    # ... and made durable by a flush.
    log.truncate_to(3)
    log.flush()
    log.crash()
    assert log.end_offset == 3


def test_truncate_drops_the_whole_batch_containing_the_offset() -> None:
    log = log_with(2, 3)  # offsets 0-1, 2-4
    assert log.truncate_to(3) == 2
    assert log.truncate_to(7) == 2
    assert log.truncate_to(0) == 0 and log.batches == []


def test_read_returns_whole_batches_within_limits() -> None:
    log = log_with(2, 3, 1, 4)  # 0-1, 2-4, 5, 6-9
    recs = log.read(3, 10_000, 10)
    assert recs is not None and [b.base_offset for b in recs.batches] == [2, 5, 6]
    recs = log.read(0, 10_000, 6)
    assert recs is not None and recs.end_offset == 6
    recs = log.read(0, 1, 10)  # max_bytes smaller than one batch: still one batch
    assert recs is not None and len(recs.batches) == 1
    assert log.read(10, 100, 100) is None
    assert log.read(6, 100, 8) is None  # batch 6-9 crosses the limit
    recs = log.read(0, 10_000, 10)
    assert recs is not None and recs.data == b"".join(b.data for b in log.batches)


def test_wipe_loses_log_and_quorum_state() -> None:
    log = log_with(1, 1)
    log.flush()
    store = SimQuorumStore()
    store.write("epoch 3")
    log.crash()
    assert log.end_offset == 2 and store.state == "epoch 3"
    log.wipe()
    store.wipe()
    assert log.end_offset == 0 and log.durable_end_offset == 0 and store.state is None


# ------------------------------------------------------------------------------ snapshots
def test_snapshot_with_prefix_deletion_survives_a_crash() -> None:
    from kraft.types import OffsetAndEpoch

    log = log_with(1, 2, 3)  # 0, 1-2, 3-5
    log.flush()
    content = b"".join(b.data for b in log.batches[:2])
    snapshot_id = log.create_snapshot(3, 1, delete_prefix=True)
    assert snapshot_id == OffsetAndEpoch(3, 1)
    assert log.snapshots[snapshot_id] == content
    assert log.log_start_offset == 3 and [b.info.base_offset for b in log.batches] == [3]
    assert log.read(0, 100, 100) is None  # below the log start: the core answers a snapshot id
    log.crash()
    assert (
        log.log_start_offset == 3 and log.end_offset == 6 and log.latest_snapshot_id == snapshot_id
    )
    # A later snapshot extends the earlier one's content with the log's batches.
    later = log.create_snapshot(6, 1, delete_prefix=False)
    assert log.snapshots[later] == content + log.batches[0].data
    assert log.read_snapshot(later, 2, 3) == (log.snapshots[later][2:5], len(log.snapshots[later]))
    assert log.read_snapshot(OffsetAndEpoch(9, 9), 0, 10) is None


def test_snapshot_download_is_volatile_until_installed() -> None:
    from kraft.types import OffsetAndEpoch

    log = log_with(1, 1)
    log.flush()
    sid = OffsetAndEpoch(10, 3)
    log.snapshot_chunk(sid, 0, b"abc")
    log.crash()  # the .part file is gone
    assert log.partial is None
    log.snapshot_chunk(sid, 0, b"abc")
    log.snapshot_chunk(sid, 3, b"def")
    assert log.install_snapshot(sid) == b"abcdef"
    assert log.batches == [] and log.log_start_offset == log.end_offset == 10
    assert log.durable_end_offset == 10 and log.last_epoch == 3
    log.crash()
    assert log.end_offset == 10 and log.snapshots[sid] == b"abcdef"
    log.wipe()
    assert log.end_offset == 0 and not log.snapshots
