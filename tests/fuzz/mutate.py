"""Structure-aware mutations of Kafka protocol messages, frames and record batches.

Every mutation is a pure function of a `random.Random` and a valid input, and returns the
mutated value plus a one-line description, so a failure report names exactly what was sent:

- `mutate_field(rng, message, version)`: one field somewhere in the message tree (found by walking
  the `wire.fields` specs that exist at `version`) set to a boundary value of its Kafka type
  (ints at -1/0/extremes, strings empty/huge/non-IDNA, arrays empty/duplicated, nulls);
- `mutate_frame(rng, frame)`: byte-level damage to a whole frame (truncation, flipped bytes,
  oversize or negative size prefix, trailing garbage);
- `hostile_batches(rng, base_offset, epoch)`: record batches with a VALID CRC and nonsense
  offsets, epochs, attributes, lengths or counts, built with `wire.records`.

No I/O here: `tests.fuzz.live` decides where the bytes go.
"""

from __future__ import annotations

import dataclasses
import random
import struct
import uuid
from collections.abc import Callable
from typing import Any

from wire.fields import Struct, specs_of
from wire.records.builder import assemble_batch, build_data_batch, encode_data_records

INT8 = (-(1 << 7), (1 << 7) - 1)
INT16 = (-(1 << 15), (1 << 15) - 1)
INT32 = (-(1 << 31), (1 << 31) - 1)
INT64 = (-(1 << 63), (1 << 63) - 1)
UINT16_MAX = 0xFFFF
HUGE_STRING_CHARS = 40_000
# Hosts that are not valid IDNA / DNS names: empty label, 64-char label, non-ASCII, NUL, huge.
BAD_HOSTS = (
    "",
    "a..b",
    "x" * 64 + ".example",
    "☃",
    "☃.example",
    "host\x00name",
    "-",
    ".",
    "a" * 300,
    "256.256.256.256",
    "::1::",
)
BAD_PORTS_INT32 = (-1, 0, 65536, INT32[0], INT32[1], 1)

Path = tuple[str | int, ...]


def _int_values(rng: random.Random, lo: int, hi: int, original: int) -> int:
    candidates = [lo, hi, -1, 0, 1, hi - 1, lo + 1, original + 1, original - 1]
    candidates = [v for v in candidates if lo <= v <= hi]
    if rng.random() < 0.2:
        return rng.randint(lo, hi)
    return rng.choice(candidates)


def boundary_value(rng: random.Random, kafka_type: str, original: Any, nullable: bool) -> Any:
    """A value of `kafka_type` chosen to hurt: extremes, empties, nonsense text."""
    if nullable and rng.random() < 0.15:
        return None
    if kafka_type == "int8":
        return _int_values(rng, *INT8, original or 0)
    if kafka_type == "int16":
        return _int_values(rng, *INT16, original or 0)
    if kafka_type == "int32":
        return _int_values(rng, *INT32, original or 0)
    if kafka_type == "int64":
        return _int_values(rng, *INT64, original or 0)
    if kafka_type == "uint16":
        return rng.choice([0, 1, UINT16_MAX, UINT16_MAX - 1, rng.randint(0, UINT16_MAX)])
    if kafka_type == "bool":
        return not original
    if kafka_type == "float64":
        return rng.choice([float("nan"), float("inf"), -0.0, 1e308])
    if kafka_type == "uuid":
        return rng.choice([uuid.UUID(int=0), uuid.UUID(int=rng.getrandbits(128))])
    if kafka_type == "string":
        return rng.choice(
            [*BAD_HOSTS, "x" * HUGE_STRING_CHARS, "__cluster_metadata ", "__CLUSTER_METADATA"]
        )
    if kafka_type in ("bytes", "records"):
        data = original or b""
        return rng.choice(
            [
                b"",
                data[: rng.randint(0, len(data))] if data else b"\x00",
                bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 80))),
                data + data,
            ]
        )
    raise AssertionError(f"no boundary values for {kafka_type!r}")


