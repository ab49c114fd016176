"""Failover: time from kill -9 of the leader to a new leader committing, median of N rounds.

One quorum at the default workload (5,000 records/s) and default timeouts, stats reported every
100 ms. Each round: wait until all three voters are in the current epoch, SIGKILL the leader's
process group, wait for a surviving voter whose stats say it leads a higher epoch with commits;
failover = the time of that leader's log line "High watermark set to ... for the first time for
epoch N" (ms timestamps, the line Kafka's leader logs too) - the kill time. The killed voter is
restarted on its own log before the next round.
"""

from __future__ import annotations

import time
from typing import Any

from bench.options import BenchOptions, ScenarioUnavailable, log, median
from bench.quorum import LEADER_ROLE, Quorum
from bench.servers import leader_first_commit_ms

DEFAULT_THROUGHPUT = 5_000
RECORD_SIZE_BYTES = 256
REPORT_INTERVAL_MS = 100
LOG_RESOLUTION_MS = 1  # the log line's timestamp
FAILOVER_S_MAX = 30.0
REJOIN_S_MAX = 30.0
QUICK_ROUNDS = 1
TARGET_FAILOVER_MS = 3_000


def run(options: BenchOptions) -> dict[str, Any]:
    rounds = QUICK_ROUNDS if options.quick else options.failover_runs
    results: list[dict[str, Any]] = []
    with Quorum(
        options,
        throughput=DEFAULT_THROUGHPUT,
        record_size=RECORD_SIZE_BYTES,
        report_interval_ms=REPORT_INTERVAL_MS,
    ) as q:
        epoch = -1
        for index in range(rounds):
            # The leader elected by the previous round (same epoch) counts: epoch - 1.
            leader, line = q.wait_committing(FAILOVER_S_MAX, epoch_above=epoch - 1)
            epoch = line["epoch"]
            if not q.wait_all_in_epoch(epoch, REJOIN_S_MAX):
                raise ScenarioUnavailable(f"a restarted voter did not rejoin epoch {epoch}")
            time.sleep(0.5)  # let the restarted voter catch up with the leader's log end
            kill_ms = time.time() * 1000
            q.child(leader).kill9()
            dead = frozenset({leader.node_id})
            new_leader, new_line = q.wait_committing(
                FAILOVER_S_MAX, allowed_dead=dead, epoch_above=epoch
            )
            elected = [
                s
                for s in new_leader.stats()
                if s.get("role") == LEADER_ROLE and s["epoch"] == new_line["epoch"]
            ]
            committed = leader_first_commit_ms(
                new_leader.log_path.read_text(errors="replace"), epoch
            )
            if committed is None:
                raise ScenarioUnavailable("the new leader did not log its first commit")
            result = {
                "killed_leader_id": leader.node_id,
                "old_epoch": epoch,
                "new_leader_id": new_leader.node_id,
                "new_epoch": committed[0],
                "failover_ms": committed[1] - kill_ms,
                "elected_ms": elected[0]["time_ms"] - kill_ms,
            }
            if result["failover_ms"] < 0:
                raise AssertionError(f"log time is not wall-clock ms: {result}")
            log(options, f"failover round {index + 1}: {result}")
            results.append(result)
            epoch = new_line["epoch"]
            q.spawn(leader)
    failovers = [r["failover_ms"] for r in results]
    return {
        "failover_ms_median": median(failovers),
        "failover_ms_max": max(failovers),
        "failover_ms_min": min(failovers),
        "resolution_ms": LOG_RESOLUTION_MS,
        "rounds": results,
    }


def rows(figures: dict[str, Any]) -> list[Any]:
    from bench.report import Row, fmt_num, verdict

    return [
        Row(
            "failover",
            "kill -9 leader → new leader committing (ms)",
            fmt_num(figures["failover_ms_median"]),
            f"median of {len(figures['rounds'])} (min {fmt_num(figures['failover_ms_min'])}, "
            f"max {fmt_num(figures['failover_ms_max'])}); default timeouts; "
            f"±{figures['resolution_ms']} ms",
            verdict("≤ 3,000 ms", figures["failover_ms_median"] <= TARGET_FAILOVER_MS),
        )
    ]
