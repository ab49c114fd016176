"""Side by side with Kafka's own raft (issue #16): Kafka's TestRaftServer and pykraft, same run.

Every figure is measured for both implementations back to back, with the same harness
(`bench.mixed.MixedQuorum`: 3 voters on this machine, default timeouts, same record sizes, same
`--throughput`, each flushing its log as it always does) and read the same way (the leader's
line in Kafka's format, CPU/RSS from /proc; see `bench.mixed`):
- throughput: stepped saturation (`bench.ladder`), at 256 B and 1 KiB: the highest offered rate
  each quorum sustains (committed ≥ 95% of offered over a `--step-s` window after a warm-up, the
  same leader throughout) and the committed records/s at it, read from the voters' logs for both
  kinds. (Offered far above capacity, Kafka's leader resigns on fetch timeouts and commits
  nothing: that figure said nothing about what it can commit.) 256 B starts both at
  `START_RECORDS_PER_S`; 1 KiB starts each kind at its own 256 B figure scaled by the record size;
  one ladder per quorum (`--runs` does not repeat it: ~2-3 min each);
- mixed quorums: 2 Kafka + 1 pykraft and 1 Kafka + 2 pykraft, the same ladder at 256 B, started at
  the all-Kafka quorum's sustained rate (the target compares them), the leader of every step kept;
- latency: 5,000 and 20,000 records/s at linger 25 ms (both defaults) and 0 ms (the lowest Kafka
  accepts): p75/p99/p999 from the leader's line (pykraft adds p50 and max). Committed
  records/s, CPU per committed record and RSS come from the same windows (CPU per record at
  5,000 records/s, linger 25 ms is the issue's figure);
- failover: kill -9 of the leader → the new leader has committed in its epoch: both
  implementations' leader log "High watermark set to ... for the first time for epoch N", read
  with its ms timestamp; median of `failover_runs` rounds, default timeouts.
"""

from __future__ import annotations

import time
from typing import Any

from bench.ladder import climb, two_digits
from bench.mixed import KAFKA, PYKRAFT, MixedQuorum, require_kafka
from bench.options import BenchOptions, ScenarioUnavailable, log, median
from bench.servers import leader_first_commit_ms

START_RECORDS_PER_S = 40_000
# A ladder step's quorum must elect within this, else the step fails (a Kafka quorum that cannot
# elect at the offered rate); JVM start-up on a loaded 2-core machine takes 10-20 s.
STEP_STARTUP_S = 60.0
STEP_WARMUP_S = 5.0
QUICK_STEP_WARMUP_S, QUICK_STEP_S, QUICK_STEPS_MAX = 2.0, 2.0, 2
ALL_KAFKA = "kkk"
ALL_PYKRAFT = "ppp"
MIXED = ("kkp", "kpp")
LATENCY_RATES = (5_000, 20_000)
LATENCY_RECORD_SIZE = 256
LINGERS_MS = (25, 0)  # Kafka's default, and the lowest Kafka accepts
FAILOVER_THROUGHPUT = 5_000
FAILOVER_S_MAX = 30.0
REJOIN_S_MAX = 90.0
CPU_RATE = 5_000
TARGET_RECORDS_PER_S = 400_000
TARGET_P99_LINGER0_MS = 3.0
MIXED_WITHIN = 0.10
NAMES = {KAFKA: "Kafka", PYKRAFT: "pykraft"}
# The stepped saturation's figure (`bench.ladder`): the highest offered rate a quorum sustained.
SUSTAINED = "sustained_offered_records_per_s"


PYKRAFT_REPORT_MS = 10_000
PYKRAFT_WARMUP_S = 10.0
PYKRAFT_WINDOW_S = 20.0
FAILOVER_REPORT_MS = 100
# A Kafka measurement takes ~100 s (62 s of leadership before its line is clean): one retry.
ATTEMPTS_MAX = 2


def _pykraft_timing(options: BenchOptions) -> tuple[int, float, float]:
    """(report interval ms, warm-up s, window s) for pykraft-led measurements."""
    if options.quick:
        return 2_000, 2.0, 4.0
    return PYKRAFT_REPORT_MS, PYKRAFT_WARMUP_S, PYKRAFT_WINDOW_S


def measured(
    options: BenchOptions, kinds: str, rate: int, size: int, linger_ms: int | None = None
) -> dict[str, Any]:
    report_ms, warmup_s, window_s = _pykraft_timing(options)
    for attempt in range(ATTEMPTS_MAX):
        with MixedQuorum(
            options, kinds, rate, size, append_linger_ms=linger_ms, report_interval_ms=report_ms
        ) as q:
            one = q.measure(warmup_s, window_s)
        if not one["leadership_changed"] or attempt == ATTEMPTS_MAX - 1:
            one["attempts"] = attempt + 1
            return one
        log(options, f"kafka: {kinds}: leadership changed in the window; run again")
    raise AssertionError("unreachable")