def _targets(value: Struct, version: int, path: Path, out: list[tuple[Path, Any]]) -> None:
    """Every (path, spec) of a field present at `version`, depth first; arrays and elements."""
    for name, spec, _default in specs_of(type(value)):
        if version not in spec.versions:
            continue
        here = (*path, name)
        current = getattr(value, name)
        out.append((here, spec))
        if spec.is_struct and current is not None:
            _targets(current, version, here, out)
        elif spec.is_struct_array and current:
            for i, element in enumerate(current):
                _targets(element, version, (*here, i), out)


def _get(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step] if isinstance(step, int) else getattr(value, step)
    return value


def _set(value: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    step, rest = path[0], path[1:]
    if isinstance(step, int):
        items = list(value)
        items[step] = _set(items[step], rest, new)
        return items
    return dataclasses.replace(value, **{step: _set(getattr(value, step), rest, new)})


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...({len(text)} chars)"


def mutate_field(
    rng: random.Random, message: Struct, version: int, int32_cap: int | None = None
) -> tuple[Any, str]:
    """`message` with one field (or array) replaced; the description names path and value.

    `int32_cap`: int32 values above it (except INT32_MAX itself) are lowered to it, so a caller
    can keep epochs away from the int32 limit for a while (a node there cannot be outranked).
    """
    targets: list[tuple[Path, Any]] = []
    _targets(message, version, (), targets)
    if not targets:
        return message, "no fields"
    path, spec = rng.choice(targets)
    original = _get(message, path)
    nullable = version in spec.nullable
    if spec.is_array:
        items = list(original or [])
        choices: list[Any] = [[]]
        if items:
            choices.append(items + items)
            choices.append([items[0]] * rng.randint(2, 5))
        if nullable:
            choices.append(None)
        new = rng.choice(choices)
    elif spec.is_struct:
        new = type(original)()
    else:
        new = boundary_value(rng, spec.kafka_type, original, nullable)
        if (
            int32_cap is not None
            and spec.kafka_type == "int32"
            and new is not None
            and int32_cap < new < INT32[1]
        ):
            new = int32_cap
    dotted = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
    return _set(message, path, new), f"{dotted} = {_show(new)}"


# ------------------------------------------------------------------------------ frames

_SIZE = struct.Struct(">i")


def mutate_frame(rng: random.Random, frame: bytes) -> tuple[bytes, str]:
    """Byte-level damage to a whole frame (size prefix included)."""
    payload = frame[4:]
    kind = rng.choice(
        ["truncate", "truncate-keep-size", "flip", "oversize", "negative", "trailing", "empty"]
    )
    if kind == "truncate" and payload:
        cut = rng.randint(0, len(payload) - 1)
        return _SIZE.pack(cut) + payload[:cut], f"payload truncated to {cut} of {len(payload)}"
    if kind == "truncate-keep-size" and payload:
        cut = rng.randint(0, len(payload) - 1)
        return frame[: 4 + cut], f"frame cut after {cut} payload bytes, size prefix kept"
    if kind == "flip" and payload:
        data = bytearray(payload)
        flips = rng.randint(1, 4)
        for _ in range(flips):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return _SIZE.pack(len(data)) + bytes(data), f"{flips} bit(s) flipped"
    if kind == "oversize":
        size = rng.choice([INT32[1], 200 * 1024 * 1024, len(payload) + 1_000_000])
        return _SIZE.pack(size) + payload, f"size prefix {size}"
    if kind == "negative":
        size = rng.choice([-1, INT32[0]])
        return _SIZE.pack(size) + payload, f"size prefix {size}"
    if kind == "trailing":
        extra = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 16)))
        data = payload + extra
        return _SIZE.pack(len(data)) + data, f"{len(extra)} trailing garbage bytes"
    return _SIZE.pack(0), "empty frame"


def with_correlation_id(frame: bytes, correlation_id: int) -> bytes:
    """A response frame with its correlation id (the first payload field) replaced."""
    return frame[:4] + _SIZE.pack(correlation_id) + frame[8:]


# ----------------------------------------------------------------------- record batches

BatchMaker = Callable[[random.Random, int, int], tuple[bytes, str]]


