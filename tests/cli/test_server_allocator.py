"""`kraft server` keeps freed large buffers for reuse (glibc `mallopt`), so the megabyte buffers a
node allocates and frees all the time (batches, Fetch answers, received frames) are not
page-faulted in anew each time."""

from __future__ import annotations

import subprocess
import sys

import pytest

# In a fresh interpreter: rotate 8 MiB buffers (three alive, as a leader's batch, answer and read)
# and count the page faults of the rotation once it is warm.
ROTATION = """
import collections, resource, sys
if sys.argv[1] == "keep":
    from kraft.cli.server import keep_freed_memory
    if not keep_freed_memory():
        print("unsupported")
        raise SystemExit
live = collections.deque(maxlen=3)
block = bytes(1 << 20)
for _ in range(5):
    live.append(block * 8)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(40):
    live.append(block * 8)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 40)
"""


def faults_per_buffer(mode: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", ROTATION, mode], capture_output=True, text=True, check=True
    )
    return run.stdout.strip()


def test_freed_buffers_are_reused_without_page_faults() -> None:
    kept = faults_per_buffer("keep")
    if kept == "unsupported":
        pytest.skip("the C library has no mallopt (not glibc)")
    # An 8 MiB buffer is 2048 pages: reused, it faults none of them in again.
    assert float(kept) < 5
    # Without it glibc gave such buffers back and faulted them in again (here: ~120 per buffer);
    # if it ever stops doing so this test proves nothing, and says so.
    assert float(faults_per_buffer("default")) > 5 * max(float(kept), 1)
