"""One PySyncObj node for the peer side-by-side scenario (run as `python -m bench.peer_worker`).

Theory of operation: three of these form a PySyncObj cluster on 127.0.0.1. The replicated state is
an append-only log summarised as (count, bytes): `append(payload)` runs on every node when the entry
is *applied*, i.e. after PySyncObj has committed it. Whichever node is leader submits appends with
a bounded number in flight (`inflight_max`) so the cluster stays saturated without unbounded
queues. After `warmup_s` the leader counts entries applied on itself during `duration_s` and writes
one JSON result to `--out`; that is "committed ops/s" (applied, not merely submitted).

PySyncObj keeps its log in memory here (no journal file) and never fsyncs: the comparison with
pykraft (fsync on) is therefore generous to PySyncObj, and the report says so.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from pysyncobj import SyncObj, SyncObjConf, replicated

LEADER_WAIT_S_MAX = 30.0
IDLE_SLEEP_S = 0.0005


class AppendLog(SyncObj):  # type: ignore[misc]
    def __init__(self, self_addr: str, partner_addrs: list[str]) -> None:
        conf = SyncObjConf(dynamicMembershipChange=False, commandsQueueSize=200_000)
        super().__init__(self_addr, partner_addrs, conf)
        self.applied_count = 0
        self.applied_bytes = 0
        # Written only by the submitting thread / only by PySyncObj's tick thread respectively.
        self.submitted = 0
        self.completed = 0

    @replicated  # type: ignore[untyped-decorator]
    def append(self, payload: bytes) -> None:
        self.applied_count += 1
        self.applied_bytes += len(payload)

    def on_done(self, result: Any, error: Any) -> None:
        self.completed += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--self-port", type=int, required=True)
    parser.add_argument("--partner-ports", required=True, help="comma-separated")
    parser.add_argument("--record-size", type=int, default=256)
    parser.add_argument("--warmup-s", type=float, default=2.0)
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument("--inflight-max", type=int, default=20_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    partners = [f"127.0.0.1:{p}" for p in args.partner_ports.split(",")]
    node = AppendLog(f"127.0.0.1:{args.self_port}", partners)
    payload = b"\x00" * args.record_size

    deadline = time.monotonic() + LEADER_WAIT_S_MAX
    while node._getLeader() is None:
        if time.monotonic() > deadline:
            print("no leader elected", file=sys.stderr)
            return 1
        time.sleep(0.05)

    # Followers only keep the cluster alive; the harness stops them once the leader has reported.
    if not node._isLeader():
        while True:
            time.sleep(1.0)

    start = time.monotonic()
    mark_at = start + args.warmup_s
    end_at = mark_at + args.duration_s
    marked: tuple[float, int, int] | None = None
    while True:
        now = time.monotonic()
        if marked is None and now >= mark_at:
            marked = (now, node.applied_count, node.applied_bytes)
            # Tells the harness the window starts now (it starts sampling CPU).
            args.out.with_suffix(".mark").touch()
        if now >= end_at:
            break
        if node.submitted - node.completed < args.inflight_max:
            for _ in range(100):
                node.append(payload, callback=node.on_done)
            node.submitted += 100
        else:
            time.sleep(IDLE_SLEEP_S)
    assert marked is not None
    t0, count0, bytes0 = marked
    elapsed_s = time.monotonic() - t0
    result = {
        "is_leader": bool(node._isLeader()),
        "window_s": elapsed_s,
        "committed_ops": node.applied_count - count0,
        "committed_bytes": node.applied_bytes - bytes0,
        "committed_ops_per_s": (node.applied_count - count0) / elapsed_s,
        "committed_mb_per_s": (node.applied_bytes - bytes0) / elapsed_s / 1e6,
        "record_size_bytes": args.record_size,
    }
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    tmp.rename(args.out)
    while True:  # stay in the cluster until the harness stops everyone
        time.sleep(1.0)


if __name__ == "__main__":
    sys.exit(main())
