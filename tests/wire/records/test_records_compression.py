"""Codec framings: what Kafka's Java client writes, what other clients write, both directions."""

from __future__ import annotations

import gzip
import struct

import cramjam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wire.errors import DecodeError
from wire.records import Compression, compress, decode_records, decompress, verify_batch
from wire.records.builder import assemble_batch, encode_data_records
from wire.records.compression import (
    SNAPPY_XERIAL_BLOCK_BYTES,
    SNAPPY_XERIAL_HEADER,
    SNAPPY_XERIAL_MAGIC,
)

from .oracles import aio_codec, kafka_codec

DATA = b"".join(b"record %06d payload;" % i for i in range(10_000))  # ~200 KB, compressible


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(list(Compression)), st.binary(max_size=100_000))
def test_round_trip(codec: Compression, data: bytes) -> None:
    assert decompress(codec, compress(codec, data)) == data


def test_snappy_is_xerial_framed_with_32k_blocks() -> None:
    out = compress(Compression.SNAPPY, DATA)
    assert out.startswith(SNAPPY_XERIAL_MAGIC)
    assert out[:16] == SNAPPY_XERIAL_HEADER == b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
    pos, blocks = 16, []
    while pos < len(out):
        (size,) = struct.unpack_from(">i", out, pos)
        blocks.append(bytes(cramjam.snappy.decompress_raw(out[pos + 4 : pos + 4 + size])))
        pos += 4 + size
    assert b"".join(blocks) == DATA
    assert {len(b) for b in blocks[:-1]} == {SNAPPY_XERIAL_BLOCK_BYTES}


def test_snappy_reads_raw_and_other_clients_framing() -> None:
    assert decompress(Compression.SNAPPY, bytes(cramjam.snappy.compress_raw(DATA))) == DATA
    assert decompress(Compression.SNAPPY, kafka_codec.snappy_encode(DATA)) == DATA
    assert decompress(Compression.SNAPPY, aio_codec.snappy_encode(DATA)) == DATA
    assert decompress(Compression.SNAPPY, kafka_codec.snappy_encode(DATA, False)) == DATA
    assert kafka_codec.snappy_decode(compress(Compression.SNAPPY, DATA)) == DATA
    assert aio_codec.snappy_decode(compress(Compression.SNAPPY, DATA)) == DATA


def test_lz4_frame_has_independent_blocks_and_no_content_checksum() -> None:
    out = compress(Compression.LZ4, DATA)
    assert out[:4] == b"\x04\x22\x4d\x18"  # LZ4 frame magic
    flg = out[4]
    assert flg >> 6 == 0b01  # version
    assert flg & 0x20  # block independence (Kafka rejects dependent blocks)
    assert not flg & 0x04  # no content checksum
    assert kafka_codec.lz4_decode(out) == DATA
    assert aio_codec.lz4_decode(out) == DATA
    assert decompress(Compression.LZ4, kafka_codec.lz4_encode(DATA)) == DATA
    assert decompress(Compression.LZ4, aio_codec.lz4_encode(DATA)) == DATA


def test_gzip_and_zstd_interoperate() -> None:
    for ours, theirs_encode, theirs_decode in [
        (Compression.GZIP, kafka_codec.gzip_encode, kafka_codec.gzip_decode),
        (Compression.GZIP, aio_codec.gzip_encode, aio_codec.gzip_decode),
        (Compression.ZSTD, kafka_codec.zstd_encode, kafka_codec.zstd_decode),
        (Compression.ZSTD, aio_codec.zstd_encode, aio_codec.zstd_decode),
    ]:
        assert theirs_decode(compress(ours, DATA)) == DATA
        assert decompress(ours, theirs_encode(DATA)) == DATA


def test_gzip_concatenated_members_and_trailing_garbage() -> None:
    two = gzip.compress(DATA[:1000]) + gzip.compress(DATA[1000:2000])
    assert decompress(Compression.GZIP, two) == DATA[:2000]
    with pytest.raises(DecodeError):
        decompress(Compression.GZIP, gzip.compress(DATA[:100]) + b"junk")
    with pytest.raises(DecodeError):
        decompress(Compression.GZIP, gzip.compress(DATA[:100])[:-3])


def test_batch_with_raw_snappy_payload_decodes() -> None:
    """librdkafka-style batches carry raw (unframed) snappy."""
    values = [b"v%d" % i * 20 for i in range(50)]
    batch = assemble_batch(
        base_offset=0,
        partition_leader_epoch=1,
        attributes=int(Compression.SNAPPY),
        last_offset_delta=49,
        base_timestamp=5,
        max_timestamp=5,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        records_count=50,
        payload=bytes(cramjam.snappy.compress_raw(encode_data_records(values))),
    )
    assert [r.value for r in decode_records(batch, 0, verify_batch(batch))] == values


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        (Compression.SNAPPY, SNAPPY_XERIAL_HEADER + b"\x00\x00\x00\x10abc"),
        (Compression.SNAPPY, SNAPPY_XERIAL_MAGIC + b"\x00\x00"),
        (Compression.SNAPPY, SNAPPY_XERIAL_HEADER + b"\xff\xff\xff\xff"),
        (Compression.LZ4, b"\x04\x22\x4d\x18garbage"),
        (Compression.ZSTD, b"\x28\xb5\x2f\xfdgarbage"),
        (Compression.GZIP, b"\x1f\x8b"),
    ],
)
def test_corrupt_streams_raise_decode_error(codec: Compression, data: bytes) -> None:
    with pytest.raises(DecodeError):
        decompress(codec, data)
