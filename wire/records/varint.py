"""Zig-zag varints as used inside record batches v2 (protobuf's `sint32`/`sint64`).

A signed value v is mapped to the unsigned (v << 1) ^ (v >> 63) (so -1 → 1, 1 → 2) and written
7 bits at a time, least significant group first, high bit set on every byte but the last.
Kafka's `varint` fields hold int32 values (at most 5 bytes) and `varlong` fields int64 values (at
most 10 bytes). Decoding enforces those limits and the buffer end, raising `DecodeError` only.

Encoding small values is on the leader's hot path, so `VARINT_SMALL` caches the encodings of
0 .. `VARINT_CACHE_MAX - 1`.
"""

from __future__ import annotations

from wire.errors import DecodeError

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
VARINT_BYTES_MAX = 5
VARLONG_BYTES_MAX = 10
VARINT_CACHE_MAX = 1 << 14


def encode_varlong(value: int) -> bytes:
    """Zig-zag encode any int64 (an int32 encodes identically to the same value as varlong)."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"varlong out of range: {value}")
    n = ((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode_varint(value: int) -> bytes:
    if not INT32_MIN <= value <= INT32_MAX:
        raise ValueError(f"varint out of range: {value}")
    if 0 <= value < VARINT_CACHE_MAX:
        return VARINT_SMALL[value]
    return encode_varlong(value)


def size_of_varlong(value: int) -> int:
    n = ((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF
    size = 1
    while n > 0x7F:
        n >>= 7
        size += 1
    return size


def _decode(buf: bytes | bytearray | memoryview, pos: int, bytes_max: int) -> tuple[int, int]:
    end = len(buf)
    shift = 0
    n = 0
    for i in range(bytes_max):
        if pos + i >= end:
            raise DecodeError("varint runs past the end of the buffer", offset=pos)
        b = buf[pos + i]
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return (n >> 1) ^ -(n & 1), pos + i + 1
        shift += 7
    raise DecodeError(f"varint longer than {bytes_max} bytes", offset=pos)


def decode_varint(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    """Decode an int32 zig-zag varint at `pos`; return (value, position after it)."""
    value, end = _decode(buf, pos, VARINT_BYTES_MAX)
    if not INT32_MIN <= value <= INT32_MAX:
        raise DecodeError(f"varint {value} out of int32 range", offset=pos)
    return value, end


def decode_varlong(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    """Decode an int64 zig-zag varlong at `pos`; return (value, position after it)."""
    value, end = _decode(buf, pos, VARLONG_BYTES_MAX)
    if not INT64_MIN <= value <= INT64_MAX:
        raise DecodeError(f"varlong {value} out of int64 range", offset=pos)
    return value, end


VARINT_SMALL: tuple[bytes, ...] = tuple(encode_varlong(i) for i in range(VARINT_CACHE_MAX))
