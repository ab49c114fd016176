"""Throughput: 3 voters, `--throughput` far above capacity, committed records/s and MB/s.

Per record size, `runs` runs of `duration_s` each after a warm-up; each run reads the leader's
stats lines inside the window. Two views of the same thing are kept: the node's own
committed_records_per_s (time-weighted over the window's intervals) and the high-watermark advance
per second (offsets, so it also counts the rare control record). The median over runs is reported,
with CPU per node (cores) and peak RSS per node from /proc.
"""

from __future__ import annotations

import itertools
from typing import Any

from bench import profile
from bench.options import (
    RETRIES_MAX,
    BenchOptions,
    LeadershipChanged,
    ScenarioUnavailable,
    log,
    median,
)
from bench.quorum import Quorum

SATURATING_RECORDS_PER_S = 10_000_000
TARGET_RECORDS_PER_S = 200_000  # issue #6, at 256 B
REPORT_INTERVAL_MS = 1000
QUICK_REPORT_INTERVAL_MS = 500


def report_interval_ms(options: BenchOptions) -> int:
    return QUICK_REPORT_INTERVAL_MS if options.quick else REPORT_INTERVAL_MS


def window_rates(lines: list[dict[str, Any]]) -> dict[str, float]:
    """Time-weighted committed rates and the HW advance rate over consecutive stats lines."""
    if len(lines) < 2:
        raise ScenarioUnavailable(
            f"only {len(lines)} leader stats line(s) in the window; lengthen --duration-s"
        )
    span_s = (lines[-1]["time_ms"] - lines[0]["time_ms"]) / 1000
    records = bytes_ = 0.0
    for previous, line in itertools.pairwise(lines):
        dt_s = (line["time_ms"] - previous["time_ms"]) / 1000
        records += line["committed_records_per_s"] * dt_s
        bytes_ += line["committed_bytes_per_s"] * dt_s
    hw_delta = lines[-1]["high_watermark"] - lines[0]["high_watermark"]
    return {
        "committed_records_per_s": records / span_s,
        "committed_mb_per_s": bytes_ / span_s / 1e6,
        "high_watermark_offsets_per_s": hw_delta / span_s,
        "window_s": span_s,
    }


def run_once(options: BenchOptions, record_size: int, throughput: int, **kw: Any) -> dict[str, Any]:
    kw.setdefault("report_interval_ms", report_interval_ms(options))
    kw.setdefault("profile_tag", f"throughput-{record_size}B")
    with Quorum(options, throughput=throughput, record_size=record_size, **kw) as q:
        leader, lines = q.measure(options.effective_warmup_s, options.effective_duration_s)
        assert q.sampler is not None
        usage = {v.node_id: q.sampler.usage(q.child(v).pid) for v in q.voters}
        figures: dict[str, Any] = window_rates(lines)
        figures["leader_id"] = leader.node_id
        # How far the leader's own log runs ahead of what the quorum has committed: a large gap
        # means the write path outruns replication (the latency figures then measure queueing).
        figures["leader_log_end_minus_high_watermark"] = (
            lines[-1]["log_end_offset"] - lines[-1]["high_watermark"]
        )
        figures["commit_latency_ms_p50_last"] = lines[-1].get("commit_latency_ms_p50")
        figures["cpu_cores_per_node"] = {n: round(u.cpu_cores, 2) for n, u in usage.items()}
        figures["rss_mib_peak_per_node"] = {n: round(u.rss_mib_peak, 1) for n, u in usage.items()}
        figures["rss_mib_first_last_per_node"] = {
            n: (round(u.rss_mib_first, 1), round(u.rss_mib_last, 1)) for n, u in usage.items()
        }
        # CPU cost per committed record is far less sensitive to a shared, loaded machine than
        # the rate itself: it says what the rate could be if a node had a core to itself.
        figures["leader_cpu_us_per_record"] = (
            figures["cpu_cores_per_node"][leader.node_id] * 1e6 / figures["committed_records_per_s"]
            if figures["committed_records_per_s"] > 0
            else float("nan")
        )
        figures["stats_lines"] = lines
        profile_paths = dict(q.profile_paths)
    # Profiles are complete only once the voters have stopped (py-spy writes on exit).
    if profile_paths:
        figures["profiles"] = {
            str(node_id): {"path": str(path), "is_leader": node_id == leader.node_id}
            | profile.summarize(path)
            for node_id, path in profile_paths.items()
            if path.exists()
        }
    return figures


def run(options: BenchOptions) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "offered_records_per_s": SATURATING_RECORDS_PER_S,
        "by_record_size": {},
    }
    for size in options.record_sizes:
        runs = []
        for index in range(options.effective_runs):
            log(options, f"throughput: {size} B run {index + 1}")
            tag = f"throughput-{size}B-run{index + 1}"
            for attempt in range(RETRIES_MAX + 1):
                try:
                    one = run_once(options, size, SATURATING_RECORDS_PER_S, profile_tag=tag)
                except LeadershipChanged:
                    if attempt == RETRIES_MAX:
                        raise
                    log(options, "throughput: leader changed in the window; run again")
                    continue
                one["attempts"] = attempt + 1
                runs.append(one)
                break
        keys = (
            "committed_records_per_s",
            "committed_mb_per_s",
            "high_watermark_offsets_per_s",
            "leader_cpu_us_per_record",
        )
        by_size: dict[str, Any] = {key: median([r[key] for r in runs]) for key in keys}
        by_size["runs"] = runs
        figures["by_record_size"][str(size)] = by_size
    return figures


def rows(figures: dict[str, Any]) -> list[Any]:
    from bench.report import Row, fmt_num, verdict

    out = []
    for size, by_size in figures["by_record_size"].items():
        runs = by_size["runs"]
        cpu = list(runs[0]["cpu_cores_per_node"].values())
        rss = max(max(r["rss_mib_peak_per_node"].values()) for r in runs)
        out.append(
            Row(
                "throughput",
                f"3 voters, {size} B, saturated: committed records/s",
                fmt_num(by_size["committed_records_per_s"]),
                f"{fmt_num(by_size['committed_mb_per_s'], 1)} MB/s; median of {len(runs)}; "
                f"CPU/node {cpu} cores (leader {fmt_num(by_size['leader_cpu_us_per_record'], 1)} "
                f"µs/record); peak RSS {rss:.0f} MiB; fsync on",
                verdict("≥ 200,000", by_size["committed_records_per_s"] >= TARGET_RECORDS_PER_S)
                if size == "256"
                else "",
            )
        )
    return out
