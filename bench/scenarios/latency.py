"""Latency: append→commit p50/p99/p999/max at 5,000 and 20,000 records/s, linger default and 0.

The node measures each record's latency itself (leader propose → high watermark passing it, as
Kafka's TestRaftServer) and reports percentiles per report interval. Full runs add points at
1,000, 50,000 and 100,000 records/s for the plot only. To get exact percentiles over
a whole window rather than an average of per-interval percentiles, the report interval *is* the
window: the first full interval in which the node leads is the warm-up and is discarded, the next
one is the measurement. Each point also records the committed rate, for the plot.
"""

from __future__ import annotations

import time
from typing import Any

from bench.options import BenchOptions, ScenarioUnavailable, log
from bench.quorum import LEADER_ROLE, POLL_S, Quorum

RATES_RECORDS_PER_S = (5_000, 20_000)
# Extra points for the latency-against-throughput plot (full runs only; not in the table).
PLOT_RATES_RECORDS_PER_S = (1_000, 50_000, 100_000)
DEFAULT_LINGER = None  # the node's default (controller.quorum.append.linger.ms = 25)
LINGERS_MS: tuple[int | None, ...] = (DEFAULT_LINGER, 0)
RECORD_SIZE_BYTES = 256
WINDOW_MS_MAX = 5_000
QUICK_WINDOW_MS = 1_000
DEFAULT_LINGER_MS = 25
TARGET_RATE = 5_000
TARGET_P99_MS = 5
LATENCY_KEYS = (
    "commit_latency_ms_p50",
    "commit_latency_ms_p99",
    "commit_latency_ms_p999",
    "commit_latency_ms_max",
)


def window_ms(options: BenchOptions) -> int:
    if options.quick:
        return QUICK_WINDOW_MS
    return int(min(options.duration_s * 1000, WINDOW_MS_MAX))


def measure_point(options: BenchOptions, rate: int, linger_ms: int | None) -> dict[str, Any]:
    interval_ms = window_ms(options)
    with Quorum(
        options,
        throughput=rate,
        record_size=RECORD_SIZE_BYTES,
        append_linger_ms=linger_ms,
        report_interval_ms=interval_ms,
    ) as q:
        leader, first = q.wait_committing(interval_ms / 1000 * 3 + 30)
        # Wait for two more leader lines after the first committing one: warm-up, measurement.
        deadline = time.monotonic() + interval_ms / 1000 * 3 + 10
        while True:
            q.check_alive()
            lines = [
                line
                for line in leader.stats()
                if line["time_ms"] > first["time_ms"] and line.get("role") == LEADER_ROLE
            ]
            if len(lines) >= 2:
                break
            if time.monotonic() > deadline:
                raise ScenarioUnavailable(f"leader {leader.node_id} stopped reporting as leader")
            time.sleep(POLL_S)
        line = lines[1]
        if line["epoch"] != first["epoch"]:
            raise ScenarioUnavailable("leadership changed during the latency window")
        point: dict[str, Any] = {
            "offered_records_per_s": rate,
            "append_linger_ms": DEFAULT_LINGER_MS if linger_ms is None else linger_ms,
            "append_linger_is_default": linger_ms is None,
            "committed_records_per_s": line["committed_records_per_s"],
            "window_ms": interval_ms,
        }
        for key in LATENCY_KEYS:
            point[key] = line.get(key)
        return point


def run(options: BenchOptions) -> dict[str, Any]:
    points = []
    rates = RATES_RECORDS_PER_S if options.quick else RATES_RECORDS_PER_S + PLOT_RATES_RECORDS_PER_S
    for linger_ms in LINGERS_MS:
        for rate in sorted(rates):
            log(options, f"latency: {rate} rec/s, linger {linger_ms}")
            points.append(measure_point(options, rate, linger_ms))
    return {"record_size_bytes": RECORD_SIZE_BYTES, "points": points}


def _target(point: dict[str, Any], verdict: Any) -> str:
    """Issue #6 judges only p99 at 5,000 records/s with linger 0."""
    if point["offered_records_per_s"] != TARGET_RATE or point["append_linger_ms"] != 0:
        return ""
    p99 = point.get("commit_latency_ms_p99")
    return str(verdict("p99 ≤ 5 ms", p99 is not None and p99 <= TARGET_P99_MS))


def rows(figures: dict[str, Any]) -> list[Any]:
    from bench.report import Row, fmt_num, verdict

    out = []
    for p in figures["points"]:
        if p["offered_records_per_s"] not in RATES_RECORDS_PER_S:
            continue  # plot-only point
        default = " (default)" if p["append_linger_is_default"] else ""
        linger = f"{p['append_linger_ms']} ms{default}"
        values = " / ".join(fmt_num(p.get(k), 1) for k in LATENCY_KEYS)
        out.append(
            Row(
                "latency",
                f"{p['offered_records_per_s']:,} rec/s, linger {linger}: p50/p99/p999/max ms",
                values,
                f"committed {fmt_num(p['committed_records_per_s'])} rec/s over "
                f"{p['window_ms'] / 1000:g} s; {figures['record_size_bytes']} B",
                _target(p, verdict),
            )
        )
    return out
