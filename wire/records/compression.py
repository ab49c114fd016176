"""Compression codecs for record batches v2, in the framings Kafka's Java client writes.

When a batch is compressed, everything after the 61-byte header (the concatenated records) is one
compressed stream; the header's recordsCount still counts records.

- GZIP: a gzip member (stdlib zlib, wbits=31), as Java's GZIPOutputStream writes.
- SNAPPY: Java writes xerial snappy-java framing (`SnappyOutputStream`): magic `\\x82SNAPPY\\x00`,
  int32 version 1, int32 min-compatible version 1, then blocks {int32 length, raw snappy block},
  each block compressing up to `SNAPPY_XERIAL_BLOCK_BYTES` of input. Readers accept that framing
  and plain raw snappy (librdkafka and some clients write raw).
- LZ4: the LZ4 frame format with independent blocks and no content checksum (KIP-57), which Kafka
  requires (it rejects dependent blocks).
- ZSTD: a standard zstd frame (cramjam).

Decoding is total: any codec failure becomes `DecodeError`. Output size is bounded by
`decompressed_bytes_max` for gzip and snappy, where the size is cheaply checkable as we go; lz4 and
zstd frames are bounded by the caller's batch size limits (documented gap: a crafted lz4/zstd bomb
inside an accepted batch can still expand in memory).
"""

from __future__ import annotations

import struct
import zlib

import cramjam

from wire.errors import DecodeError
from wire.records.batch import Compression

SNAPPY_XERIAL_MAGIC = b"\x82SNAPPY\x00"
SNAPPY_XERIAL_HEADER = SNAPPY_XERIAL_MAGIC + struct.pack(">ii", 1, 1)
SNAPPY_XERIAL_BLOCK_BYTES = 32 * 1024
DECOMPRESSED_BYTES_MAX = 1024 * 1024 * 1024
# Kafka's defaults (KIP-390): gzip uses zlib's default level, lz4 level 9, zstd level 3.
GZIP_LEVEL = zlib.Z_DEFAULT_COMPRESSION
LZ4_LEVEL = 9
ZSTD_LEVEL = 3
_INT32 = struct.Struct(">i")


def compress(codec: Compression, data: bytes | bytearray | memoryview) -> bytes:
    if codec is Compression.NONE:
        return bytes(data)
    if codec is Compression.GZIP:
        c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        return c.compress(data) + c.flush()
    if codec is Compression.SNAPPY:
        return _snappy_xerial_encode(data)
    if codec is Compression.LZ4:
        lz4 = cramjam.lz4.Compressor(level=LZ4_LEVEL, content_checksum=False, block_linked=False)
        lz4.compress(bytes(data))
        return bytes(lz4.finish())
    if codec is Compression.ZSTD:
        return bytes(cramjam.zstd.compress(bytes(data), level=ZSTD_LEVEL))
    raise ValueError(f"unknown compression {codec!r}")


def decompress(
    codec: Compression,
    data: bytes | bytearray | memoryview,
    *,
    decompressed_bytes_max: int = DECOMPRESSED_BYTES_MAX,
) -> bytes:
    """Inverse of `compress`; `DecodeError` on anything undecodable or oversized."""
    if codec is Compression.NONE:
        return bytes(data)
    try:
        if codec is Compression.GZIP:
            return _gzip_decode(data, decompressed_bytes_max)
        if codec is Compression.SNAPPY:
            return _snappy_decode(bytes(data), decompressed_bytes_max)
        if codec is Compression.LZ4:
            out = bytes(cramjam.lz4.decompress(bytes(data)))
        elif codec is Compression.ZSTD:
            out = bytes(cramjam.zstd.decompress(bytes(data)))
        else:
            raise DecodeError(f"unknown compression {codec!r}")
    except DecodeError:
        raise
    except Exception as exc:  # third-party codecs raise assorted exception types on bad input
        raise DecodeError(f"{codec.name} decompression failed: {exc}") from None
    if len(out) > decompressed_bytes_max:
        raise DecodeError(f"{codec.name} payload expands beyond {decompressed_bytes_max} bytes")
    return out


def _gzip_decode(data: bytes | bytearray | memoryview, limit: int) -> bytes:
    """Concatenated gzip members are one stream (as Java's GZIPInputStream reads them)."""
    out: list[bytes] = []
    total = 0
    rest = bytes(data)
    while True:
        d = zlib.decompressobj(31)
        try:
            chunk = d.decompress(rest, limit - total + 1)
        except zlib.error as exc:
            raise DecodeError(f"GZIP decompression failed: {exc}") from None
        total += len(chunk)
        if total > limit:
            raise DecodeError(f"GZIP payload expands beyond {limit} bytes")
        if not d.eof:
            raise DecodeError("GZIP stream truncated")
        out.append(chunk)
        rest = d.unused_data
        if not rest:
            return b"".join(out)


def _snappy_xerial_encode(data: bytes | bytearray | memoryview) -> bytes:
    view = memoryview(data)
    parts = [SNAPPY_XERIAL_HEADER]
    for start in range(0, len(view), SNAPPY_XERIAL_BLOCK_BYTES):
        block = bytes(
            cramjam.snappy.compress_raw(bytes(view[start : start + SNAPPY_XERIAL_BLOCK_BYTES]))
        )
        parts.append(_INT32.pack(len(block)))
        parts.append(block)
    return b"".join(parts)


def _snappy_raw_decode(block: bytes, limit: int) -> bytes:
    if cramjam.snappy.decompress_raw_len(block) > limit:
        raise DecodeError(f"SNAPPY payload expands beyond {limit} bytes")
    return bytes(cramjam.snappy.decompress_raw(block))


def _snappy_decode(data: bytes, limit: int) -> bytes:
    if not data.startswith(SNAPPY_XERIAL_MAGIC):
        return _snappy_raw_decode(data, limit)
    if len(data) < len(SNAPPY_XERIAL_HEADER):
        raise DecodeError("SNAPPY xerial header truncated")
    pos = len(SNAPPY_XERIAL_HEADER)
    out: list[bytes] = []
    total = 0
    while pos < len(data):
        if len(data) - pos < 4:
            raise DecodeError("SNAPPY xerial block length truncated", offset=pos)
        (size,) = _INT32.unpack_from(data, pos)
        pos += 4
        if size < 0 or len(data) - pos < size:
            raise DecodeError(f"SNAPPY xerial block of {size} bytes truncated", offset=pos)
        chunk = _snappy_raw_decode(data[pos : pos + size], limit - total)
        total += len(chunk)
        out.append(chunk)
        pos += size
    return b"".join(out)