def step(options: BenchOptions, kinds: str, size: int, rate: int) -> dict[str, Any]:
    """One ladder step: a fresh quorum offered `rate` records/s (`MixedQuorum.measure_rate`). A
    quorum that elects no leader in time or loses a voter at that rate fails the step."""
    warmup_s = QUICK_STEP_WARMUP_S if options.quick else STEP_WARMUP_S
    window_s = QUICK_STEP_S if options.quick else options.step_s
    started = time.monotonic()
    try:
        with MixedQuorum(options, kinds, rate, size, startup_s_max=STEP_STARTUP_S) as q:
            one = q.measure_rate(warmup_s, window_s)
    except ScenarioUnavailable as exc:
        one = {
            "kinds": kinds,
            "leader_kind": None,
            "leadership_changed": True,
            "committed_records_per_s": 0.0,
            "failed": str(exc).splitlines()[0],
        }
    one["step_s"] = round(time.monotonic() - started, 1)
    leader = NAMES.get(one["leader_kind"] or "", "none")
    log(
        options,
        f"kafka: step {kinds} {size} B offered {rate:,}: committed "
        f"{one['committed_records_per_s']:,.0f} records/s, leader {leader}"
        + (", leader changed" if one["leadership_changed"] else "")
        + f" ({one['step_s']:.0f} s)",
    )
    return one


def stepped(options: BenchOptions, kinds: str, size: int, start: int) -> dict[str, Any]:
    """The ladder of `kinds` at `size` from `start` records/s (`bench.ladder.climb`)."""
    log(options, f"kafka: stepped saturation {kinds} {size} B from {start:,} records/s")
    found = climb(
        lambda rate: step(options, kinds, size, rate),
        start,
        **({"steps_max": QUICK_STEPS_MAX} if options.quick else {}),
    ).summary()
    found["record_size_bytes"] = size
    found["leaders"] = [s["leader_kind"] for s in found["steps"]]
    log(
        options,
        f"kafka: {kinds} {size} B sustains {found['sustained_offered_records_per_s']:,} offered "
        f"({found['committed_records_per_s']:,.0f} committed)",
    )
    return found


def latency_point(options: BenchOptions, kinds: str, rate: int, linger_ms: int) -> dict[str, Any]:
    log(options, f"kafka: latency {kinds} {rate} rec/s linger {linger_ms}")
    point = measured(options, kinds, rate, LATENCY_RECORD_SIZE, linger_ms)
    line = point["line"] or {"p75_ms": None, "p99_ms": None, "p999_ms": None}
    point.update(
        implementation=NAMES[kinds[0]],
        offered_records_per_s=rate,
        append_linger_ms=linger_ms,
        commit_latency_ms_p50=line.get("p50_ms"),
        commit_latency_ms_p75=line["p75_ms"],
        commit_latency_ms_p99=line["p99_ms"],
        commit_latency_ms_p999=line["p999_ms"],
    )
    log(options, f"kafka: {kinds} {rate} linger {linger_ms}: {line}")
    return point


def wait_rejoined(q: MixedQuorum, kinds: str) -> None:
    """Until every voter is at the current leader's epoch (a restarted voter has rejoined). The
    epoch is read afresh on every poll: a rejoining voter may cause an election, and waiting for
    the epoch seen before it would never end."""
    deadline = time.monotonic() + REJOIN_S_MAX
    while True:
        found = q.leader()
        roles = [q.role(s.node_id) for s in q.servers]
        if found is not None and all(r is not None and r[1] == found[1] for r in roles):
            return
        if time.monotonic() > deadline:
            raise ScenarioUnavailable(f"{kinds}: a restarted voter did not rejoin: {roles}")
        q.check_alive()
        time.sleep(0.2)


