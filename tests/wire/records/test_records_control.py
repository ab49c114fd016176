"""Control records: keys, values (cross-checked against kio), readers skip unknowns."""

from __future__ import annotations

import io
import uuid

import pytest
from kio.schema.leader_change_message.v0.data import LeaderChangeMessage as KioLeaderChange
from kio.schema.leader_change_message.v0.data import Voter as KioVoter
from kio.schema.snapshot_footer_record.v0.data import SnapshotFooterRecord as KioFooter
from kio.schema.snapshot_header_record.v0.data import SnapshotHeaderRecord as KioHeader
from kio.schema.voters_record.v0 import data as kio_voters
from kio.serial import entity_reader, entity_writer
from kio.static.primitive import i16, i32, i64, u16

import wire
from wire.errors import DecodeError
from wire.messages.control_records import (
    KRaftVersionRecord,
    LeaderChangeMessage,
    SnapshotFooterRecord,
    SnapshotHeaderRecord,
    VotersRecord,
)
from wire.records import (
    ControlRecordType,
    Record,
    build_batch,
    build_control_batch,
    build_leader_change_batch,
    control_record_key,
    decode_control_record,
    decode_records,
    encode_control_value,
    verify_batch,
)

from .oracles import DefaultRecordBatch


def _records(batch: bytes) -> list[Record]:
    return decode_records(batch, 0, verify_batch(batch))


def test_leader_change_batch_matches_kio_and_kafka_python() -> None:
    batch = build_leader_change_batch(17, 5, 1_700_000_000_000, 2, [1, 2, 3], [2, 3])
    header = verify_batch(batch)
    assert header.is_control and header.records_count == 1
    assert (header.base_offset, header.partition_leader_epoch) == (17, 5)
    (record,) = _records(batch)
    assert record.key == b"\x00\x00\x00\x02"
    kio_value, size = entity_reader(KioLeaderChange)(record.value, 0)
    assert size == len(record.value or b"")
    assert kio_value == KioLeaderChange(
        version=i16(0),
        leader_id=i32(2),
        voters=tuple(KioVoter(voter_id=i32(v)) for v in (1, 2, 3)),
        granting_voters=(KioVoter(voter_id=i32(2)), KioVoter(voter_id=i32(3))),
    )
    kind, value = decode_control_record(record)
    assert kind is ControlRecordType.LEADER_CHANGE
    assert isinstance(value, LeaderChangeMessage)
    assert (value.leader_id, [v.voter_id for v in value.voters]) == (2, [1, 2, 3])
    theirs = list(DefaultRecordBatch(bytearray(batch)))
    assert [(r.version, r.type, r.offset) for r in theirs] == [(0, 2, 17)]


def _kio_bytes(value: object) -> bytes:
    out = io.BytesIO()
    entity_writer(type(value))(out, value)
    return out.getvalue()


def test_snapshot_control_values_decode_from_kio_bytes() -> None:
    directory = uuid.UUID(int=0x1234)
    voters = kio_voters.VotersRecord(
        version=i16(0),
        voters=(
            kio_voters.Voter(
                voter_id=i32(1),
                voter_directory_id=directory,
                endpoints=(kio_voters.Endpoint(name="CONTROLLER", host="h", port=u16(9093)),),
                k_raft_version_feature=kio_voters.KRaftVersionFeature(
                    min_supported_version=i16(0), max_supported_version=i16(1)
                ),
            ),
        ),
    )
    batch = build_control_batch(
        0,
        3,
        99,
        [
            (
                ControlRecordType.SNAPSHOT_HEADER,
                _kio_bytes(KioHeader(version=i16(0), last_contained_log_timestamp=i64(42))),
            ),
            (ControlRecordType.KRAFT_VOTERS, _kio_bytes(voters)),
            (ControlRecordType.SNAPSHOT_FOOTER, _kio_bytes(KioFooter(version=i16(0)))),
        ],
    )
    decoded = [decode_control_record(r) for r in _records(batch)]
    assert [k for k, _ in decoded] == [
        ControlRecordType.SNAPSHOT_HEADER,
        ControlRecordType.KRAFT_VOTERS,
        ControlRecordType.SNAPSHOT_FOOTER,
    ]
    header_value, voters_value, footer_value = (v for _, v in decoded)
    assert header_value == SnapshotHeaderRecord(version=0, last_contained_log_timestamp=42)
    assert footer_value == SnapshotFooterRecord(version=0)
    assert isinstance(voters_value, VotersRecord)
    (voter,) = voters_value.voters
    assert (voter.voter_id, voter.voter_directory_id) == (1, directory)
    assert [(e.name, e.host, e.port) for e in voter.endpoints] == [("CONTROLLER", "h", 9093)]
    assert encode_control_value(voters_value) == _kio_bytes(voters)


def test_kraft_version_value_round_trip() -> None:
    value = encode_control_value(KRaftVersionRecord(version=0, k_raft_version=1))
    batch = build_control_batch(3, 1, 0, [(ControlRecordType.KRAFT_VERSION, value)])
    (record,) = _records(batch)
    assert decode_control_record(record) == (
        ControlRecordType.KRAFT_VERSION,
        KRaftVersionRecord(version=0, k_raft_version=1),
    )
    assert wire.decode(KRaftVersionRecord, value, 0).k_raft_version == 1


def test_unknown_types_and_markers_are_skipped_not_fatal() -> None:
    records = [
        Record(0, 0, control_record_key(ControlRecordType.COMMIT), b"\x00\x00\x00\x00\x00\x00"),
        Record(1, 0, control_record_key(99), b"whatever"),
        Record(2, 0, b"\x00\x01\x00\x04", b"\x00\x00\x00"),  # key version 1: read like 0
        Record(3, 0, control_record_key(ControlRecordType.SNAPSHOT_FOOTER), b"\x00\x07\x00"),
    ]
    decoded = [decode_control_record(r) for r in _records(build_batch(records, is_control=True))]
    assert decoded == [
        (ControlRecordType.COMMIT, None),
        (99, None),
        (ControlRecordType.SNAPSHOT_FOOTER, SnapshotFooterRecord(version=0)),
        (ControlRecordType.SNAPSHOT_FOOTER, None),  # value version 7: newer than we know
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (None, b"\x00\x00"),
        (b"\x00\x00\x00", b"\x00\x00"),
        (b"\x00\x00\x00\x03", None),
        (b"\x00\x00\x00\x03", b"\x00"),
        (b"\x00\x00\x00\x03", b"\x00\x00\x00"),  # truncated SnapshotHeader
        (b"\x00\x00\x00\x02", b"\x00\x00\xff\xff"),  # garbage LeaderChange
    ],
)
def test_bad_control_records_raise_decode_error(key: bytes | None, value: bytes | None) -> None:
    with pytest.raises(DecodeError):
        decode_control_record(Record(0, 0, key, value))
