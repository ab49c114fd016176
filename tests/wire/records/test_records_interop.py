"""Record batches v2 against independent implementations: kafka-python, aiokafka and kio.

Both directions, every compression: batches built by their builders decode here with the CRC
verified, and ours decode in theirs (their readers check the CRC too).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wire.records import (
    Compression,
    ControlRecordType,
    Record,
    build_batch,
    build_control_batch,
    build_data_batch,
    control_record_type,
    decode_records,
    read_batch_header,
    scan_batches,
    verify_batch,
    with_base_offset,
)

from .oracles import (
    AioMemoryRecords,
    DefaultRecordBatch,
    DefaultRecordBatchBuilder,
    MemoryRecords,
    aio_records,
    kio_read_batch,
)

ALL_CODECS = list(Compression)
# Compressible (their builders fall back to no compression when compressing does not help).
VALUES = [(b"value-%04d " % i) * (1 + i % 30) for i in range(300)]


def _headers(i: int) -> tuple[tuple[str, bytes | None], ...]:
    return tuple((f"h{j}", f"v{j}".encode() if j % 2 else None) for j in range(i % 4))


def _kafka_python_batch(codec: Compression, *, transactional: bool = False) -> bytes:
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=int(codec),
        is_transactional=transactional,
        producer_id=77 if transactional else -1,
        producer_epoch=3 if transactional else -1,
        base_sequence=10 if transactional else -1,
        batch_size=1 << 24,
    )
    for i, value in enumerate(VALUES):
        key = None if i % 3 == 0 else b"key-%d" % i
        headers = list(_headers(i))
        builder.append(
            i, timestamp=1_700_000_000_000 + i * 7, key=key, value=value, headers=headers
        )
    return bytes(builder.build())


def _check_theirs(data: bytes, records: list[Record], *, base_offset: int = 0) -> None:
    assert len(records) == len(VALUES)
    for i, record in enumerate(records):
        assert record.offset == base_offset + i
        assert record.timestamp == 1_700_000_000_000 + i * 7
        assert record.key == (None if i % 3 == 0 else b"key-%d" % i)
        assert record.value == VALUES[i]
        assert record.headers == _headers(i)


@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.name)
def test_kafka_python_batches_decode_here(codec: Compression) -> None:
    data = _kafka_python_batch(codec)
    header = verify_batch(data)
    assert header.compression is codec
    assert header.records_count == len(VALUES)
    assert header.last_offset == len(VALUES) - 1
    assert header.producer_id == -1 and not header.is_transactional and not header.is_control
    assert header.base_timestamp == 1_700_000_000_000
    assert header.max_timestamp == 1_700_000_000_000 + (len(VALUES) - 1) * 7
    _check_theirs(data, decode_records(data, 0, header))


@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.name)
def test_kafka_python_transactional_batch_decodes_here(codec: Compression) -> None:
    data = with_base_offset(_kafka_python_batch(codec, transactional=True), 1000)
    header = verify_batch(data)
    assert header.is_transactional
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (77, 3, 10)
    _check_theirs(data, decode_records(data, 0, header), base_offset=1000)


@pytest.mark.parametrize("impl", ["cython", "python"])
@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.name)
def test_aiokafka_batches_decode_here(codec: Compression, impl: str) -> None:
    cls = (
        aio_records.DefaultRecordBatchBuilder
        if impl == "cython"
        else aio_records._DefaultRecordBatchBuilderPy
    )
    builder = cls(2, int(codec), 0, -1, -1, -1, 1 << 24)
    for i, value in enumerate(VALUES):
        key = None if i % 3 == 0 else b"key-%d" % i
        headers = list(_headers(i))
        builder.append(
            i, timestamp=1_700_000_000_000 + i * 7, key=key, value=value, headers=headers
        )
    data = bytes(builder.build())
    header = verify_batch(data)
    assert header.compression is codec
    _check_theirs(data, decode_records(data, 0, header))


def _our_general_batch(codec: Compression, base_offset: int = 500) -> bytes:
    records = [
        Record(
            base_offset + i,
            1_700_000_000_000 + i * 7,
            None if i % 3 == 0 else b"key-%d" % i,
            value,
            _headers(i),
        )
        for i, value in enumerate(VALUES)
    ]
    return build_batch(records, partition_leader_epoch=9, compression=codec)


@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.name)
def test_our_batches_decode_in_kafka_python(codec: Compression) -> None:
    data = _our_general_batch(codec)
    batch = DefaultRecordBatch(bytearray(data))
    assert batch.validate_crc()
    assert batch.compression_type == int(codec)
    assert batch.base_offset == 500 and batch.leader_epoch == 9
    theirs = list(batch)
    assert len(theirs) == len(VALUES)
    for i, record in enumerate(theirs):
        assert record.offset == 500 + i
        assert record.timestamp == 1_700_000_000_000 + i * 7
        assert record.key == (None if i % 3 == 0 else b"key-%d" % i)
        assert record.value == VALUES[i]
        assert list(record.headers) == list(_headers(i))


@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.name)
def test_our_data_batches_decode_in_kafka_python_memory_records(codec: Compression) -> None:
    batches = [
        build_data_batch(0, 4, 1_700_000_000_123, VALUES[:100], codec),
        build_data_batch(100, 4, 1_700_000_000_456, VALUES[100:], codec),
    ]
    buf = b"".join(batches)
    records = MemoryRecords(buf)
    seen = []
    while records.has_next():
        batch = records.next_batch()
        assert batch.validate_crc()
        seen.extend(batch)
    assert [r.offset for r in seen] == list(range(len(VALUES)))
    assert [r.value for r in seen] == VALUES
    assert all(r.key is None and not r.headers for r in seen)
    assert {r.timestamp for r in seen[:100]} == {1_700_000_000_123}


@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.name)
def test_our_batches_decode_in_aiokafka(codec: Compression) -> None:
    buf = _our_general_batch(codec) + build_data_batch(800, 9, 5, VALUES, codec)
    records = AioMemoryRecords(buf)
    batch = records.next_batch()
    assert batch is not None and batch.validate_crc()
    theirs = list(batch)
    assert [r.value for r in theirs] == VALUES
    assert [r.key for r in theirs] == [None if i % 3 == 0 else b"key-%d" % i for i in range(300)]
    batch = records.next_batch()
    assert batch is not None and batch.validate_crc()
    assert [r.offset for r in batch] == list(range(800, 800 + len(VALUES)))
    assert records.next_batch() is None


def test_our_uncompressed_batch_decodes_in_kio() -> None:
    data = _our_general_batch(Compression.NONE)
    batch, size = kio_read_batch(data, 0)
    assert size == len(data)
    assert batch.base_offset == 500 and batch.partition_leader_epoch == 9
    assert [r.value for r in batch.records] == VALUES
    assert [r.offset for r in batch.records] == list(range(500, 800))


def test_control_batch_in_kafka_python_and_aiokafka() -> None:
    data = build_control_batch(
        42,
        7,
        1_700_000_000_000,
        [(ControlRecordType.LEADER_CHANGE, b"\x00\x00abc"), (ControlRecordType.COMMIT, b"")],
    )
    batch = DefaultRecordBatch(bytearray(data))
    assert batch.validate_crc() and batch.is_control_batch
    theirs = list(batch)
    assert [(r.version, r.type) for r in theirs] == [(0, 2), (0, 1)]
    assert [r.offset for r in theirs] == [42, 43]
    aio = AioMemoryRecords(data).next_batch()
    assert aio is not None and aio.validate_crc() and aio.is_control_batch
    ours = decode_records(data, 0, read_batch_header(data))
    assert [control_record_type(r) for r in ours] == [
        ControlRecordType.LEADER_CHANGE,
        ControlRecordType.COMMIT,
    ]
    assert ours[0].value == b"\x00\x00abc"


def test_scan_agrees_with_kafka_python_valid_bytes() -> None:
    buf = b"".join(build_data_batch(i * 10, 1, 0, VALUES[:10]) for i in range(5))
    truncated = buf[: len(buf) - 17]
    scan = scan_batches(truncated)
    assert scan.trailing_partial and len(scan.headers) == 4
    theirs = MemoryRecords(truncated)
    assert scan.valid_bytes == theirs.valid_bytes()
    assert io.BytesIO(truncated).getbuffer().nbytes == len(truncated)


@pytest.mark.parametrize("impl", ["cython", "python"])
@pytest.mark.parametrize("codec", ALL_CODECS, ids=lambda c: c.name)
def test_our_batches_decode_in_aiokafka_default_records(codec: Compression, impl: str) -> None:
    cls = aio_records.DefaultRecordBatch if impl == "cython" else aio_records._DefaultRecordBatchPy
    batch = cls(_our_general_batch(codec))
    assert batch.validate_crc()
    assert (batch.base_offset, batch.compression_type) == (500, int(codec))
    theirs = list(batch)
    assert [(r.offset, r.timestamp, r.key, r.value) for r in theirs] == [
        (500 + i, 1_700_000_000_000 + i * 7, None if i % 3 == 0 else b"key-%d" % i, v)
        for i, v in enumerate(VALUES)
    ]
    assert [list(r.headers) for r in theirs] == [list(_headers(i)) for i in range(len(VALUES))]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=6), st.data())
def test_scan_matches_kafka_python_at_any_cut(sizes: list[int], data: st.DataObject) -> None:
    batches, offset = [], 0
    for n in sizes:
        batches.append(build_data_batch(offset, 2, 0, VALUES[:n]))
        offset += n
    buf = b"".join(batches)
    cut = data.draw(st.integers(0, len(buf)))
    scan = scan_batches(buf[:cut])
    theirs = MemoryRecords(buf[:cut])
    assert scan.valid_bytes == theirs.valid_bytes()
    seen = []
    while theirs.has_next():
        seen.append(theirs.next_batch().base_offset)
    assert [h.base_offset for h in scan.headers] == seen
    assert scan.trailing_partial == (scan.valid_bytes < cut)
