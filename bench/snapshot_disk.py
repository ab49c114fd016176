"""Disk use of one pykraft node over a long run with snapshots and retention on (issue #11 item 5).

Starts a single-voter node (`kraft server`) with Kafka's default snapshot and retention keys (or
the `--property KEY=VALUE` overrides) at `--throughput` records/s, samples the size of its
partition directory every `--sample-s` seconds, and writes one JSON document (the samples, the
achieved commit rate from the node's stats file, the peak and final disk use, and how many bytes
the node appended in all) to `--output` (default `bench/results/snapshot-disk.json`).

    .venv/bin/python -m bench.snapshot_disk --duration-s 600 --throughput 20000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dir_bytes(directory: Path) -> tuple[int, int, int]:
    """(bytes of all files, number of .log segments, number of .checkpoint snapshots)."""
    total = segments = snapshots = 0
    for path in directory.iterdir():
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            continue  # deleted between the listing and the stat
        segments += path.name.endswith(".log")
        snapshots += path.name.endswith(".checkpoint")
    return total, segments, snapshots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=float, default=600.0)
    parser.add_argument("--throughput", type=int, default=20000)
    parser.add_argument("--record-size", type=int, default=256)
    parser.add_argument("--sample-s", type=float, default=5.0)
    parser.add_argument("--property", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "snapshot-disk.json"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pykraft-snapdisk-") as tmp:
        base = Path(tmp)
        port = _free_port()
        properties = {
            "node.id": "1",
            "process.roles": "controller",
            "listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "PLAINTEXT",
            "controller.quorum.voters": f"1@127.0.0.1:{port}",
            "log.dirs": str(base / "logs"),
        }
        for item in args.property:
            key, _, value = item.partition("=")
            properties[key] = value
        config = base / "server.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        stats_path = base / "stats.jsonl"
        command = [
            sys.executable,
            "-m",
            "kraft.cli",
            "server",
            "--config",
            str(config),
            "--throughput",
            str(args.throughput),
            "--record-size",
            str(args.record_size),
            "--stats-file",
            str(stats_path),
        ]
        partition = base / "logs" / "__cluster_metadata-0"
        samples: list[dict[str, Any]] = []
        with (base / "stderr.txt").open("wb") as stderr:
            process = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr, env=os.environ.copy()
            )
            start = time.monotonic()
            try:
                while time.monotonic() - start < args.duration_s:
                    time.sleep(args.sample_s)
                    if process.poll() is not None:
                        raise SystemExit(f"the node exited early: {process.returncode}")
                    if partition.exists():
                        size, segments, snapshots = _dir_bytes(partition)
                        samples.append(
                            {
                                "t_s": round(time.monotonic() - start, 1),
                                "bytes": size,
                                "segments": segments,
                                "snapshots": snapshots,
                            }
                        )
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(30)
        stats = [json.loads(line) for line in stats_path.read_text().splitlines() if line]
        last = stats[-1] if stats else {}
        snapshot_lines = (base / "stderr.txt").read_text().count("snapshot ")
        elapsed_s = samples[-1]["t_s"] if samples else 0.0
        committed = last.get("high_watermark") or 0
        result = {
            "throughput_asked": args.throughput,
            "record_size": args.record_size,
            "duration_s": elapsed_s,
            "properties": {k: v for k, v in properties.items() if k.startswith("metadata.")},
            "committed_offsets": committed,
            "achieved_records_per_s": round(committed / elapsed_s) if elapsed_s else 0,
            "committed_bytes": round(
                sum(s["committed_bytes_per_s"] * s["interval_ms"] / 1000 for s in stats)
            ),
            "peak_disk_bytes": max((s["bytes"] for s in samples), default=0),
            "final_disk_bytes": samples[-1]["bytes"] if samples else 0,
            "snapshot_log_lines": snapshot_lines,
            "samples": samples,
        }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=1) + "\n")
    summary = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
