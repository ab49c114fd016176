"""Optional profiling of node processes with py-spy (`bin/bench --profile`).

py-spy cannot attach to a running interpreter on every machine (it fails to find the Python
version of the target here), so each voter is *launched* under `py-spy record --subprocesses`
(the node's bin script execs Python). Profiles are py-spy's "raw" collapsed stacks (one line per
distinct stack: `frame;frame;... count`), which flamegraph.pl turns into an SVG; `summarize`
reads them back into the top functions by own (self) samples and by inclusive samples, which is
what goes into the result JSON. `--profile-idle` also samples waiting threads, per thread (where
each thread waits shows a latency-bound pipeline). The CPU figures of a profiled run include
py-spy's own CPU.
"""

from __future__ import annotations

import collections
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.options import ScenarioUnavailable

SAMPLE_RATE_HZ = 100
TOP_N = 25


def pyspy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    path = str(beside) if beside.is_file() else shutil.which("py-spy")
    if path is None:
        raise ScenarioUnavailable("py-spy is not installed (bin/bench installs the bench extra)")
    return path


def path_for(profile_dir: Path, tag: str, node_id: int) -> Path:
    profile_dir.mkdir(parents=True, exist_ok=True)
    return profile_dir / f"{tag}-node{node_id}.pyspy.txt"


def wrap(argv: Sequence[str], out: Path, *, idle: bool = False) -> list[str]:
    """`argv` under py-spy; `idle` also samples waiting threads, one stack root per thread."""
    extra = ["--idle", "--threads"] if idle else []
    return [
        pyspy(), "record", "--subprocesses", "--nonblocking", "--rate", str(SAMPLE_RATE_HZ),
        *extra, "--format", "raw", "-o", str(out), "--", *argv,
    ]  # fmt: skip


def summarize(path: Path, top_n: int = TOP_N) -> dict[str, Any]:
    """Top functions by self and inclusive samples from a raw (collapsed) py-spy profile."""
    self_samples: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    # With --threads the first frame names the thread: its leaves show where that thread waits.
    by_thread: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        # Drop the "process N:..." root py-spy adds with --subprocesses.
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        total += count
        if frames[0].startswith("thread "):
            thread = frames[0].split(": ", 1)[-1]
            by_thread[thread][frames[-1]] += count
            frames = frames[1:] or frames
        self_samples[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def top(counter: collections.Counter[str]) -> list[tuple[str, float]]:
        return [(frame, round(100 * n / total, 1)) for frame, n in counter.most_common(top_n)]

    threads = {}
    for name, leaves in by_thread.items():
        thread_total = sum(leaves.values())
        if thread_total >= total // 20:  # skip short-lived threads
            threads[name] = [
                (leaf, round(100 * n / thread_total, 1)) for leaf, n in leaves.most_common(8)
            ]
    return {
        "samples": total,
        "self_pct": top(self_samples) if total else [],
        "inclusive_pct": top(inclusive) if total else [],
        "thread_leaves_pct": threads,
    }
