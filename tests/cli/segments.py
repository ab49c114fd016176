"""Segments for the dump-log tests: every batch and record shape Kafka's DumpLogSegments prints
differently (keys, headers, producer sequences that wrap, transactions and their markers,
LogAppendTime, delete horizons, compression, every raft control record, payloads that are not
valid UTF-8), so `kraft dump-log` can be compared with Kafka's own tool line for line."""

from __future__ import annotations

import uuid
from pathlib import Path

import wire
from wire.messages.control_records import (
    KRaftVersionRecord,
    LeaderChangeMessage,
    SnapshotFooterRecord,
    SnapshotHeaderRecord,
    VotersRecord,
)
from wire.records.batch import Compression, ControlRecordType, TimestampType, with_base_offset
from wire.records.builder import build_batch, build_data_batch, control_record_key
from wire.records.record import Record

# Payloads whose ill-formed UTF-8 Java replaces differently from Python (seen in Kafka 4.3.1's
# output on pykraft's random workload), plus text, emptiness and a NUL.
AWKWARD_PAYLOADS = [
    b"hello, world",
    b"d\xed\xbd86",  # lead byte + continuation + ASCII: Java replaces the pair once
    b"e%\xc5\xf6\xa2\xaa\xe1_",  # a lead byte above F4 stands alone in Java
    b"v\xf5\x86r\xf7\xca0",
    b"\xed\xa0\x80surrogate",  # an encoded surrogate: one replacement in Java
    b"\xf0\x9f\x98",  # a 4-byte sequence cut by the end of the value
    b"\xe2\x82",  # a 3-byte sequence cut by the end
    b"\xf4\x90\x80\x80 above U+10FFFF",
    b"caf\xc3\xa9 \xf0\x9f\x98\x80 \x00nul",
    b"",
]


def _control(kind: ControlRecordType | int, offset: int, timestamp: int, value: bytes) -> Record:
    return Record(offset, timestamp, control_record_key(kind), value)


def corner_case_batches() -> list[bytes]:
    """Batches at consecutive offsets from 0."""
    voters = [LeaderChangeMessage.Voter(voter_id=v) for v in (1, 2, 3)]
    leader_change = wire.encode(
        LeaderChangeMessage(leader_id=2, voters=voters, granting_voters=voters[1:]), 0
    )
    kraft_voters = VotersRecord(
        voters=[
            VotersRecord.Voter(
                voter_id=1,
                voter_directory_id=uuid.UUID(int=0x6FCB514BB8784C9D95B78DDD0FCE7CD8),
                endpoints=[VotersRecord.Voter.Endpoint(name="CONTROLLER", host="h1", port=9093)],
                k_raft_version_feature=VotersRecord.Voter.KRaftVersionFeature(
                    min_supported_version=0, max_supported_version=1
                ),
            )
        ]
    )
    batches: list[bytes] = []

    def add(batch: bytes) -> None:
        batches.append(batch)

    t = 1_700_000_000_000
    add(
        build_batch(
            [
                _control(ControlRecordType.LEADER_CHANGE, 0, t, leader_change),
                _control(
                    ControlRecordType.KRAFT_VERSION,
                    1,
                    t,
                    wire.encode(KRaftVersionRecord(k_raft_version=1), 0),
                ),
                _control(ControlRecordType.KRAFT_VOTERS, 2, t, wire.encode(kraft_voters, 0)),
            ],
            partition_leader_epoch=1,
            is_control=True,
        )
    )
    add(build_data_batch(3, 1, t + 1, AWKWARD_PAYLOADS))
    offset = 3 + len(AWKWARD_PAYLOADS)
    # Keys, headers (one with a null value), a producer whose sequence wraps past Int.MAX.
    records = [
        Record(offset, t + 5, b"key-1", b"value-1", (("h1", b"x"), ("h2", None))),
        Record(offset + 1, t + 7, None, None),
        Record(offset + 2, t + 6, b"\xff\xfe", b"v"),
    ]
    add(
        build_batch(
            records,
            partition_leader_epoch=1,
            producer_id=4242,
            producer_epoch=3,
            base_sequence=2**31 - 2,
        )
    )
    offset += 3
    # A transaction, its COMMIT marker, and an ABORT marker.
    add(
        build_batch(
            [Record(offset, t + 8, None, b"in a transaction")],
            partition_leader_epoch=1,
            producer_id=77,
            producer_epoch=0,
            base_sequence=0,
            is_transactional=True,
        )
    )
    offset += 1
    for kind in (ControlRecordType.COMMIT, ControlRecordType.ABORT):
        add(
            build_batch(
                [_control(kind, offset, t + 9, b"\x00\x00\x00\x00\x00\x05")],
                partition_leader_epoch=1,
                producer_id=77,
                producer_epoch=0,
                is_transactional=True,
                is_control=True,
            )
        )
        offset += 1
    # LogAppendTime, a delete horizon, compression, and an unknown control type.
    add(
        build_batch(
            [Record(offset, t + 10, None, b"appended"), Record(offset + 1, t + 11, None, b"x")],
            partition_leader_epoch=2,
            timestamp_type=TimestampType.LOG_APPEND_TIME,
            max_timestamp=t + 99,
        )
    )
    offset += 2
    add(
        build_batch(
            [Record(offset, t + 12, None, b"compacted")],
            partition_leader_epoch=2,
            delete_horizon=True,
        )
    )
    offset += 1
    for codec in (Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD):
        add(build_data_batch(offset, 2, t + 13, [b"squeezed " * 20, b"twice"], codec))
        offset += 2
    add(
        build_batch(
            [_control(99, offset, t + 14, b"\x00\x00")], partition_leader_epoch=2, is_control=True
        )
    )
    return batches


def snapshot_batches(end_offset: int, epoch: int) -> list[bytes]:
    """A raft snapshot: header, one data batch, footer; offsets from 0, epoch as leader epoch."""
    t = 1_700_000_000_000
    header = wire.encode(SnapshotHeaderRecord(last_contained_log_timestamp=t), 0)
    footer = wire.encode(SnapshotFooterRecord(), 0)
    return [
        build_batch(
            [_control(ControlRecordType.SNAPSHOT_HEADER, 0, t, header)],
            partition_leader_epoch=epoch,
            is_control=True,
        ),
        build_data_batch(1, epoch, t, [b"state-%d" % i for i in range(end_offset)]),
        build_batch(
            [_control(ControlRecordType.SNAPSHOT_FOOTER, end_offset + 1, t, footer)],
            partition_leader_epoch=epoch,
            is_control=True,
        ),
    ]


def write_corner_cases(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "00000000000000000000.log"
    path.write_bytes(b"".join(corner_case_batches()))
    return path


def repeated_segment(path: Path, total_bytes: int) -> int:
    """A large valid segment: one 64 KiB data batch written again and again at increasing base
    offsets (the CRC does not cover the base offset). Returns the number of batches."""
    values = [bytes([i % 251]) * 1000 for i in range(64)]
    batch = build_data_batch(0, 1, 1_700_000_000_000, values)
    count = total_bytes // len(batch)
    with path.open("wb") as f:
        for n in range(count):
            f.write(with_base_offset(batch, n * len(values)))
    return count
