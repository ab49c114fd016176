"""The cost of `kraft proxy` on a consumer: raw Fetch throughput and p99 latency, direct vs proxied.

A figure, not a test: `python -m bench.scenarios.proxy [--fill-s 8] [--passes 3]`.

One pykraft node (a single voter) fills its log with 1 KiB records at saturation for `fill_s`
and keeps writing at that rate (the readers compete with the writer for the CPU). The raw Fetch
v4 client (`bench.fetch_client`: no record decoding) reads [0, high watermark) `passes` times
directly and `passes` times through a `kraft proxy` process (default one-line output, sent to
/dev/null; the proxy decodes every exchange, batch headers included). Reported: MB/s of batch
bytes (median pass) and the p99 of per-Fetch latency over all passes, for each path, and the
ratio.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.fetch_client import NO_ERROR, RawFetchClient

ROOT = Path(__file__).resolve().parents[2]
FETCH_MAX_BYTES = 512 * 1024  # RawFetchClient's buffer holds 1 MiB frames
RECORD_SIZE_BYTES = 1024


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _wait_port_log(path: Path, needle: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while needle not in (path.read_text() if path.exists() else ""):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {needle!r} in {path}")
        time.sleep(0.1)


def _high_watermark(stats: Path) -> int:
    lines = [json.loads(x) for x in stats.read_text().splitlines() if x.strip().endswith("}")]
    return int(lines[-1]["high_watermark"] or 0) if lines else 0


def _pass(port: int, end_offset: int) -> tuple[float, list[float]]:
    latencies_ms = []
    total = 0
    with RawFetchClient("127.0.0.1", port) as client:
        offset = 0
        started = time.perf_counter()
        while offset < end_offset:
            t0 = time.perf_counter()
            result = client.fetch(offset, FETCH_MAX_BYTES)
            latencies_ms.append((time.perf_counter() - t0) * 1000)
            if result.error_code != NO_ERROR or result.batch_count == 0:
                raise SystemExit(f"fetch at {offset}: error {result.error_code}")
            total += result.batch_bytes
            offset = result.next_offset
        elapsed = time.perf_counter() - started
    return total / elapsed / 1e6, latencies_ms


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fill-s", type=float, default=8.0)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    node_port, proxy_port = free_ports(2)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        config = base / "server.properties"
        config.write_text(
            f"node.id=1\nprocess.roles=controller\nlisteners=PLAINTEXT://127.0.0.1:{node_port}\n"
            f"controller.listener.names=PLAINTEXT\ncontroller.quorum.voters=1@127.0.0.1:{node_port}\n"
            f"log.dirs={base / 'logs'}\n"
        )
        stats = base / "stats.jsonl"
        common = [sys.executable, "-m", "kraft.cli"]
        node = subprocess.Popen(
            [
                *common,
                "server",
                "--config",
                str(config),
                "--stats-file",
                str(stats),
                "--report-interval-ms",
                "200",
                "--throughput",
                "10000000",
                "--record-size",
                str(RECORD_SIZE_BYTES),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(base / "node.err").open("wb"),
        )
        proxy = subprocess.Popen(
            [
                *common,
                "proxy",
                "--listen",
                f"127.0.0.1:{proxy_port}",
                "--upstream",
                f"127.0.0.1:{node_port}",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(base / "proxy.err").open("wb"),
        )
        try:
            _wait_port_log(base / "proxy.err", "listening", 30)
            time.sleep(args.fill_s)
            end = _high_watermark(stats)
            figures = {}
            for name, port in (("direct", node_port), ("proxy", proxy_port)):
                passes = [_pass(port, end) for _ in range(args.passes)]
                latencies = [ms for _, run in passes for ms in run]
                figures[name] = {
                    "mb_per_s": round(statistics.median(mb for mb, _ in passes), 1),
                    "fetch_p99_ms": round(_p99(latencies), 2),
                    "fetch_p50_ms": round(statistics.median(latencies), 2),
                    "fetches": len(latencies),
                }
            figures["records_read"] = end
            figures["throughput_ratio"] = round(
                figures["proxy"]["mb_per_s"] / figures["direct"]["mb_per_s"], 2
            )
            print(json.dumps(figures, indent=2))
        finally:
            for process in (proxy, node):
                process.kill()
                process.wait(10)


if __name__ == "__main__":
    main()
