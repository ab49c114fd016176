"""Memory: RSS of each voter over a long run at 20,000 records/s (target: growth < 10% in 10 min).

RSS is sampled from /proc every 0.25 s after a warm-up; growth = last sample / first sample - 1,
per node. The leader (which holds the accumulator and serves fetches) usually grows the most.
"""

from __future__ import annotations

import time
from typing import Any

from bench.options import BenchOptions, log
from bench.quorum import Quorum

THROUGHPUT_RECORDS_PER_S = 20_000
RECORD_SIZE_BYTES = 256
QUICK_DURATION_S = 3.0
SERIES_STEP_S = 30.0
SETTLED_S = 60.0
TARGET_GROWTH_PCT = 10.0
TARGET_DURATION_S = 600.0


def run(options: BenchOptions) -> dict[str, Any]:
    duration_s = QUICK_DURATION_S if options.quick else options.memory_duration_s
    with Quorum(options, throughput=THROUGHPUT_RECORDS_PER_S, record_size=RECORD_SIZE_BYTES) as q:
        time.sleep(options.effective_warmup_s)
        assert q.sampler is not None
        q.sampler.mark()
        log(options, f"memory: {duration_s:.0f} s at {THROUGHPUT_RECORDS_PER_S} rec/s")
        time.sleep(duration_s)
        q.check_alive()
        leader = q.leader()
        nodes: dict[str, dict[str, Any]] = {}
        for voter in q.voters:
            usage = q.sampler.usage(q.child(voter).pid)
            series = q.sampler.rss_series(q.child(voter).pid, SERIES_STEP_S)
            # Growth after the first minute separates a leak from start-up growth (allocator
            # arenas, caches filling) that stops.
            later = [mib for t, mib in series if t >= SETTLED_S]
            nodes[str(voter.node_id)] = {
                "rss_mib_first": round(usage.rss_mib_first, 1),
                "rss_mib_last": round(usage.rss_mib_last, 1),
                "rss_mib_peak": round(usage.rss_mib_peak, 1),
                "rss_growth_pct": round((usage.rss_mib_last / usage.rss_mib_first - 1) * 100, 1),
                "cpu_cores": round(usage.cpu_cores, 2),
                "is_leader": leader is voter,
                "rss_growth_pct_after_60s": (
                    round((usage.rss_mib_last / later[0] - 1) * 100, 1) if later else None
                ),
                "rss_mib_series": series,
            }
    return {
        "duration_s": duration_s,
        "offered_records_per_s": THROUGHPUT_RECORDS_PER_S,
        "rss_growth_pct_max": max(n["rss_growth_pct"] for n in nodes.values()),
        "nodes": nodes,
    }


def rows(figures: dict[str, Any]) -> list[Any]:
    from bench.report import Row, verdict

    nodes = figures["nodes"]
    settled = [v["rss_growth_pct_after_60s"] for v in nodes.values()]
    after = (
        f"; after the first minute {max(settled):+.1f}%"
        if all(s is not None for s in settled)
        else ""
    )
    detail = ", ".join(
        f"node {n}{' (leader)' if v['is_leader'] else ''} {v['rss_mib_first']:.0f}→"
        f"{v['rss_mib_last']:.0f} MiB"
        for n, v in nodes.items()
    )
    return [
        Row(
            "memory",
            f"RSS growth over {figures['duration_s']:.0f} s at 20,000 rec/s (max of nodes)",
            f"{figures['rss_growth_pct_max']:+.1f}%",
            detail + after,
            # The target is about a 10-minute run; a shorter one is not judged.
            verdict("< 10% over 10 min", figures["rss_growth_pct_max"] < TARGET_GROWTH_PCT)
            if figures["duration_s"] >= TARGET_DURATION_S
            else "",
        )
    ]
