"""Record batch v2 throughput: build, parse, header scan and CRC verification.

`measure(duration_s, record_size_bytes)` is the contract with bench/scenarios/codec.py; running
this file (`.venv/bin/python bench/records.py`) measures 256 B records and writes
bench/results/records.json.

Figures (each timed for about `duration_s`, best of repeated runs within that time):
- build_records_per_s: `build_data_batch` of `BATCH_RECORDS` values (the leader's hot path);
  build_<codec>_records_per_s the same with compression.
- parse_records_per_s: `decode_records` (CRC check + record decoding) of such a batch;
  parse_<codec>_records_per_s with decompression; parse_reference_records_per_s the construct codec.
- header_scan_mb_per_s: `scan_batches` over a `SCAN_BUFFER_BYTES` buffer of concatenated batches
  (headers only, what the log and the Fetch path do); header_scan_batches_per_s the same in batches.
- crc_verify_mb_per_s: `crc_ok` over every batch of that buffer.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wire.records import (
    Compression,
    build_data_batch,
    crc_ok,
    decode_records,
    read_batch_header,
    scan_batches,
    with_base_offset,
)
from wire.records.codec import parse_batch_reference

BATCH_RECORDS = 1000
SCAN_BATCH_RECORDS = 64
SCAN_BUFFER_BYTES = 64 * 1024 * 1024
SEED = 20261125
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "records.json"


def _values(count: int, size_bytes: int, rng: random.Random) -> list[bytes]:
    """Metadata-like payloads: compressible text with some entropy, all exactly size_bytes."""
    words = [b"topic", b"partition", b"replica", b"leader", b"epoch", b"isr", b"uuid", b"config"]
    out = []
    for i in range(count):
        parts = [b"%08d:" % i]
        while sum(map(len, parts)) < size_bytes:
            parts.append(rng.choice(words) + b"=%d;" % rng.randrange(1 << 20))
        out.append(b"".join(parts)[:size_bytes])
    return out


def _rate(work: Callable[[], int], duration_s: float) -> float:
    """Units per second of `work()` (which returns units done), best of repeated timings."""
    work()  # warm-up
    best = 0.0
    deadline = time.perf_counter() + duration_s
    while True:
        start = time.perf_counter()
        units = work()
        elapsed = time.perf_counter() - start
        best = max(best, units / elapsed)
        if time.perf_counter() >= deadline:
            return best


def _scan_buffer(values: list[bytes]) -> bytes:
    batch = build_data_batch(0, 7, 1_700_000_000_000, values[:SCAN_BATCH_RECORDS])
    count = SCAN_BUFFER_BYTES // len(batch)
    return b"".join(with_base_offset(batch, i * SCAN_BATCH_RECORDS) for i in range(count))


def measure(duration_s: float = 1.0, record_size_bytes: int = 256) -> dict[str, float]:
    rng = random.Random(SEED)
    values = _values(BATCH_RECORDS, record_size_bytes, rng)
    figures: dict[str, float] = {}

    def build(codec: Compression) -> Callable[[], int]:
        def work() -> int:
            build_data_batch(0, 1, 1_700_000_000_000, values, codec)
            return len(values)

        return work

    def parse(batch: bytes) -> Callable[[], int]:
        header = read_batch_header(batch)

        def work() -> int:
            return len(decode_records(batch, 0, header))

        return work

    plain = build_data_batch(0, 1, 1_700_000_000_000, values)
    figures["build_records_per_s"] = _rate(build(Compression.NONE), duration_s)
    figures["parse_records_per_s"] = _rate(parse(plain), duration_s)
    figures["parse_reference_records_per_s"] = _rate(
        lambda: len(parse_batch_reference(plain)[1]), duration_s / 4
    )
    for codec in list(Compression)[1:]:
        name = codec.name.lower()
        compressed = build_data_batch(0, 1, 1_700_000_000_000, values, codec)
        figures[f"build_{name}_records_per_s"] = _rate(build(codec), duration_s / 4)
        figures[f"parse_{name}_records_per_s"] = _rate(parse(compressed), duration_s / 4)
        figures[f"{name}_compression_ratio"] = len(plain) / len(compressed)

    buf = _scan_buffer(values)
    scan = scan_batches(buf)
    assert scan.valid_bytes == len(buf) and not scan.trailing_partial
    figures["header_scan_mb_per_s"] = _rate(
        lambda: len(scan_batches(buf).headers) and len(buf), duration_s
    ) / (1024 * 1024)
    figures["header_scan_batches_per_s"] = figures["header_scan_mb_per_s"] * (
        1024 * 1024 * len(scan.headers) / len(buf)
    )

    def verify() -> int:
        for pos, header in zip(scan.positions, scan.headers, strict=True):
            if not crc_ok(buf, pos, header):
                raise AssertionError("CRC mismatch in a freshly built batch")
        return len(buf)

    figures["crc_verify_mb_per_s"] = _rate(verify, duration_s) / (1024 * 1024)
    figures["scan_buffer_bytes"] = float(len(buf))
    figures["scan_batch_bytes"] = float(scan.headers[0].size_bytes)
    figures["batch_records"] = float(BATCH_RECORDS)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration-s", type=float, default=1.0)
    parser.add_argument("--record-size-bytes", type=int, default=256)
    parser.add_argument("--out", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    figures = measure(args.duration_s, args.record_size_bytes)
    result: dict[str, Any] = {
        "benchmark": "records",
        "record_size_bytes": args.record_size_bytes,
        "duration_s": args.duration_s,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "processor": platform.processor(),
        "figures": figures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in figures.items():
        print(f"{key:40s} {value:>16,.1f}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