def _batch(
    *,
    base_offset: int,
    epoch: int,
    count: int = 2,
    attributes: int = 0,
    last_offset_delta: int | None = None,
    records_count: int | None = None,
    timestamp_ms: int = 1_700_000_000_000,
    payload: bytes | None = None,
) -> bytes:
    """A batch with a valid CRC whatever nonsense the header fields hold."""
    if payload is None:
        payload = encode_data_records([b"fuzz-%d" % i for i in range(count)])
    return assemble_batch(
        base_offset=base_offset,
        partition_leader_epoch=epoch,
        attributes=attributes,
        last_offset_delta=count - 1 if last_offset_delta is None else last_offset_delta,
        base_timestamp=timestamp_ms,
        max_timestamp=timestamp_ms,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        records_count=count if records_count is None else records_count,
        payload=payload,
    )


def hostile_batches(rng: random.Random, base_offset: int, epoch: int) -> tuple[bytes, str]:
    """Record-batch bytes with valid CRCs but nonsense offsets, epochs, attributes or lengths."""
    kind = rng.choice(
        [
            "base-offset",
            "last-offset-delta",
            "epoch",
            "attributes",
            "records-count",
            "length",
            "magic",
            "gap",
            "overlap",
            "timestamps",
            "garbage-records",
        ]
    )
    if kind == "base-offset":
        value = rng.choice([-1, INT64[0], INT64[1] - 1, base_offset + 1, base_offset - 1, 0])
        return _batch(base_offset=value, epoch=epoch), f"batch base offset {value}"
    if kind == "last-offset-delta":
        value = rng.choice([-1, -2, INT32[0], INT32[1], 1000])
        return _batch(base_offset=base_offset, epoch=epoch, last_offset_delta=value), (
            f"batch last offset delta {value}"
        )
    if kind == "epoch":
        value = rng.choice([-1, INT32[0], INT32[1], epoch + 1, epoch + 1000, 0])
        return _batch(base_offset=base_offset, epoch=value), f"batch leader epoch {value}"
    if kind == "attributes":
        value = rng.choice([0x0005, 0x0007, 0x0010, 0x0020, 0x0030, 0x0040, 0x7FFF, -1, 0x0001])
        return _batch(base_offset=base_offset, epoch=epoch, attributes=value), (
            f"batch attributes {value:#x}"
        )
    if kind == "records-count":
        value = rng.choice([0, -1, INT32[1], 1000])
        return _batch(base_offset=base_offset, epoch=epoch, records_count=value), (
            f"batch records count {value}"
        )
    if kind == "length":
        data = bytearray(_batch(base_offset=base_offset, epoch=epoch))
        value = rng.choice([0, 1, 48, 49, len(data) - 13, len(data) + 100, INT32[1], -1])
        struct.pack_into(">i", data, 8, value)
        return bytes(data), f"batch length field {value} (real {len(data) - 12})"
    if kind == "magic":
        data = bytearray(_batch(base_offset=base_offset, epoch=epoch))
        value = rng.choice([0, 1, 3, 127, -1])
        struct.pack_into(">b", data, 16, value)
        return bytes(data), f"batch magic {value}"
    if kind == "gap":
        first = _batch(base_offset=base_offset, epoch=epoch)
        second = _batch(base_offset=base_offset + 10, epoch=epoch)
        return first + second, "two batches with a gap of 8 offsets"
    if kind == "overlap":
        first = _batch(base_offset=base_offset, epoch=epoch, count=3)
        second = _batch(base_offset=base_offset + 1, epoch=epoch)
        return first + second, "two overlapping batches"
    if kind == "timestamps":
        value = rng.choice([-1, INT64[0], INT64[1]])
        return _batch(base_offset=base_offset, epoch=epoch, timestamp_ms=value), (
            f"batch timestamps {value}"
        )
    garbage = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
    return _batch(base_offset=base_offset, epoch=epoch, payload=garbage), (
        f"batch of {len(garbage)} garbage record bytes (valid CRC)"
    )


def valid_batch(base_offset: int, epoch: int, count: int) -> bytes:
    return build_data_batch(base_offset, epoch, 1_700_000_000_000, [b"v" * 16] * count)
