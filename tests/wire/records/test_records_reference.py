"""The hand-written fast paths agree with the construct reference codec and with kafka-python.

Hypothesis generates batches (keys, values, headers, timestamps, offsets gaps, every attribute
bit, every codec); for each: the fast builder and the construct builder give the same bytes, the
fast decoder and the construct decoder give the same values, and kafka-python reads the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from wire.records import (
    Compression,
    Record,
    TimestampType,
    build_batch,
    build_data_batch,
    decode_records,
    read_batch_header,
    verify_batch,
)
from wire.records.codec import build_batch_reference, parse_batch_reference, parse_header_reference

from .oracles import DefaultRecordBatch

INT64 = st.integers(-(1 << 63), (1 << 63) - 1)
nullable_bytes = st.none() | st.binary(max_size=300)
header_items = st.tuples(st.text(max_size=20), nullable_bytes)


@dataclass(frozen=True)
class BatchSpec:
    records: list[Record]
    base_offset: int
    partition_leader_epoch: int
    compression: Compression
    is_control: bool
    is_transactional: bool
    timestamp_type: TimestampType
    delete_horizon: bool
    producer_id: int
    producer_epoch: int
    base_sequence: int

    @property
    def attributes(self) -> int:
        return (
            int(self.compression)
            | (0x08 if self.timestamp_type is TimestampType.LOG_APPEND_TIME else 0)
            | (0x10 if self.is_transactional else 0)
            | (0x20 if self.is_control else 0)
            | (0x40 if self.delete_horizon else 0)
        )


@st.composite
def batch_specs(draw: st.DrawFn) -> BatchSpec:
    base_offset = draw(st.integers(0, (1 << 62)))
    base_timestamp = draw(st.integers(-(1 << 40), 1 << 50))
    n = draw(st.integers(1, 12))
    deltas = sorted(draw(st.lists(st.integers(0, 1 << 30), min_size=n, max_size=n, unique=True)))
    records = [
        Record(
            base_offset + d,
            base_timestamp + draw(st.integers(-(1 << 40), 1 << 40)),
            draw(nullable_bytes),
            draw(nullable_bytes),
            tuple(draw(st.lists(header_items, max_size=3))),
            draw(st.integers(-128, 127)),
        )
        for d in deltas
    ]
    return BatchSpec(
        records=records,
        base_offset=base_offset,
        partition_leader_epoch=draw(st.integers(-1, (1 << 31) - 1)),
        compression=draw(st.sampled_from(list(Compression))),
        is_control=draw(st.booleans()),
        is_transactional=draw(st.booleans()),
        timestamp_type=draw(st.sampled_from(list(TimestampType))),
        delete_horizon=draw(st.booleans()),
        producer_id=draw(INT64),
        producer_epoch=draw(st.integers(-(1 << 15), (1 << 15) - 1)),
        base_sequence=draw(st.integers(-(1 << 31), (1 << 31) - 1)),
    )


def _build_fast(spec: BatchSpec) -> bytes:
    return build_batch(
        spec.records,
        base_offset=spec.base_offset,
        partition_leader_epoch=spec.partition_leader_epoch,
        compression=spec.compression,
        is_control=spec.is_control,
        is_transactional=spec.is_transactional,
        timestamp_type=spec.timestamp_type,
        delete_horizon=spec.delete_horizon,
        producer_id=spec.producer_id,
        producer_epoch=spec.producer_epoch,
        base_sequence=spec.base_sequence,
    )


def _expected(spec: BatchSpec) -> list[Record]:
    if spec.timestamp_type is TimestampType.CREATE_TIME:
        return spec.records
    max_ts = max(r.timestamp for r in spec.records)
    return [Record(r.offset, max_ts, r.key, r.value, r.headers, r.attributes) for r in spec.records]


@settings(max_examples=150, deadline=None)
@given(batch_specs())
def test_fast_and_reference_agree(spec: BatchSpec) -> None:
    fast = _build_fast(spec)
    reference = build_batch_reference(
        spec.records,
        base_offset=spec.base_offset,
        partition_leader_epoch=spec.partition_leader_epoch,
        attributes=spec.attributes,
        base_timestamp=spec.records[0].timestamp,
        max_timestamp=max(r.timestamp for r in spec.records),
        producer_id=spec.producer_id,
        producer_epoch=spec.producer_epoch,
        base_sequence=spec.base_sequence,
    )
    assert fast == reference
    header = verify_batch(fast)
    assert header == parse_header_reference(fast) == read_batch_header(fast)
    assert header.attributes == spec.attributes
    ref_header, ref_records = parse_batch_reference(fast)
    assert ref_header == header
    assert decode_records(fast, 0, header) == ref_records == _expected(spec)


@settings(max_examples=100, deadline=None)
@given(batch_specs())
def test_kafka_python_reads_what_we_build(spec: BatchSpec) -> None:
    # kafka-python reads the (always 0 in Kafka) record attributes byte as a varint.
    spec = replace(spec, records=[replace(r, attributes=r.attributes & 0x7F) for r in spec.records])
    fast = _build_fast(spec)
    batch = DefaultRecordBatch(bytearray(fast))
    assert batch.validate_crc()
    assert batch.attributes == spec.attributes
    assert batch.producer_id == spec.producer_id
    if spec.is_control:
        return  # kafka-python parses control keys as {version, type}: only 4-byte keys fit
    theirs = list(batch)
    expected = _expected(spec)
    assert [(r.offset, r.timestamp, r.key, r.value) for r in theirs] == [
        (r.offset, r.timestamp, r.key, r.value) for r in expected
    ]
    assert [list(r.headers) for r in theirs] == [list(r.headers) for r in expected]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 1 << 62),
    st.integers(-1, (1 << 31) - 1),
    st.integers(0, 1 << 50),
    st.lists(st.binary(max_size=20000), min_size=1, max_size=40),
    st.sampled_from(list(Compression)),
)
def test_fast_data_batch_equals_general_builder(
    base_offset: int, epoch: int, ts: int, values: list[bytes], codec: Compression
) -> None:
    fast = build_data_batch(base_offset, epoch, ts, values, codec)
    general = build_batch(
        [Record(base_offset + i, ts, None, v) for i, v in enumerate(values)],
        partition_leader_epoch=epoch,
        compression=codec,
    )
    assert fast == general
    _, records = parse_batch_reference(fast)
    assert [r.value for r in records] == values