def failover_round(q: MixedQuorum, kinds: str) -> dict[str, Any]:
    """kill -9 the leader of a whole quorum; ms until the new leader has committed; restart it."""
    wait_rejoined(q, kinds)
    time.sleep(2.0)  # let the restarted voter catch up with the log end
    leader_id, epoch = q.wait_leader(FAILOVER_S_MAX)
    killed = q.server(leader_id)
    kill_ms = time.time() * 1000
    killed.kill()
    dead = frozenset({leader_id})
    new_id, _ = q.wait_leader(FAILOVER_S_MAX, allowed_dead=dead, epoch_above=epoch)
    new_server = q.server(new_id)
    deadline = time.monotonic() + FAILOVER_S_MAX
    committed = None
    while committed is None:
        if time.monotonic() > deadline:
            raise ScenarioUnavailable(f"{kinds}: the new leader did not commit")
        committed = leader_first_commit_ms(new_server.stderr_text(), epoch)
        time.sleep(0.1)
    killed.start()
    return {
        "killed_leader_id": leader_id,
        "new_leader_id": new_id,
        "new_epoch": committed[0],
        "failover_ms": round(committed[1] - kill_ms),
    }


def failover(options: BenchOptions, kinds: str, rounds: int) -> dict[str, Any]:
    """`rounds` kill -9 failovers of one quorum. A round that cannot finish (a voter that does not
    rejoin in time on a loaded machine) ends the series: the rounds done so far still count, and
    the result says why it stopped (none done: the part is unavailable)."""
    log(options, f"kafka: failover {kinds} x {rounds}")
    results: list[dict[str, Any]] = []
    stopped = None
    with MixedQuorum(
        options,
        kinds,
        FAILOVER_THROUGHPUT,
        LATENCY_RECORD_SIZE,
        report_interval_ms=FAILOVER_REPORT_MS,
    ) as q:
        for index in range(rounds):
            try:
                results.append(failover_round(q, kinds))
            except ScenarioUnavailable as exc:
                if not results:
                    raise
                stopped = f"round {index + 1}: {str(exc).splitlines()[0]}"
                log(options, f"kafka: {kinds} failover stopped at {stopped}")
                break
            log(
                options,
                f"kafka: {kinds} failover round {index + 1}: {results[-1]['failover_ms']} ms",
            )
    values = [r["failover_ms"] for r in results]
    return {
        "failover_ms_median": median(values),
        "failover_ms_min": min(values),
        "failover_ms_max": max(values),
        "rounds": results,
        "rounds_asked": rounds,
        "stopped": stopped,
    }


def _guarded(figures: dict[str, Any], what: str, measure: Any, *args: Any) -> Any:
    """Run one measurement; a part that cannot run is noted, the others still count."""
    try:
        return measure(*args)
    except ScenarioUnavailable as exc:
        figures.setdefault("unavailable_parts", {})[what] = str(exc).splitlines()[0]
        return None


def first_rate(found: dict[str, Any] | None, size: int) -> int:
    """Where a ladder at `size` starts: the same kind's 256 B figure scaled by the record size (a
    1 KiB record costs less than 4 of 256 B: x1.25), else `START_RECORDS_PER_S` scaled."""
    base = (found or {}).get("sustained_offered_records_per_s") or START_RECORDS_PER_S
    scale = LATENCY_RECORD_SIZE / size
    return two_digits(max(base * scale * (1.25 if size > LATENCY_RECORD_SIZE else 1), 1_000))


def run(options: BenchOptions) -> dict[str, Any]:
    require_kafka()
    figures: dict[str, Any] = {"throughput": {}, "mixed": {}, "latency": [], "failover": {}}
    started = time.monotonic()
    at_256: dict[str, dict[str, Any] | None] = {}
    for size in options.record_sizes:
        by_kind: dict[str, dict[str, Any] | None] = {}
        for kinds in (ALL_PYKRAFT, ALL_KAFKA):
            start = (
                START_RECORDS_PER_S
                if size == LATENCY_RECORD_SIZE
                else first_rate(at_256.get(kinds), size)
            )
            by_kind[kinds] = _guarded(
                figures, f"stepped {kinds} {size}", stepped, options, kinds, size, start
            )
        if size == LATENCY_RECORD_SIZE:
            at_256 = by_kind
        if by_kind[ALL_PYKRAFT] and by_kind[ALL_KAFKA]:
            figures["throughput"][str(size)] = {NAMES[k[0]]: f for k, f in by_kind.items()}
    kkk = (at_256.get(ALL_KAFKA) or {}).get("sustained_offered_records_per_s")
    for kinds in MIXED:
        start = kkk or START_RECORDS_PER_S
        one = _guarded(
            figures, f"mixed {kinds}", stepped, options, kinds, LATENCY_RECORD_SIZE, start
        )
        if one is not None:
            figures["mixed"][kinds] = one
    figures["stepped_s"] = round(time.monotonic() - started)
    started = time.monotonic()
    for linger_ms in LINGERS_MS:
        for rate in LATENCY_RATES:
            for kinds in (ALL_PYKRAFT, ALL_KAFKA):
                point = _guarded(
                    figures,
                    f"latency {kinds} {rate} {linger_ms}",
                    latency_point,
                    options,
                    kinds,
                    rate,
                    linger_ms,
                )
                if point is not None:
                    figures["latency"].append(point)
    figures["latency_s"] = round(time.monotonic() - started)
    started = time.monotonic()
    rounds = 1 if options.quick else options.failover_runs
    for kinds in (ALL_PYKRAFT, ALL_KAFKA):
        result = _guarded(figures, f"failover {kinds}", failover, options, kinds, rounds)
        if result is not None:
            figures["failover"][NAMES[kinds[0]]] = result
    figures["failover_s"] = round(time.monotonic() - started)
    return figures


