"""The one dispatch from (Kafka type, flexible, nullable) to a construct codec.

Every encoding rule for a single value lives here (tagged sections: `wire.tagged`):

- fixed-width values are construct `FormatField`s: int8..int64 `Int8sb`..`Int64sb`, uint16
  `Int16ub`, float64 `Float64b`, bool `FormatField(">", "?")`; uuid is `Uuid` (16 bytes);
- classic (non-flexible) lengths: string int16, bytes/records int32, arrays int32; -1 = null;
- compact (flexible) lengths: unsigned varint (`UVarInt`) of length + 1; 0 = null;
- null is accepted only in nullable versions, on both encode and decode;
- `records` are bytes kept as bytes: one slice in, one write out, never decoded here;
- a nullable struct (`NullableStruct`) is an int8 marker, -1 null or 1 present, then the struct;
  other markers are refused (Kafka reads any negative as null, but writes only -1 and 1).

`codec_for(kafka_type, flexible, nullable, element=None)` is the dispatch; `KafkaString`,
`KafkaBytes` and `KafkaArray` are custom constructs around one `Length` rule.

Every decode reads a `Buffer`: a `BytesIO` that knows where its readable data ends (`end`), so a
length is checked against the bytes that remain BEFORE anything is allocated; a hostile length
(negative, or larger than the frame) costs nothing. `wire.tagged` lowers `end` to the payload end
while it decodes a known tagged field. Offsets are stream positions, i.e. offsets in the buffer
handed to the decoder (the frame payload for `wire.headers`).

Construct limitations worked around here (construct 2.10.70):
- the compiled forms of `Bytes`, `Flag` and `PascalString` emit a bare `io.read(n)` and so accept
  truncated input; our string/bytes/uuid constructs check every read, and bool is a
  `FormatField` (whose compiled `struct.unpack` fails on a short read);
- `PrefixedArray`/`PascalString` cannot express Kafka's -1/0 nulls nor check a count against the
  remaining bytes before allocating; `Length` does both;
- `VarInt` is unbounded; Kafka's unsigned varint is at most 5 bytes (`UVarInt`).
Each custom construct implements `_parse/_build` (the interpreted path, used for error
diagnosis) and `_emitparse/_emitbuild` (so `Struct.compile()` inlines it); both call the same
module-level helpers, so there is one implementation of each rule.
"""

from __future__ import annotations

import io
import struct
import uuid
from typing import Any

from construct import (
    Construct,
    Float64b,
    FormatField,
    Int8sb,
    Int16sb,
    Int16ub,
    Int32sb,
    Int64sb,
    Subconstruct,
)

from wire.errors import DecodeError, EncodeError

UVARINT_BYTES_MAX = 5
STRING_CLASSIC_BYTES_MAX = 0x7FFF

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")

Bool = FormatField(">", "?")

FIXED: dict[str, Construct] = {
    "int8": Int8sb,
    "int16": Int16sb,
    "int32": Int32sb,
    "int64": Int64sb,
    "uint16": Int16ub,
    "float64": Float64b,
    "bool": Bool,
}
FIXED_SIZES: dict[str, int] = {
    "int8": 1,
    "int16": 2,
    "int32": 4,
    "int64": 8,
    "uint16": 2,
    "float64": 8,
    "bool": 1,
    "uuid": 16,
}


