"""Runs the selected scenarios and writes the result (see `bench.report`).

Scenarios run one after another (never in parallel: they would compete for the same 2 cores).
A scenario that cannot run raises `ScenarioUnavailable`; the runner records the sentence and goes
on, so one missing piece never hides the figures of the others. Any other exception is a harness
bug and propagates.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import shlex
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import machine, report
from bench.options import ROOT, BenchOptions, ScenarioUnavailable

# Order matters only for the reading of the table; the peer runs next to throughput.
SCENARIOS: tuple[str, ...] = (
    "codec",
    "throughput",
    "peer",
    "latency",
    "consumer",
    "failover",
    "memory",
    "kafka",
)
QUICK_SCENARIOS: tuple[str, ...] = ("codec", "peer", "throughput")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument(
        "--only", default=None, help=f"comma-separated subset of: {','.join(SCENARIOS)}"
    )
    parser.add_argument("--duration-s", type=float, default=20.0, help="measured window per run")
    parser.add_argument("--warmup-s", type=float, default=3.0, help="unmeasured warm-up per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median reported)")
    parser.add_argument(
        "--step-s",
        type=float,
        default=10.0,
        help="measured window of one stepped-saturation step (kafka scenario)",
    )
    parser.add_argument("--failover-runs", type=int, default=10, help="kill -9 rounds (median)")
    parser.add_argument(
        "--memory-duration-s", type=float, default=600.0, help="length of the memory run"
    )
    parser.add_argument(
        "--record-sizes", default="256,1024", help="comma-separated record sizes in bytes"
    )
    parser.add_argument("--name", default=None, help="result name (default: timestamp)")
    parser.add_argument(
        "--add",
        action="store_true",
        help="with --name: add these scenarios to that earlier result instead of starting anew",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=ROOT / "bench" / "results", help="where to write"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"), help="temp dirs go here")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run node voters under py-spy; raw profiles go to <results-dir>/<name>-profiles/",
    )
    parser.add_argument(
        "--profile-idle",
        action="store_true",
        help="with --profile: also sample waiting threads (per-thread wait points)",
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help='put the table into README.md, section "Performance"',
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def selected(args: argparse.Namespace) -> tuple[str, ...]:
    if args.only:
        names = tuple(n.strip() for n in args.only.split(",") if n.strip())
        unknown = [n for n in names if n not in SCENARIOS]
        if unknown:
            raise SystemExit(f"bench: unknown scenario(s) {unknown}; choose from {SCENARIOS}")
        return names
    return QUICK_SCENARIOS if args.quick else SCENARIOS


def options_from(args: argparse.Namespace, name: str) -> BenchOptions:
    return BenchOptions(
        profile_dir=args.results_dir / f"{name}-profiles" if args.profile else None,
        profile_idle=args.profile_idle,
        quick=args.quick,
        duration_s=args.duration_s,
        warmup_s=args.warmup_s,
        runs=args.runs,
        failover_runs=args.failover_runs,
        step_s=args.step_s,
        memory_duration_s=args.memory_duration_s,
        record_sizes=tuple(int(s) for s in args.record_sizes.split(",")),
        workdir=args.workdir,
        verbose=not args.quiet,
    )


def run_scenarios(names: tuple[str, ...], options: BenchOptions) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in names:
        module = importlib.import_module(f"bench.scenarios.{name}")
        started = time.monotonic()
        if options.verbose:
            print(f"bench: == {name}", file=sys.stderr, flush=True)
        try:
            figures = module.run(options)
        except ScenarioUnavailable as exc:
            figures = {"unavailable": str(exc)}
            if options.verbose:
                print(f"bench: {name} not measured: {exc}", file=sys.stderr, flush=True)
        except Exception as exc:  # one scenario's bug must not lose the others' figures
            traceback.print_exc(file=sys.stderr)
            figures = {"unavailable": f"the scenario failed: {type(exc).__name__}: {exc}"}
        figures["elapsed_s"] = round(time.monotonic() - started, 1)
        results[name] = figures
    return results


def command_line(args: argparse.Namespace) -> str:
    """The `bin/bench` command that reproduces this run (flags that differ from the defaults)."""
    defaults = argparse.ArgumentParser()
    add_arguments(defaults)
    parts = ["bin/bench"]
    for key, value in sorted(vars(args).items()):
        skipped = ("run", "tool", "name", "results_dir", "workdir", "quiet", "update_readme", "add")
        if key in skipped:
            continue
        if value == defaults.get_default(key):
            continue
        flag = "--" + key.replace("_", "-")
        parts.extend([flag] if value is True else [flag, str(value)])
    return shlex.join(parts)


def main(args: argparse.Namespace) -> int:
    names = selected(args)
    now = datetime.datetime.now(datetime.UTC)
    name = args.name or ("quick-" if args.quick else "") + now.strftime("%Y%m%dT%H%M%SZ")
    options = options_from(args, name)
    result: dict[str, Any] = {
        "name": name,
        "created_utc": now.strftime("%Y-%m-%d %H:%M UTC"),
        "command": command_line(args),
        "machine": machine.describe(options.root),
        "options": {k: str(v) for k, v in vars(args).items() if k != "run"},
        "scenarios": {},
    }
    previous = args.results_dir / f"{name}.json"
    if args.add and previous.exists():
        # Add to (or redo scenarios of) an earlier result: e.g. the 10-minute memory run taken
        # on its own. Each scenario keeps the command and machine load it was measured with.
        earlier = json.loads(previous.read_text())
        result["scenarios"] = earlier["scenarios"]
        result["command"] = f"{earlier['command']}; {result['command']}"
    scenarios = run_scenarios(names, options)
    result["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    for figures in scenarios.values():
        figures["load_avg_at_start"] = result["machine"]["load_avg_at_start"]
        figures["load_avg_at_end"] = result["machine"]["load_avg_at_end"]
    result["scenarios"].update(scenarios)
    paths = report.write(result, args.results_dir)
    table = paths["md"].read_text()
    sys.stdout.write(table)
    if args.update_readme:
        written = report.update_readme_from(options.root / "README.md", result, paths.get("png"))
        print(f"bench: README.md: wrote {', '.join(written) or 'nothing'}", file=sys.stderr)
    for kind, path in paths.items():
        print(f"bench: wrote {kind}: {path}", file=sys.stderr)
    return 0
