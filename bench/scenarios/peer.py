"""Peer side by side: PySyncObj, 3 nodes on 127.0.0.1, saturated, committed ops/s.

Each run starts three `bench.peer_worker` processes; the leader submits with a bounded window and
reports entries applied on itself over the measured window (see `bench/peer_worker.py`). The median
over runs is reported per record size, with CPU per node. PySyncObj does not fsync.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.options import RETRIES_MAX, BenchOptions, ScenarioUnavailable, log, median
from bench.proc import Sampler, children, free_ports, spawn

RESULT_WAIT_EXTRA_S = 40.0


def run_once(options: BenchOptions, record_size: int, workdir: Path) -> dict[str, Any]:
    ports = free_ports(3)
    warmup_s = options.effective_warmup_s
    duration_s = options.effective_duration_s
    outs = [workdir / f"peer-{port}.json" for port in ports]
    with children() as started:
        for port, out in zip(ports, outs, strict=True):
            partners = ",".join(str(p) for p in ports if p != port)
            argv = [
                sys.executable, "-m", "bench.peer_worker",
                "--self-port", str(port), "--partner-ports", partners,
                "--record-size", str(record_size), "--warmup-s", str(warmup_s),
                "--duration-s", str(duration_s), "--out", str(out),
            ]  # fmt: skip
            log_path = workdir / f"peer-{port}.log"
            # cwd = the tree's root so that `-m bench.peer_worker` resolves from anywhere.
            started.append(spawn(f"pysyncobj-{port}", argv, log_path, cwd=options.root))
        sampler = Sampler([c.pid for c in started]).start()
        try:
            deadline = time.monotonic() + warmup_s + duration_s + RESULT_WAIT_EXTRA_S
            marked = False
            while True:
                done = [o for o in outs if o.exists()]
                if done:
                    break
                if not marked and any(o.with_suffix(".mark").exists() for o in outs):
                    sampler.mark()  # the leader's measured window has just started
                    marked = True
                dead = [c for c in started if not c.alive()]
                if dead or time.monotonic() > deadline:
                    why = f"{dead[0].name} exited" if dead else "timed out"
                    tail = (dead or started)[0].log_tail()
                    raise ScenarioUnavailable(f"PySyncObj run failed ({why}):\n{tail}")
                time.sleep(0.1)
            usage = [sampler.usage(c.pid) for c in started]
        finally:
            sampler.stop()
    result: dict[str, Any] = json.loads(done[0].read_text())
    result["cpu_cores_per_node"] = [round(u.cpu_cores, 2) for u in usage]
    result["rss_mib_peak_per_node"] = [round(u.rss_mib_peak, 1) for u in usage]
    return result


def run(options: BenchOptions) -> dict[str, Any]:
    try:
        import pysyncobj  # noqa: F401
    except ImportError as exc:
        raise ScenarioUnavailable("PySyncObj is not installed (use bin/bench)") from exc
    figures: dict[str, Any] = {"fsync": False, "by_record_size": {}}
    with tempfile.TemporaryDirectory(prefix="pykraft-bench-peer-", dir=options.workdir) as tmp:
        for size in options.record_sizes:
            runs = []
            for index in range(options.effective_runs):
                log(options, f"peer: PySyncObj {size} B run {index + 1}")
                for attempt in range(RETRIES_MAX + 1):
                    one = run_once(options, size, Path(tmp))
                    # A reporter that lost leadership mid-window measured a partial window.
                    if one["is_leader"] or attempt == RETRIES_MAX:
                        break
                    log(options, "peer: PySyncObj leader changed in the window; run again")
                one["attempts"] = attempt + 1
                runs.append(one)
            figures["by_record_size"][str(size)] = {
                "committed_ops_per_s": median([r["committed_ops_per_s"] for r in runs]),
                "committed_mb_per_s": median([r["committed_mb_per_s"] for r in runs]),
                "runs": runs,
            }
    return figures


def rows(figures: dict[str, Any]) -> list[Any]:
    from bench.report import Row, fmt_num

    out = []
    for size, by_size in figures["by_record_size"].items():
        cpu = by_size["runs"][0]["cpu_cores_per_node"]
        out.append(
            Row(
                "peer",
                f"PySyncObj 3 nodes, {size} B, saturated: committed ops/s",
                fmt_num(by_size["committed_ops_per_s"]),
                f"{fmt_num(by_size['committed_mb_per_s'], 1)} MB/s; no fsync; CPU/node {cpu}",
            )
        )
    return out