# ------------------------------------------------------------------------------- the table


def _point(figures: dict[str, Any], name: str, rate: int, linger: int) -> dict[str, Any] | None:
    for p in figures["latency"]:
        if (p["implementation"], p["offered_records_per_s"], p["append_linger_ms"]) == (
            name,
            rate,
            linger,
        ):
            return p
    return None


def side_by_side(figures: dict[str, Any], consumer: dict[str, Any] | None = None) -> list[str]:
    """The Markdown table: one row per figure, pykraft and Kafka side by side; with the
    consumer scenario's figures (same run), `kraft tail` against kafka-python too."""
    from bench.report import fmt_num

    rows: list[tuple[str, str, str, str, str]] = []

    def ratio(ours: float | None, theirs: float | None, digits: int = 2) -> str:
        if not ours or not theirs:
            return "n/a"
        return f"{ours / theirs:.{digits}f}x"

    def yes(met: bool) -> str:
        return "yes" if met else "NO"

    def held(found: dict[str, Any]) -> str:
        """The highest sustained offered rate, what its window committed, the next step's fate."""
        text = (
            f"{fmt_num(found[SUSTAINED])} ({fmt_num(found['committed_records_per_s'])} committed "
            "in its window"
        )
        if found.get("first_failed_offered_records_per_s"):
            fate = "leader changed" if found["first_failed_leadership_changed"] else "same leader"
            text += (
                f"; {fmt_num(found['first_failed_offered_records_per_s'])} offered: "
                f"{fmt_num(found['first_failed_committed_records_per_s'])}, {fate}"
            )
        return text + ")"

    for size, by in figures["throughput"].items():
        ours, theirs = by["pykraft"][SUSTAINED], by["Kafka"][SUSTAINED]
        target = ""
        if size == str(LATENCY_RECORD_SIZE):
            target = (
                f"≥ Kafka and ≥ 400,000: {yes(ours >= theirs and ours >= TARGET_RECORDS_PER_S)}"
            )
        rows.append(
            (
                f"{size} B, stepped saturation: highest sustained rate, records/s (≥ 95% of "
                f"offered committed, same leader; steps {len(by['pykraft']['steps'])} / "
                f"{len(by['Kafka']['steps'])})",
                held(by["pykraft"]),
                held(by["Kafka"]),
                ratio(ours, theirs),
                target,
            )
        )
    kkk = figures["throughput"].get(str(LATENCY_RECORD_SIZE), {}).get("Kafka")
    kkk_rate = kkk[SUSTAINED] if kkk else None
    for kinds, one in figures["mixed"].items():
        k = kinds.count(KAFKA)
        within = bool(kkk_rate) and one[SUSTAINED] >= (1 - MIXED_WITHIN) * (kkk_rate or 0)
        led = [NAMES.get(kind or "", "none") for kind in one["leaders"]]
        leaders = ", ".join(f"{name} in {led.count(name)}" for name in sorted(set(led)))
        rows.append(
            (
                f"mixed {k} Kafka + {3 - k} pykraft, 256 B: highest sustained rate, records/s "
                f"(leader, steps: {leaders} of {len(led)})",
                held(one),
                f"all-Kafka {fmt_num(kkk_rate)}",
                ratio(one[SUSTAINED], kkk_rate),
                f"within 10% of all-Kafka: {yes(within)}",
            )
        )
    for linger in LINGERS_MS:
        for rate in LATENCY_RATES:
            ours_p = _point(figures, "pykraft", rate, linger)
            theirs_p = _point(figures, "Kafka", rate, linger)
            if ours_p is None or theirs_p is None:
                continue

            def show(p: dict[str, Any]) -> str:
                p50 = p.get("commit_latency_ms_p50")
                return " / ".join(
                    fmt_num(p.get(f"commit_latency_ms_{q}"), 1) for q in ("p75", "p99", "p999")
                ) + (f" (p50 {fmt_num(p50, 0)})" if p50 is not None else " (no p50 printed)")

            target = ""
            p99_ours = ours_p.get("commit_latency_ms_p99")
            p99_theirs = theirs_p.get("commit_latency_ms_p99")
            if rate == CPU_RATE and linger == 25 and p99_ours is not None:
                target = f"p99 ≤ Kafka's: {yes(p99_ours <= (p99_theirs or 0))}"
            if rate == CPU_RATE and linger == 0 and p99_ours is not None:
                target = f"p99 ≤ 3 ms: {yes(p99_ours <= TARGET_P99_LINGER0_MS)}"
            rows.append(
                (
                    f"{rate:,} rec/s, linger {linger} ms: commit latency p75 / p99 / p999 (p50) ms",
                    show(ours_p),
                    show(theirs_p),
                    ratio(p99_ours, p99_theirs) + " (p99)",
                    target,
                )
            )
            if rate == CPU_RATE and linger == 25:
                ours_cpu = ours_p["quorum_cpu_us_per_record"]
                theirs_cpu = theirs_p["quorum_cpu_us_per_record"]
                rows.append(
                    (
                        f"{rate:,} rec/s, linger 25 ms: CPU µs per committed record, 3 voters "
                        "(leader)",
                        f"{fmt_num(ours_cpu, 1)} "
                        f"({fmt_num(ours_p['leader_cpu_us_per_record'], 1)})",
                        f"{fmt_num(theirs_cpu, 1)} "
                        f"({fmt_num(theirs_p['leader_cpu_us_per_record'], 1)})",
                        ratio(ours_cpu, theirs_cpu),
                        f"≤ Kafka's: {yes(ours_cpu <= theirs_cpu)}",
                    )
                )
                rows.append(
                    (
                        f"{rate:,} rec/s, linger 25 ms: peak RSS MiB per voter",
                        str(list(ours_p["rss_mib_peak_per_node"].values())),
                        str(list(theirs_p["rss_mib_peak_per_node"].values())),
                        ratio(
                            max(ours_p["rss_mib_peak_per_node"].values()),
                            max(theirs_p["rss_mib_peak_per_node"].values()),
                        ),
                        "",
                    )
                )
    fo = figures["failover"]
    if "pykraft" in fo and "Kafka" in fo:
        ours, theirs = fo["pykraft"], fo["Kafka"]
        rows.append(
            (
                f"kill -9 leader → new leader commits, ms (median of {len(ours['rounds'])} / "
                f"{len(theirs['rounds'])} rounds; min-max)",
                f"{fmt_num(ours['failover_ms_median'])} ({fmt_num(ours['failover_ms_min'])}-"
                f"{fmt_num(ours['failover_ms_max'])})",
                f"{fmt_num(theirs['failover_ms_median'])} ({fmt_num(theirs['failover_ms_min'])}-"
                f"{fmt_num(theirs['failover_ms_max'])})",
                ratio(ours["failover_ms_median"], theirs["failover_ms_median"]),
                f"≤ Kafka's: {yes(ours['failover_ms_median'] <= theirs['failover_ms_median'])}",
            )
        )
    from bench.scenarios.consumer import TARGET_TAIL_OVER_KAFKA_PYTHON, tail_over_kafka_python

    tail_ratio = tail_over_kafka_python(consumer or {})
    if consumer is not None and tail_ratio is not None:
        rows.append(
            (
                "`kraft tail` to /dev/null vs kafka-python, same log from offset 0: records/s "
                f"({consumer['end_offset']:,} offsets of {consumer['record_size_bytes']} B)",
                fmt_num(consumer["kraft_tail"]["records_per_s"]),
                f"kafka-python {fmt_num(consumer['kafka_python']['records_per_s'])}",
                f"{tail_ratio:.2f}x",
                f"≥ 2x: {yes(tail_ratio >= TARGET_TAIL_OVER_KAFKA_PYTHON)}",
            )
        )
    else:
        why = (consumer or {}).get("unavailable") or "add `consumer` to `--only`"
        rows.append(("`kraft tail` vs kafka-python: not measured in this run", "—", "—", "—", why))
    lines = [
        "| figure | pykraft | Kafka 4.3.1 | pykraft / Kafka | target met (issue #16) |",
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    for what, why in figures.get("unavailable_parts", {}).items():
        lines.append(f"| {what}: not measured | — | — | — | {why} |")
    return lines


def rows(figures: dict[str, Any]) -> list[Any]:
    """Nothing in the main table: `side_by_side` gives this scenario its own table."""
    return []
