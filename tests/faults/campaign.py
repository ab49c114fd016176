"""The long fault campaign: many kill -9 failovers plus partitions, pauses and full disks.

    python -m tests.faults.campaign --rounds 100 --seed 1

Runs one 3-voter quorum in network namespaces (`tests.faults.harness`, needs root) with three
readers (the observer library as a Raft observer and as a consumer, and kafka-python) and plays a
shuffled schedule: `--rounds` kill -9 failovers of the leader, `--partitions` link cuts (of the
leader, or of a follower), `--pauses` SIGSTOPs of the leader past the fetch timeout, and
`--enospc` full disks (alternately under the leader and under a follower), `--impairments`
rounds of delay and loss on every link (`tc netem`, or `tbf` where the kernel has no netem).
After each fault it heals, restarts what was stopped and waits until the victim caught up; every
round checks that no node crashed and no reader stopped. The end is `FaultCluster.finish()`: all
nodes hold the same committed prefix, every acknowledged prefix survived, every reader read
exactly the committed sequence. Prints the figures; on a failure, exit status 1 with the seed,
the round and the directory kept for the post-mortem.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.e2e.cluster import FAST, NodeProcess
from tests.faults import net
from tests.faults.harness import EXIT_LOG_DIR_FAILURE, LEADER_ATTEMPTS, FaultCluster

FETCH_TIMEOUT_S = int(FAST["controller.quorum.fetch.timeout.ms"]) / 1000
PROGRESS_RECORDS = 500
DISK_BYTES = 192 * 1024 * 1024


class Campaign:
    def __init__(self, cluster: FaultCluster, rng: random.Random) -> None:
        self.cluster = cluster
        self.rng = rng
        self.counts: Counter[str] = Counter()
        self.failover_ms: list[float] = []

    def leader_and_followers(self) -> tuple[NodeProcess, list[NodeProcess], int]:
        cluster = self.cluster
        for _ in range(LEADER_ATTEMPTS):
            leader, epoch = cluster.steady_leader(PROGRESS_RECORDS)
            followers = [n for n in cluster.nodes.values() if n is not leader]
            for node in followers:
                cluster.wait_caught_up(node, epoch_min=epoch)
            if cluster.still_leads(leader, epoch):
                return leader, followers, epoch
        raise AssertionError(f"the leadership kept changing: {cluster.describe()}")

    def kill(self) -> None:
        cluster = self.cluster
        leader, _, epoch = self.leader_and_followers()
        leader.kill()
        killed_at = time.monotonic()
        cluster.acknowledge(leader, f"leader {leader.node_id} killed in epoch {epoch}")
        cluster.wait_leader(epoch_min=epoch + 1, exclude=leader.node_id)
        self.failover_ms.append((time.monotonic() - killed_at) * 1000)
        leader.start()
        cluster.wait_caught_up(leader, epoch_min=epoch + 1)
        self.counts["kill -9 failovers"] += 1

    def partition(self) -> None:
        cluster = self.cluster
        leader, followers, epoch = self.leader_and_followers()
        if self.rng.random() < 0.7:
            cluster.cut(leader)
            cluster.acknowledge(leader, f"leader {leader.node_id} cut off in epoch {epoch}")
            successor = cluster.wait_leader(epoch_min=epoch + 1, exclude=leader.node_id)
            cluster.wait_progress(successor, PROGRESS_RECORDS)
            cluster.heal(leader)
            cluster.wait_caught_up(leader, epoch_min=epoch + 1)
            self.counts["leader partitions"] += 1
        else:
            victim = self.rng.choice(followers)
            cluster.cut(victim)
            cluster.wait_progress(leader, PROGRESS_RECORDS)  # the majority goes on
            time.sleep(self.rng.uniform(0, 2 * FETCH_TIMEOUT_S))
            cluster.heal(victim)
            cluster.wait_caught_up(victim, epoch_min=epoch)
            self.counts["follower partitions"] += 1

    def pause(self) -> None:
        cluster = self.cluster
        leader, _, epoch = self.leader_and_followers()
        cluster.pause(leader)
        cluster.acknowledge(leader, f"leader {leader.node_id} paused in epoch {epoch}")
        successor = cluster.wait_leader(epoch_min=epoch + 1, exclude=leader.node_id)
        time.sleep(self.rng.uniform(0, FETCH_TIMEOUT_S))
        cluster.wait_progress(successor, PROGRESS_RECORDS)
        cluster.resume(leader)
        cluster.wait_caught_up(leader, epoch_min=epoch + 1)
        self.counts["leader pauses"] += 1

    def impair(self) -> None:
        """Delay and loss on every link for a while: commits slow down but go on."""
        cluster = self.cluster
        self.leader_and_followers()
        for node in cluster.nodes.values():
            kind = cluster.impair(node, delay_ms=40, jitter_ms=10, loss=3, rate_kbit=3000)
        dropped = 0
        try:
            current = cluster.wait_leader()
            cluster.wait_progress(current, PROGRESS_RECORDS, timeout_s=60)
            dropped = sum(cluster.dropped_packets(n) for n in cluster.nodes.values())
        finally:
            for node in cluster.nodes.values():
                cluster.clear_impairment(node)
        self.counts[f"delay+loss rounds ({kind})"] += 1
        self.counts["packets dropped in them"] += dropped

    def enospc(self, under_leader: bool) -> None:
        cluster = self.cluster
        leader, followers, epoch = self.leader_and_followers()
        victim = leader if under_leader else self.rng.choice(followers)
        disk = cluster.disks[victim.node_id]
        if under_leader:
            cluster.acknowledge(leader, f"leader {leader.node_id} before its disk filled")
        disk.fill()
        assert victim.process is not None
        status = victim.process.wait(60)
        last_line = (victim.stderr_text().splitlines() or [""])[-1]
        assert status == EXIT_LOG_DIR_FAILURE and "No space left" in last_line, (status, last_line)
        current = cluster.wait_leader(epoch_min=epoch, exclude=victim.node_id)
        cluster.wait_progress(current, PROGRESS_RECORDS)
        disk.free()
        victim.start()
        cluster.wait_caught_up(victim, epoch_min=epoch)
        self.counts["ENOSPC under the leader" if under_leader else "ENOSPC under a follower"] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.campaign", description=__doc__)
    parser.add_argument("--rounds", type=int, default=100, help="kill -9 failovers (default 100)")
    parser.add_argument("--partitions", type=int, help="link cuts (default rounds / 5)")
    parser.add_argument("--pauses", type=int, help="SIGSTOPs of the leader (default rounds / 10)")
    parser.add_argument("--enospc", type=int, help="full disks (default rounds / 10)")
    parser.add_argument(
        "--impairments", type=int, help="delay+loss on every link (default rounds / 10)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--throughput", type=int, default=1000, help="records/s (default 1000)")
    parser.add_argument("--dir", help="where the nodes' files go (default: a temporary dir)")
    parser.add_argument("--keep", action="store_true", help="keep the files after a success")
    args = parser.parse_args(argv)
    reason = net.unavailable_reason()
    if reason is not None:
        print(f"campaign: {reason}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    schedule = ["kill"] * args.rounds
    schedule += ["partition"] * (args.rounds // 5 if args.partitions is None else args.partitions)
    schedule += ["pause"] * (args.rounds // 10 if args.pauses is None else args.pauses)
    enospc = args.rounds // 10 if args.enospc is None else args.enospc
    schedule += [f"enospc-{'leader' if n % 2 else 'follower'}" for n in range(enospc)]
    schedule += ["impair"] * (args.rounds // 10 if args.impairments is None else args.impairments)
    rng.shuffle(schedule)
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="pykraft-faults-"))
    base.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cluster = FaultCluster(
        base / f"seed-{args.seed}",
        3,
        throughput=args.throughput,
        record_size=32,
        small_disks=True,
        disk_bytes=DISK_BYTES,
        readers=("raft", "consumer", "kafka"),
        seed=args.seed,
    )
    campaign = Campaign(cluster, rng)
    number = 0
    try:
        cluster.start()
        for number, kind in enumerate(schedule, 1):
            if kind == "kill":
                campaign.kill()
            elif kind == "partition":
                campaign.partition()
            elif kind == "pause":
                campaign.pause()
            elif kind == "impair":
                campaign.impair()
            else:
                campaign.enospc(under_leader=kind == "enospc-leader")
            cluster.check_nodes()
            cluster.check_readers()
            if number % 10 == 0:
                elapsed = time.monotonic() - started
                print(
                    f"round {number}/{len(schedule)} ({elapsed:.0f} s): {cluster.describe()}",
                    flush=True,
                )
        result = cluster.finish(records_min=1)
    except (AssertionError, RuntimeError) as exc:
        print(f"campaign FAILED at round {number} ({schedule[number - 1] if number else 'start'}), "
              f"seed {args.seed}: {exc}\nfiles kept in {base}", file=sys.stderr)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        print(f"campaign interrupted at round {number}; files kept in {base}", file=sys.stderr)
        return 130
    finally:
        cluster.close()
    elapsed_s = time.monotonic() - started
    times = campaign.failover_ms
    print(f"campaign seed {args.seed}: {len(schedule)} rounds in {elapsed_s:.0f} s, no failure")
    for what, count in sorted(campaign.counts.items()):
        print(f"  {what}: {count}")
    if times:
        print(
            "  failover (kill -9 -> new leader in stats) ms: "
            f"median {statistics.median(times):.0f}, min {min(times):.0f}, max {max(times):.0f}"
        )
    print(f"  committed offsets at the end: {result.committed_end}")
    print(f"  batches verified byte for byte by the observer readers: {result.batches}")
    for mode, count in result.per_reader.items():
        print(f"  records verified by reader {mode}: {count}")
    print(f"  acknowledged prefixes that survived: {len(cluster.acknowledged)}")
    print(f"  link cuts: veth down; pauses: SIGSTOP; disks: tmpfs of {DISK_BYTES >> 20} MiB filled")
    if not args.keep and not args.dir:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
