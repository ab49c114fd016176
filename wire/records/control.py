"""Control records: key parsing, value decoding and raft's convenience batch builders.

A control record lives in a batch with the control attribute bit set. Its key is 4 bytes,
{int16 version, int16 type}; its value is the type's schema struct serialised at that schema's
version (the struct's own first field is an int16 `Version`; there is no extra prefix). Value
schemas are declared once by the wire layer (`wire.messages.control_records`); this module maps
types to those classes.

Readers skip what they do not know: an unknown type decodes to (type as int, None), a value whose
own leading `version` is newer than the wire layer declares decodes to (type, None), and a key
version above 0 is read like version 0 (Kafka logs and continues). A key shorter than 4 bytes, or
a known type whose value does not decode at its stated version, is a `DecodeError`. (SEED-era
LeaderChange values, written before the `Version` field existed, therefore do not decode; raft
logs from Kafka 3.0 on are unaffected.)
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import wire
from wire.errors import DecodeError
from wire.fields import Message
from wire.messages.control_records import CONTROL_RECORD_TYPES, LeaderChangeMessage
from wire.records.batch import ControlRecordType
from wire.records.builder import build_control_batch
from wire.records.record import Record

_CONTROL_KEY = struct.Struct(">hh")
_VALUE_VERSION = struct.Struct(">h")
CONTROL_KEY_BYTES = 4
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


def decode_control_record(record: Record) -> tuple[ControlRecordType | int, Message | None]:
    """(type, decoded value message) of a control record.

    The value is decoded at the schema version its own leading int16 `version` field names. The
    value is None for ABORT/COMMIT (transaction markers, never written by raft), unknown types and
    value versions newer than this build knows, so readers can skip them.
    """
    kind = control_record_type(record)
    cls = CONTROL_RECORD_TYPES.get(int(kind))
    if cls is None:
        return kind, None
    value = record.value
    if value is None or len(value) < _VALUE_VERSION.size:
        raise DecodeError(f"control record {kind!r} has no value version", field="value")
    (version,) = _VALUE_VERSION.unpack_from(value)
    if version not in cls.VERSIONS:
        return kind, None
    return kind, wire.decode(cls, value, version)


def encode_control_value(message: Message, version: int = VALUE_WRITE_VERSION) -> bytes:
    """A control record value: the message serialised at `version` (its `version` field agrees)."""
    return wire.encode(message, version)


def build_leader_change_batch(
    base_offset: int,
    epoch: int,
    timestamp_ms: int,
    leader_id: int,
    voters: Sequence[int],
    granting_voters: Sequence[int],
) -> bytes:
    """The LeaderChange control batch a new leader appends at the start of its epoch."""
    voter = LeaderChangeMessage.Voter
    message = LeaderChangeMessage(
        version=VALUE_WRITE_VERSION,
        leader_id=leader_id,
        voters=[voter(voter_id=v) for v in voters],
        granting_voters=[voter(voter_id=v) for v in granting_voters],
    )
    return build_control_batch(
        base_offset,
        epoch,
        timestamp_ms,
        [(ControlRecordType.LEADER_CHANGE, encode_control_value(message))],
    )
