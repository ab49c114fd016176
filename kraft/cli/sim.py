"""`kraft sim`: run seeded deterministic simulations of a whole cluster and check invariants.

    bin/kraft sim --seeds 1000            # seeds 0..999, scenario and cluster shape per seed
    bin/kraft sim --seed 1234 --scenario partition --voters 5 --observers 2 --idless 1 --trace
    bin/kraft sim --seeds 200 --bug double-vote   # prove the simulator catches a known bug

Prints one summary line (seeds, passed, failed, time, fault counts) and, for each failure, the one
command that replays it. Exit status 1 if any seed failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from kraft.config import InjectedBug
from kraft.sim.cluster import TIMINGS
from kraft.sim.runner import (
    CHAOS_MS_DEFAULT,
    LIVENESS_MS_DEFAULT,
    Summary,
    plan,
    run,
    run_many,
)
from kraft.sim.scenarios import SCENARIOS


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sim",
        help="run seeded deterministic Raft simulations and check invariants",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--seed", type=int, help="run exactly this seed")
    group.add_argument("--seeds", type=int, default=100, help="number of seeds (default 100)")
    parser.add_argument("--start", type=int, default=0, help="first seed of the range")
    parser.add_argument("--scenario", choices=SCENARIOS, help="default: picked per seed")
    parser.add_argument("--voters", type=int, choices=(1, 2, 3, 4, 5, 6, 7))
    parser.add_argument("--observers", type=int, help="observers with an id")
    parser.add_argument("--idless", type=int, help="id-less observers")
    parser.add_argument(
        "--bug",
        action="append",
        default=[],
        choices=[b.value for b in InjectedBug],
        help="inject a known bug into the core (test-only)",
    )
    parser.add_argument("--timing", choices=sorted(TIMINGS), help="default: picked per seed")
    parser.add_argument(
        "--snapshot-every",
        type=int,
        help="each node snapshots every N committed offsets (0: never; default: per seed)",
    )
    parser.add_argument("--chaos-ms", type=int, default=CHAOS_MS_DEFAULT)
    parser.add_argument("--liveness-ms", type=int, default=LIVENESS_MS_DEFAULT)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--trace", action="store_true", help="print the event trace (one seed)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--check-determinism",
        action="store_true",
        help="run every seed twice and fail if the two trace hashes differ",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="one line per seed")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    seeds = [args.seed] if args.seed is not None else range(args.start, args.start + args.seeds)
    specs = [
        plan(
            seed,
            scenario=args.scenario,
            voters=args.voters,
            observers=args.observers,
            idless=args.idless,
            bugs=[InjectedBug(b) for b in args.bug],
            chaos_ms=args.chaos_ms,
            liveness_ms=args.liveness_ms,
            timing=args.timing,
            snapshot_every_offsets=args.snapshot_every,
        )
        for seed in seeds
    ]
    summary = Summary()
    started = time.perf_counter()
    if args.trace:
        for spec in specs:
            result = run(spec, keep_trace=True)
            for line in result.trace_lines:
                print(line)
            print(f"trace-hash {result.trace_hash}")
            summary.add(result)
    else:
        for result in run_many(specs, jobs=args.jobs):
            if args.check_determinism:
                again = run(result.spec)
                if again.trace_hash != result.trace_hash:
                    result.ok = False
                    result.violation = "Determinism"
                    result.detail = f"trace hash {result.trace_hash} then {again.trace_hash}"
            summary.add(result)
            if args.verbose or not result.ok:
                print(result.summary_line(), flush=True)
    summary.elapsed_s = time.perf_counter() - started
    if args.json:
        print(
            json.dumps(
                {
                    "seeds": summary.seeds,
                    "passed": summary.passed,
                    "failed": len(summary.failures),
                    "time_s": round(summary.elapsed_s, 2),
                    "cpu_s": round(summary.cpu_s, 2),
                    "events": summary.events,
                    "scenarios": dict(summary.scenarios),
                    "faults": dict(summary.faults),
                    "failures": [
                        {
                            "seed": f.spec.seed,
                            "invariant": f.violation,
                            "detail": f.detail,
                            "replay": f.spec.replay_command(),
                        }
                        for f in summary.failures
                    ],
                },
                sort_keys=True,
            )
        )
    else:
        print(summary.line())
    sys.stdout.flush()
    return 0 if not summary.failures else 1
