"""The leader's batch builder against the general one: same bytes for any values.

`build_data_batch` takes a table-driven path when every value has the same size and a per-record
loop otherwise; both must give exactly the batch `build_batch` gives for the same records (null
keys, timestamp deltas 0, no headers), which the kio/oracle tests tie to Kafka's own bytes.
"""

from __future__ import annotations

import random
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wire.records import (
    Record,
    build_batch,
    build_data_batch,
    builder,
    decode_records,
    verify_batch,
)
from wire.records.builder import FRAMING_RECORDS_MAX, FRAMING_SIZES_MAX


def general(base_offset: int, epoch: int, timestamp_ms: int, values: list[bytes]) -> bytes:
    records = [Record(base_offset + i, timestamp_ms, None, v) for i, v in enumerate(values)]
    return build_batch(
        records, base_offset=base_offset, partition_leader_epoch=epoch, base_timestamp=timestamp_ms
    )


offsets = st.integers(min_value=0, max_value=(1 << 62))
epochs = st.integers(min_value=0, max_value=(1 << 31) - 1)
timestamps = st.integers(min_value=0, max_value=(1 << 62))


@settings(max_examples=150, deadline=None)
@given(
    offsets,
    epochs,
    timestamps,
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=1, max_value=200),
    st.randoms(use_true_random=False),
)
def test_one_size_values_match_the_general_builder(
    base_offset: int, epoch: int, timestamp_ms: int, size: int, count: int, rng: random.Random
) -> None:
    values = [rng.randbytes(size) for _ in range(count)]
    assert build_data_batch(base_offset, epoch, timestamp_ms, values) == general(
        base_offset, epoch, timestamp_ms, values
    )


@settings(max_examples=100, deadline=None)
@given(offsets, epochs, timestamps, st.lists(st.binary(max_size=300), min_size=1, max_size=60))
def test_mixed_size_values_match_the_general_builder(
    base_offset: int, epoch: int, timestamp_ms: int, values: list[bytes]
) -> None:
    assert build_data_batch(base_offset, epoch, timestamp_ms, values) == general(
        base_offset, epoch, timestamp_ms, values
    )


@pytest.mark.parametrize(
    ("size", "count"),
    [
        (256, 63),  # offset deltas 0..62: 1-byte varints
        (256, 65),  # 64 is the first 2-byte offset delta
        (62, 8193),  # 8192 is the first 3-byte one; 62 + framing crosses the 1-byte length limit
        (20_000, 3),  # a 3-byte value length
        (8, FRAMING_RECORDS_MAX + 70),  # records past the framing table
    ],
)
def test_varint_width_boundaries(size: int, count: int) -> None:
    values = [bytes([i % 251]) * size for i in range(count)]
    batch = build_data_batch(7, 3, 1_700_000_000_000, values)
    assert batch == general(7, 3, 1_700_000_000_000, values)
    records = decode_records(batch, 0, verify_batch(batch))
    assert [r.value for r in records] == values
    assert records[-1].offset == 7 + count - 1


def test_the_framing_tables_stay_bounded() -> None:
    for size in range(FRAMING_SIZES_MAX * 3):
        values = [bytes(size)] * 5
        assert build_data_batch(0, 1, 0, values) == general(0, 1, 0, values)
    assert len(builder._framings) <= FRAMING_SIZES_MAX
    big = [b"x"] * (FRAMING_RECORDS_MAX + 5)
    assert build_data_batch(0, 1, 0, big) == general(0, 1, 0, big)
    assert all(len(table) <= FRAMING_RECORDS_MAX for table in builder._framings.values())


def test_threads_building_batches_at_once_get_exact_bytes() -> None:
    # The trio thread builds the leader's batches while the disk writer thread may build a
    # snapshot's: the framing tables are shared, and more sizes than they keep force evictions.
    sizes = range(3, 3 + FRAMING_SIZES_MAX * 2)
    values_by_size = {size: [bytes([size]) * size] * 300 for size in sizes}
    expected = {size: general(0, 1, 0, values) for size, values in values_by_size.items()}
    wrong: list[int] = []

    def build_all(order: list[int]) -> None:
        for _ in range(60):
            for size in order:
                if build_data_batch(0, 1, 0, values_by_size[size]) != expected[size]:
                    wrong.append(size)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [
            threading.Thread(target=build_all, args=(list(sizes)[::step],))
            for step in (1, -1, 1, 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []
