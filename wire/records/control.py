"""Control records: key parsing, value decoding and raft's convenience batch builders.

A control record lives in a batch with the control attribute bit set. Its key is 4 bytes,
{int16 version, int16 type}; its value is the type's schema struct serialised at that schema's
version (the struct's own first field is an int16 `Version`; there is no extra prefix). Value
schemas are declared once by the wire layer (`wire.messages.control_records`); this module maps
types to those classes.

Readers skip what they do not know: an unknown type decodes to (type as int, None), a key version
above 0 is read like version 0 (Kafka logs and continues). A key shorter than 4 bytes, or a
known type whose value does not decode, is a `DecodeError`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from wire.errors import DecodeError
from wire.records.batch import ControlRecordType
from wire.records.builder import build_control_batch
from wire.records.record import Record

_CONTROL_KEY = struct.Struct(">hh")
CONTROL_KEY_BYTES = 4

# ControlRecordType → name of the value class in wire.messages.control_records.
VALUE_CLASS_NAMES: dict[ControlRecordType, str] = {
    ControlRecordType.LEADER_CHANGE: "LeaderChangeMessage",
    ControlRecordType.SNAPSHOT_HEADER: "SnapshotHeaderRecord",
    ControlRecordType.SNAPSHOT_FOOTER: "SnapshotFooterRecord",
    ControlRecordType.KRAFT_VERSION: "KRaftVersionRecord",
    ControlRecordType.KRAFT_VOTERS: "VotersRecord",
}
# The schema version raft writes for each value (all v0 as of Kafka 4.x, see RAFT-BRIEF §7).
VALUE_WRITE_VERSION = 0


def control_record_type(record: Record) -> ControlRecordType | int:
    """The type in the record's key: a `ControlRecordType`, or the raw int when unknown."""
    key = record.key
    if key is None or len(key) < CONTROL_KEY_BYTES:
        raise DecodeError("control record key shorter than 4 bytes", field="key")
    _version, kind = _CONTROL_KEY.unpack_from(key)
    try:
        return ControlRecordType(kind)
    except ValueError:
        return int(kind)


def _value_class(kind: ControlRecordType) -> Any:
    from wire.messages import control_records  # the wire layer's declarations

    return getattr(control_records, VALUE_CLASS_NAMES[kind])


def decode_control_record(record: Record) -> tuple[ControlRecordType | int, Any | None]:
    """(type, decoded value message) of a control record; value None for types without one here.

    ABORT/COMMIT (transaction markers, never written by raft) and unknown types return None as the
    value, so readers can skip them.
    """
    kind = control_record_type(record)
    if not isinstance(kind, ControlRecordType) or kind not in VALUE_CLASS_NAMES:
        return kind, None
    if record.value is None:
        raise DecodeError(f"control record {kind.name} has a null value", field="value")
    import wire

    value = wire.decode(_value_class(kind), record.value, VALUE_WRITE_VERSION)  # type: ignore[attr-defined]
    return kind, value


def encode_control_value(message: Any) -> bytes:
    import wire

    return bytes(wire.encode(message, VALUE_WRITE_VERSION))  # type: ignore[attr-defined]


def build_leader_change_batch(
    base_offset: int,
    epoch: int,
    timestamp_ms: int,
    leader_id: int,
    voters: Sequence[int],
    granting_voters: Sequence[int],
) -> bytes:
    """The LeaderChange control batch a new leader appends at the start of its epoch."""
    cls = _value_class(ControlRecordType.LEADER_CHANGE)
    message = _leader_change_message(cls, leader_id, voters, granting_voters)
    return build_control_batch(
        base_offset,
        epoch,
        timestamp_ms,
        [(ControlRecordType.LEADER_CHANGE, encode_control_value(message))],
    )


def _leader_change_message(
    cls: Any, leader_id: int, voters: Sequence[int], granting_voters: Sequence[int]
) -> Any:
    # The Voter entry class is the annotation of the wire layer's nested dataclass.
    from wire.messages import control_records

    voter_cls = getattr(control_records, "Voter")  # noqa: B009
    return cls(
        version=0,
        leader_id=leader_id,
        voters=tuple(voter_cls(voter_id=v) for v in voters),
        granting_voters=tuple(voter_cls(voter_id=v) for v in granting_voters),
    )
