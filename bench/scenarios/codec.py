"""Codec: frames/s for Vote, BeginQuorumEpoch and Fetch requests; records/s to build and parse.

The measurements themselves live next to the code they measure: `bench/codec.py` (wire helper)
and `bench/records.py` (records helper), each exposing `measure(duration_s, ...) -> dict`. This
scenario only calls them, checks they returned positive rates, and tabulates the result.
"""

from __future__ import annotations

import importlib
from typing import Any

from bench.options import BenchOptions, ScenarioUnavailable

QUICK_DURATION_S = 0.2
FULL_DURATION_S = 1.0


def _measure(module_name: str, duration_s: float, **kwargs: Any) -> dict[str, Any]:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return {"unavailable": f"{module_name} not importable yet: {exc}"}
    measure = getattr(module, "measure", None)
    if measure is None:
        return {"unavailable": f"{module_name} has no measure(duration_s) yet"}
    figures = dict(measure(duration_s, **kwargs))
    for key, value in figures.items():
        if key.endswith("_per_s") and not value > 0:
            raise AssertionError(f"{module_name}.measure: non-positive rate {key}={value}")
    return figures


def run(options: BenchOptions) -> dict[str, Any]:
    duration_s = QUICK_DURATION_S if options.quick else FULL_DURATION_S
    figures: dict[str, Any] = {"frames": _measure("bench.codec", duration_s), "records": {}}
    for size in options.record_sizes:
        figures["records"][str(size)] = _measure(
            "bench.records", duration_s, record_size_bytes=size
        )
    parts = (figures["frames"], *figures["records"].values())
    available = [f for f in parts if "unavailable" not in f]
    if not available:
        reasons = {figures["frames"]["unavailable"]}
        reasons |= {f["unavailable"] for f in figures["records"].values()}
        raise ScenarioUnavailable("; ".join(sorted(reasons)))
    return figures


def _pairs(figures: dict[str, Any], first: str, second: str) -> dict[str, tuple[Any, Any]]:
    """Group `<what>_<first>_<unit>` with `<what>_<second>_<unit>` (e.g. encode/decode)."""
    pairs: dict[str, tuple[Any, Any]] = {}
    for key, value in figures.items():
        if f"_{first}_" in key:
            what, unit = key.split(f"_{first}_", 1)
            other = figures.get(f"{what}_{second}_{unit}")
            unit_text = unit.replace("_per_s", "/s").replace("mb/", "MB/")
            pairs[f"{what.replace('_', ' ')} ({unit_text})"] = (value, other)
    return pairs


def rows(figures: dict[str, Any]) -> list[Any]:
    """A compact view: encode/decode frames/s per message, build/parse records/s per size."""
    from bench.report import Row, fmt_num

    out = []
    frames = figures["frames"]
    if "unavailable" in frames:
        out.append(Row("codec", "frames", "—", frames["unavailable"]))
    else:
        for what, (enc, dec) in _pairs(frames, "encode", "decode").items():
            value = f"{fmt_num(enc)} / {fmt_num(dec)}"
            out.append(Row("codec", f"{what}: encode / decode", value, "per CPU-second"))
    for size, records in figures["records"].items():
        if "unavailable" in records:
            out.append(Row("codec", f"records {size} B", "—", records["unavailable"]))
            continue
        build, parse = records.get("build_records_per_s"), records.get("parse_records_per_s")
        crc = records.get("crc_verify_mb_per_s")
        out.append(
            Row(
                "codec",
                f"record batch v2, {size} B records: build / parse records/s",
                f"{fmt_num(build)} / {fmt_num(parse)}",
                f"uncompressed; CRC32C verify {fmt_num(crc)} MB/s; codecs in the JSON",
            )
        )
    return out
