"""pykraft's leader batches obey every rule a Kafka raft follower enforces (REAL-KAFKA.md §3.C,
§3.D): a Kafka follower halts its JVM on any violation. The batches are read here by an
independent byte-level parser, not by `wire.records`, so a shared mistake cannot hide; Kafka
itself is the second oracle (tests/kafka/test_mixed_quorum.py)."""

from __future__ import annotations

import struct

import pytest
from crc32c import crc32c

from kraft.shell.codec import WireBatchCodec

NULL_LENGTH = -1
NO_PRODUCER = -1
CONTROL_BIT = 0x20
KAFKA_RAFT_CONTROL_TYPES = {2, 3, 4, 5, 6}  # LeaderChange .. KRaftVoters; never ABORT/COMMIT
LEADER_CHANGE = 2


def varint(data: bytes, at: int) -> tuple[int, int]:
    """A zig-zag varint (Kafka's record fields) at `at`: (value, next position)."""
    raw, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        raw |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (raw >> 1) ^ -(raw & 1), at


def uvarint(data: bytes, at: int) -> tuple[int, int]:
    raw, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        raw |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return raw, at


def check_batch(
    batch: bytes, *, base_offset: int, epoch: int, control: bool
) -> list[tuple[int | None, bytes]]:
    """Every rule of §3.C; returns (control type or None, value) of each record."""
    (got_base, length, leader_epoch, magic, crc) = struct.unpack_from(">qiibI", batch, 0)
    assert got_base == base_offset
    assert length == len(batch) - 12
    assert leader_epoch == epoch
    assert magic == 2
    assert crc == crc32c(batch[21:])
    (attributes, last_delta, base_ts, max_ts, producer_id, producer_epoch, sequence, count) = (
        struct.unpack_from(">hiqqqhii", batch, 21)
    )
    assert attributes == (CONTROL_BIT if control else 0)  # no compression, CREATE_TIME, not txn
    assert base_ts == max_ts
    assert (producer_id, producer_epoch, sequence) == (NO_PRODUCER, NO_PRODUCER, NO_PRODUCER)
    assert last_delta == count - 1
    at = 61
    values = []
    for i in range(count):
        size, at = varint(batch, at)
        assert size > 0
        end = at + size
        assert batch[at] == 0, "record attributes"
        at += 1
        ts_delta, at = varint(batch, at)
        assert ts_delta == 0, "Kafka's RecordsIterator requires timestampDelta 0"
        offset_delta, at = varint(batch, at)
        assert offset_delta == i, "record i must sit at baseOffset + i"
        key_length, at = varint(batch, at)
        key_type = None
        if control:
            assert key_length == 4
            key_version, key_type = struct.unpack_from(">hh", batch, at)
            assert key_version == 0 and key_type in KAFKA_RAFT_CONTROL_TYPES
            at += 4
        else:
            assert key_length == NULL_LENGTH, "data records carry a null key"
        value_length, at = varint(batch, at)
        assert value_length > 0, "values are never empty"
        values.append((key_type, batch[at : at + value_length]))
        at += value_length
        headers, at = varint(batch, at)
        assert headers == 0 and at == end, "the last byte of a record is a header count of 0"
    assert at == len(batch)
    return values


@pytest.mark.parametrize("count", [1, 3, 127, 128, 300, 20_000])
def test_data_batches_follow_kafkas_raft_rules(count: int) -> None:
    values = [bytes([i % 251]) * (1 + i % 300) for i in range(count)]
    batch = WireBatchCodec().build_data_batch(1234, 7, 1_700_000_000_123, values)
    records = check_batch(batch, base_offset=1234, epoch=7, control=False)
    assert records == [(None, value) for value in values]


def test_leader_change_is_a_control_batch_with_the_v0_value() -> None:
    batch = WireBatchCodec().build_leader_change_batch(
        base_offset=50,
        epoch=3,
        timestamp_ms=1_700_000_000_000,
        leader_id=2,
        voters=[1, 2, 3],
        granting_voters=[2, 3],
    )
    ((kind, value),) = check_batch(batch, base_offset=50, epoch=3, control=True)
    assert kind == LEADER_CHANGE
    # LeaderChangeMessage v0 (flexible): Version, LeaderId, Voters[VoterId], GrantingVoters,
    # each struct ending in an empty tagged-field section; no VoterDirectoryId (that is v1).
    version, leader = struct.unpack_from(">hi", value, 0)
    assert (version, leader) == (0, 2)
    at = 6
    lists = []
    for _ in range(2):
        n, at = uvarint(value, at)
        ids = []
        for _ in range(n - 1):
            ids.append(struct.unpack_from(">i", value, at)[0])
            assert value[at + 4] == 0, "a v0 Voter has no fields after VoterId"
            at += 5
        lists.append(ids)
    assert lists == [[1, 2, 3], [2, 3]]
    assert value[at:] == b"\x00"