class Buffer(io.BytesIO):
    """The stream every decode reads: `end` is where readable data stops (checked by lengths)."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        super().__init__(data)
        self.end = len(data)


def remaining(stream: Any) -> int:
    end = getattr(stream, "end", None)
    if end is None:  # a plain stream (construct's own .parse()): measure it once
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
    result: int = end - stream.tell()
    return result


# -- helpers shared by the interpreted and the compiled forms --------------------------------------


def read_uvarint(stream: Any) -> int:
    data: bytes = stream.read(1)
    if data and data[0] < 0x80:
        return data[0]
    result = 0
    shift = 0
    while True:
        if not data:
            raise DecodeError("truncated unsigned varint", offset=stream.tell() - shift // 7)
        if shift > 28:
            raise DecodeError("unsigned varint longer than 5 bytes", offset=stream.tell() - 6)
        b: int = data[0]
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result
        shift += 7
        data = stream.read(1)


def encode_uvarint(value: int) -> bytes:
    if value < 0 or value > 0xFFFFFFFF:
        raise EncodeError(f"unsigned varint out of range: {value}")
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_length(stream: Any, kind: str, compact: bool, nullable: bool, unit: int) -> int | None:
    """A length prefix (None = null), checked against the remaining bytes before any allocation.

    `unit` is the fewest bytes one counted item takes (1 for strings and bytes).
    """
    start = stream.tell()
    n: int
    if compact:
        data = stream.read(1)
        if data and data[0] < 0x80:  # the common one-byte length
            n = data[0] - 1
        else:
            stream.seek(start)
            n = read_uvarint(stream) - 1
        if n < 0:
            if not nullable:
                raise DecodeError(f"null {kind} in a non-nullable field", offset=start)
            return None
    else:
        fmt = _I16 if kind == "string" else _I32
        data = stream.read(fmt.size)
        if len(data) != fmt.size:
            raise DecodeError("truncated input", offset=start)
        (n,) = fmt.unpack(data)
        if n < 0:
            if n == -1 and nullable:
                return None
            raise DecodeError(f"invalid {kind} length {n}", offset=start)
    try:
        left = stream.end - stream.tell()
    except AttributeError:  # a plain stream (construct's own .parse())
        left = remaining(stream)
    if n * unit > left:
        if kind == "array":
            raise DecodeError(
                f"array of {n} elements cannot fit in the {left} bytes left", offset=start
            )
        raise DecodeError(f"{kind} length {n} exceeds the {left} bytes left", offset=start)
    return n


def write_length(stream: Any, n: int | None, kind: str, compact: bool) -> None:
    if compact:
        if n is None:
            stream.write(b"\x00")
        elif n < 0x7F:
            stream.write(bytes((n + 1,)))
        else:
            stream.write(encode_uvarint(n + 1))
    elif kind == "string":
        stream.write(_I16.pack(-1 if n is None else n))
    else:
        stream.write(_I32.pack(-1 if n is None else n))


def _read_short_compact(stream: Any) -> bytes | None:
    """Fast path for a compact string/bytes of 0..125 bytes: None means "take the checked path".

    The payload is read before its length is checked, which is safe only because it is short;
    on a short read the stream is put back and `read_length` reports the error.
    """
    data = stream.read(1)
    if not data:
        return None
    n = data[0] - 1
    if not 0 <= n < 0x7E:
        stream.seek(-1, io.SEEK_CUR)
        return None
    payload: bytes = stream.read(n)
    if len(payload) != n:
        stream.seek(-1 - len(payload), io.SEEK_CUR)
        return None
    return payload


def read_string(stream: Any, compact: bool, nullable: bool) -> str | None:
    if compact:
        payload = _read_short_compact(stream)
        if payload is not None:
            return str(payload, "utf-8")
    n = read_length(stream, "string", compact, nullable, 1)
    if n is None:
        return None
    return str(stream.read(n), "utf-8")  # n <= remaining: the read is whole


def write_string(stream: Any, value: Any, compact: bool, nullable: bool) -> Any:
    if value is None:
        if not nullable:
            raise EncodeError("null in a non-nullable string")
        write_length(stream, None, "string", compact)
        return value
    data = value.encode("utf-8")
    if not compact and len(data) > STRING_CLASSIC_BYTES_MAX:
        raise EncodeError(f"string of {len(data)} bytes exceeds {STRING_CLASSIC_BYTES_MAX}")
    write_length(stream, len(data), "string", compact)
    stream.write(data)
    return value


def read_bytes(stream: Any, compact: bool, nullable: bool) -> bytes | None:
    if compact:
        payload = _read_short_compact(stream)
        if payload is not None:
            return payload
    n = read_length(stream, "bytes", compact, nullable, 1)
    if n is None:
        return None
    data: bytes = stream.read(n)
    return data


def write_bytes(stream: Any, value: Any, compact: bool, nullable: bool) -> Any:
    if value is None:
        if not nullable:
            raise EncodeError("null in non-nullable bytes")
        write_length(stream, None, "bytes", compact)
        return value
    write_length(stream, len(value), "bytes", compact)
    stream.write(value)
    return value


NULL_MARKER = b"\xff"  # int8 -1: a null nullable struct
PRESENT_MARKER = b"\x01"  # int8 1: the struct follows


def read_presence(stream: Any) -> bool:
    """The int8 before a nullable struct: -1 null, 1 present (what Kafka writes; anything else is
    refused, so a decoded message always re-encodes to the bytes it came from)."""
    marker: bytes = stream.read(1)
    if marker == PRESENT_MARKER:
        return True
    if marker == NULL_MARKER:
        return False
    if not marker:
        raise DecodeError("truncated nullable struct marker", offset=stream.tell())
    raise DecodeError(
        f"nullable struct marker {marker[0]:#04x} is neither -1 nor 1", offset=stream.tell() - 1
    )


def write_presence(stream: Any, value: Any) -> Any:
    stream.write(NULL_MARKER if value is None else PRESENT_MARKER)
    return value


def read_uuid(stream: Any) -> uuid.UUID:
    data = stream.read(16)
    if len(data) != 16:
        raise DecodeError("truncated input", offset=stream.tell() - len(data))
    return uuid.UUID(bytes=data)


def write_uuid(stream: Any, value: Any) -> Any:
    stream.write(value.bytes)
    return value


# -- the constructs --------------------------------------------------------------------------------

_HELPERS_IMPORT = (
    "from wire.primitives import read_uvarint as _read_uvarint, write_uvarint as _write_uvarint,"
    " read_length as _read_length, write_length as _write_length,"
    " read_string as _read_string, write_string as _write_string,"
    " read_bytes as _read_bytes, write_bytes as _write_bytes,"
    " read_uuid as _read_uuid, write_uuid as _write_uuid,"
    " read_presence as _read_presence, write_presence as _write_presence"
)


def write_uvarint(stream: Any, value: int) -> int:
    stream.write(encode_uvarint(value))
    return value


class UVarInt(Construct):  # type: ignore[misc]
    """Kafka's unsigned varint: 7 bits a byte, low group first, at most 5 bytes (32 bits)."""

    def _parse(self, stream: Any, context: Any, path: str) -> int:
        return read_uvarint(stream)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> int:
        return write_uvarint(stream, obj)

    def _emitparse(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        return "_read_uvarint(io)"

    def _emitbuild(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        return "_write_uvarint(io, obj)"


class Uuid(Construct):  # type: ignore[misc]
    """16 raw bytes as a `uuid.UUID`."""

    def _parse(self, stream: Any, context: Any, path: str) -> uuid.UUID:
        return read_uuid(stream)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        return write_uuid(stream, obj)

    def _emitparse(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        return "_read_uuid(io)"

    def _emitbuild(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        return "_write_uuid(io, obj)"


class _Sized(Construct):  # type: ignore[misc]
    """Shared shape of a length-prefixed string or byte string."""

    kind = ""

    def __init__(self, compact: bool, nullable: bool) -> None:
        super().__init__()
        self.compact = compact
        self.nullable = nullable
        self.flagbuildnone = nullable

    def _emitparse(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        return f"_read_{self.kind}(io, {self.compact}, {self.nullable})"

    def _emitbuild(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        return f"_write_{self.kind}(io, obj, {self.compact}, {self.nullable})"


class KafkaString(_Sized):
    """UTF-8 string: classic int16 length (-1 null) or compact uvarint(len+1) (0 null)."""

    kind = "string"

    def _parse(self, stream: Any, context: Any, path: str) -> str | None:
        return read_string(stream, self.compact, self.nullable)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        return write_string(stream, obj, self.compact, self.nullable)


class KafkaBytes(_Sized):
    """Byte string (also `records`): classic int32 length (-1 null) or compact (0 null)."""

    kind = "bytes"

    def _parse(self, stream: Any, context: Any, path: str) -> bytes | None:
        return read_bytes(stream, self.compact, self.nullable)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        return write_bytes(stream, obj, self.compact, self.nullable)


class KafkaArray(Subconstruct):  # type: ignore[misc]
    """Array of `subcon`: classic int32 count (-1 null) or compact uvarint(count+1) (0 null).

    The count is checked against the remaining bytes (`element_bytes_min` each) before the list
    is built, so a hostile count allocates nothing.
    """

    def __init__(
        self, subcon: Construct, compact: bool, nullable: bool, element_bytes_min: int
    ) -> None:
        super().__init__(subcon)
        self.compact = compact
        self.nullable = nullable
        self.flagbuildnone = nullable
        # an element costs at least one byte on the wire even if its struct is empty (tag section)
        self.unit = max(element_bytes_min, 1)

    def _parse(self, stream: Any, context: Any, path: str) -> list[Any] | None:
        n = read_length(stream, "array", self.compact, self.nullable, self.unit)
        if n is None:
            return None
        subcon = self.subcon
        return [subcon._parsereport(stream, context, path) for _ in range(n)]

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        if obj is None:
            if not self.nullable:
                raise EncodeError("null in a non-nullable array")
            write_length(stream, None, "array", self.compact)
            return obj
        write_length(stream, len(obj), "array", self.compact)
        for item in obj:
            self.subcon._build(item, stream, context, path)
        return obj

    def _emitparse(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        fname = f"parse_kafka_array_{code.allocateId()}"
        element = self.subcon._compileparse(code)
        code.append(f"""
            def {fname}(io, this):
                n = _read_length(io, "array", {self.compact}, {self.nullable}, {self.unit})
                if n is None:
                    return None
                return [{element} for _ in range(n)]
        """)
        return f"{fname}(io, this)"

    def _emitbuild(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        fname = f"build_kafka_array_{code.allocateId()}"
        element = self.subcon._compilebuild(code)
        code.append(f"""
            def {fname}(items, io, this):
                if items is None:
                    if not {self.nullable}:
                        raise EncodeError("null in a non-nullable array")
                    _write_length(io, None, "array", {self.compact})
                    return None
                _write_length(io, len(items), "array", {self.compact})
                for obj in items:
                    {element}
                return items
        """)
        code.append("from wire.errors import EncodeError")
        return f"{fname}(obj, io, this)"


class NullableStruct(Subconstruct):  # type: ignore[misc]
    """A nullable struct: int8 marker (-1 null, 1 present), then the struct when present."""

    def __init__(self, subcon: Construct) -> None:
        super().__init__(subcon)
        self.flagbuildnone = True

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        if not read_presence(stream):
            return None
        return self.subcon._parsereport(stream, context, path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        write_presence(stream, obj)
        if obj is not None:
            self.subcon._build(obj, stream, context, path)
        return obj

    def _emitparse(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        return f"({self.subcon._compileparse(code)} if _read_presence(io) else None)"

    def _emitbuild(self, code: Any) -> str:
        code.append(_HELPERS_IMPORT)
        fname = f"build_nullable_struct_{code.allocateId()}"
        struct = self.subcon._compilebuild(code)
        code.append(f"""
            def {fname}(obj, io, this):
                _write_presence(io, obj)
                if obj is not None:
                    {struct}
                return obj
        """)
        return f"{fname}(obj, io, this)"


def codec_for(kafka_type: str, flexible: bool, nullable: bool) -> Construct:
    """THE dispatch for primitives: the construct that encodes one value of `kafka_type`."""
    fixed = FIXED.get(kafka_type)
    if fixed is not None:
        return fixed
    if kafka_type == "uuid":
        return Uuid()
    if kafka_type == "string":
        return KafkaString(flexible, nullable)
    if kafka_type in ("bytes", "records"):
        # records stay bytes: the stored batches are sliced in and written out unchanged
        return KafkaBytes(flexible, nullable)
    raise AssertionError(f"not a primitive: {kafka_type}")


def array_of(
    element: Construct, element_bytes_min: int, flexible: bool, nullable: bool
) -> Construct:
    return KafkaArray(element, flexible, nullable, element_bytes_min)


def bytes_min(kafka_type: str, flexible: bool) -> int:
    """Fewest bytes a value of this primitive (or an array) takes on the wire."""
    if kafka_type in FIXED_SIZES:
        return FIXED_SIZES[kafka_type]
    if flexible:
        return 1
    return 2 if kafka_type == "string" else 4
